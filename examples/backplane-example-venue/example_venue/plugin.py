"""Registers the ``example`` venue and its ``example-sim`` simulator with backplane."""

from __future__ import annotations

from framework import SimulatorSpec, VenueSpec, hookimpl

from example_venue.adapter import ExampleAdapter, ExampleSettings, limits
from example_venue.sim import ExampleSimulator, SimSettings


@hookimpl
def backplane_venues() -> list[VenueSpec]:
    return [
        VenueSpec(
            "example", ExampleAdapter, ExampleSettings, "example venue: JSON lines over TCP",
            simulator="example-sim", limits=limits,
        )
    ]  # fmt: skip


@hookimpl
def backplane_simulators() -> list[SimulatorSpec]:
    return [
        SimulatorSpec(
            "example-sim", ExampleSimulator, SimSettings, "the example venue on 127.0.0.1",
            venue_settings=lambda simulator, settings: simulator.venue_settings(settings),
        )
    ]  # fmt: skip
