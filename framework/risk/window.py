"""The sans-IO ingress budget: a bucketed sliding window, driven by the caller's clock.

Theory of operation
-------------------
Time is cut into buckets of ``granularity_ns`` (default 10 ms). A ring of
``K + 1`` bucket counters, ``K = window / granularity``, holds what was
admitted in the buckets ``b - K .. b`` where ``b`` is the current bucket, and
two running sums say how much those buckets (``wsum``) and the last
``1 s / granularity + 1`` of them (``bsum``) hold.

Any real window ``(t - W, t]`` with ``t`` in bucket ``b`` starts in bucket
``b - K``, so it lies inside the ring: keeping ``wsum <= cap`` at every
admission guarantees that **no window of W ever holds more than cap**, exactly,
for every ``t`` (and likewise no second holds more than the burst cap). The
price is one bucket: in steady state the budget is spread over ``W + g``
instead of ``W`` (99.98 % of the budget for a 60 s window at 10 ms).

The check costs three compares and three adds (the time is compared with where
the next bucket starts, no division); the ring only moves when the bucket
changes.

Priorities: ``cap_for(kind)`` keeps ``reserve`` messages of the window that
only cancels and replaces may use, so a burst of new orders can never leave
nothing for the cancels that follow it.

Venue feedback is AIMD. :meth:`BudgetWindow.throttled` (an HTTP 429 or
``RESOURCE_EXHAUSTED``) halves a *throttle factor* -- multiplicative decrease;
while it is below one, the per-second cap is ``factor x rate`` (so the sending
rate drops at once, without freezing cancels for a whole window). The factor
grows back linearly -- additive increase, a full budget per ``recover_s`` --
and the throttle lifts when it reaches one: the configured rate comes back
whatever happened before, it never settles at a fraction of the budget.

Signals within :data:`THROTTLE_HOLDOFF_NS` of the last cut are counted but do
not cut again: the requests in flight when the venue first pushed back are
refused together, and they are one overrun, not several (before, a burst of
429s halved the rate once per request). A signal after the hold-off cuts
again, from wherever the recovery had got to, down to ``min_factor``: an
overrun that goes on is still stopped. The window cap is never raised by any
of this. All arithmetic is integer (the factor is in parts per million).
"""

from __future__ import annotations

from collections.abc import Callable

from framework.plugin.venue import MessageKind
from framework.risk.records import PPM, BudgetRule, LimiterStats
from framework.runtime.clock import NS_PER_S

__all__ = ["NO_CEILING", "PPM", "THROTTLE_HOLDOFF_NS", "BudgetRule", "BudgetWindow", "LimiterStats"]

NO_CEILING = len(MessageKind)  # BudgetWindow.ceiling when nothing waits: every kind may pass
# After a cut, further venue throttle signals for this long are the same overrun
# (the requests already in flight): one second, the span of the throttled cap.
THROTTLE_HOLDOFF_NS = NS_PER_S


class BudgetWindow:
    """The budget of one venue account in one process: ``try_acquire`` (caller's time) and
    ``admit`` (the clock given here, the wait ceiling, denials counted) are the fast paths."""

    __slots__ = (
        "_admitted",
        "_bcap",
        "_bsum",
        "_caps",
        "_cur",
        "_denied",
        "_edge",
        "_factor",
        "_factor_f0",
        "_factor_t0",
        "_holdoff_until",
        "_g",
        "_k",
        "_kb",
        "_max",
        "_n",
        "_now",
        "_ring",
        "_slot",
        "_stats",
        "_wsum",
        "ceiling",
        "rule",
    )

    def __init__(self, rule: BudgetRule, now_ns: int = 0, *, clock: Callable[[], int] | None = None) -> None:
        rule.validate()
        self.rule = rule
        self._stats = LimiterStats()
        self._admitted = self._stats.admitted  # the same lists, one attribute load nearer
        self._denied = self._stats.denied
        self._now = clock
        self.ceiling = NO_CEILING
        self._max = 0
        self._g = rule.granularity_ns
        self._k = rule.window_ns // self._g
        self._kb = NS_PER_S // self._g
        self._n = self._k + 1
        self._ring = [0] * self._n
        self._cur = now_ns // self._g
        self._edge = (self._cur + 1) * self._g  # where the next bucket starts
        self._slot = self._cur % self._n
        self._wsum = 0
        self._bsum = 0
        cap = rule.cap
        self._caps = [cap, cap, cap - rule.reserve, cap - rule.reserve]
        self._bcap = rule.burst_cap or cap
        self._factor = PPM  # PPM means "not throttled"
        self._factor_t0 = 0
        self._factor_f0 = PPM
        self._holdoff_until = -1  # no cut yet: the first signal always cuts

    # -- fast path ------------------------------------------------------

    def try_acquire(self, kind: int, now_ns: int, count: int = 1) -> bool:
        """Admit ``count`` messages of ``kind`` at ``now_ns`` if the budget allows.

        A refusal is not counted here: the caller decides whether it waits or gives up.
        """
        if now_ns >= self._edge:  # a compare, not a division, on the fast path
            self._advance(now_ns // self._g, now_ns)
        w = self._wsum + count
        bs = self._bsum + count
        if w > self._caps[kind] or bs > self._bcap:
            return False
        self._wsum = w
        self._bsum = bs
        self._ring[self._slot] += count
        self._admitted[kind] += count
        if w > self._max:
            self._max = w
        return True

    def admit(self, kind: int, count: int = 1) -> bool:
        """The limiter's fast path: admit ``count`` of ``kind`` now, or refuse (counted as denied).

        Reads the ``clock`` given at construction and refuses any ``kind`` at or
        below :attr:`ceiling` in urgency (the most urgent kind that is waiting), so
        nothing overtakes a queued message. The body repeats :meth:`try_acquire`
        on purpose: one Python frame per message is most of what this costs.
        """
        now_ns = self._now()  # type: ignore[misc]
        if kind < self.ceiling:
            if now_ns >= self._edge:
                self._advance(now_ns // self._g, now_ns)
            w = self._wsum + count
            bs = self._bsum + count
            if w <= self._caps[kind] and bs <= self._bcap:
                self._wsum = w
                self._bsum = bs
                self._ring[self._slot] += count
                self._admitted[kind] += count
                if w > self._max:
                    self._max = w
                return True
        self._denied[kind] += count
        return False

    @property
    def stats(self) -> LimiterStats:
        """Counters so far (``max_window_used`` brought up to date on read)."""
        self._stats.max_window_used = self._max
        return self._stats

    # -- reading --------------------------------------------------------

    def remaining(self, now_ns: int, kind: int = MessageKind.NEW_ORDER) -> int:
        """Messages of ``kind`` that could be admitted at ``now_ns`` without waiting."""
        b = now_ns // self._g
        if b != self._cur:
            self._advance(b, now_ns)
        return max(0, min(self._caps[kind] - self._wsum, self._bcap - self._bsum))

    def window_used(self, now_ns: int) -> int:
        """Messages counted in the window ending at ``now_ns`` (bucket-conservative)."""
        b = now_ns // self._g
        if b != self._cur:
            self._advance(b, now_ns)
        return self._wsum

    @property
    def throttle_ppm(self) -> int:
        """The current throttle factor in parts per million (1,000,000 = none)."""
        return self._factor

    def next_free_ns(self, kind: int, now_ns: int, count: int = 1) -> int | None:
        """Earliest time ``>= now_ns`` at which ``count`` of ``kind`` would fit if nothing
        else were admitted meanwhile, or ``None`` if it never can (``count`` over a cap)."""
        b = now_ns // self._g
        if b != self._cur:
            self._advance(b, now_ns)
        if count > self._caps[kind] or count > (self.rule.burst_cap or self.rule.cap):
            return None
        when = now_ns
        need = self._wsum + count - self._caps[kind]
        if need > 0:
            when = max(when, self._expiry(need, self._k))
        if self._factor < PPM:
            # A throttled per-second cap grows every bucket: look again at the next one.
            when = max(when, min((b + 1) * self._g, self._expiry(self._bsum + count - self._bcap, self._kb)))
        else:
            need = self._bsum + count - self._bcap
            if need > 0:
                when = max(when, self._expiry(need, self._kb))
        return when

    def _expiry(self, need: int, span: int) -> int:
        """When the oldest buckets of a ``span + 1`` bucket window free ``need`` messages."""
        if need <= 0:
            return 0
        ring, n, acc = self._ring, self._n, 0
        for j in range(self._cur - span, self._cur + 1):
            acc += ring[j % n]
            if acc >= need:
                return (j + span + 1) * self._g
        return (self._cur + span + 1) * self._g

    # -- venue feedback ---------------------------------------------------

    def throttled(self, now_ns: int) -> bool:
        """The venue pushed back: halve the throttle factor and restart its linear
        recovery -- unless this is within the hold-off of the last cut (the same
        overrun). Returns whether it cut."""
        self._stats.throttle_signals += 1
        if now_ns < self._holdoff_until:
            return False
        factor = max(self.rule.min_factor_ppm, self._current_factor(now_ns) // 2)
        self._factor = self._factor_f0 = factor
        self._factor_t0 = now_ns
        self._holdoff_until = now_ns + THROTTLE_HOLDOFF_NS
        self._bcap = self._throttled_bcap()
        return True

    def _current_factor(self, now_ns: int) -> int:
        if self._factor >= PPM:
            return PPM
        grown = (now_ns - self._factor_t0) * PPM // max(1, self.rule.recover_ns)
        return min(PPM, self._factor_f0 + grown)

    def _throttled_bcap(self) -> int:
        rule = self.rule
        full = rule.burst_cap or rule.cap
        if self._factor >= PPM:
            return full
        return min(full, max(1, (rule.rate_cap_per_s or rule.cap) * self._factor // PPM))

    # -- the ring -----------------------------------------------------------

    def _advance(self, b: int, now_ns: int) -> None:
        cur = self._cur
        if b < cur:  # a clock that went back: keep counting in the current bucket
            return
        ring, n, kb = self._ring, self._n, self._kb
        if b - cur >= n:
            for i in range(n):
                ring[i] = 0
            self._wsum = self._bsum = 0
        else:
            wsum, bsum = self._wsum, self._bsum
            for i in range(cur + 1, b + 1):
                bsum -= ring[(i - kb - 1) % n]
                slot = i % n
                wsum -= ring[slot]
                ring[slot] = 0
            self._wsum, self._bsum = wsum, bsum
        self._cur = b
        self._edge = (b + 1) * self._g
        self._slot = b % n
        if self._factor < PPM:
            self._factor = self._current_factor(now_ns)
            self._bcap = self._throttled_bcap()
