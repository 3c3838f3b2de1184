"""The sans-IO budget window against a deliberately naive reference: a list of
admitted timestamps, scanned in full for every window."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.plugin.venue import MessageKind, RateRule
from framework.risk.window import PPM, BudgetRule, BudgetWindow
from framework.runtime.clock import NS_PER_MS, NS_PER_S

G = 100 * NS_PER_MS


def naive_sum(log: list[tuple[int, int]], start_excl: int, end_incl: int) -> int:
    return sum(c for t, c in log if start_excl < t <= end_incl)


rules = st.builds(
    lambda cap, window_s, burst, reserve: BudgetRule(
        cap=cap,
        window_ns=window_s * NS_PER_S,
        burst_cap=burst,
        reserve=min(reserve, cap - 1),
        rate_cap_per_s=max(1, cap // window_s),
        granularity_ns=G,
        recover_ns=2 * NS_PER_S,
    ),
    st.integers(1, 60),
    st.integers(1, 3),
    st.sampled_from([0, 3, 10]),
    st.integers(0, 3),
)
ops = st.lists(
    st.tuples(
        st.one_of(  # time step: same instant, within a bucket, or across several
            st.just(0), st.integers(0, G), st.integers(0, 400 * NS_PER_MS), st.integers(NS_PER_S - 2 * G, NS_PER_S)
        ),
        st.sampled_from(list(MessageKind)),
        st.integers(1, 4),  # count
        st.booleans(),  # a venue throttle signal before this step
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(rules, ops)
def test_no_window_ever_exceeds_the_cap_and_refusals_are_justified(rule: BudgetRule, steps) -> None:
    window = BudgetWindow(rule, 0)
    log: list[tuple[int, int]] = []
    now = 0
    throttled = False
    for dt, kind, count, signal in steps:
        now += dt
        if signal and len(log) % 7 == 3:
            window.throttled(now)
            throttled = True
        cap = rule.cap - (rule.reserve if kind >= MessageKind.NEW_ORDER else 0)
        ok = window.try_acquire(kind, now, count)
        if ok:
            log.append((now, count))
            # Every window ending at an admission (where a window's count peaks).
            assert naive_sum(log, now - rule.window_ns, now) <= rule.cap
            if rule.burst_cap:
                assert naive_sum(log, now - NS_PER_S, now) <= rule.burst_cap
        elif not throttled:
            # A refusal is never more than one bucket conservative.
            over_window = naive_sum(log, now - rule.window_ns - G, now) + count > cap
            over_burst = bool(rule.burst_cap) and naive_sum(log, now - NS_PER_S - G, now) + count > rule.burst_cap
            assert over_window or over_burst
    assert sum(window.stats.admitted) == sum(c for _, c in log)


@settings(max_examples=60, deadline=None)
@given(rules, st.lists(st.integers(0, 300 * NS_PER_MS), min_size=1, max_size=100))
def test_next_free_is_when_it_fits(rule: BudgetRule, gaps: list[int]) -> None:
    window = BudgetWindow(rule, 0)
    now = 0
    for gap in gaps:
        now += gap
        if window.try_acquire(MessageKind.NEW_ORDER, now):
            continue
        when = window.next_free_ns(MessageKind.NEW_ORDER, now)
        assert when is not None and when > now
        # The promise holds: it fits then.
        assert window.try_acquire(MessageKind.NEW_ORDER, when)
        now = when


def test_a_second_never_holds_more_than_the_burst_cap_across_bucket_edges() -> None:
    window = BudgetWindow(BudgetRule(cap=100, window_ns=NS_PER_S, burst_cap=3, granularity_ns=G))
    assert sum(window.try_acquire(MessageKind.NEW_ORDER, 950 * NS_PER_MS) for _ in range(5)) == 3
    assert not window.try_acquire(MessageKind.NEW_ORDER, 1_900 * NS_PER_MS)  # (0.9 s, 1.9 s] holds 3
    assert window.next_free_ns(MessageKind.NEW_ORDER, 1_900 * NS_PER_MS) == 2_000 * NS_PER_MS
    assert window.try_acquire(MessageKind.NEW_ORDER, 2_000 * NS_PER_MS)


def test_steady_demand_gets_the_whole_budget_less_one_bucket() -> None:
    rule = BudgetRule.from_rate(RateRule(100, 60), margin=0.95, reserve_fraction=0.0)
    assert rule.cap == 5700
    window = BudgetWindow(rule, 0)
    admitted = 0
    for ms in range(600_000):  # one attempt per ms for 10 minutes, demand 1000/s
        admitted += window.try_acquire(MessageKind.NEW_ORDER, ms * NS_PER_MS)
    assert admitted >= 0.999 * rule.cap * 10
    assert window.stats.max_window_used == rule.cap


def test_from_rate_applies_margin_and_burst() -> None:
    rule = BudgetRule.from_rate(RateRule(100, 60, burst=300), margin=0.95, reserve_fraction=0.02)
    assert (rule.cap, rule.burst_cap, rule.reserve, rule.rate_cap_per_s) == (5700, 285, 114, 95)
    # The margin as written: 100 x 0.57 is 56.99999999999999 in binary floats.
    assert BudgetRule.from_rate(RateRule(100, 1), margin=0.57, reserve_fraction=0).cap == 57
    assert BudgetRule.from_rate(RateRule(100, 60), margin=0.29).cap == 1740
    with pytest.raises(ValueError, match="margin"):
        BudgetRule.from_rate(RateRule(100, 60), margin=1.5)
    with pytest.raises(ValueError, match="granularity"):
        BudgetWindow(BudgetRule(cap=10, window_ns=NS_PER_S, granularity_ns=3 * NS_PER_MS))


def test_reserve_is_for_cancels_only() -> None:
    window = BudgetWindow(BudgetRule(cap=10, window_ns=NS_PER_S, reserve=3, granularity_ns=G))
    assert sum(window.try_acquire(MessageKind.NEW_ORDER, 0) for _ in range(10)) == 7
    assert window.remaining(0, MessageKind.NEW_ORDER) == 0
    assert window.remaining(0, MessageKind.CANCEL) == 3
    assert sum(window.try_acquire(MessageKind.CANCEL, 0) for _ in range(10)) == 3


def test_throttle_cuts_the_rate_then_recovers_linearly() -> None:
    rule = BudgetRule(cap=1000, window_ns=10 * NS_PER_S, rate_cap_per_s=100, granularity_ns=G, recover_ns=10 * NS_PER_S)
    window = BudgetWindow(rule, 0)
    window.throttled(0)
    assert window.throttle_ppm == PPM // 2
    assert sum(window.try_acquire(MessageKind.CANCEL, 0) for _ in range(100)) == 50
    assert not window.throttled(0)  # the same overrun: counted, not cut again
    assert window.throttle_ppm == PPM // 2
    window.window_used(NS_PER_S)
    assert window.throttle_ppm == 6 * PPM // 10  # a tenth of the budget per second grows back
    assert window.throttled(NS_PER_S)  # past the hold-off: a new overrun halves what had grown back
    assert window.throttle_ppm == 3 * PPM // 10
    # 4 s later 0.3 + 0.4 of the budget: 70 per second.
    assert window.remaining(5 * NS_PER_S, MessageKind.CANCEL) == 70
    window.window_used(8 * NS_PER_S)
    assert window.throttle_ppm == PPM  # recovered; the throttle lifts
    assert window.stats.throttle_signals == 3
