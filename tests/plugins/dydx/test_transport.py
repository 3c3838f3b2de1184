"""The order-book stream against the fake node over loopback gRPC: live, exact books, overflow, stale, resync."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from v4_proto.dydxprotocol.clob import query_pb2, query_pb2_grpc

from framework.model.events import StreamState
from framework.plugin.venue import MessageKind
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.sim.server import FakeNode, FakeNodeSettings, fake_node
from plugins.dydx.transport import CLOB_PAIR_METHOD, PERPETUAL_METHOD, STREAM_METHOD
from tests.plugins.dydx.node_helpers import adapter_on, caught_up, run_blocks, until

RECEIVERS = pytest.mark.parametrize("receiver", ["inline", "process"])


@RECEIVERS
async def test_adapter_goes_live_after_snapshot_and_books_equal_the_node(receiver):
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, gate, statuses = adapter_on(node, receiver=receiver)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            for _ in range(3):
                node.flow.tick()
                node.flush()  # incremental updates before the snapshot: discarded
            await caught_up(node, adapter)
            assert adapter.transport.stream.state is StreamState.CONNECTING
            node.block()
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            await run_blocks(node, adapter, 5)
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
        adapter, gate, statuses = adapter_on(node, receiver=receiver)
        await adapter.start()
        channel = grpc.aio.insecure_channel(node.endpoint)
        try:
            await until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            # a second subscriber that never reads
            slow = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(
                query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0, 1])
            )
            await until(lambda: len(node.subscribers) == 2)
            pumps = 0
            async with asyncio.timeout(20):
                while node.drops == 0:
                    pumps += 1
                    node.engine.noise(0, 2000)  # ~100 kB of unknown-id updates
                    node.flush()
                    await asyncio.sleep(0.002)
            assert node.drops == 1, pumps
            await until(lambda: adapter.transport.stream.state is not StreamState.LIVE)
            await until(lambda: len(node.subscribers) == 1, what="adapter resubscribed")
            node.block()  # the new snapshot
            await until(lambda: adapter.transport.stream.state is StreamState.LIVE, 5, "live again")
            await run_blocks(node, adapter, 3)
            states = [s.state for s in statuses]
            assert StreamState.DOWN in states and states[-1] is StreamState.LIVE
            assert node.drops == 1 and adapter.transport.stream.opens == 2
            assert gate.by_method[STREAM_METHOD] == 2 and gate.streams_opened == 1
            slow.cancel()
        finally:
            await adapter.stop()
            await channel.close()


async def test_stream_goes_stale_when_nothing_arrives_and_live_again_on_data():
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, statuses = adapter_on(node, stale_after_ms=100)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            await until(lambda: adapter.transport.stream.state is StreamState.STALE, 3)
            node.flow.tick()
            node.flow.tick()
            node.block()
            await until(lambda: adapter.transport.stream.state is StreamState.LIVE, 3)
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


@RECEIVERS
async def test_desynced_crossed_book_triggers_resubscribe_and_rebuild(receiver):
    from plugins.dydx.sim import messages as msg
    from plugins.dydx.sim.model import BUY, Order

    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, statuses = adapter_on(node, receiver=receiver)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            await _run_blocks_until_live(node, adapter)
            best_ask = node.engine.best(0, 2)
            assert best_ask is not None
            # A place the node's own book never had: the adapter's book crosses.
            ghost = Order(("dydx1ghost", 0, 1, 0, 0), BUY, 1_000_000, best_ask + 100_000, gtb=node.engine.height + 5)
            node.broadcast(msg.Response(updates=[msg.orderbook(node.engine.height, 0, [msg.place(ghost), msg.update(ghost.key, 0)])]))
            await until(lambda: adapter.transport.stream.opens == 2, what="resubscribed after the crossed book")
            assert adapter.codec.stats["crossed"] >= 1
            await until(lambda: len(node.subscribers) == 1)
            node.block()
            await until(lambda: adapter.transport.stream.state is StreamState.LIVE, 5, "live again")
            await run_blocks(node, adapter, 2)
            assert ghost.key not in adapter.book("BTC-USD")
            # A desync is not a drop: the stream resyncs without going DOWN.
            states = [s.state for s in statuses]
            assert StreamState.RESYNCING in states and StreamState.DOWN not in states
        finally:
            await adapter.stop()


async def _run_blocks_until_live(node: FakeNode, adapter: DydxAdapter) -> None:
    node.block()
    await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
    await run_blocks(node, adapter, 2)


async def test_oracle_prices_arrive_under_the_market_symbol():
    from plugins.dydx.events import OraclePrice

    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _gate, _statuses = adapter_on(node, oracle_markets=[0, 1])
        prices: list[OraclePrice] = []
        adapter.ctx.bus.subscribe(prices.append, OraclePrice)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            node.block()  # snapshot, with the price snapshots
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            node.block()
            await until(lambda: any(not p.snapshot for p in prices))
        finally:
            await adapter.stop()
    assert {p.symbol for p in prices} == {"BTC-USD", "ETH-USD"}
    assert all(p.exponent == -5 and p.price > 0 for p in prices)


async def test_adapter_follows_the_self_driving_node():
    settings = FakeNodeSettings(flush_interval_ms=10, block_interval_ms=100)
    async with fake_node(settings) as node:
        adapter, _gate, _statuses = adapter_on(node)
        await adapter.start()
        try:
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            height = node.engine.height
            await until(lambda: node.engine.height >= height + 3, what="three more blocks")
            assert adapter.transport.stream.state is StreamState.LIVE
            assert adapter.codec.stats["updates"] > 0 and adapter.codec.stats["malformed"] == 0
            assert adapter.codec.block_height >= height
        finally:
            await adapter.stop()
