"""The adapter against the fake node over loopback gRPC: live, exact books, overflow, resync."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from v4_proto.dydxprotocol.clob import query_pb2, query_pb2_grpc

from framework.execution import GatedSender
from framework.model.events import StreamState, StreamStatus
from framework.plugin.venue import CountingGate, MessageKind, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.receiver import ReceiverProcess
from plugins.dydx.settings import DydxSettings
from plugins.dydx.sim.server import FakeNode, FakeNodeSettings, fake_node
from plugins.dydx.transport import CLOB_PAIR_METHOD, PERPETUAL_METHOD, STREAM_METHOD
from tests.plugins.dydx.helpers import engine_rows, rows

PAIRS = {"BTC-USD": 0, "ETH-USD": 1}


async def _until(cond, timeout: float = 10.0, what: str = "condition") -> None:
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.005)


def _adapter(node: FakeNode, **kw) -> tuple[DydxAdapter, CountingGate, list[StreamStatus]]:
    bus, gate = Bus(), CountingGate()
    statuses: list[StreamStatus] = []
    bus.subscribe(statuses.append, StreamStatus)
    settings = DydxSettings(endpoint=node.endpoint, markets=PAIRS, reconnect_min_ms=20, reconnect_max_ms=200, **kw)
    return DydxAdapter(VenueContext("dydx", bus, LiveClock(), GatedSender(gate)), settings), gate, statuses


async def _caught_up(node: FakeNode, adapter: DydxAdapter) -> None:
    """Wait until the adapter has read every response the node sent it."""
    def done() -> bool:
        subs = node.subscribers
        return bool(subs) and all(s.queue.empty() for s in subs) and adapter.transport.received >= subs[0].sent

    await _until(done, what="adapter caught up")


def _assert_books_equal(node: FakeNode, adapter: DydxAdapter) -> None:
    for symbol, pair in PAIRS.items():
        p = adapter.params[pair]
        assert rows(adapter.codec, pair) == engine_rows(node.engine, pair, p.subticks_per_tick, p.step_base_quantums)
        assert adapter.book(symbol) is adapter.codec.book(pair)


async def _run_blocks(node: FakeNode, adapter: DydxAdapter, blocks: int) -> None:
    for _ in range(blocks):
        for _ in range(5):
            node.flow.tick()
            node.flush()
        node.block()
        await _caught_up(node, adapter)
        _assert_books_equal(node, adapter)


RECEIVERS = pytest.mark.parametrize("receiver", ["inline", "process"])


@RECEIVERS
async def test_adapter_goes_live_after_snapshot_and_books_equal_the_node(receiver):
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, gate, statuses = _adapter(node, receiver=receiver)
        await adapter.start()
        try:
            await _until(lambda: node.subscribers)
            for _ in range(3):
                node.flow.tick()
                node.flush()  # incremental updates before the snapshot: discarded
            await _caught_up(node, adapter)
            assert adapter.transport.state is StreamState.CONNECTING
            node.block()
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            await _run_blocks(node, adapter, 5)
            assert adapter.instruments["BTC-USD"].tick_size == 1
            assert gate.by_method[STREAM_METHOD] == 1
            assert gate.by_method[CLOB_PAIR_METHOD] == 2 and gate.by_method[PERPETUAL_METHOD] == 2
            assert gate.admitted[MessageKind.QUERY] == 5 and len(gate.open_streams) == 1
        finally:
            await adapter.stop()
        assert not gate.open_streams
        assert [s.state for s in statuses][:2] == [StreamState.CONNECTING, StreamState.LIVE]


@RECEIVERS
async def test_slow_subscriber_overflow_drops_all_and_adapter_resyncs(receiver):
    async with fake_node(FakeNodeSettings(auto=False, max_channel_buffer=16)) as node:
        adapter, gate, statuses = _adapter(node, receiver=receiver)
        await adapter.start()
        channel = grpc.aio.insecure_channel(node.endpoint)
        try:
            await _until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            # a second subscriber that never reads
            slow = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(
                query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0, 1])
            )
            await _until(lambda: len(node.subscribers) == 2)
            pumps = 0
            async with asyncio.timeout(20):
                while node.drops == 0:
                    pumps += 1
                    node.engine.noise(0, 2000)  # ~100 kB of unknown-id updates
                    node.flush()
                    await asyncio.sleep(0.002)
            assert node.drops == 1, pumps
            await _until(lambda: adapter.transport.state is not StreamState.LIVE)
            await _until(lambda: len(node.subscribers) == 1, what="adapter resubscribed")
            node.block()  # the new snapshot
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            await _run_blocks(node, adapter, 3)
            states = [s.state for s in statuses]
            assert StreamState.DOWN in states and states[-1] is StreamState.LIVE
            assert node.drops == 1 and adapter.transport.subscriptions == 2
            assert gate.by_method[STREAM_METHOD] == 2 and gate.streams_opened == 1
            slow.cancel()
        finally:
            await adapter.stop()
            await channel.close()


async def test_stream_goes_stale_when_nothing_arrives_and_live_again_on_data():
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, statuses = _adapter(node, stale_after_ms=100)
        await adapter.start()
        try:
            await _until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            await _until(lambda: adapter.transport.state is StreamState.STALE, 3)
            node.flow.tick()
            node.flow.tick()
            node.block()
            await _until(lambda: adapter.transport.state is StreamState.LIVE, 3)
        finally:
            await adapter.stop()
        assert StreamState.STALE in [s.state for s in statuses]


async def test_empty_subscription_is_rejected_like_the_node():
    async with (
        fake_node(FakeNodeSettings(auto=False)) as node,
        grpc.aio.insecure_channel(node.endpoint) as channel,
    ):
        call = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(query_pb2.StreamOrderbookUpdatesRequest())
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in call:
                pass
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def _pump_past_the_node_buffer(node: FakeNode, flushes: int, pause_s: float = 0.005) -> None:
    for _ in range(flushes):
        node.engine.noise(0, 2000)  # ~100 kB of unknown-id updates per flush
        node.flush()
        await asyncio.sleep(pause_s)  # the node's loop sends, the child reads


@pytest.mark.timeout(60)  # a child that blocks on the pipe would hang the node's loop here
async def test_receiver_process_drains_the_node_while_the_adapter_is_not_reading():
    async with fake_node(FakeNodeSettings(auto=False, max_channel_buffer=48)) as node:
        request = query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0]).SerializeToString()
        child = await ReceiverProcess.start(node.endpoint, request, tls=False, max_receive_mb=4)
        try:
            await _until(lambda: node.subscribers)
            # ~20 MB (more than gRPC's and the pipe's buffers hold) against a
            # node that drops everyone past 48 queued flushes (~0.5 s of slack
            # for a busy machine): it never has to, because the child keeps
            # reading while we do not.
            async with asyncio.timeout(30):
                await _pump_past_the_node_buffer(node, 200, pause_s=0.01)
            assert node.drops == 0
            node.drop_all()  # end the stream, then read everything
            async with asyncio.timeout(30):
                bodies = [b async for b in child.frames()]
            assert len(bodies) == node.responses_sent == 200
            assert await child.failure() is None
        finally:
            await child.close()


async def test_receiver_process_gives_up_past_its_backlog_bound():
    async with fake_node(FakeNodeSettings(auto=False, max_channel_buffer=64)) as node:
        request = query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0]).SerializeToString()
        child = await ReceiverProcess.start(node.endpoint, request, tls=False, max_receive_mb=4, max_backlog_mb=1)
        try:
            await _until(lambda: node.subscribers)
            async with asyncio.timeout(20):
                while node.subscribers:  # until the child hangs up
                    await _pump_past_the_node_buffer(node, 5, pause_s=0.01)
            assert [b async for b in child.frames()]  # what fitted arrives
            code, details = await child.failure()
            assert code == "BACKLOG" and "1 MB behind" in details
            assert node.drops == 0
        finally:
            await child.close()


async def test_receiver_process_reports_how_the_stream_ended():
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        # The node refuses an empty subscription: the child says so, with the code.
        child = await ReceiverProcess.start(node.endpoint, b"", tls=False, max_receive_mb=4)
        try:
            assert [f async for f in child.frames()] == []
            assert await child.failure() == ("INVALID_ARGUMENT", "full_node_streaming code 2: empty subscription")
        finally:
            await child.close()
        # The node drops its subscribers: the stream ends without an error, after the frames it sent.
        request = query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0]).SerializeToString()
        child = await ReceiverProcess.start(node.endpoint, request, tls=False, max_receive_mb=4)
        try:
            frames = child.frames()
            await _until(lambda: node.subscribers)
            node.block()  # the snapshot
            first = await anext(frames)
            assert query_pb2.StreamOrderbookUpdatesResponse.FromString(first).updates[0].orderbook_update.snapshot
            node.drop_all()
            assert [f async for f in frames] == []
            assert await child.failure() is None
        finally:
            await child.close()


@RECEIVERS
async def test_desynced_crossed_book_triggers_resubscribe_and_rebuild(receiver):
    from plugins.dydx.sim import messages as msg
    from plugins.dydx.sim.model import BUY, Order

    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, statuses = _adapter(node, receiver=receiver)
        await adapter.start()
        try:
            await _until(lambda: node.subscribers)
            await _run_blocks_until_live(node, adapter)
            best_ask = node.engine.best(0, 2)
            assert best_ask is not None
            # A place the node's own book never had: the adapter's book crosses.
            ghost = Order(("dydx1ghost", 0, 1, 0, 0), BUY, 1_000_000, best_ask + 100_000, gtb=node.engine.height + 5)
            node.broadcast(msg.Response(updates=[msg.orderbook(node.engine.height, 0, [msg.place(ghost), msg.update(ghost.key, 0)])]))
            await _until(lambda: adapter.transport.subscriptions == 2, what="resubscribed after the crossed book")
            assert adapter.codec.stats["crossed"] >= 1
            await _until(lambda: len(node.subscribers) == 1)
            node.block()
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            await _run_blocks(node, adapter, 2)
            assert ghost.key not in adapter.book("BTC-USD")
            assert StreamState.DOWN in [s.state for s in statuses]
        finally:
            await adapter.stop()


async def _run_blocks_until_live(node: FakeNode, adapter: DydxAdapter) -> None:
    node.block()
    await asyncio.wait_for(adapter.transport.live.wait(), 5)
    await _run_blocks(node, adapter, 2)


async def test_oracle_prices_arrive_under_the_market_symbol():
    from plugins.dydx.events import OraclePrice

    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, _statuses = _adapter(node, oracle_markets=[0, 1])
        prices: list[OraclePrice] = []
        adapter.ctx.bus.subscribe(prices.append, OraclePrice)
        await adapter.start()
        try:
            await _until(lambda: node.subscribers)
            node.block()  # snapshot, with the price snapshots
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            node.block()
            await _until(lambda: any(not p.snapshot for p in prices))
        finally:
            await adapter.stop()
    assert {p.symbol for p in prices} == {"BTC-USD", "ETH-USD"}
    assert all(p.exponent == -5 and p.price > 0 for p in prices)


async def test_adapter_follows_the_self_driving_node():
    settings = FakeNodeSettings(flush_interval_ms=10, block_interval_ms=100)
    async with fake_node(settings) as node:
        adapter, _gate, _statuses = _adapter(node)
        await adapter.start()
        try:
            await asyncio.wait_for(adapter.transport.live.wait(), 5)
            height = node.engine.height
            await _until(lambda: node.engine.height >= height + 3, what="three more blocks")
            assert adapter.transport.state is StreamState.LIVE
            assert adapter.codec.stats["updates"] > 0 and adapter.codec.stats["malformed"] == 0
            assert adapter.codec.block_height >= height
        finally:
            await adapter.stop()
