"""The venue-adapter contract suite: one set of cases for every adapter.

A plugin author describes how to run their adapter offline with a
:class:`VenueHarness` -- start the simulator (or a recorded stream), build the
adapter against it, and, for the cases that need one, drive a scenario at the
venue (``set_level``, ``make_trade``, ``kill_stream``, ``stop_heartbeats``, ``send_malformed``,
``duplicate_execution`` ...). Then one test class runs every case::

    import pytest
    from framework.kit import VenueContract

    @pytest.fixture
    def venue_harness():
        return MyVenueHarness()

    class TestMyVenue(VenueContract):
        pass

Each case has an id and a one-line statement (:data:`CASES`). A case whose
driver the harness does not implement, or which the harness lists in
``unsupported`` (its capability declaration), is reported as *unsupported*
(a skip with the reason) and never as a failure. The ``backplane`` pytest
plugin prints the capability matrix at the end of the run.

Cases run on the live clock against a real simulator, each under its own
timeout, with a :class:`~framework.kit.sender.KitSender` as the risk layer. After
every case the kit also checks that the adapter released every stream slot at
``stop()`` and published only under its own venue name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from framework.kit.eventlog import EventLog
from framework.kit.sender import KitSender
from framework.kit.venue_cases import CASES, CASES_BY_ID
from framework.kit.venue_harness import (
    Case,
    CaseRun,
    VenueCounts,
    VenueHarness,
    has_driver,
)
from framework.model.events import Event
from framework.plugin.venue import VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock

__all__ = [
    "CASES",
    "CASES_BY_ID",
    "Case",
    "CaseRun",
    "VenueContract",
    "VenueCounts",
    "VenueHarness",
    "run_case",
    "support",
]


def support(harness: VenueHarness, case: Case) -> str:
    """Why ``harness`` cannot run ``case`` ('' when it can)."""
    if case.id in harness.unsupported:
        return f"declared unsupported: {harness.unsupported[case.id]}"
    missing = [d for d in case.needs if not has_driver(harness, d)]
    return f"no driver: {', '.join(missing)}" if missing else ""


async def run_case(harness: VenueHarness, case: Case) -> None:
    """Run one case against ``harness``; raises ``AssertionError`` on a broken contract."""
    clock = LiveClock()
    bus = Bus(clock)
    sender = KitSender()
    gate = sender.gate
    ctx = VenueContext(harness.name, bus, clock, sender, list(harness.symbols))
    log = EventLog(bus)
    budget_s = harness.timeout_s * 6
    async with asyncio.timeout(budget_s):
        async with harness.session(ctx) as adapter:
            run = CaseRun(harness, adapter, ctx, gate, log)
            if case.prepare_gate is not None:
                case.prepare_gate(gate, adapter)
            if case.start:
                async with _started(adapter):
                    await run.wait_live()
                    await _snapshots_in(run)
                    await case.body(run)
            else:
                await case.body(run)
    assert not gate.open_streams, f"stream slots still held after stop(): {sorted(gate.open_streams)}"
    foreign = {e.venue for e in log.events if isinstance(e, Event)} - {ctx.name}
    assert not foreign, f"events published under venue names {sorted(foreign)}, expected {ctx.name!r}"


async def _snapshots_in(run: CaseRun) -> None:
    def has_book(symbol: str) -> Callable[[], bool]:
        return lambda: run.adapter.book(symbol).best_bid_price is not None

    for symbol in run.harness.symbols:
        await run.wait_until(has_book(symbol), f"a book for {symbol}")


@contextlib.asynccontextmanager
async def _started(adapter: Any) -> AsyncIterator[None]:
    try:
        await adapter.start()
        yield
    finally:
        await adapter.stop()  # also after a failed start: what it took must be released


class VenueContract:
    """The contract suite as a test class: subclass it as ``Test...`` and
    provide a ``venue_harness`` fixture returning a fresh :class:`VenueHarness`."""

    @pytest.mark.parametrize("venue_case", CASES, ids=[c.id for c in CASES])
    def test_contract(self, venue_case: Case, venue_harness: VenueHarness, request: pytest.FixtureRequest) -> None:
        why = support(venue_harness, venue_case)
        request.node.user_properties.append(("backplane_case", (venue_harness.name, venue_case.id)))
        if why:
            pytest.skip(f"unsupported by {venue_harness.name}: {why}")
        asyncio.run(run_case(venue_harness, venue_case))
