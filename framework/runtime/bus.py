"""The event bus: routes events from venue adapters to strategies and services.

Theory of operation
-------------------
A subscription names a handler and a filter of event kind (a class; its
subclasses match too), venue and symbol, each optional (``None`` = any).
``publish(event)`` looks the event's ``(class, venue, symbol)`` up in a route
cache -- built once per key, dropped whenever a subscription changes -- and
calls each matching handler in subscription order. The hot path is three dict
subscripts and plain calls (a lone subscriber is called without a loop): no
pluggy hook, no queue, no task switch.

Ordering: an event published from inside a handler is queued and delivered
after the current event has reached every subscriber, so every subscriber sees
every ``(venue, symbol)`` stream in publish order. A subscription made from a
handler receives what is published after it; one removed from a handler
receives nothing more, not even the rest of the event in flight.

Two kinds of subscriber:

- **direct** (default): the handler runs inside ``publish``. It cannot lag; a
  slow one slows the publisher, which is the backpressure we want on the hot
  path.
- **queued** (``queued=True``): events go to the subscription's
  :class:`Inbox`, and the consumer drains it when it can (``drain()`` or
  ``await inbox.wait()``). Execution and order events are never dropped or
  conflated. Once more than ``book_backlog`` book events wait, a newer book
  event for a ``(venue, symbol)`` that already has one waiting replaces it (the
  old one is dropped, the new one goes to the back, so order per symbol holds);
  ``Inbox.conflated`` counts them and the consumer receives a
  :class:`~framework.model.events.SubscriberLagged` notice before its next event.

Isolation: a handler that raises does not disturb the others. The bus
publishes a :class:`~framework.model.events.HandlerFailed` event and applies the
subscription's :class:`ErrorPolicy` (stop it, or keep delivering).
"""

from __future__ import annotations

import enum
import logging
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from framework.model.events import Event, HandlerFailed, SubscriberLagged
from framework.runtime.clock import Clock

__all__ = ["Bus", "ErrorPolicy", "Inbox", "Subscription"]

log = logging.getLogger(__name__)

Handler = Callable[[Any], Any]
_Target = Handler | list[Handler]
# Bus._in_flight when no fan-out is being delivered; never written to
_IDLE: list[Handler] = []


def _skip(event: Any) -> None:
    """Stands in for an entry unsubscribed while its fan-out was being delivered."""


class ErrorPolicy(enum.Enum):
    """What happens to a subscription whose handler raises."""

    STOP = "stop"  # unsubscribe it at once
    CONTINUE = "continue"  # count the error and keep delivering


class Subscription:
    """One handler with its filter. Returned by :meth:`Bus.subscribe`."""

    __slots__ = (
        "name",
        "handler",
        "kinds",
        "venue",
        "symbol",
        "policy",
        "inbox",
        "errors",
        "active",
        "_entry",
    )

    def __init__(
        self,
        name: str,
        handler: Handler,
        kinds: tuple[type, ...] | None,
        venue: str | None,
        symbol: str | None,
        policy: ErrorPolicy,
    ) -> None:
        self.name = name
        self.handler = handler
        self.kinds = kinds
        self.venue = venue
        self.symbol = symbol
        self.policy = policy
        self.inbox: Inbox | None = None
        self.errors = 0
        self.active = True
        # What the route lists hold: the handler itself for a direct
        # subscriber (one call per delivery), the inbox's push for a queued one.
        self._entry: Handler = handler

    def matches(self, cls: type, venue: str, symbol: str) -> bool:
        return (
            (self.kinds is None or issubclass(cls, self.kinds))
            and (self.venue is None or self.venue == venue)
            and (self.symbol is None or self.symbol == symbol)
        )

    def __repr__(self) -> str:
        return (
            f"Subscription({self.name!r}, kinds={self.kinds}, venue={self.venue!r}, "
            f"symbol={self.symbol!r}, queued={self.inbox is not None})"
        )


class Inbox:
    """The backlog of a queued subscription, drained by its consumer.

    Book events beyond ``book_backlog`` are conflated per ``(venue, symbol)``;
    every other event is kept.
    """

    __slots__ = (
        "_sub",
        "_bus",
        "book_backlog",
        "_items",
        "_book_waiting",
        "_latest_book",
        "conflated",
        "_unreported",
        "_waiter",
    )

    def __init__(self, sub: Subscription, bus: Bus, book_backlog: int) -> None:
        if book_backlog < 1:
            raise ValueError("book_backlog must be at least 1")
        self._sub = sub
        self._bus = bus
        self.book_backlog = book_backlog
        # Book events are held in a one-item list so that conflation can
        # empty the list in place instead of searching the deque.
        self._items: deque[Any] = deque()
        self._book_waiting = 0
        self._latest_book: dict[tuple[str, str], list[Event | None]] = {}
        self.conflated = 0
        self._unreported = 0
        self._waiter: Any = None

    def __len__(self) -> int:
        """Events waiting (dropped book events excluded)."""
        return sum(1 for i in self._items if type(i) is not list or i[0] is not None)

    def push(self, event: Event) -> None:
        if event.conflatable:
            key = (event.venue, event.symbol)
            if self._book_waiting >= self.book_backlog:
                older = self._latest_book.get(key)
                if older is not None and older[0] is not None:
                    older[0] = None
                    self._book_waiting -= 1
                    self.conflated += 1
                    self._unreported += 1
            cell: list[Event | None] = [event]
            self._latest_book[key] = cell
            self._items.append(cell)
            self._book_waiting += 1
        else:
            self._items.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def drain(self, limit: int | None = None) -> int:
        """Deliver up to ``limit`` waiting events (all if ``None``); returns how many."""
        delivered = 0
        items = self._items
        while items and (limit is None or delivered < limit) and self._sub.active:
            item = items.popleft()
            if type(item) is list:
                event = item[0]
                if event is None:
                    continue
                self._book_waiting -= 1
                if self._latest_book.get((event.venue, event.symbol)) is item:
                    del self._latest_book[(event.venue, event.symbol)]
            else:
                event = item
            if self._unreported:
                notice = SubscriberLagged(
                    event.venue, "", 0, self._bus.clock_ns(), self._sub.name, self._unreported
                )
                self._unreported = 0
                self._bus._call(self._sub, self._sub.handler, notice)
            self._bus._call(self._sub, self._sub.handler, event)
            delivered += 1
        return delivered

    async def wait(self) -> None:
        """Return once at least one event waits."""
        import asyncio

        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class Bus:
    """In-process publish/subscribe for :mod:`framework.model.events`.

    ``clock`` stamps the events the bus makes itself (``HandlerFailed``,
    ``SubscriberLagged``).
    """

    def __init__(self, clock: Clock | None = None, *, default_policy: ErrorPolicy = ErrorPolicy.STOP) -> None:
        self._clock = clock
        self._default_policy = default_policy
        self._subs: list[Subscription] = []
        # The route cache: symbol -> venue -> event class -> target (see _resolve).
        self._routes: dict[str, dict[str, dict[type, _Target]]] = {}
        self._by_entry: dict[int, Subscription] = {}
        self._pending: deque[Event] = deque()
        self.handler_errors = 0
        # The fan-out being delivered (one at most: a publish from a handler
        # only queues), where unsubscribe blanks the entry it removes.
        self._in_flight: list[Handler] = _IDLE
        self._publish = self._make_publish()
        self.publish = self._publish  # type: ignore[method-assign,assignment]

    # -- subscriptions -------------------------------------------------

    def subscribe(
        self,
        handler: Handler,
        kind: type | Iterable[type] | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        *,
        name: str | None = None,
        policy: ErrorPolicy | None = None,
        queued: bool = False,
        book_backlog: int = 1000,
    ) -> Subscription:
        """Route matching events to ``handler``; ``None`` filters match anything.
        Events published from now on reach it, not one being delivered."""
        kinds: tuple[type, ...] | None
        if kind is None:
            kinds = None
        elif isinstance(kind, type):
            kinds = (kind,)
        else:
            kinds = tuple(kind)
        sub = Subscription(
            str(name or getattr(handler, "__qualname__", repr(handler))),
            handler,
            kinds,
            venue,
            symbol,
            policy or self._default_policy,
        )
        if queued:
            sub.inbox = Inbox(sub, self, book_backlog)
            sub._entry = sub.inbox.push
        elif id(handler) in self._by_entry:
            # The same callable twice: give this subscription its own entry
            # object so an error can be traced to the right subscription.
            def entry(event: Any, _h: Handler = handler) -> Any:
                return _h(event)

            sub._entry = entry
        self._by_entry[id(sub._entry)] = sub
        self._subs.append(sub)
        self._routes.clear()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub`` at once (also the rest of an event being
        delivered); unknown or stopped subscriptions are ignored."""
        if sub in self._subs:
            self._subs.remove(sub)
            self._by_entry.pop(id(sub._entry), None)
            self._routes.clear()
            in_flight = self._in_flight
            for i, entry in enumerate(in_flight):
                if entry is sub._entry:
                    in_flight[i] = _skip  # by index: the running loop keeps its place
        sub.active = False

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

    # -- publishing ----------------------------------------------------

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every matching subscriber (see the module docs)."""
        self._publish(event)

    def _make_publish(self) -> Callable[[Event], None]:
        # The hot path (``python -m bench bus`` shows every saved load), built
        # as a closure that ``__init__`` binds over ``self.publish``. Per event:
        # three dict subscripts (no key tuple to build and hash), then one call
        # for a lone subscriber or a loop over a fan-out list. ``try`` is free
        # until something raises (3.11+). Miss and error paths go through
        # ``bus``: each call copies four closure cells, not seven.
        routes = self._routes
        pending = self._pending
        bus = self
        busy = False

        def publish(event: Event) -> None:
            nonlocal busy
            if busy:
                pending.append(event)
                return
            busy = True
            try:
                while True:
                    try:
                        target = routes[event.symbol][event.venue][event.__class__]
                    except KeyError:
                        target = bus._resolve(event)
                    if type(target) is list:
                        bus._in_flight = target
                        for entry in target:
                            try:
                                entry(event)
                            except Exception as exc:
                                bus._entry_failed(entry, event, exc)
                        bus._in_flight = _IDLE
                    else:
                        try:
                            target(event)  # type: ignore[operator]  # not a list: a lone entry
                        except Exception as exc:
                            bus._entry_failed(target, event, exc)  # type: ignore[arg-type]
                    if not pending:
                        return
                    event = pending.popleft()
            finally:
                busy = False

        return publish

    def _resolve(self, event: Event) -> _Target:
        """Cache the target of ``event``'s (class, venue, symbol): a lone entry
        itself (no loop), else the entries in subscription order (maybe none)."""
        cls, venue, symbol = event.__class__, event.venue, event.symbol
        entries = [s._entry for s in self._subs if s.matches(cls, venue, symbol)]
        target: _Target = entries[0] if len(entries) == 1 else entries
        self._routes.setdefault(symbol, {}).setdefault(venue, {})[cls] = target
        return target

    # -- errors --------------------------------------------------------

    def clock_ns(self) -> int:
        return self._clock.now_ns() if self._clock is not None else 0

    def _call(self, sub: Subscription, handler: Handler, event: Event) -> None:
        try:
            handler(event)
        except Exception as exc:
            self._failed(sub, event, exc)

    def _entry_failed(self, entry: Handler, event: Event, exc: Exception) -> None:
        self._failed(self._by_entry.get(id(entry)), event, exc)

    def _failed(self, sub: Subscription | None, event: Event, exc: Exception) -> None:
        self.handler_errors += 1
        name = sub.name if sub is not None else "?"
        stop = sub is not None and sub.policy is ErrorPolicy.STOP
        if sub is not None:
            sub.errors += 1
            if stop:
                self.unsubscribe(sub)
        log.error("subscriber %s failed on %s: %r", name, type(event).__name__, exc, exc_info=exc)
        if isinstance(event, HandlerFailed):
            return  # never report a failure to report a failure: no loops
        self.publish(
            HandlerFailed(
                event.venue,
                event.symbol,
                event.ts_event,
                self.clock_ns(),
                name,
                type(event).__name__,
                repr(exc),
                "".join(traceback.format_exception(exc)),
                stop,
            )
        )
