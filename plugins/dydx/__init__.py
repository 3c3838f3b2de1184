"""dYdX v4 full-node venue: L3 market data from a node's gRPC stream, and a fake node.

Registered through the ``backplane`` entry points like any third-party plugin:
the venue ``dydx`` (:class:`~plugins.dydx.adapter.DydxAdapter`, settings
:class:`~plugins.dydx.settings.DydxSettings`), the simulator ``dydx``
(:func:`~plugins.dydx.sim.server.fake_node`) and the commands
``book-dydx`` and ``simulate-dydx`` (``backplane book dydx FILE``,
``backplane simulate dydx``). Market data and paper trading only: ``mode:
live`` is refused at ``config check``.

The venue anatomy (the same for every venue):

- :mod:`~plugins.dydx.codec` -- sans-IO: response bytes -> L3 books and events,
  and the outbound requests (compiled by mypyc; see its docs);
- :mod:`~plugins.dydx.transport` -- the grpc.aio channel, the unary queries and
  the order-book stream (:mod:`~plugins.dydx.receiver` reads it in a child
  process with ``receiver: process``);
- :mod:`~plugins.dydx.adapter` -- puts the two together: the venue adapter;
- :mod:`~plugins.dydx.settings` -- the venue's settings;
- :mod:`~plugins.dydx.sim` -- the simulator: a fake full node (engine,
  synthetic flow, scenarios, server).

Beside them: :mod:`~plugins.dydx.ids` (order keys), :mod:`~plugins.dydx.units`
(subticks and quantums -> ticks and lots -> Decimal), :mod:`~plugins.dydx.events`
(dYdX events), :mod:`~plugins.dydx.recording` (length-prefixed frame files) and
the commands :mod:`~plugins.dydx.book_cli` and :mod:`~plugins.dydx.simulate_cli`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from framework.plugin.hookspecs import hookimpl
from framework.plugin.specs import CommandSpec, SimulatorSpec, VenueSpec
from framework.plugin.venue import VenueLimits
from plugins.dydx import book_cli, simulate_cli
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.settings import DydxSettings, plaintext_issues
from plugins.dydx.sim import faultplan
from plugins.dydx.sim.server import FakeNode, FakeNodeSettings, fake_node

__all__ = ["LIVE_REFUSAL", "DydxAdapter", "DydxSettings"]

LIVE_REFUSAL = "live dYdX order entry is not available yet: use mode paper (market data with simulated fills)"


def _adapter(ctx: Any, settings: DydxSettings) -> DydxAdapter:
    return DydxAdapter(ctx, settings)


def _limits(settings: Any) -> VenueLimits:
    return DydxAdapter.limits  # one's own node: no venue-side caps


def _venue_settings(node: FakeNode, settings: DydxSettings | None) -> DydxSettings:
    """The adapter's settings pointed at a running fake node (plaintext, loopback),
    with the node's clob pair ids for its markets."""
    if settings is None:
        return DydxSettings(endpoint=node.endpoint, markets=dict(node.markets))
    return msgspec.structs.replace(settings, endpoint=node.endpoint, tls=False, markets=dict(node.markets),
                                   clob_pairs=[])


@hookimpl
def backplane_venues() -> list[VenueSpec]:
    return [
        VenueSpec(
            "dydx", _adapter, DydxSettings, "dYdX v4 full-node L3 stream (market data, paper trading)",
            simulator="dydx", limits=_limits, unsupported_modes={"live": LIVE_REFUSAL},
            settings_issues=plaintext_issues,
        )
    ]


@hookimpl
def backplane_simulators() -> list[SimulatorSpec]:
    return [
        SimulatorSpec(
            "dydx", fake_node, FakeNodeSettings, "fake dYdX full node (synthetic L3 flow or a recording)",
            venue_settings=_venue_settings, faults=faultplan.FAULTS, inject=faultplan.inject,
        )
    ]


@hookimpl
def backplane_commands() -> list[CommandSpec]:
    return [
        CommandSpec("book-dydx", "print the L3 book a recorded dYdX stream builds", book_cli.configure, book_cli.run),
        CommandSpec("simulate-dydx", "run a fake dYdX full node on 127.0.0.1", simulate_cli.configure, simulate_cli.run),
    ]
