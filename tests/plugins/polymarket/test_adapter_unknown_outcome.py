"""Orders in doubt against the real simulator: an answer lost after the venue
processed the request (it holds the order), or before (it never saw it), over
REST and gRPC. The run must call neither a rejection, keep the order as
exposure while in doubt, and end believing what the venue holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pm_support import adapter_for, until

from framework.execution.lifecycle import OrderStatus
from framework.execution.resolver import ExecutionSettings, UnknownResolver
from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.model.events import (
    OrderEvent,
    OrderRejected,
    OrderResolved,
    OrderUnknown,
    Side,
)
from framework.model.orders import CancelOrder, SubmitOrder
from framework.runtime.clock import NS_PER_MS

V = "polymarket"


class Core:
    """The run's execution core over one started adapter: tracker, router, resolver."""

    def __init__(self, ad: Any) -> None:
        bus, clock = ad.ctx.bus, ad.ctx.clock
        self.ad = ad
        self.tracker = OrderTracker()
        bus.subscribe(self.tracker.on_event, OrderEvent)
        self.router = RunRouter(bus, clock, self.tracker)
        self.router.add_route(V, ad, ad.ctx.sender)
        settings = ExecutionSettings(resolve_after=200 * NS_PER_MS, resolve_every=200 * NS_PER_MS)
        self.resolver = UnknownResolver(bus, clock, self.tracker, settings)
        self.resolver.attach()
        self.resolver.add_venue(V, ad.find_orders)

    def state(self, coid: str) -> OrderStatus:
        order = self.tracker.order(coid)
        assert order is not None
        return order.state

    async def resting(self, symbol: str) -> set[str]:
        return {o["clordId"] for o in await self.ad.open_orders([symbol])}


@pytest.fixture
async def started(sim: Any, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any, Core]]:
    entry = request.param
    ad, rec = adapter_for(sim, sim.symbols[:1], order_entry=entry, http_timeout_s=0.5, stale_after_s=30)
    await ad.start()
    core = Core(ad)
    try:
        yield sim, rec, core
    finally:
        await core.resolver.close()
        await ad.stop()


def away_from_touch(core: Core, coid: str) -> SubmitOrder:
    sym = core.ad.symbols[0]
    bid = core.ad.book(sym).best_bid_price or 10
    return SubmitOrder("s", V, sym, coid, Side.BUY, max(bid - 5, 1), 10)


@pytest.mark.parametrize("started", ["rest", "grpc"], indirect=True)
async def test_an_insert_processed_but_unanswered_is_found_at_the_venue(started: Any) -> None:
    sim, rec, core = started
    for kind in ("orders", "dropcopy"):  # its acknowledgement will not come: only asking can tell
        sim.faults.silence_streams(kind)
    sim.faults.lose_answers(1, "error")
    core.router.send(away_from_touch(core, "c1"))
    await until(lambda: rec.of(OrderUnknown), what="the order in doubt")
    assert core.state("c1") is OrderStatus.UNKNOWN and not rec.of(OrderRejected)
    await until(lambda: rec.of(OrderResolved), what="the venue asked")
    assert [e.outcome for e in rec.of(OrderResolved)] == ["found"]
    assert core.state("c1") is OrderStatus.ACCEPTED and "c1" in await core.resting(core.ad.symbols[0])


@pytest.mark.parametrize("started", ["rest", "grpc"], indirect=True)
async def test_an_insert_the_venue_never_saw_is_not_found_and_closed(started: Any) -> None:
    sim, rec, core = started
    if core.ad.settings.order_entry == "rest":
        sim.faults.fail_http(1)  # a 5xx before the exchange looked at it
    else:
        sim.faults.hang_requests(1)  # never reaches the exchange; the client times out
    core.router.send(away_from_touch(core, "c1"))
    await until(lambda: rec.of(OrderResolved), what="the venue asked")
    assert [e.outcome for e in rec.of(OrderResolved)] == ["not_found"]
    assert core.state("c1") is OrderStatus.REJECTED and not rec.of(OrderRejected)
    assert await core.resting(core.ad.symbols[0]) == set()


@pytest.mark.parametrize("started", ["rest", "grpc"], indirect=True)
async def test_a_cancel_whose_answer_was_lost_ends_cancelled(started: Any) -> None:
    sim, rec, core = started
    core.router.send(away_from_touch(core, "c1"))
    await until(lambda: core.state("c1") is OrderStatus.ACCEPTED, what="the order working")
    sim.faults.lose_answers(1, "reset")
    core.router.send(CancelOrder("s", V, core.ad.symbols[0], "c1"))
    await until(lambda: core.state("c1") is OrderStatus.CANCELLED, what="the cancel resolved")
    assert [e.request for e in rec.of(OrderUnknown)] == ["cancel"]
    assert await core.resting(core.ad.symbols[0]) == set()
