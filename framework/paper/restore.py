"""Journalled open orders put back into a restarted paper run."""

from __future__ import annotations

from typing import Protocol

from framework.model.events import Side
from framework.model.orders import TimeInForce
from framework.paper.queue import PaperOrder

__all__ = ["RestorableOrder", "restored_order"]


class RestorableOrder(Protocol):
    """What :meth:`PaperExchange.restore` needs of a journalled open order."""

    # Read-only members, so frozen records (the journal's ``OpenOrder``) satisfy it.
    @property
    def client_order_id(self) -> str: ...

    @property
    def strategy(self) -> str: ...

    @property
    def venue_order_id(self) -> str: ...

    @property
    def symbol(self) -> str: ...

    @property
    def side(self) -> Side: ...

    @property
    def price(self) -> int: ...

    @property
    def size(self) -> int: ...

    @property
    def filled(self) -> int: ...

    @property
    def tif(self) -> TimeInForce: ...

    @property
    def expire_ns(self) -> int: ...

    @property
    def post_only(self) -> bool: ...


def restored_order(rec: RestorableOrder, venue_order_id: str, seq: int) -> PaperOrder:
    """``rec`` as a working paper order (its queue position is unknown: the
    first book state seen after the restore decides it)."""
    order = PaperOrder(
        rec.client_order_id,
        rec.strategy,
        venue_order_id,
        rec.symbol,
        Side(rec.side),
        rec.price,
        rec.size,
        filled=rec.filled,
        tif=rec.tif,
        post_only=rec.post_only,
        expire_ns=rec.expire_ns,
        seq=seq,
    )
    order.queue_ahead = None
    return order
