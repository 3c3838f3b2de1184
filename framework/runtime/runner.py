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

The run's parts meet at :class:`~framework.runtime.run.Run`, which owns the
typed records assembly makes (:mod:`framework.runtime.parts`). Lifecycle hooks
get its read-only :class:`~framework.plugin.view.RunView` (``Run.view``);
whoever calls :func:`run_config` may look at the whole ``Run`` through
``on_start`` (everything started) and ``on_done`` (everything stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from framework.journal.lock import RunLocked
from framework.plugin.manager import PluginHost
from framework.runtime.assembly import start_components
from framework.runtime.clock import (
    NS_PER_S,
    Clock,
    LiveClock,
    SimClock,
    let_woken_tasks_run,
)
from framework.runtime.faults import fault_issues
from framework.runtime.parts import Core
from framework.runtime.run import Run
from framework.runtime.status import StatusLine

__all__ = ["EXIT_CONFIG", "Run", "plan_issues", "run_config"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_STRATEGY_FAILED, EXIT_RUN_FAILED, EXIT_SHUTDOWN_TIMEOUT = 0, 1, 3, 4, 5
EXIT_RUN_LOCKED = 6  # another process runs this run id
EXIT_ORDERS_OPEN = 7
"""The run ended with orders it believes open (named in the log): check the venue."""


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
    on_start: Callable[[Run], None] | None = None,
    on_done: Callable[[Run], None] | None = None,
) -> int:
    """Run ``config`` until its duration passes or a stop is requested; returns the exit code.

    ``on_start(run)`` is called once everything started (before the plugins'
    ``backplane_run_started``), ``on_done(run)`` once everything stopped: the
    embedding program's look at the whole :class:`Run`, which plugins never get."""
    clock = clock or (SimClock() if config.run.clock == "sim" else LiveClock())
    run = Run(Core.build(config, host, clock))
    loop = asyncio.get_running_loop()
    if install_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, run.request_stop, f"signal {sig.name}")
    stack = contextlib.AsyncExitStack()
    code = EXIT_OK
    try:
        try:
            host.call_lifecycle("backplane_run_configured", run.view)
            await start_components(run, stack, run_id=run_id)
            status = StatusLine(run, run.stats, every_s=status_every_s) if status_every_s else None
            if status is not None:
                status.start()
                stack.callback(status.stop)
            if on_start is not None:
                on_start(run)
            host.call_lifecycle("backplane_run_started", run.view)
            await _wait(run, duration_s)
        except RunLocked as exc:
            run.outcome.fatal = exc  # refused before anything started: a message, not a traceback
        except Exception as exc:
            log.exception("run failed")
            run.outcome.fatal = exc
        host.call_lifecycle("backplane_run_stopping", run.view)
    finally:
        # The stop's cancels get the time they need at the venues' rates on top of
        # the rest of the shutdown: a run with a thousand orders open still ends flat.
        run.outcome.stopping = True
        run.outcome.stop_budget_s = run.guard.protection.stop_budget_s() if run.guard is not None else 0.0
        limit_s = shutdown_timeout_s + run.outcome.stop_budget_s
        try:
            async with asyncio.timeout(limit_s):
                await stack.aclose()
        except TimeoutError:
            log.error("shutdown took longer than %.1f s; cancelled what was left", limit_s)
            code = EXIT_SHUTDOWN_TIMEOUT
        run.outcome.left_open = run.core.tracker.open_orders()
        if run.outcome.left_open:
            log.error("%d orders still open at exit: %s", len(run.outcome.left_open), _name_orders(run.outcome.left_open))
            code = EXIT_ORDERS_OPEN
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    if on_done is not None:
        on_done(run)
    if code:
        return code
    if isinstance(run.outcome.fatal, RunLocked):
        return EXIT_RUN_LOCKED
    if run.outcome.fatal is not None:
        return EXIT_RUN_FAILED
    return EXIT_STRATEGY_FAILED if run.outcome.failed else EXIT_OK


def _name_orders(orders: list[Any], most: int = 50) -> str:
    names = ", ".join(f"{o.client_order_id} ({o.venue} {o.symbol}, {o.state.name})" for o in orders[:most])
    return names + (f" and {len(orders) - most} more" if len(orders) > most else "")


async def _wait(run: Run, duration_s: float | None) -> None:
    if duration_s is None and run.core.config.run.duration is not None:
        duration_s = run.core.config.run.duration / NS_PER_S
    if isinstance(run.core.clock, SimClock):
        await _run_simulated(run, run.core.clock, duration_s)
        return
    if duration_s is None:
        await run.outcome.stop_requested.wait()
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(duration_s):
            await run.outcome.stop_requested.wait()


async def _run_simulated(run: Run, clock: SimClock, duration_s: float | None) -> None:
    """Move simulated time from timer to timer, letting the tasks each timer
    woke (order routing, gate waits) run before the next one fires."""
    if duration_s is None:
        raise ValueError("a simulated-clock run needs run.duration (or --duration)")
    end = clock.now_ns() + int(duration_s * NS_PER_S)
    while not run.outcome.stop_requested.is_set():
        await let_woken_tasks_run()
        nxt = clock.next_timer_ns()
        if nxt is None or nxt > end:
            break
        clock.advance_to(nxt)
    if clock.now_ns() < end:
        clock.advance_to(end)
    await asyncio.sleep(0)
