"""Runs a config: builds every component through the plugin host, owns every
task, and shuts down in order.

Theory of operation
-------------------
``run_config`` opens one ``AsyncExitStack`` for the whole run. Everything that
starts registers its stop on that stack at once, so shutdown runs in reverse
start order -- strategies stop, the run's protection pulls every order still
open (:mod:`framework.execution.protection`), then venues disconnect, then simulators
stop, then the journal closes -- whether the run ended by its duration,
SIGINT/SIGTERM, or a failure. Shutdown is bounded: the time the open orders'
cancels need at the venues' rates (``Protection.stop_budget_s``) plus
``shutdown_timeout_s`` (default 5 s) for the rest; what has not finished by
then is cancelled and the exit code says so. Orders the run still believes
open at exit are logged by name and the exit code is ``EXIT_ORDERS_OPEN``.

The run's pieces meet at :class:`Run`: the clock, the bus, the venue
adapters (or paper exchanges), the order router with the risk layer in front,
the strategies and the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.journal.lock import RunLocked
from framework.plugin.manager import PluginHost
from framework.plugin.strategy import Strategy
from framework.runtime.assembly import start_components
from framework.runtime.bus import Bus
from framework.runtime.clock import (
    NS_PER_S,
    Clock,
    LiveClock,
    SimClock,
    let_woken_tasks_run,
)
from framework.runtime.faults import fault_issues
from framework.runtime.schedule import Schedule
from framework.runtime.status import RunStats, StatusLine

__all__ = ["EXIT_CONFIG", "Run", "plan_issues", "run_config"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_STRATEGY_FAILED, EXIT_RUN_FAILED, EXIT_SHUTDOWN_TIMEOUT = 0, 1, 3, 4, 5
EXIT_RUN_LOCKED = 6  # another process runs this run id
EXIT_ORDERS_OPEN = 7
"""The run ended with orders it believes open (named in the log): check the venue."""


class Run:
    """One run: its config, clock, bus and components, and how it ended."""

    def __init__(self, config: Any, host: PluginHost, clock: Clock) -> None:
        self.config = config
        self.host = host
        self.clock = clock
        self.bus = Bus(clock)
        self.tracker = OrderTracker()
        self.router = RunRouter(self.bus, clock, self.tracker)
        self.stats = RunStats()
        self.venues: dict[str, Any] = {}  # name -> adapter
        self.gates: dict[str, Any] = {}  # name -> the venue account's ingress gate
        self.simulators: dict[str, Any] = {}  # venue name -> its in-process simulator (simulate: true)
        self.fault_plans: dict[str, Any] = {}  # venue name -> its simulator's FaultPlan (simulate: {faults: ...})
        self.risk: Any = None  # the pre-trade RiskLayer
        self.resolver: Any = None  # asks venues about orders whose answer was lost
        self.protection: Any = None  # framework.execution.protection.Protection, in front of the risk layer
        self.stop_budget_s: float | None = None  # how long the stop's cancels may take (set at shutdown)
        self.left_open: list[Any] = []  # orders still open when the run ended
        self.restored: Any = None  # the journal's RestoredState when this run id was seen before
        self.differences: list[Any] = []  # what reconciliation against live venues found
        self.reconciled: Counter[str] = Counter()  # orders closed / adopted / cancelled by it
        self.id_tag = ""  # this session's client order id tag (framework.model.ids)
        self.strategies: dict[str, Strategy[Any]] = {}
        self.failed_strategies: dict[str, str] = {}
        self.journal: Any = None
        self.schedule = Schedule(clock)
        self.stop_requested = asyncio.Event()
        self.stopping = False  # set when shutdown begins
        self.fatal: BaseException | None = None

    def request_stop(self, reason: str = "") -> None:
        """Ask the run to shut down (signal, duration over, fatal error)."""
        if reason:
            log.info("stopping: %s", reason)
        self.stop_requested.set()

    def strategy_failed(self, name: str, why: str) -> None:
        """Halt strategy ``name`` alone: unsubscribe it and cancel its orders."""
        if name in self.failed_strategies:
            return
        self.failed_strategies[name] = why
        log.error("strategy %s halted: %s", name, why)
        self.retire_strategy(name)

    def retire_strategy(self, name: str) -> None:
        """Stop strategy ``name`` acting: unsubscribe it from the bus, cancel its
        timers, then its working orders. Unsubscribed first, so that nothing it
        receives while its cancels are in flight makes it send again."""
        strategy = self.strategies.get(name)
        if strategy is not None:
            for sub in [s for s in self.bus.subscriptions if s.name.startswith(f"strategy:{name}:")]:
                self.bus.unsubscribe(sub)
            strategy.ctx.cancel_timers()
            # While the run stops, unacknowledged inserts are left to the stop's
            # batches (one message per 20 cancels) instead of one cancel each.
            self.protection.pull(self.tracker.open_orders(name), unacked="skip" if self.stopping else "single")

    def mark(self, venue: str, symbol: str) -> int | None:
        """A mark price in ticks for PnL: the mid, rounded down (None without one)."""
        adapter = self.venues.get(venue)
        book = adapter.book(symbol) if adapter is not None else None
        mid_x2 = book.mid_x2() if book is not None else None
        return None if mid_x2 is None else mid_x2 // 2

    def instrument(self, venue: str, symbol: str) -> Any:
        """The venue's :class:`~framework.model.events.Instrument` for ``symbol``, or None."""
        adapter = self.venues.get(venue)
        return getattr(adapter, "instruments", {}).get(symbol) if adapter is not None else None

    def money(self, venue: str, symbol: str, units: int) -> Decimal | None:
        """tick x lot ``units`` of an instrument in its quote currency (None if unknown)."""
        instrument = self.instrument(venue, symbol)
        return None if instrument is None else units * instrument.tick_size * instrument.lot_size

    def net_units(self, venue: str, symbol: str, pos: Any) -> int:
        """Realised - fees + unrealised at the mark (none without a mark), tick x lot units."""
        mark = self.mark(venue, symbol)
        return pos.net(mark) if mark is not None else pos.realized - pos.fees

    def total_pnl(self) -> Decimal:
        """Net PnL in quote currency, summed over the instruments whose price unit the venue gave."""
        total = Decimal(0)
        for (_, venue, symbol), pos in self.tracker.positions.items():
            net = self.money(venue, symbol, self.net_units(venue, symbol, pos))
            if net is not None:
                total += net
        return total


def plan_issues(host: PluginHost, cfg: Any) -> list[Any]:
    """Problems only visible once the run is assembled: a mode nothing can run
    (``replay``) or this venue cannot, a venue's settings its plugin refuses
    in context (plaintext to a remote host), more streams than the venue
    account allows, or a strategy name too long for its client order ids.

    ``config check`` reports them beside the config's own; start-up refuses
    to run with any -- never a failure at random later.
    """
    from framework.config import issue_at
    from framework.model.ids import MAX_STRATEGY_NAME
    from framework.plugin.venue import VenueLimits
    from framework.risk import RiskConfig

    issues: list[Any] = _mode_issues(host, cfg)
    risk: RiskConfig = cfg.sections.get("risk") or RiskConfig()
    symbols: dict[str, list[str]] = {}
    declared: dict[str, VenueLimits] = {}
    fixed: dict[str, int] = {}
    for name, venue in cfg.venues.items():
        spec = host.venues[venue.plugin]
        # A simulated venue is reached at the simulator's loopback endpoints, not the file's.
        if spec.settings_issues is not None and venue.settings is not None and not venue.simulate:
            for problem in spec.settings_issues(venue.settings):
                issues.append(issue_at(cfg, ("venues", name, "settings", *problem.key), problem.message, problem.hint))
        declared[name] = spec.limits(venue.settings) if spec.limits is not None else VenueLimits()
        fixed[name] = declared[name].fixed_streams
        symbols[name] = cfg.symbols_of(name)
    for message in risk.stream_issues(symbols, declared, fixed):
        issues.append(issue_at(cfg, ("venues",), message))
    for name in cfg.strategies:
        if len(name) > MAX_STRATEGY_NAME:  # its client order ids would not fit the venue
            issues.append(issue_at(cfg, ("strategies", name), f"strategy name {name!r} has {len(name)} characters; "
                                   f"client order ids carry it: rename it to at most {MAX_STRATEGY_NAME}"))
    pairs = [(st.venue, name) for name, st in cfg.strategies.items()]
    for message in risk.check_issues(host.risk_checks, pairs):
        issues.append(issue_at(cfg, ("risk",), message))
    issues += fault_issues(host, cfg)  # simulate: {faults: [...]}
    return issues


def _mode_issues(host: PluginHost, cfg: Any) -> list[Any]:
    """``run.mode`` and each venue's own mode: one nothing can run yet (replay),
    reported where it is written, or one this venue's plugin cannot run in."""
    from framework.config import ROUTED_MODES, UNAVAILABLE_MODES, issue_at

    def refused(mode: str, where: tuple[str, ...]) -> Any:
        hint = UNAVAILABLE_MODES.get(mode, f"use one of {', '.join(ROUTED_MODES)}")
        return issue_at(cfg, where, f"mode {mode!r} cannot run", hint)

    issues: list[Any] = []
    if cfg.run.mode not in ROUTED_MODES:
        issues.append(refused(cfg.run.mode, ("run", "mode")))
    for name, venue in cfg.venues.items():
        where = ("venues", name, "mode") if venue.mode else ("run", "mode")
        mode = cfg.venue_mode(name)
        if mode not in ROUTED_MODES:
            if venue.mode:  # an inherited run.mode is reported once, above
                issues.append(refused(mode, where))
        elif mode in host.venues[venue.plugin].unsupported_modes:
            message = host.venues[venue.plugin].unsupported_modes[mode]
            issues.append(issue_at(cfg, where, f"venue {name!r} ({venue.plugin}): {message}"))
    return issues


async def run_config(
    config: Any,
    host: PluginHost,
    *,
    duration_s: float | None = None,
    clock: Clock | None = None,
    shutdown_timeout_s: float = 5.0,
    install_signals: bool = True,
    run_id: str | None = None,
    status_every_s: int = 0,
    on_done: Callable[[Run], None] | None = None,
) -> int:
    """Run ``config`` until its duration passes or a stop is requested; returns the exit code."""
    clock = clock or (SimClock() if config.run.clock == "sim" else LiveClock())
    run = Run(config, host, clock)
    loop = asyncio.get_running_loop()
    if install_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, run.request_stop, f"signal {sig.name}")
    stack = contextlib.AsyncExitStack()
    code = EXIT_OK
    try:
        try:
            host.call_lifecycle("backplane_run_configured", run)
            await start_components(run, stack, run_id=run_id)
            status = StatusLine(run, run.stats, every_s=status_every_s) if status_every_s else None
            if status is not None:
                status.start()
                stack.callback(status.stop)
            host.call_lifecycle("backplane_run_started", run)
            await _wait(run, duration_s)
        except RunLocked as exc:
            run.fatal = exc  # refused before anything started: a message, not a traceback
        except Exception as exc:
            log.exception("run failed")
            run.fatal = exc
        host.call_lifecycle("backplane_run_stopping", run)
    finally:
        # The stop's cancels get the time they need at the venues' rates on top of
        # the rest of the shutdown: a run with a thousand orders open still ends flat.
        run.stopping = True
        run.stop_budget_s = run.protection.stop_budget_s() if run.protection is not None else 0.0
        limit_s = shutdown_timeout_s + run.stop_budget_s
        try:
            async with asyncio.timeout(limit_s):
                await stack.aclose()
        except TimeoutError:
            log.error("shutdown took longer than %.1f s; cancelled what was left", limit_s)
            code = EXIT_SHUTDOWN_TIMEOUT
        run.left_open = run.tracker.open_orders()
        if run.left_open:
            log.error("%d orders still open at exit: %s", len(run.left_open), _name_orders(run.left_open))
            code = EXIT_ORDERS_OPEN
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    if on_done is not None:
        on_done(run)
    if code:
        return code
    if isinstance(run.fatal, RunLocked):
        return EXIT_RUN_LOCKED
    if run.fatal is not None:
        return EXIT_RUN_FAILED
    return EXIT_STRATEGY_FAILED if run.failed_strategies else EXIT_OK


def _name_orders(orders: list[Any], most: int = 50) -> str:
    names = ", ".join(f"{o.client_order_id} ({o.venue} {o.symbol}, {o.state.name})" for o in orders[:most])
    return names + (f" and {len(orders) - most} more" if len(orders) > most else "")


async def _wait(run: Run, duration_s: float | None) -> None:
    if duration_s is None and run.config.run.duration is not None:
        duration_s = run.config.run.duration / NS_PER_S
    if isinstance(run.clock, SimClock):
        await _run_simulated(run, run.clock, duration_s)
        return
    if duration_s is None:
        await run.stop_requested.wait()
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(duration_s):
            await run.stop_requested.wait()


async def _run_simulated(run: Run, clock: SimClock, duration_s: float | None) -> None:
    """Move simulated time from timer to timer, letting the tasks each timer
    woke (order routing, gate waits) run before the next one fires."""
    if duration_s is None:
        raise ValueError("a simulated-clock run needs run.duration (or --duration)")
    end = clock.now_ns() + int(duration_s * NS_PER_S)
    while not run.stop_requested.is_set():
        await let_woken_tasks_run()
        nxt = clock.next_timer_ns()
        if nxt is None or nxt > end:
            break
        clock.advance_to(nxt)
    if clock.now_ns() < end:
        clock.advance_to(end)
    await asyncio.sleep(0)
