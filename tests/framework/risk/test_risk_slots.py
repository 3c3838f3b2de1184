"""Stream slots on both backends, symbol packing, and the start-up cap check."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import VenueLimits
from framework.risk.slots import (
    MemorySlotRegistry,
    check_stream_caps,
    pack_symbols,
    streams_needed,
)
from framework.runtime.clock import LiveClock

WORKER = Path(__file__).with_name("redis_worker.py")
ROOT = Path(__file__).resolve().parents[3]
PM = VenueLimits(max_streams=20, symbols_per_stream=1000)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_registry(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    made: list[Any] = []
    client = None
    if request.param == "redis":
        from framework.risk.redis_backend import connect

        client = connect(request.getfixturevalue("redis_url"))
    account = f"test-{uuid.uuid4().hex[:12]}"

    def make(cap: int, ttl_ms: int = 2_000) -> Any:
        if client is None:
            registry: Any = MemorySlotRegistry(cap, name="pm")
        else:
            from framework.risk.redis_backend import RedisSlotRegistry

            registry = RedisSlotRegistry(client, cap, LiveClock(), account=account, ttl_ms=ttl_ms)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        await registry.close()
    if client is not None:
        await client.aclose()


async def test_25_streams_against_a_cap_of_20(make_registry: Callable[..., Any]) -> None:
    registry = make_registry(20)
    granted, refused = [], []
    for i in range(25):
        try:
            granted.append(await registry.acquire(f"md:{i}"))
        except Denied as exc:
            assert exc.reason is DenyReason.STREAM_CAP and "all 20 stream slots" in exc.message
            refused.append(i)
    assert len(granted) == 20 and refused == [20, 21, 22, 23, 24]
    # A reconnect keeps its slot: the same lease, not a second slot.
    assert await registry.acquire("md:3") is granted[3]
    assert registry.in_use == 20
    # Closing frees it exactly once, however often it is released.
    await granted[0].release()
    await granted[0].release()
    assert registry.in_use == 19
    await registry.acquire("md:20")
    with pytest.raises(Denied):
        await registry.acquire("md:21")


@pytest.mark.redis
async def test_two_registries_of_one_account_share_the_cap(redis_url: str) -> None:
    from framework.risk.redis_backend import RedisSlotRegistry, connect

    client = connect(redis_url)
    account = f"test-{uuid.uuid4().hex[:12]}"
    first = RedisSlotRegistry(client, 3, LiveClock(), account=account)
    second = RedisSlotRegistry(client, 3, LiveClock(), account=account)
    await first.acquire("a")
    await first.acquire("b")
    await second.acquire("a")  # a different process's "a": its own slot
    with pytest.raises(Denied, match="3 held firm-wide"):
        await second.acquire("c")
    await first.close()  # frees its two
    await second.acquire("c")
    await second.close()
    await client.aclose()


@pytest.mark.redis
async def test_a_crashed_holder_gives_its_slots_back_after_the_lease_ttl(redis_url: str) -> None:
    from framework.risk.redis_backend import RedisSlotRegistry, connect

    account = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "slots", redis_url, account, "5", "1000",
        stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    client = connect(redis_url)
    registry = RedisSlotRegistry(client, 20, LiveClock(), account=account, ttl_ms=1_000)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"held"
        for i in range(15):
            await registry.acquire(f"mine-{i}")
        await asyncio.sleep(1.2)  # the holder is alive: its heartbeat keeps the leases
        with pytest.raises(Denied):
            await registry.acquire("mine-15")
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 10)
        await asyncio.sleep(1.2)  # past the TTL: the crashed holder's slots are free
        for i in range(15, 20):
            await registry.acquire(f"mine-{i}")
        assert await registry.in_use_firm_wide() == 20
        with pytest.raises(Denied):
            await registry.acquire("mine-20")
        assert registry.lost == []  # our own leases were renewed all along
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await registry.close()
        await client.aclose()


def test_symbols_are_packed_onto_as_few_streams_as_allowed() -> None:
    wanted = [f"S{i}" for i in range(2_100)] + ["S5", "S7"]  # two strategies share some
    packed = pack_symbols(wanted, 1000)
    assert [len(p) for p in packed] == [1000, 1000, 100]
    assert sorted(s for p in packed for s in p) == sorted(set(wanted))
    assert pack_symbols(wanted, 0) == [sorted(set(wanted))]
    assert streams_needed(wanted, PM, other_streams=2) == 5


def test_a_run_needing_more_streams_than_allowed_says_how_many() -> None:
    small = VenueLimits(max_streams=2, symbols_per_stream=1000)
    problems = check_stream_caps({"pm": [f"S{i}" for i in range(2_100)]}, {"pm": small})
    assert problems == ["venue pm needs 3 streams for 2,100 symbols (1,000 per stream) but the account allows 2"]
    assert check_stream_caps({"pm": ["A"] * 5}, {"pm": small}) == []
    shared = check_stream_caps(
        {"pm1": [f"S{i}" for i in range(19_500)], "pm2": ["X"]},
        {"pm1": PM, "pm2": PM},
        {"pm1": 1, "pm2": 1},
        accounts={"pm1": "firm", "pm2": "firm"},
    )
    assert shared == [
        (
            "account firm (venues pm1, pm2) needs 23 streams for 19,501 symbols (1,000 per stream) "
            "plus 2 other streams but the account allows 20"
        )
    ]


def test_the_risk_section_overrides_caps_and_shares_accounts() -> None:
    import msgspec

    from framework.risk.config import RiskConfig

    config = msgspec.convert({"venues": {"a": {"account": "firm", "max_streams": 3}, "b": {"account": "firm"}}},
                             RiskConfig)  # fmt: skip
    symbols = {"a": [f"S{i}" for i in range(1_500)], "b": ["X", "Y"]}
    message = (
        "account firm (venues a, b) needs 4 streams for 1,502 symbols (1,000 per stream) "
        "plus 1 other stream but the account allows 3"
    )
    assert config.stream_issues(symbols, {"a": PM, "b": PM}, {"a": 1, "b": 0}) == [message]
    assert config.stream_issues(symbols, {"a": PM, "b": PM}) == []


async def test_an_unreachable_redis_opens_no_stream() -> None:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from framework.risk.redis_backend import RedisSlotRegistry

    client = aioredis.Redis.from_url("redis://127.0.0.1:9/0", retry=Retry(NoBackoff(), 0))
    registry = RedisSlotRegistry(client, 20, LiveClock(), account="nowhere")
    try:
        with pytest.raises(Denied, match="risk backend unreachable") as info:
            await registry.acquire("md:0")
        assert info.value.reason is DenyReason.STREAM_CAP and registry.in_use == 0
    finally:
        await registry.close()
        await client.aclose()
