"""Settings of the paper exchange, as they appear under a run's ``paper:`` key."""

from __future__ import annotations

import msgspec

from framework.runtime.clock import NS_PER_MS

__all__ = ["PaperSettings"]


class PaperSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How the paper exchange simulates a venue.

    - ``latency_ms``: one-way delay before a submit, cancel or replace takes
      effect at the simulated venue; ``latency_jitter_ms`` adds a uniform
      random ``0..jitter`` (seeded by ``seed``). Messages still arrive in the
      order they were sent, as on one connection.
    - ``maker_fee_bps`` / ``taker_fee_bps``: fees in basis points of the fill
      notional (negative for a rebate); see :mod:`framework.paper.fees`.
    - ``partial_fills``: when true a fill takes whatever liquidity there is;
      when false every fill is all-or-none: an order fills only when the
      liquidity available to it covers its whole remaining size.
    """

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    maker_fee_bps: int = 0
    taker_fee_bps: int = 0
    partial_fills: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("latency_ms", "latency_jitter_ms"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"paper.{name} must be a non-negative int, not {value!r}")
        for name in ("maker_fee_bps", "taker_fee_bps"):
            value = getattr(self, name)
            if type(value) is not int or not -10_000 <= value <= 10_000:
                raise ValueError(f"paper.{name} must be an int in -10000..10000, not {value!r}")

    @property
    def latency_ns(self) -> int:
        return self.latency_ms * NS_PER_MS

    @property
    def jitter_ns(self) -> int:
        return self.latency_jitter_ms * NS_PER_MS
