"""Runs a config: builds every component through the plugin host, owns every
task, and shuts down in order.

Theory of operation
-------------------
``run_config`` opens one ``AsyncExitStack`` for the whole run. Everything that
starts registers its stop on that stack at once, so shutdown runs in reverse
start order -- strategies stop (their orders are cancelled), then venues
disconnect, then simulators stop, then the journal closes -- whether the run
ended by its duration, SIGINT/SIGTERM, or a failure. Shutdown is bounded
(``shutdown_timeout_s``, default 5 s): what has not finished by then is
cancelled and the exit code says so.

The run's pieces meet at :class:`Run`: the clock, the bus, the venue
adapters (or paper exchanges), the order router with the risk layer in front,
the strategies and the journal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framework.bus import Bus, ErrorPolicy
from framework.clock import NS_PER_S, Clock, LiveClock, SimClock
from framework.errors import ConfigError
from framework.events import (
    BookDelta,
    BookSnapshot,
    HandlerFailed,
    OrderEvent,
    StreamStatus,
    Trade,
)
from framework.plugins import PluginHost
from framework.strategy import Strategy, StrategyContext

__all__ = ["Run", "plan_issues", "run_config", "run_from_cli"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_STRATEGY_FAILED, EXIT_RUN_FAILED, EXIT_SHUTDOWN_TIMEOUT = 0, 1, 3, 4, 5


class Run:
    """One run: its config, clock, bus and components, and how it ended."""

    def __init__(self, config: Any, host: PluginHost, clock: Clock) -> None:
        self.config = config
        self.host = host
        self.clock = clock
        self.bus = Bus(clock)
        self.venues: dict[str, Any] = {}  # name -> adapter (live) or paper exchange
        self.strategies: dict[str, Strategy[Any]] = {}
        self.failed_strategies: dict[str, str] = {}
        self.stop_requested = asyncio.Event()
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
        strategy = self.strategies.get(name)
        if strategy is not None:
            for sub in [s for s in self.bus.subscriptions if s.name.startswith(f"strategy:{name}:")]:
                self.bus.unsubscribe(sub)
            strategy.ctx.cancel_timers()
            strategy.ctx.cancel_all()


def plan_issues(host: PluginHost, path: Path) -> list[Any]:
    """Problems only visible once the run is assembled (e.g. stream caps).

    ``config check`` reports them beside the config's own; start-up refuses
    to run with any.
    """
    from framework import config as cfgmod
    from framework.cli import config_schema

    cfg = cfgmod.load_config(path, config_schema(host))
    issues: list[Any] = []
    for name, venue in cfg.venues.items():
        spec = host.venues[venue.plugin]
        mode = cfg.venue_mode(name)
        refusal = getattr(spec, "refuse_mode", None)
        message = refusal(mode) if refusal is not None else None
        if message:
            issues.append(cfgmod.issue_at(cfg, ("venues", name, "mode"), message))
    return issues


async def run_config(
    config: Any,
    host: PluginHost,
    *,
    duration_s: float | None = None,
    clock: Clock | None = None,
    shutdown_timeout_s: float = 5.0,
    install_signals: bool = True,
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
            await _start(run, stack)
            host.call_lifecycle("backplane_run_started", run)
            await _wait(run, duration_s)
        except Exception as exc:  # noqa: BLE001 - reported, then the run shuts down
            log.exception("run failed: %s", exc)
            run.fatal = exc
        host.call_lifecycle("backplane_run_stopping", run)
    finally:
        try:
            async with asyncio.timeout(shutdown_timeout_s):
                await stack.aclose()
        except TimeoutError:
            log.error("shutdown took longer than %.1f s; cancelled what was left", shutdown_timeout_s)
            code = EXIT_SHUTDOWN_TIMEOUT
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    if code:
        return code
    if run.fatal is not None:
        return EXIT_RUN_FAILED
    return EXIT_STRATEGY_FAILED if run.failed_strategies else EXIT_OK


async def _wait(run: Run, duration_s: float | None) -> None:
    if duration_s is None and run.config.run.duration is not None:
        duration_s = run.config.run.duration / NS_PER_S
    if duration_s is None:
        await run.stop_requested.wait()
        return
    if isinstance(run.clock, SimClock):
        # Simulated time: jump straight to the end, firing every timer on the way.
        run.clock.advance(int(duration_s * NS_PER_S))
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(duration_s):
            await run.stop_requested.wait()


async def _start(run: Run, stack: contextlib.AsyncExitStack) -> None:
    run.host.call_lifecycle("backplane_run_configured", run)
    for name, entry in run.config.venues.items():
        await _start_venue(run, stack, name, entry)
    for name, entry in run.config.strategies.items():
        if entry.enabled:
            _start_strategy(run, stack, name, entry)


async def _start_venue(run: Run, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> None:
    from framework.venue import CountingGate, VenueContext

    spec = run.host.venues[entry.plugin]
    symbols = sorted({s for st in run.config.strategies.values() if st.venue == name for s in st.symbols})
    settings = entry.settings
    if entry.simulate:
        sim_spec = run.host.simulators[spec.simulator]
        sim = await stack.enter_async_context(sim_spec.factory(sim_spec.settings()))
        settings = sim.venue_settings(settings)
    ctx = VenueContext(name, run.bus, run.clock, CountingGate(), symbols)
    adapter = spec.factory(ctx, settings)
    await adapter.start()
    stack.push_async_callback(adapter.stop)
    run.venues[name] = adapter


def _start_strategy(run: Run, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> None:
    spec = run.host.strategies[entry.plugin]
    venue = run.venues[entry.venue]
    ctx = StrategyContext(name, entry.venue, entry.symbols, run.clock, _NullRouter(), venue.book, _NoState())
    strategy = spec.factory(ctx, entry.params)
    run.strategies[name] = strategy
    guard = _guarded(run, name)
    ctx.timer_handler = guard(strategy.on_timer)
    subscribe = run.bus.subscribe
    for symbol in entry.symbols:
        subscribe(guard(strategy.on_book), (BookSnapshot, BookDelta), entry.venue, symbol, name=f"strategy:{name}:book:{symbol}", policy=ErrorPolicy.CONTINUE)
        subscribe(guard(strategy.on_trade), Trade, entry.venue, symbol, name=f"strategy:{name}:trade:{symbol}", policy=ErrorPolicy.CONTINUE)
    subscribe(guard(_own_orders(name, strategy.on_order)), OrderEvent, entry.venue, name=f"strategy:{name}:orders", policy=ErrorPolicy.CONTINUE)
    subscribe(guard(strategy.on_stream_status), StreamStatus, entry.venue, name=f"strategy:{name}:streams", policy=ErrorPolicy.CONTINUE)
    guard(strategy.on_start)()

    def stop() -> None:
        if name not in run.failed_strategies:
            guard(strategy.on_stop)()
        ctx.cancel_timers()
        ctx.cancel_all()

    stack.callback(stop)


def _own_orders(name: str, handler: Callable[[OrderEvent], None]) -> Callable[[OrderEvent], None]:
    def on_order(event: OrderEvent) -> None:
        if event.strategy == name:
            handler(event)

    return on_order


def _guarded(run: Run, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap strategy callbacks: the first exception halts that strategy alone."""

    def guard(callback: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if name in run.failed_strategies:
                return None
            try:
                return callback(*args)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                import traceback

                run.bus.publish(
                    HandlerFailed(run.strategies[name].ctx.venue, "", 0, run.clock.now_ns(), f"strategy:{name}",
                                  type(args[0]).__name__ if args else callback.__name__, repr(exc),
                                  "".join(traceback.format_exception(exc)), True)
                )  # fmt: skip
                run.strategy_failed(name, repr(exc))
                return None

        return call

    return guard


class _NullRouter:
    """Placeholder router until the risk layer is wired: refuses to send."""

    def send(self, intent: Any) -> None:
        raise RuntimeError("order routing is not wired in this run")

    def budget(self, venue: str) -> int:
        return 0


class _NoState:
    def open_orders(self, strategy: str, symbol: str | None) -> list[Any]:
        return []

    def order(self, client_order_id: str) -> Any:
        return None


def run_from_cli(host: PluginHost, args: argparse.Namespace) -> int:
    """``backplane run FILE [--duration S]``."""
    from framework import config as cfgmod
    from framework.cli import config_schema

    for problem in host.problems:
        print(f"warning: {problem}", file=sys.stderr)
    try:
        cfg = cfgmod.load_config(args.file, config_schema(host))
        issues = plan_issues(host, args.file)
        if issues:
            raise ConfigError(issues)
    except ConfigError as exc:
        print(cfgmod.format_issues(exc.issues), file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run_config(cfg, host, duration_s=args.duration))
