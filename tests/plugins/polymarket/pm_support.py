"""Helpers shared by the Polymarket tests (a module with a unique name, so that
importing it never picks up another package's conftest)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from framework.execution import GatedSender
from framework.model.events import Event, Side, StreamState
from framework.model.orders import SubmitOrder
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.settings import settings_from
from plugins.polymarket.sim import Simulator


class Recorder:
    """Every event published on the bus, in order."""

    def __init__(self, bus: Bus) -> None:
        self.events: list[Event] = []
        bus.subscribe(self.events.append, name="recorder")

    def of(self, kind: type | tuple[type, ...]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def adapter_for(
    sim: Simulator, symbols: list[str], gate: Any = None, *, restored: dict[str, Any] | None = None, **overrides: Any
) -> tuple[PolymarketAdapter, Recorder]:
    """An adapter (not started) for ``sim`` with a recorder on its bus; ``restored``
    sets what a resumed run hands it (``checkpoints``, ``open_orders``)."""
    clock = LiveClock()
    bus = Bus(clock)
    rec = Recorder(bus)
    settings = settings_from(sim.adapter_settings(**{"reconnect_initial_s": 0.05, "depth": 5, "seed": 1, **overrides}))
    ctx = VenueContext("polymarket", bus, clock, GatedSender(gate or CountingGate()), symbols, **(restored or {}))
    return PolymarketAdapter(ctx, settings), rec


async def until(predicate: Any, timeout: float = 5.0, what: str = "condition") -> None:
    """Wait (real time) until ``predicate()`` holds, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def live(stream: Any) -> bool:
    return stream.state is StreamState.LIVE


def order(sym: str, clord: str, side: Side, price: int, size: int, **kw: Any) -> SubmitOrder:
    return SubmitOrder("strat", "polymarket", sym, clord, side, price, size, **kw)


def roomy_symbol(sim: Any, ad: Any) -> str:
    """A symbol whose spread leaves room for a bid of our own inside it."""
    for sym in ad.symbols:
        b, a = ad.book(sym).best_bid(), ad.book(sym).best_ask()
        if b and a and a[0] - b[0] >= 3:
            return sym
    raise AssertionError("no symbol with a wide enough spread")
