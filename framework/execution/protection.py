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

The run's stop (:meth:`stop`) pulls round after round until nothing is open,
within :meth:`stop_budget_s` (:mod:`framework.execution.stopping`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from framework.execution.lifecycle import OrderStatus
from framework.execution.stopping import StopRounds, stop_budget_s
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    DenyReason,
    OrderDenied,
    Side,
    StreamState,
    StreamStatus,
)
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.risk.config import RiskConfig, TradingState
from framework.risk.layer import RUN_SCOPE
from framework.runtime.bus import Bus, Subscription
from framework.runtime.clock import NS_PER_MS, Clock, TimerHandle

__all__ = ["NOT_LIVE", "Protection", "StrategyFeed"]

log = logging.getLogger(__name__)

NOT_LIVE = frozenset({StreamState.STALE, StreamState.DOWN, StreamState.RESYNCING})
"""Stream states in which a feed cannot be trusted."""

# Acknowledged by the venue (its cancel can go in a batch; an order with a
# replace in flight is sequenced in its lane), and already being cancelled (skipped).
_ACKED = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_REPLACE})
_CANCELLING = frozenset({OrderStatus.PENDING_CANCEL})
_DEFAULT_ORDER_STREAMS = ("orders",)
Unacked = Literal["single", "skip", "batch"]

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

    # -- the run's stop (framework.execution.stopping) ----------------------------

    def stop_budget_s(self) -> float:
        """How long the stop may take to cancel what is open now
        (:func:`~framework.execution.stopping.stop_budget_s`)."""
        return stop_budget_s(self.tracker.open_orders(), self.gates, self.router, self.clock)

    async def stop(self) -> None:
        """Stop watching, then pull every order the run holds open, round after
        round, until none is open or :data:`~framework.execution.stopping.IDLE_ROUNDS`
        rounds in a row saw no progress. The caller bounds the time (:meth:`stop_budget_s`)."""
        self.close()
        await StopRounds(self.bus, self.clock, self.tracker, self.router, self.pull).run()


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

