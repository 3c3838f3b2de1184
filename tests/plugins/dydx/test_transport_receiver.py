"""The ``receiver: process`` child against the fake node: it drains the node, bounds its backlog, reports the end."""

from __future__ import annotations

import asyncio

import pytest
from v4_proto.dydxprotocol.clob import query_pb2

from plugins.dydx.receiver import ReceiverProcess
from plugins.dydx.sim.server import FakeNode, FakeNodeSettings, fake_node
from tests.plugins.dydx.node_helpers import until


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
            await until(lambda: node.subscribers)
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
            await until(lambda: node.subscribers)
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
            await until(lambda: node.subscribers)
            node.block()  # the snapshot
            first = await anext(frames)
            assert query_pb2.StreamOrderbookUpdatesResponse.FromString(first).updates[0].orderbook_update.snapshot
            node.drop_all()
            assert [f async for f in frames] == []
            assert await child.failure() is None
        finally:
            await child.close()
