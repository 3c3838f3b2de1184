"""The run's order router: the only way an intent reaches a venue.

``send(intent)`` is called from a strategy callback and returns at once:

1. the :class:`~framework.execution.tracker.OrderTracker` records the intent (a new
   order is NEW, a cancel or replace puts its order in PENDING_CANCEL /
   PENDING_REPLACE);
2. a cancel that has nothing to cancel at the venue is **answered here** and
   nothing is sent: the order's insert is still queued (it is dropped and the
   order CANCELLED), or the order is already over (denied, rejected, done); a
   cancel of an order whose cancel is already on its way is merged into it;
3. the pre-trade risk layer evaluates new orders and replaces; a denial is
   published as :class:`~framework.model.events.OrderDenied` and nothing is sent;
4. otherwise the intent joins its order's **lane**: requests on one order go
   out one at a time, each after the venue answered the one before (a cancel
   never overtakes its insert, replaces keep their order), while different
   orders go out concurrently. A lane is drained by a task the router owns.

The venue's route is the live adapter, which sends every message through the
framework's gated sender (:mod:`framework.execution.sender`), or the paper
exchange behind the same sender, so a paper run spends the budget a live one
would. The router itself never touches a gate.

Outcomes (the written outcome policy; docs/running.md has the table):

- the gate has no budget in time: ``OrderDenied`` (``RATE_LIMITED``), never
  sent late;
- the venue refused (4xx, 429, auth): ``OrderRejected`` for an insert,
  ``CancelRejected`` for a cancel or replace;
- the answer was lost (timeout, 5xx, reset, an undecodable answer, an
  internal error after the request may have left): ``OrderUnknown`` -- the
  order is UNKNOWN and :class:`~framework.execution.resolver.UnknownResolver`
  asks the venue. Never reported as a rejection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from framework.execution.lifecycle import OrderStatus
from framework.execution.tracker import OrderTracker
from framework.model.errors import (
    Denied,
    VenueError,
    VenueProtocolError,
    VenueUnavailable,
)
from framework.model.events import (
    CancelRejected,
    DenyReason,
    OrderCanceled,
    OrderDenied,
    OrderRejected,
    OrderUnknown,
)
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.plugin.strategy import OrderRouter
from framework.runtime.bus import Bus
from framework.runtime.clock import Clock
from framework.runtime.episode import Episode

__all__ = ["PreTrade", "Route", "RunRouter"]

log = logging.getLogger(__name__)

AnyIntent = SubmitOrder | CancelOrder | ReplaceOrder


class PreTrade(Protocol):
    """The pre-trade half of the risk layer."""

    def evaluate(self, intent: Intent) -> OrderDenied | None: ...


class Route(Protocol):
    """Where a venue's intents go: a live adapter or a paper exchange."""

    async def submit(self, order: SubmitOrder) -> None: ...

    async def cancel(self, cancel: CancelOrder) -> None: ...

    async def replace(self, replace: ReplaceOrder) -> None: ...


_REQUEST = {SubmitOrder: "submit", CancelOrder: "cancel", ReplaceOrder: "replace"}
# Errors after which the venue may or may not have acted: the answer was lost.
_LOST = (VenueUnavailable, VenueProtocolError)


class RunRouter(OrderRouter):
    """Routes intents through tracking, risk, per-order lanes and the venue gate (see module docs)."""

    def __init__(self, bus: Bus, clock: Clock, tracker: OrderTracker, pretrade: PreTrade | None = None) -> None:
        self._bus = bus
        self._clock = clock
        self._tracker = tracker
        self._pretrade = pretrade
        self._routes: dict[str, tuple[Route, Any]] = {}
        self._lanes: dict[str, deque[AnyIntent]] = {}  # client id -> requests not yet started
        self._tasks: set[asyncio.Task[None]] = set()
        tracker.on_stray = self.pull_stray
        self.sent = 0
        self.denied = 0
        self.answered_locally = 0  # cancels that needed no message to the venue
        self.unknown = 0  # requests whose answer was lost
        self._lost_answers: dict[str, Episode] = {}  # venue -> its answers-lost episode (one WARNING each)
        self.cancels_merged = 0  # cancels of an order whose cancel was already on its way
        # Called with every intent before the risk layer sees it (the journal).
        self.on_intent: Callable[[AnyIntent], None] | None = None

    def set_pretrade(self, pretrade: PreTrade) -> None:
        """Put the pre-trade risk layer in front of every route."""
        self._pretrade = pretrade

    def add_route(self, venue: str, route: Route, budget: Any) -> None:
        """Route ``venue``'s intents to ``route``; ``budget.remaining()`` is what
        strategies read as the venue's budget (the venue's sender)."""
        self._routes[venue] = (route, budget)

    def route(self, venue: str) -> Route | None:
        """The route of ``venue`` (None before it started)."""
        entry = self._routes.get(venue)
        return entry[0] if entry is not None else None

    def budget(self, venue: str) -> int:
        entry = self._routes.get(venue)
        return entry[1].remaining() if entry is not None else 0

    # -- in --------------------------------------------------------------------

    def send(self, intent: AnyIntent) -> None:
        if type(intent) is CancelOrder and self._cancelling(intent.client_order_id):
            self.cancels_merged += 1  # the cancel on its way answers this one too
            return
        if type(intent) is ReplaceOrder and self._in_doubt(intent.client_order_id):
            self._deny_later(intent, "the order is in doubt (its last answer was lost): replace it once its venue resolved it")
            return
        self._tracker.on_intent(intent)
        if self.on_intent is not None:
            self.on_intent(intent)
        if type(intent) is CancelOrder and self._answered_here(intent):  # type: ignore[arg-type]
            return
        denial = self._pretrade.evaluate(intent) if self._pretrade is not None else None
        if denial is None and intent.venue not in self._routes:
            denial = self._denial(intent, DenyReason.INVALID_ORDER, f"no route to venue {intent.venue!r}")
        if denial is not None:
            self.denied += 1
            self._bus.publish(denial)
            return
        if type(intent) is SubmitOrder:
            self._tracker.admitted(intent.client_order_id)
        self._enqueue(intent)

    def pull_stray(self, order: Any) -> None:
        """Cancel an order the run believed over that the venue shows working (its
        acknowledgement came after the run had closed it, e.g. a lost answer
        resolved as never seen): nothing may rest at the venue unknown to the run."""
        self._enqueue(CancelOrder(order.strategy, order.venue, order.symbol, order.client_order_id, order.venue_order_id))

    def _enqueue(self, intent: AnyIntent) -> None:
        """Put ``intent`` in its order's lane; start the lane's drain if idle."""
        coid = intent.client_order_id
        lane = self._lanes.get(coid)
        if lane is not None:
            lane.append(intent)  # behind the request in flight on the same order
            return
        self._lanes[coid] = deque((intent,))
        self._spawn(self._drain(coid))

    def _answered_here(self, cancel: CancelOrder) -> bool:
        """Answer a cancel that needs no venue message; True if it was answered."""
        coid = cancel.client_order_id
        lane = self._lanes.get(coid)
        if lane and type(lane[0]) is SubmitOrder:
            # The insert has not left yet: drop it (and anything queued behind it).
            lane.clear()
            self._local(OrderCanceled, cancel, "cancelled before it was sent: nothing reached the venue")
            return True
        return self._over(cancel)

    def _in_doubt(self, coid: str) -> bool:
        """UNKNOWN: a replace would price an order the run cannot see (and the
        venue may not hold); a cancel still goes, since it cannot add risk."""
        order = self._tracker.order(coid)
        return order is not None and order.state is OrderStatus.UNKNOWN

    def _deny_later(self, intent: Intent, message: str) -> None:
        """Deny ``intent`` on the next loop turn (as :meth:`_local` answers)."""
        self.denied += 1
        event = self._denial(intent, DenyReason.INVALID_ORDER, message)
        asyncio.get_running_loop().call_soon(self._bus.publish, event)

    def _cancelling(self, coid: str) -> bool:
        order = self._tracker.order(coid)
        return order is not None and order.state is OrderStatus.PENDING_CANCEL

    def _local(self, cls: Callable[..., Any], intent: Intent, reason: str) -> None:
        """Answer ``intent`` here, on the next turn of the loop as a venue's answer
        would come: never inside the strategy callback that sent it (a strategy
        that answers a cancel with a new order and its cancel would recurse)."""
        self.answered_locally += 1
        now = self._clock.now_ns()
        event = cls(intent.venue, intent.symbol, now, now, intent.client_order_id, intent.strategy, "", reason)
        asyncio.get_running_loop().call_soon(self._bus.publish, event)

    # -- out -------------------------------------------------------------------

    async def _drain(self, coid: str) -> None:
        """Send the requests of one order, each after the answer to the one before."""
        lane = self._lanes[coid]
        try:
            while lane:
                intent = lane.popleft()
                if type(intent) is not SubmitOrder and self._over(intent):
                    continue
                await self._deliver(intent)
        finally:
            del self._lanes[coid]

    def _over(self, intent: AnyIntent) -> bool:
        """A cancel or replace of an order that is over (or unknown): answered here."""
        order = self._tracker.order(intent.client_order_id)
        if order is not None and order.is_open:
            return False
        why = "no such order" if order is None else f"the order is {order.state.value}"
        self._local(CancelRejected, intent, f"nothing to {_REQUEST[type(intent)]} ({why}): nothing sent to the venue")
        return True

    async def _deliver(self, intent: AnyIntent) -> None:
        route = self._routes[intent.venue][0]
        try:
            await self._call(route, intent)
            self.sent += 1
            self._answered(intent.venue)
        except Denied as exc:
            self.denied += 1
            self._bus.publish(self._denial(intent, exc.reason, exc.message))
        except _LOST as exc:
            self._lost(intent, str(exc))
        except VenueError as exc:
            self._answered(intent.venue)
            self._bus.publish(self._venue_refusal(intent, str(exc)))
        except Exception as exc:  # a bug after the request may have left: in doubt, not refused
            log.exception("route for %s failed on %r", intent.venue, intent)
            self._lost(intent, f"internal error: {exc!r}")

    def _lost(self, intent: Intent, reason: str) -> None:
        self.unknown += 1
        now = self._clock.now_ns()
        request = _REQUEST[type(intent)]
        episode = self._lost_answers.get(intent.venue)
        if episode is None:  # the first of a burst at WARNING, the others (which orders are in doubt) at INFO
            episode = self._lost_answers[intent.venue] = Episode(
                log, self._clock, f"{intent.venue}: answers lost", "outcome unknown, asking the venue", logging.INFO)
        episode.seen(f"{request} {intent.client_order_id} ({reason})")
        self._bus.publish(OrderUnknown(intent.venue, intent.symbol, now, now, intent.client_order_id,
                                       intent.strategy, "", request, reason))  # fmt: skip

    def _answered(self, venue: str) -> None:
        """A request to ``venue`` was answered: its answers-lost episode is over."""
        episode = self._lost_answers.get(venue)
        if episode is not None:
            episode.over()

    @staticmethod
    async def _call(route: Route, intent: AnyIntent) -> None:
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
            "", reason, f"{type(intent).__name__}: {message}", _REQUEST[type(intent)],
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

    # -- protective cancels (framework.execution.protection) ----------------------------------

    def cancel_batch(self, cancels: Sequence[CancelOrder], *, again: bool = False) -> None:
        """Send protective cancels of acknowledged orders at once, grouped per venue.

        A live route with a batch cancel (``cancel_many``, at most
        ``cancel_batch_max`` per request) gets one request per chunk -- one ingress
        message for up to that many cancels -- all queued at the limiter together,
        where cancels are the most urgent kind. Anything else goes one by one as
        :meth:`send` would send it. A chunk the venue refuses as a whole is retried
        one by one, so one bad order cannot keep the others resting. An order with
        a request queued or in flight gets its cancel in its lane, behind that
        request (per-order sequencing), and a cancel with nothing to cancel is
        answered here, as :meth:`send` does. ``again``: cancels of orders whose
        cancel is on its way go out again too (the stop's rounds without answers)."""
        by_venue: dict[str, list[CancelOrder]] = {}
        for cancel in cancels:
            if not again and self._cancelling(cancel.client_order_id):
                continue  # a cancel is already on its way
            self._tracker.on_intent(cancel)
            if self._answered_here(cancel):
                continue
            if cancel.client_order_id in self._lanes:
                self._enqueue(cancel)
            else:
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
                    self._enqueue(cancel)
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
                self._enqueue(cancel)

    def _spawn(self, coro: Any) -> None:
        """Run ``coro`` as a task the router owns (``drain`` waits for it)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def batch_size(self, venue: str) -> int:
        """Cancels per message :meth:`cancel_batch` sends to ``venue`` (1: one by one)."""
        entry = self._routes.get(venue)
        if entry is None:
            return 1
        return max(1, getattr(entry[0], "cancel_batch_max", 1))
