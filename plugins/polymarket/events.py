"""Events the Polymarket adapter publishes.

``OrderReplaced`` is the core event (re-exported here for code that imported it
from this module); ``OrderUnresolved`` is the core :class:`OrderUnknown` raised
when an order we held open is missing from the venue's snapshot after a
reconnect: it filled or ended while we were away, and the run asks the venue.
"""

from __future__ import annotations

from framework.model.events import OrderReplaced, OrderUnknown

__all__ = ["OrderReplaced", "OrderUnresolved"]

OrderUnresolved = OrderUnknown
