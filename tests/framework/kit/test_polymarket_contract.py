"""The venue contract suite against the built-in Polymarket adapter and its simulator.

The harness drives the real simulator (grpc.aio + aiohttp on 127.0.0.1):
levels and counterparty trades are flow orders, stream faults are the
simulator's fault switches. Lives here until the Polymarket tests adopt it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from framework.kit import VenueContract, VenueCounts, VenueHarness
from framework.model.events import Level, Side
from framework.plugin.venue import VenueContext
from framework.runtime.clock import LiveClock
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.settings import settings_from
from plugins.polymarket.sim import SimSettings, Simulator, simulate

_WIRE_SIDE = {Side.BUY: E.SIDE_BUY, Side.SELL: E.SIDE_SELL}


class PolymarketHarness(VenueHarness):
    """A quiet simulator (no synthetic flow) with heartbeats every 50 ms."""

    name = "polymarket"
    symbols: tuple[str, ...] = ()  # chosen in session(): seeded books with room inside the spread
    timeout_s = 4.0
    depth = 5

    def __init__(self) -> None:
        self.sim: Simulator | None = None
        self.adapter: PolymarketAdapter | None = None

    @contextlib.asynccontextmanager
    async def session(self, ctx: VenueContext) -> AsyncIterator[PolymarketAdapter]:
        settings = SimSettings(instruments=4, flow_rate_per_s=0.0, heartbeat_s=0.05)
        async with simulate(settings, LiveClock()) as sim:
            self.sim = sim
            self.symbols = tuple(self._roomy(sim)[:2])
            ctx.symbols = list(self.symbols)
            adapter_settings = sim.adapter_settings(reconnect_initial_s=0.05, depth=self.depth, seed=1, stale_after_s=0.4)
            self.adapter = PolymarketAdapter(ctx, settings_from(adapter_settings))
            yield self.adapter

    @staticmethod
    def _roomy(sim: Simulator) -> list[str]:
        """Symbols whose seeded spread is at least 3 ticks wide (room for the kit's order)."""
        roomy = []
        for symbol, engine in sim.engines.items():
            bid, ask = engine.best(E.SIDE_BUY), engine.best(E.SIDE_SELL)
            if bid is not None and ask is not None and (ask - bid) // engine.tick_wire >= 3:
                roomy.append(symbol)
        assert len(roomy) >= 2, f"the simulator seeded too few wide books: {roomy}"
        return roomy

    def _scales(self, symbol: str) -> Any:
        assert self.adapter is not None
        return self.adapter.scales[symbol]

    def venue_book(self, symbol: str) -> tuple[list[Level], list[Level]]:
        assert self.sim is not None
        engine, sc = self.sim.engines[symbol], self._scales(symbol)
        bids = [(sc.to_ticks(p), q) for p, q in engine.top(E.SIDE_BUY, self.depth)]
        asks = [(sc.to_ticks(p), q) for p, q in engine.top(E.SIDE_SELL, self.depth)]
        return bids, asks

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        """Grow a level with a flow order (the kit only ever grows one)."""
        bids, asks = self.venue_book(symbol)
        current = dict(bids if side is Side.BUY else asks).get(price, 0)
        assert size >= current, "this harness can only add to a level"
        assert self.sim is not None
        if size > current:
            self.sim.exchange.insert_flow(symbol, _WIRE_SIDE[side], self._scales(symbol).to_wire_px(price), size - current)

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        assert self.sim is not None
        self.sim.exchange.insert_flow(symbol, _WIRE_SIDE[side], self._scales(symbol).to_wire_px(price), size,
                                      tif=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL)  # fmt: skip

    async def kill_stream(self) -> None:
        assert self.sim is not None
        self.sim.faults.kill_streams("md")

    async def stop_heartbeats(self) -> None:
        assert self.sim is not None
        self.sim.faults.silence_streams("md")

    async def send_malformed(self) -> None:
        assert self.sim is not None
        for symbol in self.symbols:
            self.sim.faults.send_malformed(symbol)  # bids not best first: breaks the protocol

    async def duplicate_execution(self) -> None:
        assert self.sim is not None
        self.sim.faults.duplicate(1)  # the next execution batch arrives twice

    def rejected_order(self, symbol: str) -> tuple[Side, int, int]:
        return Side.BUY, self._scales(symbol).max_ticks + 1, 1  # above the highest price

    def venue_counts(self) -> VenueCounts:
        assert self.sim is not None
        return VenueCounts(sum(self.sim.exchange.received.values()), len(self.sim.exchange.streams))


@pytest.fixture
def venue_harness() -> PolymarketHarness:
    return PolymarketHarness()


class TestPolymarketContract(VenueContract):
    """Every case of the venue contract against the Polymarket simulator."""
