"""What strategies send: order intents, before the risk layer and the venue.

Intents are immutable records in integer ticks and lots, like events. The
framework assigns ``client_order_id``; a venue adapter maps it to whatever the
venue calls a client id (Polymarket ``clord_id``, dYdX ``client_id``).
"""

from __future__ import annotations

import enum

import msgspec

from framework.model.events import Side

__all__ = [
    "CancelOrder",
    "Intent",
    "OrderType",
    "ReplaceOrder",
    "SubmitOrder",
    "TimeInForce",
]


class OrderType(enum.Enum):
    LIMIT = "limit"
    MARKET = "market"  # executes against the book up to a protective price, never rests


class TimeInForce(enum.Enum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    GTT = "gtt"  # good till ``expire_ns`` (wall clock ns)
    DAY = "day"


class Intent(msgspec.Struct, frozen=True, gc=False):
    """Base of order intents: who sends it, where, and for which order."""

    strategy: str
    venue: str
    symbol: str
    client_order_id: str


class SubmitOrder(Intent, frozen=True, gc=False):
    """A new order. ``price`` is the limit (or, for a market order, the worst
    price accepted) in ticks; ``size`` in lots."""

    side: Side = Side.BUY
    price: int = 0
    size: int = 0
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    reduce_only: bool = False
    expire_ns: int = 0


class CancelOrder(Intent, frozen=True, gc=False):
    """Cancel a working order (``venue_order_id`` when known)."""

    venue_order_id: str = ""


class ReplaceOrder(Intent, frozen=True, gc=False):
    """Change price and/or size of a working order (cancel-replace)."""

    venue_order_id: str = ""
    price: int = 0
    size: int = 0
