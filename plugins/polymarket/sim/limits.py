"""The simulator enforces the venue's limits exactly as documented, and counts
every violation (reference §9).

- concurrent streams per firm (all RPCs pooled): the next one gets
  ``RESOURCE_EXHAUSTED``;
- symbols per market-data stream: more gets ``INVALID_ARGUMENT``;
- ingress, all client-to-venue messages of a firm: at most ``rate_per_s``
  averaged over ``window_s`` (a sliding window of exact timestamps: bursts
  are allowed as long as the window total stays within ``rate * window``);
  past it HTTP 429 / ``RESOURCE_EXHAUSTED``;
- per-method token buckets for REST / unary order entry by tier.

Rates and windows are settings so tests can scale them down (e.g. 50 msg/s
over 2 s) and still run in wall-clock time. Time comes from the injected clock.
"""

from __future__ import annotations

from collections import Counter, deque

import msgspec

from framework.runtime.clock import NS_PER_S, Clock
from plugins.polymarket.limits import method_buckets

__all__ = ["LimitSettings", "SimLimits", "TokenBucket"]


class LimitSettings(msgspec.Struct, frozen=True):
    """What the simulator enforces (defaults: the documented values)."""

    max_streams: int = 20
    symbols_per_stream: int = 1000
    ingress_rate_per_s: int = 100
    ingress_window_s: float = 60.0
    tier: int = 1
    enforce_buckets: bool = True


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` banked."""

    __slots__ = ("at_ns", "capacity", "rate", "tokens")

    def __init__(self, rate: float, capacity: float, now_ns: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.at_ns = now_ns

    def take(self, now_ns: int) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now_ns - self.at_ns) * self.rate / NS_PER_S)
        self.at_ns = now_ns
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SimLimits:
    """Per-firm enforcement state. ``violations`` counts refusals by kind
    (``streams``, ``symbols``, ``ingress``, ``bucket:<Method>``)."""

    def __init__(self, settings: LimitSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.violations: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()  # firm -> open streams
        self.ingress_total = 0
        self._window: dict[str, deque[int]] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._rules = method_buckets(settings.tier)

    def kinds(self) -> list[str]:
        """Every violation kind these limits can count."""
        return ["streams", "symbols", "ingress", *(f"bucket:{m}" for m in self._rules)]

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())

    def open_stream(self, firm: str) -> bool:
        """Take a stream slot; False (and counted) past the cap."""
        if self.streams[firm] >= self.settings.max_streams:
            self.violations["streams"] += 1
            return False
        self.streams[firm] += 1
        return True

    def close_stream(self, firm: str) -> None:
        self.streams[firm] -= 1

    def check_symbols(self, n: int) -> bool:
        if n > self.settings.symbols_per_stream:
            self.violations["symbols"] += 1
            return False
        return True

    def ingress(self, firm: str, method: str = "") -> str | None:
        """Count one inbound message; returns why it is refused, or None."""
        now = self.clock.now_ns()
        s = self.settings
        window = self._window.setdefault(firm, deque())
        horizon = now - int(s.ingress_window_s * NS_PER_S)
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= s.ingress_rate_per_s * s.ingress_window_s:
            self.violations["ingress"] += 1
            return f"rate limit exceeded: {s.ingress_rate_per_s} msg/s averaged over {s.ingress_window_s:g} s"
        rule = self._rules.get(method) if s.enforce_buckets else None
        if rule is not None:
            bucket = self._buckets.get((firm, method))
            if bucket is None:
                bucket = self._buckets[(firm, method)] = TokenBucket(rule.rate_per_s, rule.capacity, now)
            if not bucket.take(now):
                self.violations[f"bucket:{method}"] += 1
                return f"rate limit exceeded: {method} {rule.rate_per_s}/s"
        window.append(now)
        self.ingress_total += 1
        return None
