"""One contract suite over both limiter backends (in-process and Redis), in real time."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import MessageKind
from framework.risk.limiter import IngressLimiter
from framework.risk.window import BudgetRule
from framework.runtime.clock import NS_PER_MS, NS_PER_S, LiveClock

CANCEL, REPLACE, NEW, QUERY = MessageKind

Factory = Callable[[BudgetRule], Any]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_limiter(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    clock = LiveClock()
    made: list[Any] = []
    client = None
    if request.param == "redis":
        from framework.risk.redis_backend import connect

        client = connect(request.getfixturevalue("redis_url"))

    def make(rule: BudgetRule) -> Any:
        if client is None:
            limiter: Any = IngressLimiter(rule, clock, name="pm")
        else:
            from framework.risk.redis_backend import RedisLimiter

            limiter = RedisLimiter(client, rule, clock, account=f"test-{uuid.uuid4().hex[:12]}", name="pm")
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()
    if client is not None:
        await client.aclose()


async def try_now(limiter: Any, kind: MessageKind, count: int = 1) -> bool:
    result = limiter.try_acquire(kind, count)
    return bool(await result) if inspect.isawaitable(result) else bool(result)


def rule(cap: int, *, reserve: int = 0, burst: int = 0, rate: int = 0) -> BudgetRule:
    return BudgetRule(cap=cap, window_ns=NS_PER_S, burst_cap=burst, reserve=reserve,
                      rate_cap_per_s=rate or cap, granularity_ns=10 * NS_PER_MS)  # fmt: skip


async def test_admits_the_cap_then_denies_a_late_new_order(make_limiter: Factory) -> None:
    limiter = make_limiter(rule(20))
    for _ in range(20):
        await limiter.acquire(NEW, timeout_ns=0)
    assert limiter.remaining(NEW) == 0
    t0 = time.monotonic()
    with pytest.raises(Denied) as info:
        await limiter.acquire(NEW, timeout_ns=100 * NS_PER_MS)
    assert info.value.reason is DenyReason.RATE_LIMITED
    assert 0.09 <= time.monotonic() - t0 < 0.6
    assert limiter.stats.admitted[NEW] == 20 and limiter.stats.denied[NEW] == 1
    # Once the window has moved on, the budget is back.
    await limiter.acquire(NEW, timeout_ns=2 * NS_PER_S)
    assert time.monotonic() - t0 >= 0.85


async def test_a_cancel_goes_before_a_new_order_that_waited_longer(make_limiter: Factory) -> None:
    limiter = make_limiter(rule(10))
    for _ in range(10):
        assert await try_now(limiter, NEW)
    order: list[str] = []

    async def send(kind: MessageKind, tag: str) -> None:
        await limiter.acquire(kind, timeout_ns=None if kind is CANCEL else 3 * NS_PER_S)
        order.append(tag)

    first = asyncio.create_task(send(NEW, "new"))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(send(QUERY, "query"))
    third = asyncio.create_task(send(CANCEL, "cancel"))
    await asyncio.sleep(0.05)
    assert not await try_now(limiter, NEW)  # nothing jumps the queue
    await asyncio.wait_for(asyncio.gather(first, second, third), 5)
    assert order == ["cancel", "new", "query"]
    assert limiter.stats.waited == 3


async def test_reserve_keeps_room_for_cancels_and_remaining_reports_it(make_limiter: Factory) -> None:
    limiter = make_limiter(rule(10, reserve=3))
    admitted = [await try_now(limiter, NEW) for _ in range(9)]
    assert admitted.count(True) == 7
    assert limiter.remaining(NEW) == 0
    assert limiter.remaining(CANCEL) == 3
    assert [await try_now(limiter, CANCEL) for _ in range(4)] == [True, True, True, False]


async def test_venue_throttle_cuts_the_rate_firm_wide(make_limiter: Factory) -> None:
    limiter = make_limiter(rule(100, rate=100))
    limiter.throttled()
    limiter.throttled()  # at once: one overrun, one cut in memory (Redis: a cut per signal)
    admitted = sum([await try_now(limiter, CANCEL) for _ in range(60)])
    assert 25 <= admitted <= 52  # at most half of 100 per second, growing back by 1/60 of it per second
    assert limiter.stats.throttle_signals == 2


async def test_more_than_the_whole_budget_is_refused_at_once(make_limiter: Factory) -> None:
    limiter = make_limiter(rule(5))
    with pytest.raises(Denied, match="exceed the whole budget"):
        await limiter.acquire(NEW, count=6, timeout_ns=NS_PER_S)


async def test_a_burst_cap_spreads_messages_over_the_second(make_limiter: Factory) -> None:
    limiter = make_limiter(BudgetRule(cap=40, window_ns=2 * NS_PER_S, burst_cap=10, granularity_ns=10 * NS_PER_MS))
    stamps = []
    t0 = time.monotonic()
    for _ in range(25):
        await limiter.acquire(CANCEL)
        stamps.append(time.monotonic() - t0)
    # 10 at once, 10 a second later, 5 a second after that.
    assert stamps[9] < 0.3 and 0.9 <= stamps[10] < 1.4 and 1.9 <= stamps[20] < 2.6


async def test_an_unreachable_redis_denies_instead_of_sending_blind() -> None:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from framework.risk.redis_backend import RedisLimiter

    # The discard port: nothing listens. No retries, so the test is quick.
    client = aioredis.Redis.from_url("redis://127.0.0.1:9/0", retry=Retry(NoBackoff(), 0))
    limiter = RedisLimiter(client, rule(10), LiveClock(), account="nowhere")
    try:
        with pytest.raises(Denied, match="risk backend unreachable") as info:
            await limiter.acquire(CANCEL)
        assert info.value.reason is DenyReason.RATE_LIMITED
    finally:
        await limiter.close()
        await client.aclose()
