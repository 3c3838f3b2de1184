"""The Polymarket US exchange (institutional API) venue plugin and its simulator.

Registered through the ``backplane`` entry-point group like any third-party
plugin: a venue (``polymarket``), a simulator (``polymarket``) and a command
(``simulate-polymarket``).
"""

from __future__ import annotations

from typing import Any

from framework.plugin.hookspecs import hookimpl
from framework.plugin.specs import CommandSpec, SimulatorSpec, VenueSpec
from plugins.polymarket.settings import PolymarketSettings, plaintext_issues

__all__ = ["PolymarketSettings", "backplane_commands", "backplane_simulators", "backplane_venues", "create_adapter"]


def create_adapter(ctx: Any, settings: PolymarketSettings) -> Any:
    """The venue factory: a :class:`~plugins.polymarket.adapter.PolymarketAdapter`."""
    from plugins.polymarket.adapter import PolymarketAdapter

    return PolymarketAdapter(ctx, settings)


def _simulate(settings: Any = None, clock: Any = None) -> Any:
    from plugins.polymarket.sim import simulate

    return simulate(settings, clock)


def _sim_settings() -> type:
    from plugins.polymarket.sim.settings import SimSettings

    return SimSettings


def declared_limits(settings: PolymarketSettings | None) -> Any:
    """The venue's limits for ``settings`` (tier), counting the order stream
    and, when on, the drop-copy stream besides market data."""
    import msgspec

    from plugins.polymarket.limits import venue_limits

    settings = settings or PolymarketSettings()
    return msgspec.structs.replace(venue_limits(settings.tier), fixed_streams=1 + int(settings.drop_copy))


def sim_for_venue(sim_settings: Any, settings: PolymarketSettings | None) -> Any:
    """The simulator enforces the limits of the venue entry's tier."""
    import msgspec

    tier = (settings or PolymarketSettings()).tier
    return msgspec.structs.replace(sim_settings, limits=msgspec.structs.replace(sim_settings.limits, tier=tier))


def simulator_settings(simulator: Any, settings: PolymarketSettings | None) -> PolymarketSettings:
    """The run's settings pointed at a running simulator (endpoints, demo credentials)."""
    import msgspec

    from plugins.polymarket.settings import settings_from

    given = msgspec.structs.asdict(settings) if settings is not None else {}
    return settings_from({**given, **simulator.adapter_settings()})


@hookimpl
def backplane_venues() -> list[VenueSpec]:
    return [VenueSpec("polymarket", create_adapter, PolymarketSettings,
                      "Polymarket US exchange: gRPC streams, REST order entry, M2M JWT auth", simulator="polymarket",
                      limits=declared_limits, settings_issues=plaintext_issues)]


@hookimpl
def backplane_simulators() -> list[SimulatorSpec]:
    from plugins.polymarket.sim.faultplan import FAULTS, inject

    return [SimulatorSpec("polymarket", _simulate, _sim_settings(),
                          "Polymarket US exchange simulator: grpc.aio + aiohttp on 127.0.0.1",
                          venue_settings=simulator_settings, from_venue=sim_for_venue, faults=FAULTS, inject=inject)]


@hookimpl
def backplane_commands() -> list[CommandSpec]:
    from plugins.polymarket.cli import configure_simulate, run_simulate

    return [CommandSpec("simulate-polymarket", "run the Polymarket exchange simulator on 127.0.0.1",
                        configure_simulate, run_simulate)]
