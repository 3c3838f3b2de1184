"""Tick-to-order paths of :mod:`bench.polymarket`: a book change at the
simulator to an order at its order entry, through the adapter and a strategy
(gRPC or REST order entry), through the adapter alone (the floor under the
strategy layers), and bare (a stream read, then a unary insert); and the bare
unary and HTTP round trips beside them."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Self

from bench._polymarket_stream import BareSink, md_handle, started_adapter
from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.model.events import BookDelta, Side
from framework.model.orders import TimeInForce
from framework.plugin.strategy import StrategyContext
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import health_pb2, health_pb2_grpc
from plugins.polymarket.sim import Simulator

__all__ = ["AdapterOrders", "Arrivals", "BareHttp", "BareOrders", "BareUnary", "FloorOrders"]


class Arrivals:
    """Stamps the moment the simulator's order entry receives an insert, into
    the future of the round that expects one (arrivals nobody expects, such
    as the bare HTTP round trips' inserts, are ignored). A plain future, not
    ``wait_for`` on a queue: that would start a task in the middle of the
    rounds that wait, a cost the bare path's rounds would not carry."""

    def __init__(self, sim: Simulator) -> None:
        self.x = sim.exchange
        self.real = self.x.insert
        self.waiter: asyncio.Future[int] | None = None

    def __enter__(self) -> Self:
        def timed_insert(client: Any, req: Any) -> str:
            now = time.perf_counter_ns()
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(now)
            return self.real(client, req)

        self.x.insert = timed_insert  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.x.insert = self.real  # type: ignore[method-assign]

    def expect(self) -> asyncio.Future[int]:
        """The future of the next insert's arrival time (``perf_counter_ns``)."""
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter


class AdapterOrders:
    """The adapter on one symbol and a strategy that answers every book change
    with an order, sent through a strategy context and the run's order router
    (tracker, route, the adapter's gated transport), as in a run."""

    def __init__(self, sim: Simulator, sym: str, entry: str) -> None:
        self.sim, self.sym, self.entry = sim, sym, entry
        self.seen_ns = 0

    async def __aenter__(self) -> Self:
        known = {id(h) for h in self.sim.exchange.streams}
        self.ad, bus = await started_adapter(self.sim, [self.sym], self.entry)
        self.handle = md_handle(self.sim, known)
        self.router = RunRouter(bus, self.ad.ctx.clock, OrderTracker())
        self.router.add_route("polymarket", self.ad, self.ad.ctx.sender)
        self.ctx = StrategyContext("bench", "polymarket", [self.sym], self.ad.ctx.clock, self.router, self.ad.books.get, None)
        bus.subscribe(self.strategy, BookDelta, name="bench")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.router.drain()
        await self.ad.stop()

    def strategy(self, ev: BookDelta) -> None:
        self.seen_ns = time.perf_counter_ns()
        # An IOC far from the touch: it neither trades nor rests, so the
        # strategy's own order never moves the book it is reacting to.
        self.ctx.submit_limit(self.sym, Side.BUY, 1, 100, tif=TimeInForce.IOC)

    async def round(self, update: Any, arrivals: Arrivals) -> tuple[float, float]:
        """(tick -> order received, tick -> strategy callback) of one update, in us."""
        arrived = arrivals.expect()
        t0 = time.perf_counter_ns()
        self.handle.push(update)
        t1 = await arrived
        return (t1 - t0) / 1000, (self.seen_ns - t0) / 1000


class FloorOrders(AdapterOrders):
    """The same adapter and bus, but the callback creates the unary call on the
    adapter's stub itself: no strategy context, router, tracker, gate or
    adapter order layer (the floor under those layers). It reuses
    :class:`AdapterOrders`' set-up and rounds, so it holds a context and a
    router, which it never calls."""

    async def __aenter__(self) -> Self:
        from plugins.polymarket.grpc_orders import GrpcOrderEntry

        await super().__aenter__()
        entry, tokens = self.ad.entry, self.ad.tokens
        assert isinstance(entry, GrpcOrderEntry) and tokens is not None
        self.stub, self.timeout_s = entry.stub, entry.timeout_s
        self.meta = (("authorization", f"Bearer {await tokens.token()}"), ("x-participant-id", self.sim.participant_id))
        self.calls: set[Any] = set()
        self.n = 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self.calls, return_exceptions=True)
        await super().__aexit__(*exc)

    def strategy(self, ev: BookDelta) -> None:
        from plugins.polymarket.gen import trading_pb2 as tr

        self.seen_ns = time.perf_counter_ns()
        self.n += 1
        req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=self.sym, price=1,
                                    time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"floor{self.n}",
                                    account=self.sim.account)
        call = self.stub.InsertOrder(req, metadata=self.meta, timeout=self.timeout_s)
        self.calls.add(call)  # keep it until done: nothing else holds the call
        call.add_done_callback(self.calls.discard)


class BareOrders(BareSink):
    """The floor of the same path: a bare stream read, then a bare unary insert
    of a prebuilt request (no codec, no book, no bus, no gate)."""

    async def __aenter__(self) -> Self:
        from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc

        await super().__aenter__()
        self.stub = tr_grpc.OrderEntryAPIStub(self.channel)
        self.meta = (("authorization", f"Bearer {self.token}"), ("x-participant-id", self.sim.participant_id))
        self.n = 0
        return self

    async def round(self, update: Any, arrivals: Arrivals) -> float:
        """Tick -> order received of one update, in us."""
        from plugins.polymarket.gen import trading_pb2 as tr

        self.n += 1
        req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=self.sym, price=1,
                                    time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"bare{self.n}",
                                    account=self.sim.account)
        arrived = arrivals.expect()
        t0 = time.perf_counter_ns()
        self.handle.push(update)
        await self.call.read()
        await self.stub.InsertOrder(req, metadata=self.meta)
        return (arrived.result() - t0) / 1000


class BareUnary:
    """A bare grpc.aio unary round trip (Health.Check) to the same simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __aenter__(self) -> Self:
        import grpc

        self.channel = grpc.aio.insecure_channel(self.sim.grpc_target)
        self.stub = health_pb2_grpc.HealthAPIStub(self.channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.channel.close()

    async def round(self) -> float:
        t0 = time.perf_counter_ns()
        await self.stub.Check(health_pb2.HealthCheckRequest())
        return (time.perf_counter_ns() - t0) / 1000


class BareHttp:
    """A bare httpx POST round trip to the simulator's REST order entry."""

    def __init__(self, sim: Simulator, token: str, sym: str) -> None:
        self.sim, self.sym = sim, sym
        self.hdr = {"authorization": f"Bearer {token}", "x-participant-id": sim.participant_id}
        self.n = 0

    async def __aenter__(self) -> Self:
        import httpx

        self.http = httpx.AsyncClient()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def round(self) -> float:
        body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": self.sym, "price": "1",
                "timeInForce": "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL", "clordId": f"h{self.n}"}
        self.n += 1
        t0 = time.perf_counter_ns()
        r = await self.http.post(f"{self.sim.rest_base}/v1/trading/orders", json=body, headers=self.hdr)
        rtt = (time.perf_counter_ns() - t0) / 1000
        r.raise_for_status()
        return rtt
