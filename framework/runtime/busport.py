"""The bus as a plugin holds it: publish, subscribe, and unsubscribe what it subscribed.

A plugin (a venue adapter through ``ctx.bus``, a lifecycle hook through
``run.bus``) gets a :class:`BusPort`, not the run's :class:`~framework.runtime.bus.Bus`.
The bus lists every subscription, and a subscription names its handler -- the
bound method of whichever component subscribed it (the risk layer, the
run's protection, the paper exchange): from there any component of the run
was one attribute away. The port forwards the three calls a plugin makes and
exposes nothing else.

Hot path: ``port.publish`` *is* the bus's publish (bound once), so an
adapter publishing through its port pays no extra call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from framework.model.events import Event
from framework.runtime.bus import Bus, ErrorPolicy, Subscription

__all__ = ["BusPort", "EventBus"]


class EventBus(Protocol):
    """What a venue adapter may call on ``ctx.bus`` (a :class:`BusPort` in a run; a
    test may hand a plain :class:`~framework.runtime.bus.Bus`)."""

    def publish(self, event: Event) -> None: ...

    def subscribe(
        self,
        handler: Callable[[Any], Any],
        kind: type | Iterable[type] | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        *,
        name: str | None = None,
        policy: ErrorPolicy | None = None,
        queued: bool = False,
        book_backlog: int = 1000,
    ) -> Subscription: ...


class BusPort:
    """A plugin's handle on the run's bus (see the module docs)."""

    __slots__ = ("_bus", "_own", "publish")

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._own: set[Subscription] = set()  # the subscriptions made through this port
        self.publish: Callable[[Event], None] = bus.publish

    def subscribe(
        self,
        handler: Callable[[Any], Any],
        kind: type | Iterable[type] | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        *,
        name: str | None = None,
        policy: ErrorPolicy | None = None,
        queued: bool = False,
        book_backlog: int = 1000,
    ) -> Subscription:
        """:meth:`Bus.subscribe <framework.runtime.bus.Bus.subscribe>`."""
        sub = self._bus.subscribe(handler, kind, venue, symbol, name=name, policy=policy, queued=queued,
                                  book_backlog=book_backlog)  # fmt: skip
        self._own.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop a subscription made through this port (any other is left alone)."""
        if sub in self._own:
            self._own.discard(sub)
            self._bus.unsubscribe(sub)
