"""The adapter against a running fake node: set-up and waits shared by the transport and sim tests."""

from __future__ import annotations

import asyncio

from framework.execution import GatedSender
from framework.model.events import StreamStatus
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.settings import DydxSettings
from plugins.dydx.sim.server import FakeNode
from tests.plugins.dydx.helpers import engine_rows, rows

PAIRS = {"BTC-USD": 0, "ETH-USD": 1}


async def until(cond, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait (real time) until ``cond()``: the node and the stream run on real I/O."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.005)


def adapter_on(node: FakeNode, **kw) -> tuple[DydxAdapter, CountingGate, list[StreamStatus]]:
    """An adapter for ``node``'s BTC-USD and ETH-USD (fast reconnects), its gate, its statuses."""
    bus, gate = Bus(), CountingGate()
    statuses: list[StreamStatus] = []
    bus.subscribe(statuses.append, StreamStatus)
    settings = DydxSettings(endpoint=node.endpoint, markets=PAIRS, reconnect_min_ms=20, reconnect_max_ms=200, **kw)
    return DydxAdapter(VenueContext("dydx", bus, LiveClock(), GatedSender(gate)), settings), gate, statuses


async def caught_up(node: FakeNode, adapter: DydxAdapter) -> None:
    """Wait until the adapter has read every response the node sent it."""
    def done() -> bool:
        subs = node.subscribers
        return bool(subs) and all(s.queue.empty() for s in subs) and adapter.transport.source.received >= subs[0].sent

    await until(done, what="adapter caught up")


def assert_books_equal(node: FakeNode, adapter: DydxAdapter) -> None:
    """Every book of the adapter equals the node's, order by order."""
    for symbol, pair in PAIRS.items():
        p = adapter.params[pair]
        assert rows(adapter.codec, pair) == engine_rows(node.engine, pair, p.subticks_per_tick, p.step_base_quantums)
        assert adapter.book(symbol) is adapter.codec.book(pair)


async def run_blocks(node: FakeNode, adapter: DydxAdapter, blocks: int) -> None:
    """Drive ``blocks`` blocks of synthetic flow; after each, the adapter's books equal the node's."""
    for _ in range(blocks):
        for _ in range(5):
            node.flow.tick()
            node.flush()
        node.block()
        await caught_up(node, adapter)
        assert_books_equal(node, adapter)
