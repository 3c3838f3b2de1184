"""The fake node's faults by name (what a fault plan injects), against the
adapter over loopback gRPC: a drop of every subscriber, a stall that holds
every response until its end, a malformed update the codec refuses."""

from __future__ import annotations

import asyncio

import pytest

from framework.model.events import StreamState
from plugins.dydx.sim.faultplan import FAULTS, inject
from plugins.dydx.sim.server import FakeNodeSettings, fake_node
from tests.plugins.dydx.node_helpers import adapter_on as _adapter
from tests.plugins.dydx.node_helpers import caught_up as _caught_up
from tests.plugins.dydx.node_helpers import until as _until


async def _live(node, adapter) -> None:
    await _until(lambda: node.subscribers)
    node.block()
    await asyncio.wait_for(adapter.transport.stream.live.wait(), 5)
    await _caught_up(node, adapter)


async def test_kill_streams_drops_every_subscriber_and_the_adapter_comes_back() -> None:
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _, statuses = _adapter(node)
        await adapter.start()
        try:
            await _live(node, adapter)
            assert inject(node, "kill_streams") is None
            assert node.drops == 1 and node.injected == {"kill_streams": 1}
            await _until(lambda: adapter.transport.stream.state is not StreamState.LIVE)
            await _until(lambda: node.subscribers, what="resubscribed")
            node.block()
            await _until(lambda: adapter.transport.stream.state is StreamState.LIVE, what="live again")
            assert StreamState.DOWN in [s.state for s in statuses]
        finally:
            await adapter.stop()


async def test_a_stall_holds_every_response_until_its_end() -> None:
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _, _ = _adapter(node)
        await adapter.start()
        try:
            await _live(node, adapter)
            before = adapter.transport.source.received
            end = inject(node, "stall_streams")
            assert end is not None
            for _ in range(5):
                node.flow.tick()
                node.flush()
            await asyncio.sleep(0.3)  # time enough to deliver them, were it not stalled
            assert adapter.transport.source.received == before and node.subscribers[0].queue.qsize() >= 4
            end()
            await _caught_up(node, adapter)
            assert adapter.transport.source.received > before and node.drops == 0
        finally:
            await adapter.stop()


async def test_a_malformed_update_is_counted_and_resynced() -> None:
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, _, _ = _adapter(node)
        await adapter.start()
        try:
            await _live(node, adapter)
            inject(node, "malformed_frames")
            await _until(lambda: adapter.codec is not None and adapter.codec.stats["malformed"] >= 1, what="refused")
            assert node.injected == {"malformed_frames": 1}
        finally:
            await adapter.stop()


def test_only_declared_faults_inject() -> None:
    assert set(FAULTS) == {"kill_streams", "stall_streams", "malformed_frames"}
    with pytest.raises(ValueError, match="unknown fault"):
        inject(object(), "http_5xx")
