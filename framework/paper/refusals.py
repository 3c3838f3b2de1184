"""Why the paper exchange refuses an order or a replace ('' when it does not)."""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from framework.model.events import Side
from framework.model.orders import OrderType, SubmitOrder, TimeInForce
from framework.paper.liquidity import crosses
from framework.paper.queue import PaperOrder

__all__ = ["TAKE_AND_GO", "replace_refusal", "submit_refusal", "would_cross"]

TAKE_AND_GO = (TimeInForce.IOC, TimeInForce.FOK)


def would_cross(side: Side, price: int, book: Any) -> bool:
    """True when an order on ``side`` at ``price`` would trade against ``book``'s best."""
    best = book.best_ask() if side is Side.BUY else book.best_bid()
    return best is not None and crosses(side, price, best[0])


def submit_refusal(
    order: SubmitOrder, venue: str, working: Container[str], wall_ns: int, book_of: Callable[[str], Any]
) -> tuple[str, Any]:
    """Why paper venue ``venue`` refuses ``order`` ('' if it does not), and its book.

    ``working`` holds the client order ids working now; ``wall_ns`` is the time
    of arrival."""
    if order.venue != venue:
        return f"order for venue {order.venue!r} sent to paper venue {venue!r}", None
    if type(order.size) is not int or order.size <= 0:
        return f"size must be a positive int of lots, not {order.size!r}", None
    if type(order.price) is not int or order.price <= 0:
        return f"price must be a positive int of ticks, not {order.price!r}", None
    if order.client_order_id in working:
        return f"duplicate client order id {order.client_order_id!r}", None
    if order.tif is TimeInForce.GTT and order.expire_ns <= wall_ns:
        return "gtt: expiry already passed", None
    if order.post_only and (order.order_type is OrderType.MARKET or order.tif in TAKE_AND_GO):
        return "post-only order cannot be market, ioc or fok", None
    try:
        book = book_of(order.symbol)
    except KeyError:
        return f"unknown symbol {order.symbol!r}", None
    if order.post_only and would_cross(order.side, order.price, book):
        return "post-only order would cross", None
    return "", book


def replace_refusal(order: PaperOrder, price: int, size: int, book: Any) -> str:
    """Why ``order`` may not become ``size`` lots in total at ``price`` ('' if it may)."""
    if price < 0 or size < 0:
        return "price and size must not be negative"
    if size <= order.filled:
        return f"new size {size} not above filled {order.filled}"
    if order.post_only and would_cross(order.side, price, book):
        return "post-only order would cross"
    return ""
