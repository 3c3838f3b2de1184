"""The example venue passes backplane's venue contract suite against its simulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from framework import Level, Side, VenueContext
from framework.kit import VenueContract, VenueCounts, VenueHarness

from example_venue import ExampleAdapter, ExampleSettings, ExampleSimulator, SimSettings


class ExampleHarness(VenueHarness):
    """Runs the adapter against a fresh simulator and drives it for each case."""

    name = "example"
    symbols = ("AAA", "BBB", "CCC")
    timeout_s = 3.0

    def __init__(self) -> None:
        self.sim = ExampleSimulator(SimSettings(symbols=list(self.symbols), heartbeat_ms=20))

    @contextlib.asynccontextmanager
    async def session(self, ctx: VenueContext) -> AsyncIterator[ExampleAdapter]:
        async with self.sim:
            settings = self.sim.venue_settings(ExampleSettings(stale_after_ms=200, reconnect_ms=20))
            yield ExampleAdapter(ctx, settings)

    def venue_book(self, symbol: str) -> tuple[list[Level], list[Level]]:
        return self.sim.levels(symbol)

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        await self.sim.set_level(symbol, side, price, size)

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        await self.sim.make_trade(symbol, side, price, size)

    async def kill_stream(self) -> None:
        await self.sim.kill_streams()

    async def send_malformed(self) -> None:
        await self.sim.send_malformed()

    async def stop_heartbeats(self) -> None:
        await self.sim.silence_streams()

    async def duplicate_execution(self) -> None:
        await self.sim.duplicate_execution()

    def rejected_order(self, symbol: str) -> tuple[Side, int, int]:
        return Side.BUY, 0, 1  # below the venue's minimum price

    def venue_counts(self) -> VenueCounts:
        return VenueCounts(self.sim.messages, self.sim.open_streams)


@pytest.fixture
def venue_harness() -> ExampleHarness:
    return ExampleHarness()


class TestExampleVenue(VenueContract):
    """Every case of the contract, against the example venue."""
