"""Sans-IO outbound: intents and subscriptions -> the venue's request messages.

The transport sends what these build (each as an
:class:`~framework.execution.Outbound` through the risk layer's sender) and
never builds a request itself. Order entry has two wire forms with the same
meaning: the grpc-gateway JSON mapping for REST (:class:`JsonRequests`) and
the protobuf messages for unary gRPC (:class:`ProtoRequests`, no JSON round
trip on the hot path); a test keeps the two equal. A market order is sent as
an IOC limit at its protective price, so it never rests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.runtime.clock import NS_PER_S
from plugins.polymarket.codec.orders import OrderOwners
from plugins.polymarket.gen import dropcopy_pb2 as dc
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.limits import SYMBOLS_PER_STREAM
from plugins.polymarket.scales import Scales

__all__ = [
    "MD_METHOD",
    "JsonRequests",
    "OrderRequests",
    "ProtoRequests",
    "dropcopy_subscription",
    "md_subscription",
    "order_subscription",
    "pack_symbols",
]

# The market-data stream is opened by method name, with no response
# deserializer: the codec reads the raw bytes.
MD_METHOD = "/polymarket.v1.MarketDataSubscriptionAPI/CreateMarketDataSubscription"

_TIF = {
    TimeInForce.GTC: E.TIME_IN_FORCE_GOOD_TILL_CANCEL,
    TimeInForce.IOC: E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL,
    TimeInForce.FOK: E.TIME_IN_FORCE_FILL_OR_KILL,
    TimeInForce.GTT: E.TIME_IN_FORCE_GOOD_TILL_TIME,
    TimeInForce.DAY: E.TIME_IN_FORCE_DAY,
}


# --- subscriptions -------------------------------------------------------------


def pack_symbols(symbols: Sequence[str], per_stream: int = SYMBOLS_PER_STREAM) -> list[list[str]]:
    """Split symbols onto ``ceil(n / per_stream)`` streams, in order, duplicates dropped."""
    unique = list(dict.fromkeys(symbols))
    return [unique[i : i + per_stream] for i in range(0, len(unique), per_stream)]


def md_subscription(symbols: Sequence[str], depth: int, skip_to_head: bool) -> md.CreateMarketDataSubscriptionRequest:
    """The market-data subscription of one stream's symbols, ``depth`` levels a side."""
    return md.CreateMarketDataSubscriptionRequest(symbols=list(symbols), depth=depth, slow_consumer_skip_to_head=skip_to_head)


def _accounts(account: str) -> list[str]:
    return [account] if account else []  # none named: every account of the participant


def order_subscription(account: str) -> tr.CreateOrderSubscriptionRequest:
    """The order-stream subscription (open-order snapshot, then executions)."""
    return tr.CreateOrderSubscriptionRequest(accounts=_accounts(account))


def dropcopy_subscription(account: str, resume_token: bytes) -> dc.CreateDropCopySubscriptionRequest:
    """The drop-copy subscription, resuming after ``resume_token`` (``b""``: from now)."""
    return dc.CreateDropCopySubscriptionRequest(accounts=_accounts(account), resume_token=resume_token)


# --- order entry ---------------------------------------------------------------


def _rfc3339(wall_ns: int) -> str:
    secs, ns = divmod(wall_ns, NS_PER_S)
    return dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


class OrderRequests:
    """What both wire forms share: the instruments' scales, the account, and the
    venue order ids of working orders (``owners``, for cancels and replaces)."""

    def __init__(self, scales: Mapping[str, Scales], account: str, owners: OrderOwners) -> None:
        self.scales = scales
        self.account = account
        self.owners = owners

    @staticmethod
    def _tif(order: SubmitOrder) -> int:
        return E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL if order.order_type is OrderType.MARKET else _TIF[order.tif]

    @staticmethod
    def _expires(order: SubmitOrder) -> bool:
        return order.tif is TimeInForce.GTT and order.order_type is not OrderType.MARKET

    def _order_id(self, intent: CancelOrder | ReplaceOrder) -> str:
        return intent.venue_order_id or self.owners.order_id.get(intent.client_order_id, "")

    def _wire_px(self, symbol: str, price: int) -> int:
        return self.scales[symbol].to_wire_px(price)


class JsonRequests(OrderRequests):
    """Order-entry requests in the grpc-gateway JSON mapping (REST bodies)."""

    def insert(self, order: SubmitOrder) -> dict[str, Any]:
        """The ``InsertOrderRequest`` of an intent."""
        body: dict[str, Any] = {
            "type": "ORDER_TYPE_LIMIT",
            "side": "SIDE_BUY" if order.side > 0 else "SIDE_SELL",
            "orderQty": str(order.size),
            "symbol": order.symbol,
            "price": str(self._wire_px(order.symbol, order.price)),
            "timeInForce": E.TimeInForce.Name(self._tif(order)),
            "clordId": order.client_order_id,
        }
        if self.account:
            body["account"] = self.account
        if order.post_only:
            body["participateDontInitiate"] = True
        if self._expires(order):
            body["goodTillTime"] = _rfc3339(order.expire_ns)
        return body

    def cancel(self, cancel: CancelOrder | ReplaceOrder) -> dict[str, Any]:
        """The ``CancelOrderRequest`` of an intent (by venue order id when known)."""
        body: dict[str, Any] = {"clordId": cancel.client_order_id, "symbol": cancel.symbol}
        oid = self._order_id(cancel)
        if oid:
            body["orderId"] = oid
        return body

    def replace(self, replace: ReplaceOrder) -> dict[str, Any]:
        """The ``CancelReplaceOrderRequest`` of an intent (the new price and/or size)."""
        body = self.cancel(replace)
        if replace.price:
            body["price"] = str(self._wire_px(replace.symbol, replace.price))
        if replace.size:
            body["orderQty"] = str(replace.size)
        return body


class ProtoRequests(OrderRequests):
    """The same requests as :class:`JsonRequests`, as protobuf messages (unary gRPC)."""

    def insert(self, order: SubmitOrder) -> tr.InsertOrderRequest:
        req = tr.InsertOrderRequest(
            type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY if order.side > 0 else E.SIDE_SELL, order_qty=order.size,
            symbol=order.symbol, price=self._wire_px(order.symbol, order.price), time_in_force=self._tif(order),
            clord_id=order.client_order_id, account=self.account, participate_dont_initiate=order.post_only,
        )
        if self._expires(order):
            req.good_till_time.seconds, req.good_till_time.nanos = divmod(order.expire_ns, NS_PER_S)
        return req

    def cancel(self, cancel: CancelOrder) -> tr.CancelOrderRequest:
        return tr.CancelOrderRequest(order_id=self._order_id(cancel), clord_id=cancel.client_order_id, symbol=cancel.symbol)

    def replace(self, replace: ReplaceOrder) -> tr.CancelReplaceOrderRequest:
        req = tr.CancelReplaceOrderRequest(order_id=self._order_id(replace), clord_id=replace.client_order_id,
                                           symbol=replace.symbol, order_qty=replace.size)  # fmt: skip
        if replace.price:
            req.price = self._wire_px(replace.symbol, replace.price)
        return req
