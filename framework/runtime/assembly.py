"""Assembling a run from its config: journal, venues, routes, strategies, schedule.

Every ``start_*`` function registers the matching stop on the run's exit
stack as soon as its component is up, so the run shuts down in the reverse
order of start-up whatever happens. The order of bus subscriptions matters
and is fixed here: the order tracker and the journal subscribe before any
strategy, so a strategy reacting to a fill already sees it in its position
and on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from framework.config import UNAVAILABLE_MODES
from framework.execution.protection import Protection, StrategyFeed
from framework.execution.sender import GatedRoute, GatedSender
from framework.model.errors import ConfigError
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Event,
    HandlerFailed,
    OrderAccepted,
    OrderEvent,
    OrderResolved,
    Side,
    StreamStatus,
    Trade,
    VenueCheckpoint,
)
from framework.model.orders import CancelOrder
from framework.plugin.strategy import StrategyContext
from framework.plugin.venue import VenueContext
from framework.runtime.bus import ErrorPolicy
from framework.runtime.faults import start_fault_plan

__all__ = ["start_components"]

log = logging.getLogger(__name__)


async def start_components(run: Any, stack: contextlib.AsyncExitStack, *, run_id: str | None = None) -> None:
    """Start everything ``run.config`` describes, in dependency order."""
    run.bus.subscribe(run.tracker.on_event, OrderEvent, name="tracker")
    start_journal(run, stack, run_id)
    await start_risk(run, stack)
    start_resolver(run, stack)
    run.bus.subscribe(run.stats.on_event, name="stats")
    for name, entry in run.config.venues.items():
        await start_venue(run, stack, name, entry)
    # Shutdown unwinds in reverse: the strategies' stops send their cancels,
    # the run's stop pulls whatever is still open, then the router's drain
    # waits for them, and only then do the venues disconnect -- a cancel still
    # in flight when its venue closed was lost.
    stack.push_async_callback(run.router.drain)
    stack.push_async_callback(stop_protection, run)
    enabled = {name: entry for name, entry in run.config.strategies.items() if entry.enabled}
    for name, entry in enabled.items():
        run.protection.add_strategy(StrategyFeed(name, entry.venue, entry.symbols, entry.stale_after_ms))
    run.protection.enable()
    for name, entry in enabled.items():
        start_strategy(run, stack, name, entry)
    start_schedule(run, stack)
    start_metrics(run, stack)


# -- journal ------------------------------------------------------------------


def start_journal(run: Any, stack: contextlib.AsyncExitStack, run_id: str | None) -> None:
    """Lock and open ``runs/<run-id>/``; a run id seen before restores its positions
    and orders. Sets the session's client-id tag (:mod:`framework.model.ids`)."""
    from framework.model.ids import session_tag

    if not run.config.journal.enabled:
        run.id_tag = session_tag(run_id or run.config.run.run_id or run.config.run.name, 0, run.clock.wall_ns())
        return
    from framework.config import show_config
    from framework.journal import Journal, RunLock, run_dir_for

    run_id = run_id or run.config.run.run_id or f"{run.config.run.name}-{uuid.uuid4().hex[:8]}"
    run_dir = run_dir_for(Path(run.config.journal.path), run_id)
    lock = RunLock(run_dir)
    lock.acquire(run.clock.wall_ns())  # RunLocked: another process runs this id
    stack.callback(lock.release)
    journal = Journal(run_dir, run_id, clock=run.clock)
    resumed = journal.start(mode=run.config.run.mode, config_text=show_config(run.config))
    run.journal = journal
    stack.callback(lambda: journal.close(clean=run.fatal is None))
    run.id_tag = session_tag(run_id, journal.session, run.clock.wall_ns())
    if resumed:
        restored = journal.restore()
        run.tracker.restore(restored.book, restored.open_orders, restored.execution_keys)
        run.tracker.recall = journal.order_record  # news of an order an earlier session closed
        run.restored = restored
        log.info(
            "resumed run %s: %d positions, %d open orders, %d executions",
            run_id, len(restored.positions), len(restored.open_orders), restored.executions,
        )  # fmt: skip
    # Queued and written in one transaction every 20 ms (one fsync for many
    # events instead of one per event inside publish); drained once more at
    # shutdown. A journal that cannot write stops the run: trading on with
    # fills that are not on disk would break "every fill exactly once".
    sub = run.bus.subscribe(
        _fatal_on_error(run, journal.on_event), (OrderEvent, HandlerFailed, VenueCheckpoint), name="journal", queued=True
    )

    intents: list[Any] = []

    def flush() -> None:
        if intents or (sub.inbox is not None and len(sub.inbox)):
            with journal.batch():
                for intent in intents:
                    journal.record_intent(intent)
                intents.clear()
                if sub.inbox is not None:
                    sub.inbox.drain()

    def tick() -> None:
        flush()
        timer[0] = run.clock.call_later(JOURNAL_FLUSH_NS, tick)

    timer = [run.clock.call_later(JOURNAL_FLUSH_NS, tick)]
    stack.callback(flush)
    stack.callback(lambda: timer[0].cancel())
    run.router.on_intent = intents.append
    log.info("journal: %s", journal.path)


JOURNAL_FLUSH_NS = 20_000_000


def _fatal_on_error(run: Any, handler: Callable[[Event], None]) -> Callable[[Event], None]:
    def call(event: Event) -> None:
        try:
            handler(event)
        except Exception as exc:
            run.fatal = exc
            run.request_stop(f"journal failed: {exc!r}")
            raise

    return call


# -- risk ------------------------------------------------------------------------


async def start_risk(run: Any, stack: contextlib.AsyncExitStack) -> None:
    """The pre-trade risk layer in front of the router, the venue gates, the kill switch."""
    from framework.plugin.venue import VenueLimits
    from framework.risk import KillSwitch, RiskConfig, RiskLayer, open_gates

    config = run.config.sections.get("risk") or RiskConfig()
    layer = RiskLayer(config, run.host.risk_checks, run.clock, instruments=_instrument_of(run), mid_source=run.mark)
    # The layer follows events itself; the router publishes its denials.
    run.bus.subscribe(layer.on_event, (OrderEvent, Trade, BookSnapshot), name="risk")
    run.risk = layer
    if run.restored is not None:  # a resumed run: limits count what earlier sessions left
        layer.state.restore(run.restored.positions, run.restored.open_orders)
    # Protection (halts, stale feeds, disconnects pull resting orders) stands in
    # front of the layer: a held strategy's orders are denied before its checks.
    run.protection = Protection(config, bus=run.bus, clock=run.clock, tracker=run.tracker, router=run.router,
                                risk=layer, venues=run.venues, gates=run.gates)  # fmt: skip
    stack.callback(run.protection.close)
    run.router.set_pretrade(run.protection)
    limits = {}
    for name, entry in run.config.venues.items():
        spec = run.host.venues[entry.plugin]
        limits[name] = spec.limits(entry.settings) if spec.limits is not None else VenueLimits()
    run.gates.update(await stack.enter_async_context(open_gates(config, limits, run.clock)))
    if run.journal is not None:
        kill = KillSwitch(run.journal.run_dir, layer, run.clock, config.kill_poll)
        kill.start()
        stack.callback(kill.stop)


async def stop_protection(run: Any) -> None:
    """The run's stop: pull every order still open, within the stop budget the
    runner set (``run.stop_budget_s``); what is left open the runner names."""
    budget = run.stop_budget_s if run.stop_budget_s is not None else run.protection.stop_budget_s()
    try:
        async with asyncio.timeout(budget):
            await run.protection.stop()
    except TimeoutError:
        log.error("stop: cancelling the open orders took longer than its budget of %.1f s", budget)


def _instrument_of(run: Any) -> Callable[[str, str], Any]:
    def instrument(venue: str, symbol: str) -> Any:
        adapter = run.venues.get(venue)
        return adapter.instruments.get(symbol) if adapter is not None else None

    return instrument


def start_resolver(run: Any, stack: contextlib.AsyncExitStack) -> None:
    """The resolver of orders in doubt (their answer was lost): it asks their venue."""
    from framework.execution.resolver import ExecutionSettings, UnknownResolver

    settings = run.config.sections.get("execution") or ExecutionSettings()
    run.resolver = UnknownResolver(run.bus, run.clock, run.tracker, settings)
    run.resolver.attach()
    stack.push_async_callback(run.resolver.close)


# -- venues and routes ----------------------------------------------------------------


async def start_venue(run: Any, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> None:
    """Start venue ``name``: its simulator if asked, the adapter, and its route."""
    mode = run.config.venue_mode(name)
    start_route = _ROUTES.get(mode)
    if start_route is None:  # plan_issues refuses it first; whoever skipped that must still never trade live
        hint = UNAVAILABLE_MODES.get(mode, f"use one of {', '.join(_ROUTES)}")
        raise ConfigError([f"venues.{name}: mode {mode!r} cannot run: {hint}"])
    spec = run.host.venues[entry.plugin]
    symbols = run.config.symbols_of(name)
    settings = entry.settings
    if entry.simulate:
        settings = await _start_simulator(run, stack, name, spec, settings, symbols)
    sender = GatedSender(run.gates[name])  # the adapter gets the sender, never the gate
    ctx = VenueContext(name, run.bus, run.clock, sender, symbols)
    if run.restored is not None:  # a resumed run: where the venue's feeds stood, whose orders are open
        ctx.checkpoints = dict(run.restored.checkpoints.get(name, {}))
        ctx.open_orders = {o.client_order_id: o.strategy for o in run.restored.open_orders if o.venue == name}
    adapter = spec.factory(ctx, settings)
    run.venues[name] = adapter
    await adapter.start()
    stack.push_async_callback(adapter.stop)
    start_route(run, stack, name, adapter, sender)
    found_by = getattr(run.router.route(name), "find_orders", None)
    run.resolver.add_venue(name, found_by)
    run.resolver.check(name)  # orders a resumed run restored in doubt


async def _start_simulator(
    run: Any, stack: contextlib.AsyncExitStack, name: str, spec: Any, settings: Any, symbols: list[str]
) -> Any:
    if spec.simulator is None or spec.simulator not in run.host.simulators:
        raise RuntimeError(f"venue plugin {spec.name!r} ships no simulator; remove `simulate: true`")
    sim_spec = run.host.simulators[spec.simulator]
    sim_settings = sim_spec.settings()
    if any(f.name == "symbols" for f in msgspec.structs.fields(sim_settings)):
        # A simulator that lists its instruments is told the run's symbols.
        sim_settings = msgspec.structs.replace(sim_settings, symbols=list(symbols))
    if sim_spec.from_venue is not None:
        sim_settings = sim_spec.from_venue(sim_settings, settings)
    simulator = await stack.enter_async_context(sim_spec.factory(sim_settings))
    run.simulators[name] = simulator  # the summary reads what it counted
    start_fault_plan(run, stack, name, sim_spec, simulator)  # simulate: {faults: [...]}
    if sim_spec.venue_settings is None:
        raise RuntimeError(f"simulator {sim_spec.name!r} cannot configure its venue adapter")
    return sim_spec.venue_settings(simulator, settings)


def _start_paper_route(run: Any, stack: contextlib.AsyncExitStack, name: str, adapter: Any, sender: GatedSender) -> None:
    from framework.paper import PaperExchange, PaperSettings

    settings = run.config.sections.get("paper") or PaperSettings()
    # Execution ids must differ between sessions of one run: a restarted
    # simulated-clock run starts at the same time as the first.
    session = run.journal.session if run.journal is not None else 0
    prefix = f"paper-{name}-{run.clock.wall_ns()}-s{session}"
    exchange = PaperExchange(name, run.bus, run.clock, adapter.book, settings, id_prefix=prefix)
    exchange.attach()
    stack.callback(exchange.close)
    if run.restored is not None:
        exchange.restore(o for o in run.restored.open_orders if o.venue == name)
    # The paper exchange sits behind the venue's sender, as a live adapter's
    # wire does: a paper run spends the budget a live one would.
    run.router.add_route(name, GatedRoute(sender, exchange), sender)


def _start_live_route(run: Any, stack: contextlib.AsyncExitStack, name: str, adapter: Any, sender: Any) -> None:
    run.router.add_route(name, adapter, sender)
    _reconcile_live(run, name, adapter)


#: The execution route of each mode (``framework.config.ROUTED_MODES`` names the same).
_ROUTES: dict[str, Callable[[Any, contextlib.AsyncExitStack, str, Any, Any], None]] = {
    "paper": _start_paper_route,
    "live": _start_live_route,
}


def _reconcile_live(run: Any, name: str, adapter: Any) -> None:
    """A resumed live run: compare the journal's open orders (as the tracker holds
    them now) with the venue's (its order-stream snapshot) and act on the
    differences per the ``reconcile:`` section -- ours the venue lacks are
    closed, the venue's we lack are cancelled or adopted. Every difference
    (positions too, as far as the venue's fills tell) is logged, journalled and
    kept in ``run.differences`` for the summary."""
    restored = run.restored
    venue_orders = getattr(adapter, "venue_open_orders", None)  # optional for adapters
    if restored is None or venue_orders is None:
        return
    from framework.journal import ReconcileSettings, settle

    policy = (run.config.sections.get("reconcile") or ReconcileSettings()).unknown_orders
    owners = [s for s, e in run.config.strategies.items() if e.venue == name and e.enabled]
    found = settle(_still_open(run, name), venue_orders(), policy=policy, strategies=owners)
    now = run.clock.now_ns()
    for o in found.close:
        outcome = "gone" if o.venue_order_id else "not_found"
        run.bus.publish(OrderResolved(name, o.symbol, now, now, o.client_order_id, o.strategy, o.venue_order_id,
                                      outcome, o.filled, CLOSED_AT_RECONCILE))  # fmt: skip
    for o in found.adopt:
        _adopt(run, adapter, o)
    for o in found.cancel:
        # Tracked first, so the cancel and its outcome follow the normal lifecycle.
        _adopt(run, adapter, msgspec.structs.replace(o, strategy=""))
        run.router.send(CancelOrder("", name, o.symbol, o.client_order_id, o.venue_order_id))
    differences = found.differences + _position_differences(run, name, found.fill_gaps)
    for difference in differences:
        log.warning("reconcile %s: %s", name, difference)
    log.info("reconcile %s (unknown orders: %s): %d closed, %d adopted, %d cancelled",
             name, policy, len(found.close), len(found.adopt), len(found.cancel))  # fmt: skip
    if run.journal is not None and differences:
        run.journal.record_differences(differences)
    run.differences.extend(differences)
    for action, orders in (("closed", found.close), ("adopted", found.adopt), ("cancelled", found.cancel)):
        run.reconciled[action] += len(orders)


CLOSED_AT_RECONCILE = "reconcile: not open at the venue after the restart"


def _still_open(run: Any, venue: str) -> list[Any]:
    """The journal's open orders of ``venue`` that the tracker still holds open
    (fills replayed since start-up may have ended some), with its fill."""
    out = []
    for o in run.restored.open_orders:
        tracked = run.tracker.order(o.client_order_id)
        if o.venue == venue and tracked is not None and tracked.is_open:
            out.append(msgspec.structs.replace(o, filled=tracked.filled))
    return out


def _adopt(run: Any, adapter: Any, order: Any) -> None:
    """Make a venue order the journal did not know one of the run's: tracked,
    journalled (its acceptance), counted by the risk layer, its executions
    routed to ``order.strategy``."""
    run.tracker.adopt(order)
    claim = getattr(adapter, "adopt", None)
    if claim is not None:
        claim(order.client_order_id, order.strategy)
    now = run.clock.now_ns()
    run.bus.publish(OrderAccepted(order.venue, order.symbol, now, now, order.client_order_id,
                                  order.strategy, order.venue_order_id, order.side, order.price, order.size))


def _position_differences(run: Any, venue: str, fill_gaps: dict[tuple[str, str], int]) -> list[Any]:
    """Net positions per symbol of ``venue``: ours against ours plus what the venue
    filled beyond our journal on the orders both know (the venue's account
    position where the adapter cannot ask for it)."""
    from framework.journal import reconcile_positions

    ours: dict[tuple[str, str], int] = {}
    for (_, v, symbol), pos in run.tracker.positions.items():
        if v == venue:
            ours[(v, symbol)] = ours.get((v, symbol), 0) + pos.qty
    theirs = {key: ours.get(key, 0) + fill_gaps.get(key, 0) for key in set(ours) | set(fill_gaps)}
    return reconcile_positions(ours, theirs)


# -- strategies -------------------------------------------------------------------


def start_strategy(run: Any, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> None:
    """Build strategy ``name``, subscribe its callbacks (each guarded) and start it."""
    spec = run.host.strategies[entry.plugin]
    adapter = run.venues[entry.venue]
    ctx = StrategyContext(name, entry.venue, entry.symbols, run.clock, run.router, adapter.book, run.tracker, id_tag=run.id_tag)
    strategy = spec.factory(ctx, entry.params if entry.params is not None else spec.params())
    run.strategies[name] = strategy
    guard = guarded(run, name)
    ctx.timer_handler = guard(strategy.on_timer)
    sub = run.bus.subscribe
    policy = ErrorPolicy.CONTINUE  # the guard already halts the strategy
    for symbol in entry.symbols:
        sub(guard(strategy.on_book), (BookSnapshot, BookDelta), entry.venue, symbol, name=f"strategy:{name}:book:{symbol}", policy=policy)
        sub(guard(strategy.on_trade), Trade, entry.venue, symbol, name=f"strategy:{name}:trade:{symbol}", policy=policy)
    sub(guard(_own_orders(name, strategy.on_order)), OrderEvent, entry.venue, name=f"strategy:{name}:orders", policy=policy)
    sub(guard(strategy.on_stream_status), StreamStatus, entry.venue, name=f"strategy:{name}:streams", policy=policy)
    guard(strategy.on_start)()

    def stop() -> None:
        if name not in run.failed_strategies:
            guard(strategy.on_stop)()
        run.retire_strategy(name)

    stack.callback(stop)


def _own_orders(name: str, handler: Callable[[OrderEvent], None]) -> Callable[[OrderEvent], None]:
    def on_order(event: OrderEvent) -> None:
        if event.strategy == name:
            handler(event)

    return on_order


def guarded(run: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap strategy callbacks: the first exception halts that strategy alone,
    is published as ``HandlerFailed`` (the journal keeps it) and logged."""

    def guard(callback: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if name in run.failed_strategies:
                return None
            try:
                return callback(*args)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                now = run.clock.now_ns()
                first = args[0] if args else None
                venue = first.venue if isinstance(first, Event) else ""
                kind = type(first).__name__ if first is not None else callback.__name__
                trace = "".join(traceback.format_exception(exc))
                run.bus.publish(HandlerFailed(venue, "", now, now, f"strategy:{name}", kind, repr(exc), trace, True))
                run.strategy_failed(name, repr(exc))
                return None

        return call

    return guard


# -- schedule -----------------------------------------------------------------------


def start_schedule(run: Any, stack: contextlib.AsyncExitStack) -> None:
    """Bind each ``schedule:`` entry to its action and start the schedule."""
    for entry in run.config.schedule:
        run.schedule.add(entry, schedule_action(run, entry))
    run.schedule.start()
    stack.callback(run.schedule.stop)


def schedule_action(run: Any, entry: Any) -> Callable[[], None]:
    """The callable behind a schedule entry's ``action``."""
    targets = [entry.target] if entry.target else list(run.config.strategies)

    def each(fn: Callable[[Any], None], targets: list[str] = targets) -> Callable[[], None]:
        def act() -> None:
            for name in targets:
                strategy = run.strategies.get(name)
                if strategy is not None and name not in run.failed_strategies:
                    fn(strategy)

        return act

    if entry.action == "cancel_all":
        return each(lambda s: s.ctx.cancel_all())
    if entry.action == "flatten":
        return each(flatten)
    if entry.action == "halt":
        # The risk layer's HALTED state (cancels only), not a strategy failure.
        # Its resting orders are pulled by the run's protection (policy risk.on_halt).
        def halt(strategy: Any) -> None:
            run.risk.halt(strategy.ctx.name, f"schedule entry {entry.name!r}")

        return each(halt)
    strategy_name, method = entry.action.removeprefix("strategy:").split(".", 1)
    return each(lambda s: guarded(run, strategy_name)(getattr(s, method))(), [strategy_name])


def flatten(strategy: Any) -> None:
    """Cancel a strategy's orders and close its positions with market orders at the touch."""
    ctx = strategy.ctx
    ctx.cancel_all()
    for symbol in ctx.symbols:
        qty = ctx.position(symbol)
        book = ctx.book(symbol)
        if qty == 0 or book is None:
            continue
        if qty > 0 and book.best_bid_price is not None:
            ctx.submit_market(symbol, Side.SELL, qty, book.best_bid_price, reduce_only=True)
        elif qty < 0 and book.best_ask_price is not None:
            ctx.submit_market(symbol, Side.BUY, -qty, book.best_ask_price, reduce_only=True)


# -- metrics ------------------------------------------------------------------------


def start_metrics(run: Any, stack: contextlib.AsyncExitStack, every_ns: int = 1_000_000_000) -> None:
    """Sample budget use and marks into the journal once a second, for ``backplane report``."""
    if run.journal is None:
        return
    from framework.runtime.status import gate_usage
    from framework.tools.report import mark_metric

    def sample() -> None:
        now = run.clock.now_ns()
        with run.journal.batch():
            for name, gate in run.gates.items():
                used, cap, _, _ = gate_usage(gate, now)
                if cap:
                    run.journal.record_metric(f"budget.{name}", used / cap)
            for (_, venue, symbol), _pos in run.tracker.positions.items():
                mark = run.mark(venue, symbol)
                if mark is not None:
                    run.journal.record_metric(mark_metric(venue, symbol), mark)
        timer[0] = run.clock.call_later(every_ns, sample)

    timer = [run.clock.call_later(every_ns, sample)]
    stack.callback(lambda: timer[0].cancel())
