"""The limiter's response to venue throttling, on simulated time: a 429 halves
the rate at once, the rate then grows back linearly to the configured one
(AIMD), repeated signals of one overrun cut once, an overrun that goes on is
still stopped, and no window ever holds more than the cap throughout."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from framework.plugin.venue import MessageKind
from framework.risk.limiter import IngressLimiter
from framework.risk.window import PPM, THROTTLE_HOLDOFF_NS, BudgetRule
from framework.runtime.clock import NS_PER_MS, NS_PER_S, SimClock

CANCEL = MessageKind.CANCEL
G = 10 * NS_PER_MS
RATE = 100  # per second, the configured rate


def rule(recover_s: int = 10) -> BudgetRule:
    return BudgetRule(cap=RATE * 10, window_ns=10 * NS_PER_S, burst_cap=RATE, rate_cap_per_s=RATE,
                      granularity_ns=G, recover_ns=recover_s * NS_PER_S)  # fmt: skip


def flood(limiter: IngressLimiter, clock: SimClock, until_ns: int, signals: tuple[int, ...] = ()) -> list[int]:
    """Send as much as the limiter admits, granule by granule, until ``until_ns``;
    the venue pushes back at each time in ``signals``. Returns admissions per second."""
    per_second: list[int] = []
    pending = sorted(signals)
    now = clock.now_ns()
    while now < until_ns:
        while pending and pending[0] <= now:
            pending.pop(0)
            limiter.throttled()
        n = 0
        while limiter.try_acquire(CANCEL):
            n += 1
        second = now // NS_PER_S
        per_second += [0] * (second + 1 - len(per_second))
        per_second[second] += n
        now += G
        clock.advance_to(now)
    return per_second


def test_a_signal_halves_the_rate_then_it_grows_back_linearly_to_the_full_rate() -> None:
    clock = SimClock()
    limiter = IngressLimiter(rule(recover_s=10), clock)
    seconds = flood(limiter, clock, 12 * NS_PER_S, signals=(2 * NS_PER_S,))
    assert seconds[:2] == [RATE, RATE]
    # Cut to half at 2 s, then a tenth of the rate more every second (a full budget per 10 s).
    for k in range(5):
        assert RATE // 2 + 10 * k <= seconds[2 + k] <= RATE // 2 + 10 * (k + 1)
    assert seconds[7:] == [RATE] * 5  # back to the configured rate, not a fraction of it
    assert limiter.window.throttle_ppm == PPM


def test_signals_of_one_overrun_cut_once() -> None:
    clock = SimClock()
    limiter = IngressLimiter(rule(), clock)
    burst = tuple(NS_PER_S + i * 100 * NS_PER_MS for i in range(8))  # eight 429s within 0.8 s
    flood(limiter, clock, 2 * NS_PER_S, signals=burst)
    assert limiter.stats.throttle_signals == 8
    limiter.remaining()  # brings the factor up to date
    # One halving (0.5), grown back by 0.1/s for 1 s -- not 1/256 of the rate.
    assert limiter.window.throttle_ppm == 6 * PPM // 10


def test_an_overrun_that_goes_on_is_still_stopped_and_then_recovers() -> None:
    clock = SimClock()
    limiter = IngressLimiter(rule(recover_s=10), clock)
    signals = tuple(t * THROTTLE_HOLDOFF_NS for t in range(1, 11))  # the venue refuses every second for 10 s
    seconds = flood(limiter, clock, 30 * NS_PER_S, signals=signals)
    assert sum(seconds[1:11]) < 10 * RATE * 0.3  # held well under the rate while it lasts:
    # halved every second, a tenth back every second: it settles near f = (f + 0.1) / 2 = 0.1 of it
    assert max(seconds[5:11]) <= RATE // 4
    # And back to the full rate once it stops (the window spreads it over W + one granule: 99.9/s).
    assert all(n >= RATE - 2 for n in seconds[-5:])
    assert limiter.window.throttle_ppm == PPM


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 3 * NS_PER_S), max_size=12),  # when the venue pushes back
    st.integers(1, 5),  # seconds to regain a whole budget
)
def test_no_window_ever_holds_more_than_the_cap_and_the_rate_always_comes_back(signals: list[int], recover_s: int) -> None:
    clock = SimClock()
    r = rule(recover_s=recover_s)
    limiter = IngressLimiter(r, clock)
    admitted: list[int] = []  # one entry per admission: its time
    now, pending = 0, sorted(signals)
    end = (max(signals, default=0) // G + 1) * G + recover_s * NS_PER_S + 2 * NS_PER_S
    while now <= end:
        while pending and pending[0] <= now:
            pending.pop(0)
            limiter.throttled()
        while limiter.try_acquire(CANCEL):
            admitted.append(now)
        assert 0 < limiter.window.throttle_ppm <= PPM
        now += G
        clock.advance_to(now)
    # The window invariant at every admission (where a window's count peaks).
    lo_w = lo_s = 0
    for i, t in enumerate(admitted):
        while admitted[lo_w] <= t - r.window_ns:
            lo_w += 1
        while admitted[lo_s] <= t - NS_PER_S:
            lo_s += 1
        assert i + 1 - lo_w <= r.cap
        assert i + 1 - lo_s <= r.burst_cap
    # Every signal is counted; once recovered the rate is the configured one.
    assert limiter.stats.throttle_signals == len(signals)
    assert limiter.window.throttle_ppm == PPM
    # (The burst cap lets a second's worth go every 1 s + one granule: 2-3 of them in 3 s.)
    assert len([t for t in admitted if t > end - 3 * NS_PER_S]) >= 2 * RATE
