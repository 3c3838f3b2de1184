"""Our simulated orders and their place in the venue's queue.

Theory of operation
-------------------
A resting paper order joins the back of its price level: ``queue_ahead`` is
the venue's displayed size at its price when it starts resting. It moves up
two ways:

- **prints**: a trade at its price that could have hit it (the aggressor was
  on the other side, or is unknown) first eats the size ahead; whatever the
  print had beyond that fills our order. A print *through* its price (a sell
  below our bid, a buy above our ask) means the whole level traded, so the
  queue ahead is gone and the print fills us up to its size.
- **shrinks**: when the displayed size at its price drops below
  ``queue_ahead`` (orders ahead cancelled, or traded without a print we saw),
  ``queue_ahead`` drops to it: we cannot be behind more than is displayed.

One print is shared: our orders on the side it hit take from it in price then
time priority, and together never more than its size. Everything is integer
lots; with ``partial_fills`` off an order fills only when what is offered
covers all of its remaining size (all-or-none).
"""

from __future__ import annotations

from collections.abc import Iterable

from framework.model.events import Side
from framework.model.orders import OrderType, TimeInForce
from framework.runtime.clock import TimerHandle

__all__ = ["PaperOrder", "allocate_print", "fill_size", "priority", "shrink_queue"]


class PaperOrder:
    """One order working at the paper exchange (mutable, owned by it)."""

    __slots__ = (
        "client_order_id",
        "expire_ns",
        "expiry",
        "filled",
        "order_type",
        "post_only",
        "price",
        "queue_ahead",
        "seq",
        "side",
        "size",
        "strategy",
        "symbol",
        "tif",
        "venue_order_id",
    )

    def __init__(
        self,
        client_order_id: str,
        strategy: str,
        venue_order_id: str,
        symbol: str,
        side: Side,
        price: int,
        size: int,
        *,
        filled: int = 0,
        order_type: OrderType = OrderType.LIMIT,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        expire_ns: int = 0,
        seq: int = 0,
    ) -> None:
        self.client_order_id = client_order_id
        self.strategy = strategy
        self.venue_order_id = venue_order_id
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.filled = filled
        self.order_type = order_type
        self.tif = tif
        self.post_only = post_only
        self.expire_ns = expire_ns
        # None: not known yet (a restored order waits for its first book state).
        self.queue_ahead: int | None = 0
        self.seq = seq  # time priority among our own orders
        self.expiry: TimerHandle | None = None

    @property
    def remaining(self) -> int:
        return self.size - self.filled

    def __repr__(self) -> str:
        return (
            f"PaperOrder({self.client_order_id!r}, {self.side.name} {self.remaining}/{self.size}"
            f" @ {self.price}, ahead={self.queue_ahead})"
        )


def fill_size(offered: int, remaining: int, partial_fills: bool) -> int:
    """Lots to fill when ``offered`` lots are available to an order with
    ``remaining`` lots: all it can take, or (all-or-none) all or nothing."""
    if offered >= remaining:
        return remaining
    return offered if partial_fills else 0


def priority(order: PaperOrder) -> tuple[int, int]:
    """Sort key: best price first (highest bid, lowest ask), then oldest."""
    return (-order.price * int(order.side), order.seq)


def shrink_queue(order: PaperOrder, displayed: int) -> None:
    """The venue now displays ``displayed`` lots at the order's level."""
    if order.queue_ahead is None or order.queue_ahead > displayed:
        order.queue_ahead = displayed


def allocate_print(
    orders: Iterable[PaperOrder], price: int, size: int, partial_fills: bool
) -> list[tuple[PaperOrder, int]]:
    """Fills a print of ``size`` lots at ``price`` gives our resting orders on
    the side it hit (``orders`` in :func:`priority` order); updates their
    ``queue_ahead``. Returns ``(order, lots)`` pairs with lots > 0."""
    fills: list[tuple[PaperOrder, int]] = []
    given = 0
    for order in orders:
        if not _touches(order, price):
            continue
        ahead = order.queue_ahead
        if order.price == price:
            if ahead is None:
                continue  # place unknown (restored, no book yet): do not guess
            order.queue_ahead = max(ahead - size, 0)
            offered = max(size - ahead, 0) - given
        else:  # traded through: everything at our level went
            order.queue_ahead = 0
            offered = size - given
        lots = fill_size(max(offered, 0), order.remaining, partial_fills)
        if lots:
            fills.append((order, lots))
            given += lots
    return fills


def _touches(order: PaperOrder, price: int) -> bool:
    # A print at or through our price: below-or-at a bid, at-or-above an ask.
    return price <= order.price if order.side is Side.BUY else price >= order.price
