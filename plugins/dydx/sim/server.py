"""The fake full node: a grpc.aio server on 127.0.0.1 serving the v4-proto ``Query`` service.

``/dydxprotocol.clob.Query/StreamOrderbookUpdates`` streams what the
:class:`~plugins.dydx.sim.engine.FakeEngine` emits (synthetic flow), or a
recorded stream; ``ClobPair`` and ``/dydxprotocol.perpetuals.Query/Perpetual``
answer the unit parameters. Like the real node, a new subscriber gets
incremental responses first and its snapshot at the next PrepareCheckState
(block commit); each subscriber has a bounded buffer (in responses), and when
any buffer overflows **every** subscriber is dropped and the buffers wiped.

Use :func:`fake_node` (an async context manager) in tests, or
``backplane simulate-dydx`` from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import msgspec
from v4_proto.dydxprotocol.clob import clob_pair_pb2, query_pb2, query_pb2_grpc
from v4_proto.dydxprotocol.perpetuals import perpetual_pb2
from v4_proto.dydxprotocol.perpetuals import query_pb2 as perp_query_pb2
from v4_proto.dydxprotocol.perpetuals import query_pb2_grpc as perp_query_pb2_grpc

from framework.runtime.clock import NS_PER_MS, Clock, LiveClock
from plugins.dydx.recording import read_frames
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.flow import SyntheticFlow
from plugins.dydx.units import GENESIS, ClobParams

__all__ = ["FakeNode", "FakeNodeSettings", "fake_node", "offchain_order_id"]

Response = query_pb2.StreamOrderbookUpdatesResponse


class FakeNodeSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of ``simulate-dydx`` / the fake-node fixture."""

    clob_pairs: list[int] = msgspec.field(default_factory=lambda: [0, 1])
    # Markets to serve by ticker (a run with `simulate: true` fills it in): each
    # gets its mainnet clob pair id if known (BTC-USD 0, ETH-USD 1), else the
    # next free one. When given, it replaces clob_pairs.
    symbols: list[str] = []
    port: int = 0
    flush_interval_ms: int = 50
    block_interval_ms: int = 1000
    max_channel_buffer: int = 1000  # responses per subscriber; overflow drops all
    seed: int = 1
    confirm_prob: float = 0.9
    diverge_prob: float = 0.1
    auto: bool = True  # run the synthetic flow on a timer (tests may drive it by hand)
    snapshot_interval: int = 0  # blocks between snapshots to every subscriber (0: first only)
    # The real node sends a new subscriber incremental updates first and its
    # snapshot at the next block; True sends the snapshot at once instead.
    snapshot_on_subscribe: bool = False
    recording: str = ""  # serve this recorded stream instead of synthetic flow
    recording_speed: float = 0.0  # 0: as fast as the subscriber reads; 1: recorded pace


def _params(pair: int) -> ClobParams:
    for p, params in GENESIS.values():
        if p == pair:
            return params
    return ClobParams(-9, -9, 100_000, 1_000_000)


def _markets(settings: FakeNodeSettings) -> dict[str, int]:
    """symbol -> clob pair id of the markets a node serves."""
    known = {symbol: pair for symbol, (pair, _) in GENESIS.items()}
    if not settings.symbols:
        by_pair = {pair: symbol for symbol, pair in known.items()}
        return {by_pair.get(pair, f"CLOB-{pair}"): pair for pair in settings.clob_pairs}
    out: dict[str, int] = {}
    next_free = max(known.values()) + 1
    for symbol in settings.symbols:
        if symbol in known:
            out[symbol] = known[symbol]
        else:
            out[symbol] = next_free
            next_free += 1
    return out


_DROP = object()


class _Subscriber:
    def __init__(self, request: query_pb2.StreamOrderbookUpdatesRequest, capacity: int) -> None:
        self.pairs = list(request.clob_pair_id)
        self.pair_set = set(self.pairs)
        self.subaccounts = [(s.owner, s.number) for s in request.subaccount_ids]
        self.sub_set = set(self.subaccounts)
        self.markets = list(request.market_ids)
        self.market_set = set(self.markets)
        self.filter_orders = request.filter_orders_by_subaccount_id
        self.capacity = capacity
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.flowing = asyncio.Event()  # cleared while stalled (fault injection): the queue grows
        self.flowing.set()
        self.needs_snapshot = True
        self.sent = 0

    def wants(self, update: query_pb2.StreamUpdate) -> bool:
        kind = update.WhichOneof("update_message")
        if kind == "orderbook_update":
            ups = update.orderbook_update.updates
            if not ups:
                return False
            oid = offchain_order_id(ups[0])
            if oid.clob_pair_id not in self.pair_set:
                return False
            if self.filter_orders:
                return any(self._own(u) for u in ups)
            return True
        if kind == "order_fill":
            orders = update.order_fill.orders
            if orders and orders[0].order_id.clob_pair_id not in self.pair_set:
                return False
            return not self.filter_orders or any(
                (o.order_id.subaccount_id.owner, o.order_id.subaccount_id.number) in self.sub_set for o in orders
            )
        if kind == "taker_order":
            o = update.taker_order.order
            if o.order_id.clob_pair_id not in self.pair_set:
                return False
            return not self.filter_orders or (o.order_id.subaccount_id.owner, o.order_id.subaccount_id.number) in self.sub_set
        if kind == "subaccount_update":
            s = update.subaccount_update.subaccount_id
            return (s.owner, s.number) in self.sub_set
        if kind == "price_update":
            return update.price_update.market_id in self.market_set
        return False

    def _own(self, u: Any) -> bool:
        oid = offchain_order_id(u)
        return (oid.subaccount_id.owner, oid.subaccount_id.number) in self.sub_set


def offchain_order_id(update: Any) -> Any:
    """The order id an ``OffChainUpdateV1`` names (the new order's, for a replace)."""
    which = update.WhichOneof("update_message")
    if which == "order_place":
        return update.order_place.order.order_id
    if which == "order_update":
        return update.order_update.order_id
    if which == "order_remove":
        return update.order_remove.removed_order_id
    return update.order_replace.order.order_id


class FakeNode:
    """The running fake node: ``endpoint``, the ``engine`` and ``flow``, and test knobs."""

    def __init__(self, settings: FakeNodeSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or LiveClock()
        self.markets = _markets(settings)  # symbol -> clob pair id
        pairs = list(self.markets.values())
        self.engine = FakeEngine(
            pairs, confirm_prob=settings.confirm_prob, diverge_prob=settings.diverge_prob, seed=settings.seed,
        )
        self.params = {pair: _params(pair) for pair in pairs}
        self.flow = SyntheticFlow(self.engine, self.params, seed=settings.seed)
        self.subscribers: list[_Subscriber] = []
        self.drops = 0  # times every subscriber was dropped
        self.injected: dict[str, int] = {}  # faults injected (plugins.dydx.sim.faultplan), by name
        self.responses_sent = 0
        self.requests = 0  # RPCs received: stream subscriptions and queries
        self.endpoint = ""
        self._server: grpc.aio.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._recording = Path(settings.recording) if settings.recording else None

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        server = grpc.aio.server()
        query_pb2_grpc.add_QueryServicer_to_server(_ClobQuery(self), server)
        perp_query_pb2_grpc.add_QueryServicer_to_server(_PerpetualsQuery(self), server)
        port = server.add_insecure_port(f"127.0.0.1:{self.settings.port}")
        await server.start()
        self._server = server
        self.endpoint = f"127.0.0.1:{port}"
        if self.settings.auto and self._recording is None:
            self._task = asyncio.get_running_loop().create_task(self._drive())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in self.subscribers:
            sub.queue.put_nowait(_DROP)
            sub.flowing.set()
        if self._server is not None:
            await self._server.stop(grace=0.2)

    async def _drive(self) -> None:
        flush_ns = self.settings.flush_interval_ms * NS_PER_MS
        per_block = max(self.settings.block_interval_ms // max(self.settings.flush_interval_ms, 1), 1)
        while True:
            for _ in range(per_block):
                await self.clock.sleep_ns(flush_ns)
                self.flow.tick()
                self.flush()
            self.block()

    # --- test knobs -------------------------------------------------------------

    def flush(self) -> None:
        """Send what the engine emitted since the last flush (one response)."""
        resp = self.engine.take_response()
        if resp is not None:
            self.broadcast(resp)

    def block(self) -> None:
        """Commit a block: mode 7 and 102 responses, then snapshots for new subscribers."""
        for resp in self.flow.block():
            self.broadcast(resp)
        self.flush()
        interval = self.settings.snapshot_interval
        if interval and self.engine.height % interval == 0:
            for sub in self.subscribers:
                sub.needs_snapshot = True
        self.send_snapshots()

    def send_snapshots(self) -> None:
        for sub in self.subscribers:
            if sub.needs_snapshot:
                sub.needs_snapshot = False
                snap = self.engine.snapshot(sub.pairs, sub.subaccounts, sub.markets)
                self._put(sub, Response(updates=snap))

    def drop_all(self) -> None:
        """What the node does on buffer overflow: drop every subscriber, wipe buffers."""
        self.drops += 1
        for sub in self.subscribers:
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(_DROP)
            sub.flowing.set()
        self.subscribers = []

    def stall(self) -> int:
        """Stop writing to the subscribers there are now (their buffers fill up,
        and one that overflows drops them all); returns how many."""
        for sub in self.subscribers:
            sub.flowing.clear()
        return len(self.subscribers)

    def resume(self) -> None:
        """Write to stalled subscribers again, their backlog first."""
        for sub in self.subscribers:
            sub.flowing.set()

    def broadcast(self, resp: Response) -> None:
        for sub in list(self.subscribers):
            picked = [u for u in resp.updates if sub.wants(u)]
            if picked:
                self._put(sub, resp if len(picked) == len(resp.updates) else Response(updates=picked))

    def _put(self, sub: _Subscriber, resp: Response) -> None:
        if sub.queue.qsize() >= sub.capacity:
            self.drop_all()
            return
        sub.queue.put_nowait(resp)

    # --- the RPC -------------------------------------------------------------------

    async def stream(self, request: query_pb2.StreamOrderbookUpdatesRequest, context: Any) -> AsyncIterator[Response]:
        self.requests += 1
        if not request.clob_pair_id and not request.subaccount_ids and not request.market_ids:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "full_node_streaming code 2: empty subscription")
        if request.filter_orders_by_subaccount_id and not request.subaccount_ids:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "full_node_streaming code 3: filter without subaccounts")
        if self._recording is not None:
            async for resp in self._replay():
                yield resp
            return
        sub = _Subscriber(request, self.settings.max_channel_buffer)
        self.subscribers.append(sub)
        if self.settings.snapshot_on_subscribe:
            self.send_snapshots()
        try:
            while True:
                item = await sub.queue.get()
                if not sub.flowing.is_set():  # stalled (fault injection): hold it until resumed or dropped
                    await sub.flowing.wait()
                    if sub not in self.subscribers:
                        return
                if item is _DROP:
                    return
                sub.sent += 1
                self.responses_sent += 1
                yield item
        finally:
            if sub in self.subscribers:
                self.subscribers.remove(sub)

    async def _replay(self) -> AsyncIterator[Response]:
        assert self._recording is not None
        first_ms = None
        start = self.clock.now_ns()
        for ms, body in read_frames(self._recording):
            if self.settings.recording_speed > 0:
                first_ms = ms if first_ms is None else first_ms
                due = start + int((ms - first_ms) * NS_PER_MS / self.settings.recording_speed)
                await self.clock.sleep_ns(due - self.clock.now_ns())
            self.responses_sent += 1
            yield Response.FromString(body)


class _ClobQuery(query_pb2_grpc.QueryServicer):
    def __init__(self, node: FakeNode) -> None:
        self.node = node

    async def StreamOrderbookUpdates(self, request: Any, context: Any) -> AsyncIterator[Response]:
        # grpc.aio recognises a streaming handler by its being an async generator function.
        async for resp in self.node.stream(request, context):
            yield resp

    async def ClobPair(self, request: Any, context: Any) -> Any:
        self.node.requests += 1
        params = self.node.params.get(request.id)
        if params is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"clob pair {request.id} not found")
        return query_pb2.QueryClobPairResponse(
            clob_pair=clob_pair_pb2.ClobPair(
                id=request.id,
                perpetual_clob_metadata=clob_pair_pb2.PerpetualClobMetadata(perpetual_id=request.id),
                step_base_quantums=params.step_base_quantums,
                subticks_per_tick=params.subticks_per_tick,
                quantum_conversion_exponent=params.quantum_conversion_exponent,
                status=1,
            )
        )


class _PerpetualsQuery(perp_query_pb2_grpc.QueryServicer):
    def __init__(self, node: FakeNode) -> None:
        self.node = node

    async def Perpetual(self, request: Any, context: Any) -> Any:
        self.node.requests += 1
        params = self.node.params.get(request.id)
        if params is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"perpetual {request.id} not found")
        ticker = next((t for t, (p, _) in GENESIS.items() if p == request.id), f"PERP{request.id}-USD")
        return perp_query_pb2.QueryPerpetualResponse(
            perpetual=perpetual_pb2.Perpetual(
                params=perpetual_pb2.PerpetualParams(
                    id=request.id, ticker=ticker, market_id=request.id,
                    atomic_resolution=params.atomic_resolution,
                )
            )
        )


@contextlib.asynccontextmanager
async def fake_node(settings: FakeNodeSettings | None = None, clock: Clock | None = None) -> AsyncIterator[FakeNode]:
    """Run a fake node on 127.0.0.1 for the duration of the block (the SimulatorSpec factory)."""
    node = FakeNode(settings or FakeNodeSettings(), clock)
    await node.start()
    try:
        yield node
    finally:
        await node.stop()
