"""The limiter's records: the budget rule it enforces and the counters it reports.

Kept apart from :mod:`framework.risk.window` (and re-exported there) because
that module may be compiled with mypyc (see ``setup.py``), and mypyc checks a
class-body default against its annotation when the class is created: a
``msgspec.field(default_factory=...)`` default is not a ``list[int]``. These
records are built once per limiter, so pure Python costs nothing here.
"""

from __future__ import annotations

import math
from fractions import Fraction

import msgspec

from framework.plugin.venue import MessageKind, RateRule
from framework.runtime.clock import NS_PER_MS, NS_PER_S

__all__ = ["PPM", "BudgetRule", "LimiterStats"]

PPM = 1_000_000
_KINDS = len(MessageKind)


class BudgetRule(msgspec.Struct, frozen=True):
    """The limits one limiter enforces, already scaled by the safety margin.

    ``cap`` messages in any ``window_ns``; ``burst_cap`` in any second (0: only
    the window applies); ``reserve`` of the window only cancels and replaces
    may use; ``rate_cap_per_s`` is the sustainable rate a throttle scales down.
    """

    cap: int
    window_ns: int
    burst_cap: int = 0
    reserve: int = 0
    rate_cap_per_s: int = 0
    granularity_ns: int = 10 * NS_PER_MS
    recover_ns: int = 60 * NS_PER_S
    min_factor_ppm: int = PPM // 64

    @classmethod
    def from_rate(
        cls,
        rule: RateRule,
        *,
        margin: float = 0.95,
        reserve_fraction: float = 0.02,
        granularity_ms: int = 10,
        recover_s: float = 60.0,
    ) -> BudgetRule:
        """Scale a venue's :class:`RateRule` by ``margin`` (use at most 95 % by default)."""
        if not 0.0 < margin <= 1.0:
            raise ValueError(f"margin must be in (0, 1], not {margin}")
        if not 0.0 <= reserve_fraction < 1.0:
            raise ValueError(f"reserve must be in [0, 1), not {reserve_fraction}")
        # The fractions as written (0.95, not the binary float nearest it), so a
        # budget is never one message short or over through rounding.
        m, r = Fraction(str(margin)), Fraction(str(reserve_fraction))
        cap = math.floor(rule.rate_per_s * rule.window_s * m)
        return cls(
            cap=cap,
            window_ns=rule.window_s * NS_PER_S,
            burst_cap=math.floor(rule.burst * m) if rule.burst else 0,
            reserve=math.floor(cap * r),
            rate_cap_per_s=max(1, math.floor(rule.rate_per_s * m)),
            granularity_ns=granularity_ms * NS_PER_MS,
            recover_ns=int(recover_s * NS_PER_S),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistent field."""
        g = self.granularity_ns
        if self.cap < 1:
            raise ValueError(f"budget cap must be at least 1 message, not {self.cap}")
        if g <= 0 or NS_PER_S % g:
            raise ValueError(f"granularity must divide one second, not {g} ns")
        if self.window_ns < NS_PER_S or self.window_ns % g:
            raise ValueError(f"window must be at least 1 s and a multiple of {g} ns")
        if self.burst_cap < 0 or not 0 <= self.reserve < self.cap:
            raise ValueError("burst cap must be >= 0 and reserve in [0, cap)")


class LimiterStats(msgspec.Struct):
    """Counters a limiter reports: admitted and denied by kind, waits, venue
    throttle signals and the highest window usage seen."""

    admitted: list[int] = msgspec.field(default_factory=lambda: [0] * _KINDS)
    denied: list[int] = msgspec.field(default_factory=lambda: [0] * _KINDS)
    waited: int = 0
    wait_ns_total: int = 0
    throttle_signals: int = 0
    max_window_used: int = 0

    def as_dict(self) -> dict[str, int]:
        """Flat ``name -> value`` figures for logs and metrics."""
        out = {f"admitted_{k.name.lower()}": self.admitted[k] for k in MessageKind}
        out.update({f"denied_{k.name.lower()}": self.denied[k] for k in MessageKind})
        out.update(
            waited=self.waited,
            wait_ns_total=self.wait_ns_total,
            throttle_signals=self.throttle_signals,
            max_window_used=self.max_window_used,
        )
        return out
