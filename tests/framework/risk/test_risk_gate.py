"""The real Gate: waits per kind, method buckets, stream opens, and open_gates."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import (
    Gate,
    MessageKind,
    RateRule,
    TokenBucketRule,
    VenueLimits,
)
from framework.risk.config import RiskConfig
from framework.risk.gate import MethodBucket, RiskGate, bucket_params, open_gates
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import MemorySlotRegistry
from framework.risk.window import BudgetRule
from framework.runtime.clock import NS_PER_MS, NS_PER_S, LiveClock, SimClock

PM = VenueLimits(ingress=RateRule(100, 60), max_streams=20, symbols_per_stream=1000,
                 method_buckets={"InsertOrder": TokenBucketRule(30, 30)})  # fmt: skip


async def drive(clock: SimClock, until_ns: int) -> None:
    while True:
        for _ in range(4):
            await asyncio.sleep(0)
        nxt = clock.next_timer_ns()
        if nxt is None or nxt > until_ns:
            clock.advance_to(max(clock.now_ns(), until_ns))
            await asyncio.sleep(0)
            return
        clock.advance_to(nxt)


def gate_over(clock: SimClock, cap: int = 5, **kw: object) -> RiskGate:
    rule = BudgetRule(cap=cap, window_ns=NS_PER_S, granularity_ns=10 * NS_PER_MS)
    return RiskGate("pm", IngressLimiter(rule, clock, name="pm"), MemorySlotRegistry(3, name="pm"), clock,
                    new_order_wait_ns=100 * NS_PER_MS, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_risk_gate_satisfies_the_gate_protocol() -> None:
    gate: Gate = gate_over(SimClock())
    assert gate.remaining() == 5


async def test_cancels_wait_as_long_as_it_takes_new_orders_only_the_bound() -> None:
    clock = SimClock()
    gate = gate_over(clock)
    for _ in range(5):
        await gate.admit(MessageKind.NEW_ORDER)
    assert gate.remaining() == 0
    new = asyncio.create_task(gate.admit(MessageKind.NEW_ORDER))
    cancel = asyncio.create_task(gate.admit(MessageKind.CANCEL))
    await drive(clock, 2 * NS_PER_S)
    with pytest.raises(Denied) as info:
        new.result()
    assert info.value.reason is DenyReason.RATE_LIMITED
    assert cancel.done() and cancel.exception() is None


async def test_stream_open_takes_a_slot_and_a_reconnect_keeps_it() -> None:
    gate = gate_over(SimClock(), cap=4)
    leases = [await gate.open_stream(f"md:{i}") for i in range(3)]
    with pytest.raises(Denied) as info:
        await gate.open_stream("md:3")
    assert info.value.reason is DenyReason.STREAM_CAP
    assert await gate.open_stream("md:1") is leases[1]  # a reconnect: the same slot
    assert gate.slots.held() == ["md:0", "md:1", "md:2"]  # type: ignore[attr-defined]
    await leases[2].release()
    await gate.open_stream("md:3")
    assert gate.limiter.stats.admitted[MessageKind.QUERY] == 0  # type: ignore[union-attr]  # opens are the adapter's to admit


async def test_throttle_reaches_the_limiter() -> None:
    gate = gate_over(SimClock())
    gate.throttled()
    assert gate.throttle_signals == 1 and gate.limiter.stats.throttle_signals == 1  # type: ignore[union-attr]
    stats = gate.stats()
    assert stats["throttle_signals"] == 1 and stats["admitted_new_order"] == 0 and stats["streams_held"] == 0


def test_method_bucket_books_fifo_and_refuses_past_the_deadline() -> None:
    bucket = MethodBucket(TokenBucketRule(rate_per_s=10, capacity=3))
    assert [bucket.reserve(0, 1, None) for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve(0, 1, None) == 100 * NS_PER_MS
    assert bucket.reserve(0, 1, 150 * NS_PER_MS) is None  # would be at 200 ms: not booked
    assert bucket.reserve(0, 1, None) == 200 * NS_PER_MS


async def test_method_bucket_delays_then_denies_a_new_order() -> None:
    clock = SimClock()
    gate = gate_over(clock, cap=1000, method_buckets={"InsertOrder": TokenBucketRule(10, 2)})
    for _ in range(2):
        await gate.admit(MessageKind.NEW_ORDER, method="InsertOrder")
    waiting = asyncio.create_task(gate.admit(MessageKind.NEW_ORDER, method="InsertOrder"))
    await drive(clock, 50 * NS_PER_MS)
    assert not waiting.done()
    await drive(clock, 100 * NS_PER_MS)
    assert waiting.done() and waiting.exception() is None
    ok = asyncio.create_task(gate.admit(MessageKind.NEW_ORDER, method="InsertOrder"))  # waits 100 ms
    await asyncio.sleep(0)
    with pytest.raises(Denied, match="InsertOrder is over its rate"):
        await gate.admit(MessageKind.NEW_ORDER, method="InsertOrder")  # would wait 200 ms > bound
    await drive(clock, 300 * NS_PER_MS)
    assert ok.done() and ok.exception() is None
    await gate.admit(MessageKind.CANCEL, method="CancelOrder")  # no bucket declared: ingress only


async def test_open_gates_shares_an_account_between_venues() -> None:
    config = msgspec.convert({"venues": {"pm1": {"account": "firm"}, "pm2": {"account": "firm", "max_streams": 5},
                                         "dydx": {"rate_per_s": 10, "window_s": 1}}}, RiskConfig)  # fmt: skip
    limits = {"pm1": PM, "pm2": PM, "dydx": VenueLimits()}
    async with open_gates(config, limits, LiveClock()) as gates:
        assert gates["pm1"].limiter is gates["pm2"].limiter
        assert gates["pm1"].slots is gates["pm2"].slots
        assert gates["pm1"].limiter.rule.cap == 5700  # type: ignore[union-attr]
        assert gates["dydx"].limiter.rule.cap == 9  # type: ignore[union-attr]
        await gates["pm1"].admit(MessageKind.NEW_ORDER, method="InsertOrder")
        assert gates["pm2"].remaining() == 5700 - 114 - 1


@pytest.mark.redis
async def test_open_gates_on_redis(redis_url: str) -> None:
    import uuid

    config = msgspec.convert({"backend": redis_url, "key_prefix": f"test-{uuid.uuid4().hex[:8]}",
                              "lease_ttl": 2 * NS_PER_S}, RiskConfig)  # fmt: skip
    async with open_gates(config, {"pm": PM}, LiveClock()) as gates:
        gate = gates["pm"]
        lease = await gate.open_stream("md:0")
        await gate.admit(MessageKind.NEW_ORDER)
        assert gate.remaining() == 5700 - 114 - 1  # the slot took no budget; the order did
        assert await gate.slots.in_use_firm_wide() == 1  # type: ignore[attr-defined]
    assert lease.released  # closing the gates gave the slot back


def test_bucket_allowance_keeps_room_for_delivery_jitter() -> None:
    # CancelOrder tier 1 at the default margin: 85/s; 250 ms of jitter may bunch 22 of them.
    interval, capacity = bucket_params(TokenBucketRule(90, 90), 0.95, 250 * NS_PER_MS)
    assert interval == -(-NS_PER_S // 85) and capacity == 85 - 22
    # Whatever sends bunch up within the allowance, the venue's bucket (90, 90 banked) has the tokens.
    assert capacity + 85 * 250 // 1000 + 1 <= 90
    assert bucket_params(TokenBucketRule(3, 3), 0.95, NS_PER_S) == (NS_PER_S // 2, 1)  # never below one


async def test_cancels_held_by_a_full_window_leave_at_the_bucket_rate() -> None:
    # The bucket is booked once the window admits: messages the window held back
    # do not leave together when it frees (issue 16's CancelOrder violations).
    clock = SimClock()
    gate = gate_over(clock, cap=5, method_buckets={"CancelOrder": TokenBucketRule(10, 2)})
    for _ in range(5):
        await gate.admit(MessageKind.QUERY)  # the window is full for a second
    sent: list[int] = []

    async def cancel() -> None:
        await gate.admit(MessageKind.CANCEL, method="CancelOrder")
        sent.append(clock.now_ns())

    tasks = [asyncio.create_task(cancel()) for _ in range(5)]
    await drive(clock, 3 * NS_PER_S)
    assert all(t.done() and t.exception() is None for t in tasks)
    assert sent[0] >= NS_PER_S  # the window first
    # Then no more than the bucket's 2 at once and one per 100 ms after.
    for i, t in enumerate(sent):
        assert t >= sent[0] + max(0, i - 1) * 100 * NS_PER_MS


async def test_a_new_order_over_its_bucket_is_denied_without_spending_window_budget() -> None:
    clock = SimClock()
    gate = gate_over(clock, cap=1000, method_buckets={"InsertOrder": TokenBucketRule(10, 1)})
    await gate.admit(MessageKind.NEW_ORDER, method="InsertOrder")
    waiting = asyncio.create_task(gate.admit(MessageKind.NEW_ORDER, method="InsertOrder"))  # books 100 ms
    await asyncio.sleep(0)
    before = gate.limiter.stats.admitted[MessageKind.NEW_ORDER]  # type: ignore[union-attr]
    with pytest.raises(Denied):
        await gate.admit(MessageKind.NEW_ORDER, method="InsertOrder")  # would wait 200 ms > 100 ms bound
    assert gate.limiter.stats.admitted[MessageKind.NEW_ORDER] == before  # type: ignore[union-attr]
    await drive(clock, NS_PER_S)
    assert waiting.done() and waiting.exception() is None


async def test_a_throttle_naming_a_method_empties_its_bucket() -> None:
    clock = SimClock()
    gate = gate_over(clock, cap=1000, method_buckets={"CancelOrder": TokenBucketRule(10, 3)})
    gate.throttled("CancelOrder")
    done = asyncio.create_task(gate.admit(MessageKind.CANCEL, method="CancelOrder"))
    await drive(clock, 50 * NS_PER_MS)
    assert not done.done()  # the venue said the bucket is empty: wait for a token
    await drive(clock, 150 * NS_PER_MS)
    assert done.done() and done.exception() is None
