"""Events the Polymarket adapter publishes that the core event model lacks."""

from __future__ import annotations

from framework.events import OrderEvent

__all__ = ["OrderReplaced", "OrderUnresolved"]


class OrderReplaced(OrderEvent, frozen=True, gc=False):
    """A cancel-replace took effect: the order now works at ``price`` for ``size`` lots
    (``remaining`` of them still open)."""

    price: int = 0
    size: int = 0
    remaining: int = 0


class OrderUnresolved(OrderEvent, frozen=True, gc=False):
    """After a reconnect an order we held open was missing from the venue's new
    snapshot: it filled or ended while we were disconnected, and the order stream
    does not say which. ``filled`` is the fill we know of."""

    filled: int = 0
    reason: str = ""
