"""backplane's core: events, bus, clock, books, strategy API and order model.

The names most plugins and strategies need are re-exported here; the rest
live in their modules (``framework.risk``, ``framework.config``,
``framework.paper``, ``framework.journal``, ``framework.kit`` ...).
"""

from framework.bus import Bus, ErrorPolicy
from framework.clock import Clock, LiveClock, SimClock
from framework.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    DenyReason,
    Event,
    Instrument,
    InstrumentStatus,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    Side,
    StreamState,
    StreamStatus,
    TimerFired,
    Trade,
)
from framework.l2book import L2Book
from framework.l3book import L3Book
from framework.native import warn_if_stale
from framework.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.strategy import Strategy, StrategyContext

__all__ = [
    "BookDelta",
    "BookSnapshot",
    "Bus",
    "CancelOrder",
    "CancelRejected",
    "Clock",
    "DenyReason",
    "ErrorPolicy",
    "Event",
    "Instrument",
    "InstrumentStatus",
    "L2Book",
    "L3Book",
    "LiveClock",
    "OrderAccepted",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderFilled",
    "OrderRejected",
    "OrderType",
    "ReplaceOrder",
    "Side",
    "SimClock",
    "Strategy",
    "StrategyContext",
    "StreamState",
    "StreamStatus",
    "SubmitOrder",
    "TimeInForce",
    "TimerFired",
    "Trade",
]

# A source checkout whose compiled hot paths are older than their sources
# would run the old code: say so (see framework.native).
warn_if_stale()
