"""Fake node behaviour beyond the book: filtering, periodic snapshots, the command."""

from __future__ import annotations

import argparse
import asyncio

import grpc
from v4_proto.dydxprotocol.clob import query_pb2, query_pb2_grpc
from v4_proto.dydxprotocol.subaccounts import subaccount_pb2

from framework.execution import GatedSender
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.dydx import simulate_cli
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.sim.flow import OWNERS
from plugins.dydx.sim.server import FakeNodeSettings, fake_node, offchain_order_id
from tests.plugins.dydx.node_helpers import adapter_on, run_blocks, until


def _owners(resp) -> set[str]:
    owners = set()
    for su in resp.updates:
        if su.WhichOneof("update_message") != "orderbook_update":
            continue
        for u in su.orderbook_update.updates:
            owners.add(offchain_order_id(u).subaccount_id.owner)
    return owners


async def test_subaccount_filter_keeps_only_batches_naming_the_subaccount_but_snapshots_pass():
    async with (
        fake_node(FakeNodeSettings(auto=False)) as node,
        grpc.aio.insecure_channel(node.endpoint) as channel,
    ):
        call = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(
            query_pb2.StreamOrderbookUpdatesRequest(
                clob_pair_id=[0, 1], filter_orders_by_subaccount_id=True,
                subaccount_ids=[subaccount_pb2.SubaccountId(owner=OWNERS[0], number=0)],
            )
        )
        await until(lambda: node.subscribers)
        for _ in range(30):
            node.flow.tick()
            node.flush()
        node.block()
        got = []
        async with asyncio.timeout(5):
            async for resp in call:
                got.append(resp)
                if any(su.orderbook_update.snapshot for su in resp.updates):
                    break
        call.cancel()
    incremental = [r for r in got if not any(su.orderbook_update.snapshot for su in r.updates)]
    assert incremental and all(OWNERS[0] in _owners(r) for r in incremental if _owners(r))
    assert len(_owners(got[-1])) > 1  # the snapshot is not filtered


async def test_periodic_snapshots_rebuild_without_divergence():
    async with fake_node(FakeNodeSettings(auto=False, snapshot_interval=2)) as node:
        adapter, _gate, _statuses = adapter_on(node)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            await run_blocks(node, adapter, 6)
            assert adapter.codec.stats["snapshots"] >= 3
            assert adapter.codec.stats["snapshot_divergence"] == 0
        finally:
            await adapter.stop()


def test_simulate_command_serves_on_loopback_for_a_bounded_time(capsys):
    parser = argparse.ArgumentParser()
    simulate_cli.configure(parser)
    assert simulate_cli.run(parser.parse_args(["--duration", "0.3", "--clob-pairs", "0"])) == 0
    assert capsys.readouterr().out.startswith("fake dYdX full node on 127.0.0.1:")


async def test_snapshot_on_subscribe_sends_the_snapshot_first():
    async with (
        fake_node(FakeNodeSettings(auto=False, snapshot_on_subscribe=True)) as node,
        grpc.aio.insecure_channel(node.endpoint) as channel,
    ):
        for _ in range(10):
            node.flow.tick()
        node.flush()
        call = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(
            query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0, 1])
        )
        first = await asyncio.wait_for(call.read(), 5)
        call.cancel()
    assert first.updates[0].orderbook_update.snapshot
    assert len(first.updates[0].orderbook_update.updates) == 2 * sum(len(node.engine.book_rows(p)) for p in (0, 1))


async def test_simulated_run_serves_the_runs_symbols_and_points_the_adapter_at_them():
    from framework.plugin.manager import PluginHost

    host = PluginHost()
    host.load_entry_points()
    sim = host.simulators["dydx"]
    async with sim.factory(FakeNodeSettings(symbols=["ETH-USD", "SOL-USD"], auto=False)) as node:
        assert node.markets == {"ETH-USD": 1, "SOL-USD": 2}
        settings = sim.venue_settings(node, None)
        assert settings.endpoint == node.endpoint and settings.pair_symbols() == {1: "ETH-USD", 2: "SOL-USD"}
        ctx = VenueContext("dydx", Bus(), LiveClock(), GatedSender(CountingGate()), ["SOL-USD"])
        adapter = DydxAdapter(ctx, settings)
        await adapter.start()
        try:
            await until(lambda: node.subscribers)
            node.block()
            await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
            assert adapter.book("SOL-USD") is adapter.codec.book(2)
        finally:
            await adapter.stop()
