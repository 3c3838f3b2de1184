"""The Polymarket US exchange's limits, declared as data for the risk layer
(reference §9): firm-wide ingress 100 msg/s averaged over 60 s, 20 concurrent
streams pooled across RPCs, 1,000 symbols per market-data stream, and
per-method token buckets for order entry by tier (1-4). The simulator enforces
the same tables.
"""

from __future__ import annotations

from framework.plugin.venue import RateRule, TokenBucketRule, VenueLimits

__all__ = ["INGRESS", "MAX_STREAMS", "SYMBOLS_PER_STREAM", "method_buckets", "venue_limits"]

INGRESS = RateRule(rate_per_s=100, window_s=60)
MAX_STREAMS = 20
SYMBOLS_PER_STREAM = 1000
BATCH_MAX = 20  # operations per *List request

# method -> rate per second for tiers 1..4
_ORDER_RATES = {
    "InsertOrder": (30, 100, 200, 400),
    "CancelReplaceOrder": (30, 100, 200, 400),
    "CancelOrder": (90, 300, 600, 1200),
}
_LIST_METHODS = ("InsertOrderList", "CancelOrderList", "CancelReplaceOrderList")
_LIST_RATE = 50


def method_buckets(tier: int) -> dict[str, TokenBucketRule]:
    """The per-method token buckets of ``tier``; capacity = one second's worth.

    The query limits are per minute (ListInstruments 6/min, GetOrderBook
    12/min); a bucket of integer rate/s cannot say that, so they are left to the
    firm-wide ingress rule.
    """
    if tier not in (1, 2, 3, 4):
        raise ValueError(f"tier must be 1-4, not {tier}")
    out = {m: TokenBucketRule(rates[tier - 1], rates[tier - 1]) for m, rates in _ORDER_RATES.items()}
    out.update({m: TokenBucketRule(_LIST_RATE, _LIST_RATE) for m in _LIST_METHODS})
    return out


def venue_limits(tier: int = 1) -> VenueLimits:
    """What the adapter declares to the risk layer."""
    return VenueLimits(
        ingress=INGRESS,
        max_streams=MAX_STREAMS,
        symbols_per_stream=SYMBOLS_PER_STREAM,
        method_buckets=method_buckets(tier),
    )
