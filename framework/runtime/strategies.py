"""Starting a run's strategies and binding its schedule entries to actions.

A strategy gets a :class:`~framework.plugin.strategy.StrategyContext` over the
run's order router (every intent passes the risk layer) and its venue's books,
and its callbacks are subscribed on the bus, each behind a guard: the first
exception halts that strategy alone (published as ``HandlerFailed``, its
orders cancelled), the run goes on.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from typing import Any

from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Event,
    HandlerFailed,
    OrderEvent,
    Side,
    StreamStatus,
    Trade,
)
from framework.plugin.strategy import Strategy, StrategyContext
from framework.runtime.bus import ErrorPolicy
from framework.runtime.parts import StrategyPart
from framework.runtime.run import Run

__all__ = ["flatten", "guarded", "schedule_action", "start_strategy"]

Guard = Callable[[Callable[..., Any]], Callable[..., Any]]


def start_strategy(run: Run, stack: contextlib.AsyncExitStack, name: str, entry: Any) -> StrategyPart:
    """Build strategy ``name``, subscribe its callbacks (each guarded) and start it."""
    core = run.core
    spec = core.host.strategies[entry.plugin]
    books = run.adapters[entry.venue].book  # private to the context: a plain call on the event path
    ctx = StrategyContext(name, entry.venue, entry.symbols, core.clock, core.router, books, core.tracker,
                          id_tag=run.session.id_tag)  # fmt: skip
    strategy = spec.factory(ctx, entry.params if entry.params is not None else spec.params())
    part = StrategyPart(name, strategy, ctx)
    run.strategies[name] = part
    guard = guarded(run, name)
    ctx.timer_handler = guard(strategy.on_timer)
    sub = core.bus.subscribe
    policy = ErrorPolicy.CONTINUE  # the guard already halts the strategy
    for symbol in entry.symbols:
        sub(guard(strategy.on_book), (BookSnapshot, BookDelta), entry.venue, symbol, name=f"strategy:{name}:book:{symbol}", policy=policy)
        sub(guard(strategy.on_trade), Trade, entry.venue, symbol, name=f"strategy:{name}:trade:{symbol}", policy=policy)
    sub(guard(_own_orders(name, strategy.on_order)), OrderEvent, entry.venue, name=f"strategy:{name}:orders", policy=policy)
    sub(guard(strategy.on_stream_status), StreamStatus, entry.venue, name=f"strategy:{name}:streams", policy=policy)
    guard(strategy.on_start)()

    def stop() -> None:
        if name not in run.outcome.failed:
            guard(strategy.on_stop)()
        run.retire_strategy(name)

    stack.callback(stop)
    return part


def _own_orders(name: str, handler: Callable[[OrderEvent], None]) -> Callable[[OrderEvent], None]:
    def on_order(event: OrderEvent) -> None:
        if event.strategy == name:
            handler(event)

    return on_order


def guarded(run: Run, name: str) -> Guard:
    """Wrap strategy callbacks: the first exception halts that strategy alone,
    is published as ``HandlerFailed`` (the journal keeps it) and logged."""
    clock, bus, failed = run.core.clock, run.core.bus, run.outcome.failed

    def guard(callback: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if name in failed:
                return None
            try:
                return callback(*args)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                now = clock.now_ns()
                first = args[0] if args else None
                venue = first.venue if isinstance(first, Event) else ""
                kind = type(first).__name__ if first is not None else callback.__name__
                trace = "".join(traceback.format_exception(exc))
                bus.publish(HandlerFailed(venue, "", now, now, f"strategy:{name}", kind, repr(exc), trace, True))
                run.strategy_failed(name, repr(exc))
                return None

        return call

    return guard


# -- schedule actions -------------------------------------------------------------


def schedule_action(run: Run, entry: Any) -> Callable[[], None]:
    """The callable behind a schedule entry's ``action``."""
    targets = [entry.target] if entry.target else list(run.core.config.strategies)

    def each(fn: Callable[[Strategy[Any]], object], targets: list[str] = targets) -> Callable[[], None]:
        def act() -> None:
            for name in targets:
                part = run.strategies.get(name)
                if part is not None and name not in run.outcome.failed:
                    fn(part.strategy)

        return act

    if entry.action == "cancel_all":
        return each(lambda s: s.ctx.cancel_all())
    if entry.action == "flatten":
        return each(flatten)
    if entry.action == "halt":
        # The risk layer's HALTED state (cancels only), not a strategy failure.
        # Its resting orders are pulled by the run's protection (policy risk.on_halt).
        def halt(strategy: Strategy[Any]) -> None:
            if run.risk is not None:
                run.risk.halt(strategy.ctx.name, f"schedule entry {entry.name!r}")

        return each(halt)
    strategy_name, method = entry.action.removeprefix("strategy:").split(".", 1)
    return each(lambda s: guarded(run, strategy_name)(getattr(s, method))(), [strategy_name])


def flatten(strategy: Strategy[Any]) -> None:
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
