"""The in-process limiter in simulated time: priorities, deadlines, feedback,
and ten bursty strategies over ten simulated minutes."""

from __future__ import annotations

import asyncio
import bisect
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import MessageKind, RateRule
from framework.risk.limiter import IngressLimiter
from framework.risk.window import BudgetRule
from framework.runtime.clock import NS_PER_MS, NS_PER_S, SimClock

CANCEL, REPLACE, NEW, QUERY = MessageKind


async def drive(clock: SimClock, until_ns: int) -> None:
    """Let tasks run, then move the clock to the next timer, until ``until_ns``."""
    while True:
        for _ in range(4):
            await asyncio.sleep(0)
        nxt = clock.next_timer_ns()
        if nxt is None or nxt > until_ns:
            clock.advance_to(max(clock.now_ns(), until_ns))
            for _ in range(4):
                await asyncio.sleep(0)
            return
        clock.advance_to(nxt)


def small_rule(cap: int = 10, reserve: int = 0) -> BudgetRule:
    return BudgetRule(cap=cap, window_ns=NS_PER_S, reserve=reserve, rate_cap_per_s=cap, granularity_ns=10 * NS_PER_MS)


async def test_cancels_are_served_before_earlier_new_orders() -> None:
    clock = SimClock()
    limiter = IngressLimiter(small_rule(cap=3), clock, name="pm")
    for _ in range(3):
        assert limiter.try_acquire(NEW)
    order: list[str] = []

    async def send(kind: MessageKind, tag: str, timeout_ns: int | None = None) -> None:
        await limiter.acquire(kind, timeout_ns=timeout_ns)
        order.append(tag)

    tasks = [asyncio.create_task(send(NEW, f"new{i}", 5 * NS_PER_S)) for i in range(3)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(send(QUERY, "query", None)), asyncio.create_task(send(CANCEL, "cancel", None))]
    tasks.append(asyncio.create_task(send(REPLACE, "replace", 5 * NS_PER_S)))
    await asyncio.sleep(0)
    # A new order that arrives now must queue behind the cancel, not take the fast path.
    assert not limiter.try_acquire(NEW) and limiter.remaining(NEW) == 0
    assert limiter.waiting == 6
    await drive(clock, 4 * NS_PER_S)
    await asyncio.gather(*tasks)
    assert order == ["cancel", "replace", "new0", "new1", "new2", "query"]
    assert limiter.stats.waited == 6


async def test_a_new_order_past_its_bound_is_denied_and_never_admitted_later() -> None:
    clock = SimClock()
    limiter = IngressLimiter(small_rule(cap=2), clock, name="pm")
    assert limiter.try_acquire(NEW) and limiter.try_acquire(NEW)
    task = asyncio.create_task(limiter.acquire(NEW, timeout_ns=200 * NS_PER_MS))
    await drive(clock, 300 * NS_PER_MS)
    with pytest.raises(Denied) as info:
        await task
    assert info.value.reason is DenyReason.RATE_LIMITED
    assert "within 200 ms" in info.value.message
    await drive(clock, 3 * NS_PER_S)
    assert limiter.stats.admitted[NEW] == 2 and limiter.stats.denied[NEW] == 1
    assert limiter.waiting == 0 and clock.next_timer_ns() is None
    # The queue is empty again, so the fast path no longer holds anything back.
    assert limiter.try_acquire(QUERY) and limiter.try_acquire(NEW)


async def test_cancelled_waiter_leaves_the_queue_and_unblocks_lower_kinds() -> None:
    clock = SimClock()
    limiter = IngressLimiter(small_rule(cap=1), clock)
    assert limiter.try_acquire(QUERY)
    big = asyncio.create_task(limiter.acquire(CANCEL))
    query = asyncio.create_task(limiter.acquire(QUERY))
    await asyncio.sleep(0)
    big.cancel()
    await drive(clock, 2 * NS_PER_S)
    assert query.done() and query.exception() is None
    assert limiter.stats.admitted[QUERY] == 2


async def test_more_than_the_whole_budget_is_denied_at_once() -> None:
    limiter = IngressLimiter(small_rule(cap=5), SimClock())
    with pytest.raises(Denied, match="exceed the whole budget"):
        await limiter.acquire(NEW, count=6, timeout_ns=NS_PER_S)


async def test_throttle_signal_slows_admission_then_recovers() -> None:
    clock = SimClock()
    rule = BudgetRule(cap=1000, window_ns=10 * NS_PER_S, rate_cap_per_s=100, granularity_ns=10 * NS_PER_MS,
                      recover_ns=40 * NS_PER_S)  # fmt: skip
    limiter = IngressLimiter(rule, clock)
    limiter.throttled()
    limiter.throttled()  # the same overrun (within the hold-off): one cut, 50 per second now

    admitted = 0

    async def flood() -> None:
        nonlocal admitted
        while clock.now_ns() < 31 * NS_PER_S:
            await limiter.acquire(CANCEL)
            admitted += 1

    task = asyncio.create_task(flood())
    await drive(clock, NS_PER_S - 1)
    first_second = admitted
    await drive(clock, 10 * NS_PER_S)
    second_to_tenth = admitted - first_second
    await drive(clock, 31 * NS_PER_S)
    task.cancel()
    assert 50 <= first_second <= 53  # cut to a half, growing back 2.5 % per second
    assert 9 * 50 < second_to_tenth < 9 * 75
    assert limiter.window.throttle_ppm == 1_000_000
    assert limiter.stats.throttle_signals == 2


async def test_ten_bursty_strategies_over_ten_simulated_minutes() -> None:
    """10 strategies x 5,000 orders and cancels, in bursts, against 100/s over 60 s."""
    clock = SimClock()
    venue = RateRule(rate_per_s=100, window_s=60)
    rule = BudgetRule.from_rate(venue, margin=0.95)
    limiter = IngressLimiter(rule, clock, name="pm")
    admissions: list[tuple[int, MessageKind]] = []
    cancel_waits: list[tuple[int, int]] = []  # admission-log index at request, at admission
    denials: list[int] = []
    rng = random.Random(7)

    async def strategy(seed: int) -> None:
        local = random.Random(seed)
        sent = 0
        while sent < 5_000:
            for _ in range(local.randint(20, 80)):  # a burst
                kind = CANCEL if sent % 3 == 2 else NEW
                at_request = len(admissions)
                try:
                    await limiter.acquire(kind, timeout_ns=None if kind is CANCEL else 250 * NS_PER_MS)
                except Denied as exc:
                    assert exc.reason is DenyReason.RATE_LIMITED
                    denials.append(clock.now_ns())
                    continue
                admissions.append((clock.now_ns(), kind))
                if kind is CANCEL:
                    cancel_waits.append((at_request, len(admissions) - 1))
                sent += 1
                if sent >= 5_000:
                    return
            await clock.sleep_ns(local.randint(0, 2_000) * NS_PER_MS)  # a quiet spell

    tasks = [asyncio.create_task(strategy(rng.randint(0, 10**6))) for _ in range(10)]
    await drive(clock, 10 * 60 * NS_PER_S)
    assert all(t.done() for t in tasks), "demand should be served within ten minutes"
    for t in tasks:
        t.result()
    times = [t for t, _ in admissions]
    assert len(times) == 50_000

    # No 60-second window ever holds more than our cap (so never the venue's 6,000).
    lo = 0
    worst = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 60 * NS_PER_S:
            lo += 1
        worst = max(worst, hi - lo + 1)
    assert worst <= rule.cap == 5_700

    # Whenever demand exceeded the budget -- a new order gave up waiting -- the
    # last minute had used at least 95 % of it (our cap, itself 95 % of the venue's).
    assert denials
    for t in denials:
        used = bisect.bisect_right(times, t) - bisect.bisect_right(times, t - 60 * NS_PER_S - rule.granularity_ns)
        assert used >= 0.95 * rule.cap, (t, used)
    # And over the whole run the demand, always above the budget, got >= 95 % of it.
    minutes = times[-1] / (60 * NS_PER_S)
    assert len(times) >= 0.95 * rule.cap * minutes

    # A cancel never waits behind a new order: nothing but cancels was admitted
    # between a cancel's request and its admission.
    for at_request, at_admission in cancel_waits:
        assert all(kind is CANCEL for _, kind in admissions[at_request:at_admission])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 80 * NS_PER_MS),  # gap before this request
            st.sampled_from(list(MessageKind)),
            st.one_of(st.none(), st.integers(0, 400 * NS_PER_MS)),  # wait bound
        ),
        min_size=1,
        max_size=120,
    ),
    st.integers(2, 12),
)
def test_limiter_against_a_naive_log_in_simulated_time(requests, cap: int) -> None:
    """Random requests with random bounds: the window holds, nothing is admitted
    past its deadline, a denial comes exactly at it, and nothing overtakes a waiting
    request of a more urgent kind."""
    rule = BudgetRule(cap=cap, window_ns=NS_PER_S, granularity_ns=10 * NS_PER_MS, rate_cap_per_s=cap)
    log: list[tuple[int, int, str, int, int]] = []  # (seq, kind, outcome, requested_at, at)

    async def main() -> None:
        clock = SimClock()
        limiter = IngressLimiter(rule, clock)

        async def one(seq: int, kind: MessageKind, bound: int | None) -> None:
            asked = clock.now_ns()
            try:
                await limiter.acquire(kind, timeout_ns=bound)
            except Denied:
                log.append((seq, kind, "denied", asked, clock.now_ns()))
                return
            log.append((seq, kind, "admitted", asked, clock.now_ns()))

        async def arrivals() -> None:
            for seq, (gap, kind, bound) in enumerate(requests):
                await clock.sleep_ns(gap)
                tasks.append(asyncio.create_task(one(seq, kind, bound)))

        tasks: list[asyncio.Task[None]] = []
        feeder = asyncio.create_task(arrivals())
        await drive(clock, 200 * NS_PER_S)
        await feeder
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert len(log) == len(requests)
    bounds = {seq: bound for seq, (_, _, bound) in enumerate(requests)}
    admitted = [(at, kind, asked, seq) for seq, kind, outcome, asked, at in log if outcome == "admitted"]
    times = sorted(at for at, _, _, _ in admitted)
    for i, t in enumerate(times):
        assert sum(1 for u in times[: i + 1] if u > t - NS_PER_S) <= cap
    for seq, kind, outcome, asked, at in log:
        bound = bounds[seq]
        if outcome == "denied":
            assert bound is not None and at == asked + bound
        elif bound is not None:
            assert at <= asked + bound
    # No overtaking: while a request waited, nothing less urgent was admitted.
    for at, kind, asked, seq in admitted:
        if at == asked:
            continue
        for at2, kind2, asked2, _ in admitted:
            assert not (kind2 > kind and asked < at2 < at), (kind, asked, at, kind2, at2)
