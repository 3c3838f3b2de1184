"""Starting a run's venues: simulator, adapter, execution route, reconciliation.

Each venue gets a :class:`~framework.execution.sender.GatedSender` over its
account's gate (the adapter never holds the gate), a
:class:`~framework.plugin.venue.VenueContext` with a
:class:`~framework.runtime.busport.BusPort` (never the run's bus), and a route
for the mode it runs in: the adapter itself live, the paper exchange behind
the same sender in paper mode. A resumed live run then reconciles the
journal's open orders with the venue's (:mod:`framework.runtime.resume`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import msgspec

from framework.config import UNAVAILABLE_MODES
from framework.execution.sender import GatedRoute, GatedSender
from framework.model.errors import ConfigError
from framework.plugin.venue import VenueContext
from framework.plugin.view import VenueView
from framework.runtime.busport import BusPort
from framework.runtime.faults import FaultPlan, start_fault_plan
from framework.runtime.parts import Core, Session, VenuePart
from framework.runtime.resume import reconcile_live
from framework.runtime.run import Run

__all__ = ["ROUTES", "start_simulator", "start_venue"]


async def start_venue(run: Run, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> VenuePart:
    """Start venue ``name``: its simulator if asked, the adapter, and its route."""
    core, session, guard = run.core, run.session, run.guard
    mode = core.config.venue_mode(name)
    start_route = ROUTES.get(mode)
    if start_route is None:  # plan_issues refuses it first; whoever skipped that must still never trade live
        hint = UNAVAILABLE_MODES.get(mode, f"use one of {', '.join(ROUTES)}")
        raise ConfigError([f"venues.{name}: mode {mode!r} cannot run: {hint}"])
    if guard is None:
        raise RuntimeError("the guard (gates, resolver) starts before the venues")
    spec = core.host.venues[entry.plugin]
    symbols = core.config.symbols_of(name)
    settings, simulator, plan = entry.settings, None, None
    if entry.simulate:
        simulator, settings, plan = await start_simulator(core, stack, name, entry, spec, symbols)
    sender = GatedSender(guard.gates[name])  # the adapter gets the sender, never the gate
    ctx = VenueContext(name, BusPort(core.bus), core.clock, sender, symbols)
    if session.restored is not None:  # a resumed run: where the venue's feeds stood, whose orders are open
        ctx.checkpoints = dict(session.restored.checkpoints.get(name, {}))
        ctx.open_orders = {o.client_order_id: o.strategy for o in session.restored.open_orders if o.venue == name}
    adapter = spec.factory(ctx, settings)
    run.adapters[name] = adapter  # marks and instruments read it from here on
    await adapter.start()
    stack.push_async_callback(adapter.stop)
    route = start_route(core, session, stack, name, adapter, sender)
    view = VenueView(name, mode, symbols, market=run.market, gate=guard.gates[name], clock=core.clock)
    part = VenuePart(name, mode, adapter, sender, route, view, simulator, plan)
    if mode == "live":
        reconcile_live(run, part)
    guard.resolver.add_venue(name, getattr(route, "find_orders", None))
    guard.resolver.check(name)  # orders a resumed run restored in doubt
    return part


async def start_simulator(
    core: Core, stack: contextlib.AsyncExitStack, name: str, entry: Any, spec: Any, symbols: list[str]
) -> tuple[Any, Any, FaultPlan | None]:
    """Start the in-process simulator of a ``simulate:`` venue (stopped by
    ``stack``) and its fault plan; returns them and the adapter's settings
    pointed at the simulator."""
    settings = entry.settings
    if spec.simulator is None or spec.simulator not in core.host.simulators:
        raise RuntimeError(f"venue plugin {spec.name!r} ships no simulator; remove `simulate: true`")
    sim_spec = core.host.simulators[spec.simulator]
    sim_settings = sim_spec.settings()
    if any(f.name == "symbols" for f in msgspec.structs.fields(sim_settings)):
        # A simulator that lists its instruments is told the run's symbols.
        sim_settings = msgspec.structs.replace(sim_settings, symbols=list(symbols))
    if sim_spec.from_venue is not None:
        sim_settings = sim_spec.from_venue(sim_settings, settings)
    simulator = await stack.enter_async_context(sim_spec.factory(sim_settings))
    plan = start_fault_plan(core.clock, stack, name, entry.simulate, sim_spec, simulator)  # simulate: {faults: [...]}
    if sim_spec.venue_settings is None:
        raise RuntimeError(f"simulator {sim_spec.name!r} cannot configure its venue adapter")
    return simulator, sim_spec.venue_settings(simulator, settings), plan


def _paper_route(
    core: Core, session: Session, stack: contextlib.AsyncExitStack, name: str, adapter: Any, sender: GatedSender
) -> GatedRoute:
    from framework.paper import PaperExchange, PaperSettings

    settings = core.section("paper", PaperSettings)
    # Execution ids must differ between sessions of one run: a restarted
    # simulated-clock run starts at the same time as the first.
    prefix = f"paper-{name}-{core.clock.wall_ns()}-s{session.number}"
    exchange = PaperExchange(name, core.bus, core.clock, adapter.book, settings, id_prefix=prefix)
    exchange.attach()
    stack.callback(exchange.close)
    if session.restored is not None:
        exchange.restore(o for o in session.restored.open_orders if o.venue == name)
    # The paper exchange sits behind the venue's sender, as a live adapter's
    # wire does: a paper run spends the budget a live one would.
    route = GatedRoute(sender, exchange)
    core.router.add_route(name, route, sender)
    return route


def _live_route(
    core: Core, session: Session, stack: contextlib.AsyncExitStack, name: str, adapter: Any, sender: GatedSender
) -> Any:
    core.router.add_route(name, adapter, sender)
    return adapter


#: The execution route of each mode (``framework.config.ROUTED_MODES`` names the same).
ROUTES: dict[str, Callable[[Core, Session, contextlib.AsyncExitStack, str, Any, GatedSender], Any]] = {
    "paper": _paper_route,
    "live": _live_route,
}
