"""The run's order router with the real risk layer: checks first, then the adapter,
whose transport waits at the gate."""

from __future__ import annotations

import asyncio

import msgspec

from framework.execution.router import RunRouter
from framework.execution.sender import GatedSender, Outbound
from framework.execution.tracker import OrderTracker
from framework.model.errors import VenueUnavailable
from framework.model.events import (
    CancelRejected,
    DenyReason,
    Event,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderRejected,
    OrderUnknown,
    Side,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.venue import MessageKind
from framework.risk.config import RiskConfig
from framework.risk.gate import RiskGate
from framework.risk.layer import RiskLayer
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import MemorySlotRegistry
from framework.risk.window import BudgetRule
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_MS, NS_PER_S, SimClock


class FakeAdapter:
    """Sends nothing anywhere: each message goes through the framework's sender
    (which waits at the gate) and is recorded as sent."""

    def __init__(self, gate: RiskGate) -> None:
        self.gate = gate
        self.sender = GatedSender(gate)
        self.sent: list[object] = []
        self.down = False

    async def _write(self, intent: object) -> None:
        if self.down:
            raise VenueUnavailable("pm", "connection reset")
        self.sent.append(intent)

    async def submit(self, order: SubmitOrder) -> None:
        await self.sender.send(Outbound(MessageKind.NEW_ORDER, "InsertOrder", order), self._write)

    async def cancel(self, cancel: CancelOrder) -> None:
        await self.sender.send(Outbound(MessageKind.CANCEL, "", cancel), self._write)

    async def replace(self, replace: ReplaceOrder) -> None:
        await self.sender.send(Outbound(MessageKind.REPLACE, "", replace), self._write)


def setup(cap: int = 3) -> tuple[RunRouter, RiskLayer, FakeAdapter, list[Event], SimClock]:
    clock = SimClock()
    bus = Bus()
    events: list[Event] = []
    config = msgspec.convert({"strategies": {"off": {"state": "halted"}}}, RiskConfig)
    layer = RiskLayer(config, {}, clock)  # no bus: the router publishes denials
    tracker = OrderTracker()
    bus.subscribe(tracker.on_event, OrderEvent)  # first, as a run subscribes it
    bus.subscribe(layer.on_event)
    bus.subscribe(events.append, (OrderDenied, OrderRejected, CancelRejected))
    rule = BudgetRule(cap=cap, window_ns=NS_PER_S, granularity_ns=10 * NS_PER_MS)
    gate = RiskGate("pm", IngressLimiter(rule, clock), MemorySlotRegistry(0), clock, new_order_wait_ns=50 * NS_PER_MS)
    adapter = FakeAdapter(gate)
    router = RunRouter(bus, clock, tracker, layer)
    router.add_route("pm", adapter, gate)
    return router, layer, adapter, events, clock


def order(n: int, strategy: str = "s1") -> SubmitOrder:
    return SubmitOrder(strategy, "pm", "AAA", f"c{n}", Side.BUY, 50, 1)


async def test_approved_orders_reach_the_adapter_and_denied_ones_never_do() -> None:
    router, layer, adapter, events, _ = setup()
    router.send(order(1))
    router.send(order(2, strategy="off"))
    router.send(SubmitOrder("s1", "nowhere", "AAA", "c3", Side.BUY, 50, 1))
    await router.drain()
    assert adapter.sent == [order(1)]
    assert [(e.client_order_id, e.reason) for e in events] == [  # type: ignore[attr-defined]
        ("c2", DenyReason.TRADING_HALTED),
        ("c3", DenyReason.INVALID_ORDER),
    ]
    assert router.budget("pm") == 2 and router.budget("nowhere") == 0


async def run_until_idle(router: RunRouter, clock: SimClock) -> None:
    while router.in_flight:
        for _ in range(4):
            await asyncio.sleep(0)
        nxt = clock.next_timer_ns()
        if nxt is not None:
            clock.advance_to(nxt)


async def test_no_budget_in_time_becomes_rate_limited_and_the_order_is_not_open() -> None:
    router, layer, adapter, events, clock = setup(cap=2)
    for i in range(3):
        router.send(order(i))
    await run_until_idle(router, clock)
    assert clock.now_ns() < NS_PER_S  # the third order waited 50 ms, not for the window
    router.send(CancelOrder("s1", "pm", "AAA", "c0"))
    await run_until_idle(router, clock)
    assert clock.now_ns() >= NS_PER_S  # the cancel waited for the window
    assert [type(s).__name__ for s in adapter.sent] == ["SubmitOrder", "SubmitOrder", "CancelOrder"]
    assert len(events) == 1 and events[0].reason is DenyReason.RATE_LIMITED  # type: ignore[attr-defined]
    assert layer.state.order("c2") is None and layer.state.open_orders("s1") == 2


async def test_a_lost_answer_makes_the_order_unknown_not_rejected() -> None:
    router, layer, adapter, events, clock = setup()
    unknown: list[Event] = []
    router._bus.subscribe(unknown.append, OrderUnknown)
    adapter.down = True
    router.send(order(1))
    await router.drain()
    assert events == [] and [(e.client_order_id, e.request) for e in unknown] == [("c1", "submit")]  # type: ignore[attr-defined]
    assert "connection reset" in unknown[0].reason  # type: ignore[attr-defined]
    assert layer.state.open_orders("s1") == 1  # in doubt: still exposure
    # A cancel of an order in doubt goes to the venue: it may hold the order.
    router.send(CancelOrder("s1", "pm", "AAA", "c1"))
    await router.drain()
    assert [e.request for e in unknown] == ["submit", "cancel"]  # type: ignore[attr-defined]


async def test_a_cancel_before_its_insert_left_is_answered_here() -> None:
    router, layer, adapter, events, clock = setup()
    cancelled: list[Event] = []
    router._bus.subscribe(cancelled.append, OrderCanceled)
    router.send(order(1))
    router.send(CancelOrder("s1", "pm", "AAA", "c1"))
    await router.drain()
    assert adapter.sent == [] and router.answered_locally == 1
    assert [e.client_order_id for e in cancelled] == ["c1"] and layer.state.open_orders("s1") == 0
    # A cancel of an order that is over is answered here too (on the next loop turn).
    router.send(CancelOrder("s1", "pm", "AAA", "c1"))
    await asyncio.sleep(0)
    assert adapter.sent == [] and [type(e) for e in events] == [CancelRejected]


class SlowAdapter(FakeAdapter):
    """Answers each request only when the test says so."""

    def __init__(self, gate: RiskGate) -> None:
        super().__init__(gate)
        self.waiting: list[asyncio.Future[None]] = []
        self.started: list[object] = []

    async def _answer_later(self, what: object) -> None:
        self.started.append(what)
        done = asyncio.get_running_loop().create_future()
        self.waiting.append(done)
        await done
        self.sent.append(what)

    async def submit(self, order: SubmitOrder) -> None:
        await self._answer_later(order)

    async def cancel(self, cancel: CancelOrder) -> None:
        await self._answer_later(cancel)


async def test_a_cancel_waits_for_its_insert_answer_and_other_orders_do_not() -> None:
    router, layer, _, events, clock = setup()
    slow = SlowAdapter(router._routes["pm"][1])
    router.add_route("pm", slow, slow.gate)
    router.send(order(1))
    await asyncio.sleep(0)
    router.send(CancelOrder("s1", "pm", "AAA", "c1"))
    router.send(order(2))
    for _ in range(5):
        await asyncio.sleep(0)
    # c1's cancel waits behind its insert; c2 went out beside them.
    assert [type(s).__name__ for s in slow.started] == ["SubmitOrder", "SubmitOrder"]
    slow.waiting[0].set_result(None)
    for _ in range(5):
        await asyncio.sleep(0)
    assert [type(s).__name__ for s in slow.started] == ["SubmitOrder", "SubmitOrder", "CancelOrder"]
    for f in slow.waiting:
        if not f.done():
            f.set_result(None)
    await router.drain()
    assert [type(s).__name__ for s in slow.sent] == ["SubmitOrder", "SubmitOrder", "CancelOrder"]
