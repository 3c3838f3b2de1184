"""Assembling a run from its config: journal, guard, venues, strategies, schedule.

:func:`start_components` starts the parts of a :class:`~framework.runtime.run.Run`
in dependency order and hands each typed record
(:mod:`framework.runtime.parts`) to the run as soon as it is up. Every
``start_*`` function registers the matching stop on the run's exit stack at
once, so the run shuts down in the reverse order of start-up whatever
happens. The order of bus subscriptions matters and is fixed here: the order
tracker and the journal subscribe before any strategy, so a strategy reacting
to a fill already sees it in its position and on disk.

Venues are started by :mod:`framework.runtime.venues`, strategies and
schedule actions by :mod:`framework.runtime.strategies`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from framework.execution.protection import Protection, StrategyFeed
from framework.model.events import (
    BookSnapshot,
    Event,
    HandlerFailed,
    OrderEvent,
    Trade,
    VenueCheckpoint,
)
from framework.runtime.parts import Core, Guard, Market, Session
from framework.runtime.run import Run
from framework.runtime.strategies import schedule_action, start_strategy
from framework.runtime.venues import start_venue

__all__ = ["JOURNAL_FLUSH_NS", "start_components", "start_guard", "start_journal", "stop_protection"]

log = logging.getLogger(__name__)


async def start_components(run: Run, stack: contextlib.AsyncExitStack, *, run_id: str | None = None) -> None:
    """Start everything ``run``'s config describes, in dependency order."""
    core = run.core
    core.bus.subscribe(core.tracker.on_event, OrderEvent, name="tracker")
    run.session = start_journal(core, stack, run_id, on_fatal=run.fail, clean=lambda: run.outcome.fatal is None)
    run.guard = guard = await start_guard(core, run.session, run.market, run.adapters, stack)
    core.bus.subscribe(core.stats.on_event, name="stats")
    for name, venue in core.config.venues.items():
        run.venues[name] = await start_venue(run, stack, name, venue)
    # Shutdown unwinds in reverse: the strategies' stops send their cancels,
    # the run's stop pulls whatever is still open, then the router's drain
    # waits for them, and only then do the venues disconnect -- a cancel still
    # in flight when its venue closed was lost.
    stack.push_async_callback(core.router.drain)
    stack.push_async_callback(stop_protection, guard.protection, lambda: run.outcome.stop_budget_s)
    enabled = {name: entry for name, entry in core.config.strategies.items() if entry.enabled}
    for name, entry in enabled.items():
        guard.protection.add_strategy(StrategyFeed(name, entry.venue, entry.symbols, entry.stale_after_ms))
    guard.protection.enable()
    for name, entry in enabled.items():
        start_strategy(run, stack, name, entry)
    for schedule_entry in core.config.schedule:
        core.schedule.add(schedule_entry, schedule_action(run, schedule_entry))
    core.schedule.start()
    stack.callback(core.schedule.stop)
    start_metrics(core, run.session, guard.gates, run.market, stack)


# -- journal ------------------------------------------------------------------


def start_journal(
    core: Core,
    stack: contextlib.AsyncExitStack,
    run_id: str | None,
    *,
    on_fatal: Callable[[BaseException, str], None],
    clean: Callable[[], bool],
) -> Session:
    """Lock and open ``runs/<run-id>/``; a run id seen before restores its positions
    and orders. The session's client-id tag (:mod:`framework.model.ids`) is in the
    returned :class:`Session`. A journal that cannot write calls ``on_fatal``;
    ``clean()`` at close says whether the run ended without a failure."""
    from framework.model.ids import session_tag

    cfg, clock = core.config, core.clock
    if not cfg.journal.enabled:
        return Session(session_tag(run_id or cfg.run.run_id or cfg.run.name, 0, clock.wall_ns()))
    from framework.config import show_config
    from framework.journal import Journal, RunLock, run_dir_for

    run_id = run_id or cfg.run.run_id or f"{cfg.run.name}-{uuid.uuid4().hex[:8]}"
    run_dir = run_dir_for(Path(cfg.journal.path), run_id)
    lock = RunLock(run_dir)
    lock.acquire(clock.wall_ns())  # RunLocked: another process runs this id
    stack.callback(lock.release)
    journal = Journal(run_dir, run_id, clock=clock)
    resumed = journal.start(mode=cfg.run.mode, config_text=show_config(cfg))
    stack.callback(lambda: journal.close(clean=clean()))
    restored = None
    if resumed:
        restored = journal.restore()
        core.tracker.restore(restored.book, restored.open_orders, restored.execution_keys)
        core.tracker.recall = journal.order_record  # news of an order an earlier session closed
        log.info(
            "resumed run %s: %d positions, %d open orders, %d executions",
            run_id, len(restored.positions), len(restored.open_orders), restored.executions,
        )  # fmt: skip
    _journal_events(core, journal, stack, on_fatal)
    log.info("journal: %s", journal.path)
    return Session(session_tag(run_id, journal.session, clock.wall_ns()), journal, restored)


JOURNAL_FLUSH_NS = 20_000_000


def _journal_events(
    core: Core, journal: Any, stack: contextlib.AsyncExitStack, on_fatal: Callable[[BaseException, str], None]
) -> None:
    """Queued and written in one transaction every 20 ms (one fsync for many
    events instead of one per event inside publish); drained once more at
    shutdown. A journal that cannot write stops the run: trading on with
    fills that are not on disk would break "every fill exactly once"."""
    sub = core.bus.subscribe(_fatal_on_error(on_fatal, journal.on_event), (OrderEvent, HandlerFailed, VenueCheckpoint),
                             name="journal", queued=True)  # fmt: skip
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
        timer[0] = core.clock.call_later(JOURNAL_FLUSH_NS, tick)

    timer = [core.clock.call_later(JOURNAL_FLUSH_NS, tick)]
    stack.callback(flush)
    stack.callback(lambda: timer[0].cancel())
    core.router.on_intent = intents.append


def _fatal_on_error(on_fatal: Callable[[BaseException, str], None], handler: Callable[[Event], None]) -> Callable[[Event], None]:
    def call(event: Event) -> None:
        try:
            handler(event)
        except Exception as exc:
            on_fatal(exc, f"journal failed: {exc!r}")
            raise

    return call


# -- the guard: risk layer, protection, gates, resolver -------------------------------


async def start_guard(
    core: Core, session: Session, market: Market, adapters: Mapping[str, Any], stack: contextlib.AsyncExitStack
) -> Guard:
    """The pre-trade risk layer in front of the router, the run's protection in
    front of it, the venue gates, the kill switch and the resolver of orders
    in doubt. ``adapters`` is the run's live mapping (filled as venues start)."""
    from framework.plugin.venue import VenueLimits
    from framework.risk import KillSwitch, RiskConfig, RiskLayer, open_gates

    config = core.section("risk", RiskConfig)
    layer = RiskLayer(config, core.host.risk_checks, core.clock, instruments=market.instrument, mid_source=market.mark)
    # The layer follows events itself; the router publishes its denials.
    core.bus.subscribe(layer.on_event, (OrderEvent, Trade, BookSnapshot), name="risk")
    if session.restored is not None:  # a resumed run: limits count what earlier sessions left
        layer.state.restore(session.restored.positions, session.restored.open_orders)
    limits = {}
    for name, entry in core.config.venues.items():
        spec = core.host.venues[entry.plugin]
        limits[name] = spec.limits(entry.settings) if spec.limits is not None else VenueLimits()
    gates = dict(await stack.enter_async_context(open_gates(config, limits, core.clock)))
    # Protection (halts, stale feeds, disconnects pull resting orders) stands in
    # front of the layer: a held strategy's orders are denied before its checks.
    protection = Protection(config, bus=core.bus, clock=core.clock, tracker=core.tracker, router=core.router,
                            risk=layer, venues=adapters, gates=gates)  # fmt: skip
    stack.callback(protection.close)
    core.router.set_pretrade(protection)
    if session.journal is not None:
        kill = KillSwitch(session.journal.run_dir, layer, core.clock, config.kill_poll)
        kill.start()
        stack.callback(kill.stop)
    resolver = _start_resolver(core, stack)
    return Guard(layer, protection, resolver, gates)


def _start_resolver(core: Core, stack: contextlib.AsyncExitStack) -> Any:
    """The resolver of orders in doubt (their answer was lost): it asks their venue."""
    from framework.execution.resolver import ExecutionSettings, UnknownResolver

    settings = core.section("execution", ExecutionSettings)
    resolver = UnknownResolver(core.bus, core.clock, core.tracker, settings)
    resolver.attach()
    stack.push_async_callback(resolver.close)
    return resolver


async def stop_protection(protection: Protection, budget_s: Callable[[], float | None]) -> None:
    """The run's stop: pull every order still open, within the stop budget the
    runner set (``budget_s()``; computed here when it set none); what is left
    open the runner names."""
    set_budget = budget_s()
    budget = set_budget if set_budget is not None else protection.stop_budget_s()
    try:
        async with asyncio.timeout(budget):
            await protection.stop()
    except TimeoutError:
        log.error("stop: cancelling the open orders took longer than its budget of %.1f s", budget)


# -- metrics ------------------------------------------------------------------------


def start_metrics(
    core: Core, session: Session, gates: Mapping[str, Any], market: Market, stack: contextlib.AsyncExitStack,
    every_ns: int = 1_000_000_000,
) -> None:  # fmt: skip
    """Sample budget use and marks into the journal once a second, for ``backplane report``."""
    journal = session.journal
    if journal is None:
        return
    from framework.runtime.stats import gate_usage
    from framework.tools.report import mark_metric

    def sample() -> None:
        now = core.clock.now_ns()
        with journal.batch():
            for name, gate in gates.items():
                used, cap, _, _ = gate_usage(gate, now)
                if cap:
                    journal.record_metric(f"budget.{name}", used / cap)
            for (_, venue, symbol), _pos in core.tracker.positions.items():
                mark = market.mark(venue, symbol)
                if mark is not None:
                    journal.record_metric(mark_metric(venue, symbol), mark)
        timer[0] = core.clock.call_later(every_ns, sample)

    timer = [core.clock.call_later(every_ns, sample)]
    stack.callback(lambda: timer[0].cancel())
