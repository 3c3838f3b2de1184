"""The gated sender admits before it writes, writes nothing it was refused, and
turns a venue's push-back (VenueThrottled) into the gate's throttle signal."""

from __future__ import annotations

import pytest

from framework.execution import GatedSender, Outbound
from framework.execution.sender import GatedRoute
from framework.kit.sender import KitSender
from framework.model.errors import Denied, VenueThrottled, VenueUnavailable
from framework.model.events import DenyReason, Side
from framework.model.orders import CancelOrder, SubmitOrder
from framework.plugin.venue import CountingGate, MessageKind

pytestmark = pytest.mark.timeout(10)


class _Log:
    """What a gate and a write saw, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []


class _Gate(CountingGate):
    def __init__(self, log: _Log, refuse: bool = False) -> None:
        super().__init__()
        self.log, self.refuse = log, refuse

    async def admit(self, kind: MessageKind, *, method: str = "", count: int = 1) -> None:
        self.log.seen.append(f"admit {kind.name} {method} x{count}")
        if self.refuse:
            raise Denied(DenyReason.RATE_LIMITED, "no budget")
        await super().admit(kind, method=method, count=count)


async def test_admits_then_writes_the_payload_and_returns_the_answer() -> None:
    log = _Log()
    sender = GatedSender(_Gate(log))

    async def write(payload: bytes) -> str:
        log.seen.append(f"write {payload!r}")
        return "order-1"

    out = await sender.send(Outbound(MessageKind.NEW_ORDER, "InsertOrder", b"req", count=2), write)
    assert out == "order-1"
    assert log.seen == ["admit NEW_ORDER InsertOrder x2", "write b'req'"]


async def test_a_refused_message_is_never_written() -> None:
    log = _Log()
    sender = GatedSender(_Gate(log, refuse=True))

    async def write(payload: bytes) -> None:
        raise AssertionError("written although the gate refused it")

    with pytest.raises(Denied):
        await sender.send(Outbound(MessageKind.CANCEL, "CancelOrder", b"req"), write)
    assert log.seen == ["admit CANCEL CancelOrder x1"]


async def test_throttled_by_the_venue_signals_the_gate_once_and_reraises() -> None:
    gate = CountingGate()
    sender = GatedSender(gate)

    async def throttled(payload: bytes) -> None:
        raise VenueThrottled("v", "InsertOrder: slow down", 429)

    async def unavailable(payload: bytes) -> None:
        raise VenueUnavailable("v", "InsertOrder: HTTP 503", 503)

    with pytest.raises(VenueThrottled):
        await sender.send(Outbound(MessageKind.NEW_ORDER, "InsertOrder", b""), throttled)
    assert gate.throttle_signals == 1
    with pytest.raises(VenueUnavailable):  # not a push-back: no signal
        await sender.send(Outbound(MessageKind.NEW_ORDER, "InsertOrder", b""), unavailable)
    assert gate.throttle_signals == 1


async def test_leases_and_budget_come_from_the_gate() -> None:
    sender = KitSender(max_streams=1, budget=3)
    lease = await sender.lease("s1")
    assert sender.gate.open_streams == {"s1"} and sender.remaining() == 3
    with pytest.raises(Denied):
        await sender.lease("s2")
    await lease.release()
    assert not sender.gate.open_streams


async def test_the_gated_route_spends_the_budget_before_the_paper_exchange_sees_an_intent() -> None:
    sender = KitSender(budget=1)
    seen: list[object] = []

    class Exchange:
        async def submit(self, order: SubmitOrder) -> None:
            seen.append(order)

        async def cancel(self, cancel: CancelOrder) -> None:
            seen.append(cancel)

    route = GatedRoute(sender, Exchange())
    order = SubmitOrder("s", "v", "X", "c1", Side.BUY, 10, 1)
    await route.submit(order)
    with pytest.raises(Denied):
        await route.cancel(CancelOrder("s", "v", "X", "c1"))
    assert seen == [order]
    assert dict(sender.gate.admitted) == {MessageKind.NEW_ORDER: 1}
    assert route.remaining() == 0
