"""Protective automation: what pulls the run's resting orders when it must stop quoting.

Theory of operation
-------------------
One :class:`Protection` per run. It sits in front of the risk layer as the
router's pre-trade (:meth:`Protection.evaluate`), follows the risk layer's
state changes (``RiskLayer.listeners``) and the venues' ``StreamStatus``
events, and pulls resting orders when one of these happens:

=====================================  ==========================================  =====================  ===================
trigger                                orders pulled                               new orders             policy (``risk:``)
=====================================  ==========================================  =====================  ===================
run / strategy HALTED (kill switch,    every resting order of the run / strategy   denied (risk layer)    ``on_halt``
loss limit, schedule ``halt``)
run / strategy REDUCING                those that would grow the position          only reducing ones     ``on_halt``
stale feed (``stale_after_ms`` set)    the strategy's                              denied until live      ``on_stale``
venue disconnect (an order stream      every resting order on that venue           denied until live      ``on_disconnect``
of the venue STALE / DOWN / RESYNCING)
a strategy fails; the run stops        all of its / all of the run's               --                     always
=====================================  ==========================================  =====================  ===================

A feed is stale for a strategy when a market-data stream of its venue, or one
of its symbols, is STALE / DOWN / RESYNCING, or when one of its books has not
changed for ``stale_after_ms`` of the run's clock (a watchdog looks every
quarter of it). A stale feed or a disconnect is a *hold*, kept here rather
than as a risk-layer state: the kill switch and a person set those, and a feed
coming back must not lift their halt (nor their ``--resume`` lift a hold).

Pulling sends each acknowledged order's cancel through
``RunRouter.cancel_batch`` (the venue's batch cancel where it has one: 20
cancels per ingress message on Polymarket), and an order whose insert is not
acknowledged yet one by one through ``send`` (which sequences it behind its
insert). Orders already being cancelled are skipped, so pulling again is
harmless; a hold pulls again whenever it is re-evaluated, which catches an
insert acknowledged after the first pull.

The run's stop (:meth:`stop`) pulls round after round until nothing is open.
Each round first drains the router, so no insert is in flight and every open
order -- acknowledged or not yet -- goes in a batch; then it waits for order
events. A round that saw none but refusals re-sends the cancels still
unanswered, and a few such rounds in a row end it. The
runner bounds it by :meth:`stop_budget_s` (the cancels' messages over the
venues' rates, plus a margin) and names every order still open at exit.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from framework.execution.lifecycle import OrderStatus
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    DenyReason,
    OrderDenied,
    OrderEvent,
    Side,
    StreamState,
    StreamStatus,
)
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.plugin.venue import MessageKind
from framework.risk.config import RiskConfig, TradingState
from framework.risk.layer import RUN_SCOPE
from framework.runtime.bus import Bus, Subscription
from framework.runtime.clock import (
    NS_PER_MS,
    NS_PER_S,
    Clock,
    SimClock,
    TimerHandle,
    let_woken_tasks_run,
)

__all__ = ["NOT_LIVE", "Protection", "StrategyFeed"]

log = logging.getLogger(__name__)

NOT_LIVE = frozenset({StreamState.STALE, StreamState.DOWN, StreamState.RESYNCING})
"""Stream states in which a feed cannot be trusted."""

# Acknowledged by the venue (its cancel can go in a batch; an order with a
# replace in flight is sequenced in its lane), and already being cancelled (skipped).
_ACKED = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_REPLACE})
_CANCELLING = frozenset({OrderStatus.PENDING_CANCEL})
_DEFAULT_ORDER_STREAMS = ("orders",)
_REFUSALS = (CancelRejected, OrderDenied)
Unacked = Literal["single", "skip", "batch"]

STOP_MARGIN_S = 2.0
"""Added to the time the stop's cancels need at the venues' rates."""
STOP_FACTOR = 2
"""The stop budget allows this many times the time its cancels need (throttling, answers)."""
RETRY_NS = NS_PER_S
"""A stop round waits this long for order events before re-sending its cancels."""
IDLE_ROUNDS = 5
"""Stop rounds in a row without any order event, after which the stop gives up."""


class StrategyFeed:
    """What protection needs to know of one running strategy."""

    __slots__ = ("name", "stale_after_ns", "symbols", "venue")

    def __init__(self, name: str, venue: str, symbols: Sequence[str], stale_after_ms: int | None = None) -> None:
        self.name = name
        self.venue = venue
        self.symbols = list(symbols)
        self.stale_after_ns = None if stale_after_ms is None else stale_after_ms * NS_PER_MS


class Protection:
    """Pulls resting orders on halts, stale feeds, disconnects and the run's stop (see module docs).

    ``risk`` is the run's :class:`~framework.risk.layer.RiskLayer`, ``router`` its
    :class:`~framework.execution.router.RunRouter`, ``tracker`` its order tracker; ``venues``
    and ``gates`` map venue names to adapters and gates (read when needed: they
    may fill in after construction)."""

    def __init__(
        self,
        config: RiskConfig,
        *,
        bus: Bus,
        clock: Clock,
        tracker: Any,
        router: Any,
        risk: Any,
        venues: Mapping[str, Any],
        gates: Mapping[str, Any],
    ) -> None:
        self.config = config
        self.bus = bus
        self.clock = clock
        self.tracker = tracker
        self.router = router
        self.risk = risk
        self.venues = venues
        self.gates = gates
        self.feeds: dict[str, StrategyFeed] = {}
        self.holds: dict[str, str] = {}  # strategy -> why its new orders are denied
        self.pulled = 0  # cancels sent by protection
        self._down: dict[tuple[str, str, str], StreamState] = {}  # (venue, stream, symbol) not live
        self._book_ns: dict[tuple[str, str], int] = {}
        self._watchdog: TimerHandle | None = None
        self._subs: list[Subscription] = []
        self._enabled = False
        self._progress: asyncio.Event | None = None
        self._answers = 0  # order events other than refusals, while the run stops
        risk.listeners.append(self.on_state)
        self._subs.append(bus.subscribe(self.on_stream, StreamStatus, name="protection:streams"))

    # -- set-up -------------------------------------------------------------

    def add_strategy(self, feed: StrategyFeed) -> None:
        """Watch ``feed``'s market data (only its stream states unless ``stale_after_ms``)."""
        self.feeds[feed.name] = feed
        if feed.stale_after_ns is None:
            return
        now = self.clock.now_ns()
        for symbol in feed.symbols:
            key = (feed.venue, symbol)
            if key not in self._book_ns:
                self._book_ns[key] = now  # a grace period of one stale_after from the start
                self._subs.append(self.bus.subscribe(self._book_seen, (BookSnapshot, BookDelta), feed.venue, symbol,
                                                     name=f"protection:book:{feed.venue}:{symbol}"))  # fmt: skip

    def enable(self) -> None:
        """Start acting (venues and routes are up): apply the states and holds that
        already stand -- a restarted run whose kill file says halted pulls at once."""
        self._enabled = True
        for scope in [RUN_SCOPE, *self.feeds]:
            state = self.risk.trading_state(scope)
            if state is not TradingState.ACTIVE:
                self.on_state(scope, TradingState.ACTIVE, state, "in force at start")
        self._refresh()
        steps = [f.stale_after_ns for f in self.feeds.values() if f.stale_after_ns is not None]
        if steps:
            self._arm(max(min(steps) // 4, NS_PER_MS))

    def close(self) -> None:
        """Stop watching (the run is stopping)."""
        self._enabled = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs.clear()

    # -- pre-trade: holds ---------------------------------------------------------

    def evaluate(self, intent: Intent) -> OrderDenied | None:
        """The router's pre-trade: a held strategy's new orders and replaces are
        denied (``TRADING_HALTED``); everything else goes to the risk layer."""
        why = self.holds.get(intent.strategy) if self.holds else None
        if why is not None and isinstance(intent, SubmitOrder | ReplaceOrder):
            now = self.clock.now_ns()
            return OrderDenied(intent.venue, intent.symbol, now, now, intent.client_order_id, intent.strategy, "",
                               DenyReason.TRADING_HALTED,
                               f"strategy {intent.strategy} is on hold ({why}): cancels only until it is live")  # fmt: skip
        return self.risk.evaluate(intent)  # type: ignore[no-any-return]

    # -- triggers -----------------------------------------------------------------

    def on_state(self, scope: str, old: TradingState, new: TradingState, reason: str) -> None:
        """A risk-layer state change: HALTED pulls the scope's orders, REDUCING
        those that would grow its positions (policy ``on_halt``)."""
        if not self._enabled or self.config.on_halt == "keep" or new is TradingState.ACTIVE:
            return
        orders = self.tracker.open_orders(scope or None)
        who = f"strategy {scope}" if scope else "the run"
        if new is TradingState.REDUCING:
            orders = growing(orders, self.tracker)
        n = self.pull(orders)
        log.warning("protection: %s %s (%s): pulled %d resting orders", who, new.name, reason, n)

    def on_stream(self, event: StreamStatus) -> None:
        """Follow a venue stream's state; holds change with it."""
        key = (event.venue, event.stream, event.symbol)
        if event.state in NOT_LIVE:
            self._down[key] = event.state
        elif self._down.pop(key, None) is None:
            return
        self._refresh()

    def _book_seen(self, event: BookSnapshot | BookDelta) -> None:
        self._book_ns[(event.venue, event.symbol)] = self.clock.now_ns()

    def _arm(self, step_ns: int) -> None:
        def tick() -> None:
            self._refresh()
            self._watchdog = self.clock.call_later(step_ns, tick)

        self._watchdog = self.clock.call_later(step_ns, tick)

    def _refresh(self) -> None:
        """Re-evaluate every strategy's hold; pull for the new and standing ones."""
        if not self._enabled:
            return
        now = self.clock.now_ns()
        for name, feed in self.feeds.items():
            hold = self._hold_of(feed, now)
            old = self.holds.get(name)
            if hold is None:
                if old is not None:
                    del self.holds[name]
                    log.warning("protection: strategy %s live again: new orders allowed", name)
                continue
            policy, why = hold
            self.holds[name] = why
            n = self.pull(self.tracker.open_orders(name)) if getattr(self.config, policy) == "cancel" else 0
            if old != why:
                log.warning("protection: strategy %s on hold (%s): pulled %d resting orders", name, why, n)

    def _hold_of(self, feed: StrategyFeed, now: int) -> tuple[str, str] | None:
        """``(policy key, why)`` if ``feed``'s strategy must not quote now."""
        order_streams = getattr(self.venues.get(feed.venue), "order_streams", _DEFAULT_ORDER_STREAMS)
        stale: tuple[str, str] | None = None
        for (venue, stream, symbol), state in self._down.items():
            if venue != feed.venue:
                continue
            if not symbol and stream in order_streams:
                return "on_disconnect", f"{venue} order stream {stream} {state.value}"
            if stale is None and feed.stale_after_ns is not None and (not symbol or symbol in feed.symbols):
                where = f"{symbol} on {venue}" if symbol else f"{venue} market data stream {stream or '(main)'}"
                stale = "on_stale", f"{where} {state.value}"
        if stale is not None or feed.stale_after_ns is None:
            return stale
        for symbol in feed.symbols:
            age = now - self._book_ns.get((feed.venue, symbol), now)
            if age >= feed.stale_after_ns:
                return "on_stale", f"no book update for {symbol} in {age // NS_PER_MS} ms (stale_after_ms {feed.stale_after_ns // NS_PER_MS})"
        return None

    # -- pulling ------------------------------------------------------------------

    def pull(self, orders: Iterable[Any], *, again: bool = False, unacked: Unacked = "single") -> int:
        """Cancel ``orders`` (tracked orders) that are open and not being cancelled
        already (``again``: those too); returns how many cancels were sent.

        Acknowledged orders go in batches. ``unacked`` says what to do with an
        order whose insert is not acknowledged yet: ``single`` -- its own cancel
        through ``send``, which sequences it behind the insert; ``skip`` -- leave
        it (the stop takes it); ``batch`` -- with the others, only when no insert
        is in flight any more (after the router's drain: the venue has answered
        every insert, only its acknowledgement may still be on its way)."""
        batch: list[CancelOrder] = []
        single: list[CancelOrder] = []
        for o in orders:
            state = o.state
            if not o.is_open or (state in _CANCELLING and not again):
                continue
            acked = state in _ACKED or state in _CANCELLING
            if not acked and unacked == "skip":
                continue
            cancel = CancelOrder(o.strategy, o.venue, o.symbol, o.client_order_id, o.venue_order_id)
            (batch if acked or unacked == "batch" else single).append(cancel)
        if batch:
            self.router.cancel_batch(batch, again=again)
        for cancel in single:
            self.router.send(cancel)
        self.pulled += len(batch) + len(single)
        return len(batch) + len(single)

    # -- the run's stop -----------------------------------------------------------

    def stop_budget_s(self) -> float:
        """How long the stop may take to cancel what is open now: per venue, the
        wait until its limiter has room for the messages the cancels need
        (batched where the route batches), plus :data:`STOP_FACTOR` times those
        messages over the venue's rate; plus :data:`STOP_MARGIN_S`."""
        per_venue: dict[str, int] = {}
        for o in self.tracker.open_orders():
            per_venue[o.venue] = per_venue.get(o.venue, 0) + 1
        seconds = 0.0
        per_second = math.inf  # cancels per second of the slowest venue, for the inserts in flight
        for venue, n in per_venue.items():
            limiter = getattr(self.gates.get(venue), "limiter", None)
            rule = getattr(limiter, "rule", None)
            if rule is None:
                continue  # no ingress limit: nothing to wait for
            rate, batch = rule.cap * NS_PER_S / rule.window_ns, self.router.batch_size(venue)
            per_second = min(per_second, rate * batch)
            messages = math.ceil(n / batch)
            seconds += self._room_wait_s(limiter, messages) + STOP_FACTOR * messages / rate
        if self.router.in_flight and per_second < math.inf:
            seconds += STOP_FACTOR * self.router.in_flight / per_second  # inserts going out may need a cancel too
        return STOP_MARGIN_S + seconds

    def _room_wait_s(self, limiter: Any, messages: int) -> float:
        """Until the limiter's window has room for ``messages`` cancels (a window
        a churning run filled frees only as its messages age out)."""
        window = getattr(limiter, "window", None)  # the in-process limiter's; Redis: unknown, 0
        if window is None:
            return 0.0
        now = self.clock.now_ns()
        when = window.next_free_ns(MessageKind.CANCEL, now, min(messages, window.rule.cap))
        return 0.0 if when is None else (when - now) / NS_PER_S

    async def stop(self) -> None:
        """Pull every order the run holds open, round after round, until none is
        open or :data:`IDLE_ROUNDS` rounds in a row saw no progress (an order
        event other than a refusal). The caller bounds the time (:meth:`stop_budget_s`)."""
        self.close()
        progress = self._progress = asyncio.Event()
        sub = self.bus.subscribe(self._order_event, OrderEvent, name="protection:stop")
        try:
            idle = 0
            while idle < IDLE_ROUNDS:
                await self._drain()
                open_orders = self.tracker.open_orders()
                if not open_orders:
                    return
                seen = self._answers
                # Drained: no insert in flight, so every open order can go in a batch;
                # after a round without progress, the unanswered cancels go again.
                self.pull(open_orders, again=idle > 0, unacked="batch")
                await self._drain()
                if self.tracker.open_orders():
                    await self._pause(RETRY_NS, progress)
                idle = idle + 1 if self._answers == seen else 0
        finally:
            self.bus.unsubscribe(sub)
            self._progress = None

    def _order_event(self, event: OrderEvent) -> None:
        # A refusal is no progress: a cancel for an order the venue no longer
        # has is refused every round, and must not keep the stop going.
        if type(event) in _REFUSALS or self._progress is None:
            return
        self._answers += 1
        self._progress.set()

    async def _drain(self) -> None:
        """The router's drain; a simulated clock is moved meanwhile, since the
        messages in flight may wait on its timers (gate, paper latency)."""
        clock = self.clock
        if not isinstance(clock, SimClock):
            await self.router.drain()
            return
        while self.router.in_flight:
            await let_woken_tasks_run()
            nxt = clock.next_timer_ns()
            if nxt is not None and self.router.in_flight:
                clock.advance_to(nxt)

    async def _pause(self, ns: int, progress: asyncio.Event) -> None:
        """Wait up to ``ns`` of the run's clock for an order event. A simulated
        clock is moved here, timer by timer, since nothing else moves it once
        the run is stopping (a paper exchange answers on its latency timers)."""
        progress.clear()
        clock = self.clock
        if isinstance(clock, SimClock):
            end = clock.now_ns() + ns
            while not progress.is_set():
                nxt = clock.next_timer_ns()
                clock.advance_to(end if nxt is None or nxt > end else nxt)
                await let_woken_tasks_run()
                if clock.now_ns() >= end:
                    return
            return
        timer = clock.call_later(ns, progress.set)
        try:
            await progress.wait()
        finally:
            timer.cancel()


def growing(orders: Iterable[Any], tracker: Any) -> list[Any]:
    """The orders that would grow their strategy's position if they filled: every
    order on the position's side (both sides when flat), and on the reducing side
    those past what it takes to close the position (the last placed first)."""
    out: list[Any] = []
    room: dict[tuple[str, str, str], int] = {}
    for o in orders:
        key = (o.strategy, o.venue, o.symbol)
        if key not in room:
            room[key] = tracker.position(*key)
        pos = room[key]
        reduces = (o.side == Side.SELL and pos > 0) or (o.side == Side.BUY and pos < 0)
        if reduces and o.remaining <= abs(pos):
            room[key] = pos - o.remaining if pos > 0 else pos + o.remaining
        else:
            out.append(o)
    return out

