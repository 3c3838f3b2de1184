"""Fixtures: a real simulator on 127.0.0.1 and an adapter connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest

from framework.bus import Bus
from framework.clock import LiveClock
from framework.events import Event
from framework.venue import CountingGate, VenueContext
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.settings import PolymarketSettings
from plugins.polymarket.sim import SimSettings, Simulator, simulate


class Recorder:
    """Every event published on the bus, in order."""

    def __init__(self, bus: Bus) -> None:
        self.events: list[Event] = []
        bus.subscribe(self.events.append, name="recorder")

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def make_sim() -> Callable[..., Any]:
    def make(**kw: Any) -> Any:
        kw.setdefault("instruments", 12)
        kw.setdefault("flow_rate_per_s", 0.0)
        kw.setdefault("heartbeat_s", 0.5)
        return simulate(SimSettings(**kw), LiveClock())

    return make


@pytest.fixture
async def sim(make_sim: Callable[..., Any]) -> AsyncIterator[Simulator]:
    async with make_sim() as s:
        yield s


def adapter_for(sim: Simulator, symbols: list[str], gate: Any = None, **overrides: Any) -> tuple[PolymarketAdapter, Recorder]:
    """An adapter (not started) for ``sim`` with a recorder on its bus."""
    clock = LiveClock()
    bus = Bus(clock)
    rec = Recorder(bus)
    settings = msgspec.convert(sim.adapter_settings(**{"reconnect_initial_s": 0.05, "depth": 5, "seed": 1, **overrides}), PolymarketSettings)
    ctx = VenueContext("polymarket", bus, clock, gate or CountingGate(), symbols)
    return PolymarketAdapter(ctx, settings), rec
