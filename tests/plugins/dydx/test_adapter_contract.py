"""The framework's venue contract suite, run against the dYdX adapter and the fake node.

Market data only in this version: the order-entry cases are declared
unsupported (live dYdX order entry is not available yet).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from framework.kit import VenueContract
from framework.kit.venue import VenueCounts, VenueHarness
from framework.model.events import Level, Side
from framework.plugin.venue import VenueContext
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.settings import DydxSettings
from plugins.dydx.sim.model import BUY, SELL, Order
from plugins.dydx.sim.server import FakeNode, FakeNodeSettings, fake_node

_NO_ORDER_ENTRY = "market data only: live dYdX order entry is not available yet"
_MID = 100_000  # ticks


class DydxHarness(VenueHarness):
    """A quiet fake node (no synthetic flow): blocks every 50 ms, a seeded book,
    and level changes made with short-term orders."""

    name = "dydx"
    symbols = ("BTC-USD",)
    unsupported: ClassVar[dict[str, str]] = {
        case: _NO_ORDER_ENTRY
        for case in (
            "order_accepted", "order_partially_filled", "order_filled", "order_cancelled",
            "order_rejected", "duplicate_execution", "ingress_limit",
        )
    }

    def __init__(self) -> None:
        self.node: FakeNode | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._client_id = 0

    @contextlib.asynccontextmanager
    async def session(self, ctx: VenueContext) -> AsyncIterator[Any]:
        async with fake_node(FakeNodeSettings(clob_pairs=[0], auto=False)) as node:
            self.node = node
            for i in range(3):
                self._place(BUY, _MID - 3 - i, 5 + i)
                self._place(SELL, _MID + 3 + i, 5 + i)
            node.flush()
            self._ticker = asyncio.get_running_loop().create_task(self._blocks())
            settings = DydxSettings(
                endpoint=node.endpoint, markets={"BTC-USD": 0}, oracle_markets=[0],
                stale_after_ms=400, reconnect_min_ms=20, reconnect_max_ms=200,
            )
            try:
                yield DydxAdapter(ctx, settings)
            finally:
                self._ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._ticker

    async def _blocks(self) -> None:
        assert self.node is not None
        while True:
            await asyncio.sleep(0.05)
            self.node.block()  # the oracle price moves every block: a heartbeat of sorts

    def _place(self, side: int, ticks: int, lots: int) -> None:
        assert self.node is not None
        p = self.node.params[0]
        self._client_id += 1
        order = Order(("dydx1kit", 0, self._client_id, 0, 0), side, lots * p.step_base_quantums,
                      ticks * p.subticks_per_tick, gtb=self.node.engine.height + 1_000_000)
        self.node.engine.place(order)

    # --- drivers ---------------------------------------------------------------

    def venue_book(self, symbol: str) -> tuple[list[Level], list[Level]]:
        assert self.node is not None
        p = self.node.params[0]
        levels: dict[int, dict[int, int]] = {1: {}, -1: {}}
        for _key, sign, subticks, quantums, filled in self.node.engine.book_rows(0):
            remaining = max(quantums - filled, 0) // p.step_base_quantums
            if remaining:
                price = subticks // p.subticks_per_tick
                levels[sign][price] = levels[sign].get(price, 0) + remaining
        bids = sorted(levels[1].items(), reverse=True)
        asks = sorted(levels[-1].items())
        return bids, asks

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        assert self.node is not None
        engine = self.node.engine
        p = self.node.params[0]
        v4side = BUY if side is Side.BUY else SELL
        for key in list(engine.levels[0][v4side].get(price * p.subticks_per_tick, [])):
            engine.cancel(key)
        if size:
            self._place(v4side, price, size)
        self.node.flush()

    async def kill_stream(self) -> None:
        assert self.node is not None
        self.node.drop_all()

    async def send_malformed(self) -> None:
        """An order with side UNSPECIFIED: valid protobuf, but no book operation."""
        assert self.node is not None
        from plugins.dydx.sim import messages as msg

        p = self.node.params[0]
        bad = Order(("dydx1kit", 0, 999_999, 0, 0), 0, p.step_base_quantums, _MID * p.subticks_per_tick,
                    gtb=self.node.engine.height + 10)
        self.node.broadcast(msg.Response(updates=[msg.orderbook(self.node.engine.height, 0, [msg.place(bad)])]))

    async def stop_heartbeats(self) -> None:
        assert self._ticker is not None
        self._ticker.cancel()

    def venue_counts(self) -> VenueCounts:
        assert self.node is not None
        return VenueCounts(self.node.requests, len(self.node.subscribers))


@pytest.fixture
def venue_harness() -> DydxHarness:
    return DydxHarness()


class TestDydxContract(VenueContract):
    pass
