"""A venue method's own token bucket (e.g. Polymarket's InsertOrder 30/s per
firm), in this process; :mod:`framework.risk.redis_backend` holds the firm-wide
one over the same :func:`bucket_params`. The gate books a message here after
the ingress window admitted it (see :mod:`framework.risk.gate`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from framework.plugin.venue import TokenBucketRule
from framework.runtime.clock import NS_PER_S

__all__ = ["MethodBucket", "bucket_params", "memory_buckets"]


def bucket_params(rule: TokenBucketRule, margin: float, allowance_ns: int = 0) -> tuple[int, int]:
    """``(ns between tokens, capacity)`` of ``rule`` scaled by ``margin``, the
    capacity less what ``allowance_ns`` of delivery jitter may bunch up
    (``rate x allowance``, rounded up; at least one message)."""
    m = Fraction(str(margin))  # as written, not the nearest binary float
    rate = max(1, math.floor(rule.rate_per_s * m))
    jitter = -(-rate * allowance_ns // NS_PER_S)
    # The interval is rounded up: never faster than the rate.
    return -(-NS_PER_S // rate), max(1, math.floor(rule.capacity * m) - jitter)


class MethodBucket:
    """A venue method's token bucket in this process, as a virtual schedule
    (GCRA): each message books the next free instant, so waiters leave in FIFO
    order. (:class:`~framework.risk.redis_backend.RedisMethodBucket` is the
    firm-wide one.)"""

    def __init__(self, rule: TokenBucketRule, margin: float = 1.0, allowance_ns: int = 0) -> None:
        self.interval_ns, self.capacity = bucket_params(rule, margin, allowance_ns)
        self._tat = 0  # when the bucket is next full again

    def wait_ns(self, now_ns: int, count: int = 1) -> int:
        """How long ``count`` messages booked now would wait (nothing is booked)."""
        start = max(self._tat, now_ns)
        return max(0, start + (count - self.capacity) * self.interval_ns - now_ns)

    def drained(self, now_ns: int) -> None:
        """The venue said this bucket is empty (a 429 naming the method): book as if it were."""
        self._tat = max(self._tat, now_ns + self.capacity * self.interval_ns)

    async def book(self, now_ns: int, count: int, max_wait_ns: int | None) -> int | None:
        """Book ``count`` messages; returns how long to wait before sending them,
        or ``None`` (nothing booked) if that is longer than ``max_wait_ns``."""
        at = self.reserve(now_ns, count, None if max_wait_ns is None else now_ns + max_wait_ns)
        return None if at is None else at - now_ns

    def reserve(self, now_ns: int, count: int, deadline_ns: int | None) -> int | None:
        """Book ``count`` messages; returns when they may go, or ``None`` (nothing
        booked) if that is after ``deadline_ns``."""
        start = max(self._tat, now_ns)
        at = start + count * self.interval_ns - self.capacity * self.interval_ns
        at = max(at, now_ns)
        if deadline_ns is not None and at > deadline_ns:
            return None
        self._tat = start + count * self.interval_ns
        return at


def memory_buckets(
    rules: Mapping[str, TokenBucketRule], margin: float, allowance_ns: int = 0
) -> dict[str, MethodBucket]:
    """In-process buckets for a venue's per-method ``rules`` (method -> bucket)."""
    return {method: MethodBucket(rule, margin, allowance_ns) for method, rule in rules.items()}
