"""The run's order router: the only way an intent reaches a venue.

``send(intent)`` is called from a strategy callback and returns at once:

1. the :class:`~framework.tracker.OrderTracker` records the intent;
2. the pre-trade risk layer evaluates it; a denial is published as
   :class:`~framework.events.OrderDenied` and nothing is sent;
3. otherwise a task owned by the router hands it to the venue's route -- the
   live adapter, whose transport passes every message through the venue's
   ingress gate, or the paper exchange, in front of which the router calls
   the same gate so a paper run spends the same budget a live one would.

A message the gate does not admit in time becomes ``OrderDenied``
(``RATE_LIMITED``) and is never sent late; a venue error becomes
``OrderRejected`` (or ``CancelRejected`` for a cancel or replace).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from framework.bus import Bus
from framework.clock import Clock
from framework.errors import Denied, VenueError
from framework.events import CancelRejected, DenyReason, OrderDenied, OrderRejected
from framework.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.strategy import OrderRouter
from framework.tracker import OrderTracker
from framework.venue import MessageKind

__all__ = ["PreTrade", "Route", "RunRouter"]

log = logging.getLogger(__name__)


class PreTrade(Protocol):
    """The pre-trade half of the risk layer."""

    def evaluate(self, intent: Intent) -> OrderDenied | None: ...


class Route(Protocol):
    """Where a venue's intents go: a live adapter or a paper exchange."""

    async def submit(self, order: SubmitOrder) -> None: ...

    async def cancel(self, cancel: CancelOrder) -> None: ...

    async def replace(self, replace: ReplaceOrder) -> None: ...


_KIND = {SubmitOrder: MessageKind.NEW_ORDER, CancelOrder: MessageKind.CANCEL, ReplaceOrder: MessageKind.REPLACE}


class RunRouter(OrderRouter):
    """Routes intents through tracking, risk and the venue gate (see module docs)."""

    def __init__(self, bus: Bus, clock: Clock, tracker: OrderTracker, pretrade: PreTrade | None = None) -> None:
        self._bus = bus
        self._clock = clock
        self._tracker = tracker
        self._pretrade = pretrade
        self._routes: dict[str, tuple[Route, Any, bool]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.denied = 0
        # Called with every new order before the risk layer sees it (the journal).
        self.on_submit: Callable[[SubmitOrder], None] | None = None

    def set_pretrade(self, pretrade: PreTrade) -> None:
        """Put the pre-trade risk layer in front of every route."""
        self._pretrade = pretrade

    def add_route(self, venue: str, route: Route, gate: Any, *, gated_here: bool) -> None:
        """Route ``venue``'s intents to ``route``. ``gated_here``: the router calls
        ``gate.admit`` itself (paper); otherwise the adapter's transport does (live)."""
        self._routes[venue] = (route, gate, gated_here)

    def budget(self, venue: str) -> int:
        entry = self._routes.get(venue)
        return entry[1].remaining() if entry is not None else 0

    def send(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        self._tracker.on_intent(intent)
        if self.on_submit is not None and isinstance(intent, SubmitOrder):
            self.on_submit(intent)
        denial = self._pretrade.evaluate(intent) if self._pretrade is not None else None
        if denial is None and intent.venue not in self._routes:
            denial = self._denial(intent, DenyReason.INVALID_ORDER, f"no route to venue {intent.venue!r}")
        if denial is not None:
            self.denied += 1
            self._bus.publish(denial)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(intent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        route, gate, gated_here = self._routes[intent.venue]
        try:
            if gated_here:
                await gate.admit(_KIND[type(intent)])
            await self._call(route, intent)
            self.sent += 1
        except Denied as exc:
            self.denied += 1
            self._bus.publish(self._denial(intent, exc.reason, exc.message))
        except VenueError as exc:
            self._bus.publish(self._venue_refusal(intent, str(exc)))
        except Exception as exc:
            log.exception("route for %s failed on %r", intent.venue, intent)
            self._bus.publish(self._venue_refusal(intent, f"internal error: {exc!r}"))

    @staticmethod
    async def _call(route: Route, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        if isinstance(intent, SubmitOrder):
            await route.submit(intent)
        elif isinstance(intent, CancelOrder):
            await route.cancel(intent)
        else:
            await route.replace(intent)

    def _denial(self, intent: Intent, reason: DenyReason, message: str) -> OrderDenied:
        now = self._clock.now_ns()
        return OrderDenied(
            intent.venue, intent.symbol, now, now, intent.client_order_id, intent.strategy,
            "", reason, f"{type(intent).__name__}: {message}",
        )  # fmt: skip

    def _venue_refusal(self, intent: Intent, message: str) -> OrderRejected | CancelRejected:
        now = self._clock.now_ns()
        cls: Callable[..., Any] = OrderRejected if isinstance(intent, SubmitOrder) else CancelRejected
        return cls(intent.venue, intent.symbol, now, now, intent.client_order_id, intent.strategy, "", message)

    async def drain(self) -> None:
        """Wait for every intent in flight (called at shutdown, under its bound)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # -- protective cancels (framework.protection) ----------------------------------

    def cancel_batch(self, cancels: Sequence[CancelOrder]) -> None:
        """Send protective cancels of acknowledged orders at once, grouped per venue.

        A live route with a batch cancel (``cancel_many``, at most
        ``cancel_batch_max`` per request) gets one request per chunk -- one ingress
        message for up to that many cancels -- all queued at the limiter together,
        where cancels are the most urgent kind. Anything else goes one by one as
        :meth:`send` would send it. A chunk the venue refuses as a whole is retried
        one by one, so one bad order cannot keep the others resting."""
        by_venue: dict[str, list[CancelOrder]] = {}
        for cancel in cancels:
            self._tracker.on_intent(cancel)
            by_venue.setdefault(cancel.venue, []).append(cancel)
        for venue, group in by_venue.items():
            entry = self._routes.get(venue)
            if entry is None:
                for cancel in group:
                    self._bus.publish(self._denial(cancel, DenyReason.INVALID_ORDER, f"no route to venue {venue!r}"))
                continue
            route, size = entry[0], self.batch_size(venue)
            if size <= 1:
                for cancel in group:
                    self._spawn(self._deliver(cancel))
                continue
            for i in range(0, len(group), size):
                self._spawn(self._deliver_batch(route, group[i : i + size]))

    async def _deliver_batch(self, route: Any, chunk: Sequence[CancelOrder]) -> None:
        try:
            await route.cancel_many(chunk)
            self.sent += len(chunk)
        except Denied as exc:
            self.denied += len(chunk)
            for cancel in chunk:
                self._bus.publish(self._denial(cancel, exc.reason, exc.message))
        except Exception as exc:  # noqa: BLE001 - a refused batch falls back, never drops a cancel
            log.warning("batch cancel of %d orders on %s failed (%r); cancelling one by one",
                        len(chunk), chunk[0].venue, exc)  # fmt: skip
            for cancel in chunk:
                self._spawn(self._deliver(cancel))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def batch_size(self, venue: str) -> int:
        """Cancels per message :meth:`cancel_batch` sends to ``venue`` (1: one by one)."""
        entry = self._routes.get(venue)
        if entry is None or entry[2]:
            return 1
        return max(1, getattr(entry[0], "cancel_batch_max", 1))
