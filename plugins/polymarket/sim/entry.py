"""What the simulator's order entry speaks: its RPC table, its clients, its refusals.

Shared by the exchange core (:mod:`plugins.polymarket.sim.exchange`) and both
servers: a request is looked up in :data:`ORDER_ENTRY` (one table for gRPC and
REST), made on behalf of a registered :class:`Client`, and refused with a
:class:`SimError` carrying the gRPC status the servers answer with.
"""

from __future__ import annotations

from typing import NamedTuple

import grpc

from plugins.polymarket.gen import trading_pb2 as tr

__all__ = ["ORDER_ENTRY", "Client", "EntryMethod", "RestingOrder", "SimError", "check_identity"]


class SimError(Exception):
    """A request the exchange refuses, with its gRPC status."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Client:
    """A registered M2M client: its public key and what it may trade."""

    def __init__(self, client_id: str, public_key_pem: bytes, firm: str, participant: str, accounts: list[str]) -> None:
        self.client_id = client_id
        self.public_key_pem = public_key_pem
        self.firm = firm
        self.participant = participant
        self.accounts = accounts


class EntryMethod(NamedTuple):
    """One order-entry RPC: its request type, what it does to each of its
    requests (``insert``, ``cancel`` or ``replace``), whether it is a ``*List``
    batch, its response type and the response type of one of its requests."""

    request: type
    action: str
    batch: bool
    response: type
    item: type


_INS, _CXL, _RPL = tr.InsertOrderResponse, tr.CancelOrderResponse, tr.CancelReplaceOrderResponse
ORDER_ENTRY = {
    "InsertOrder": EntryMethod(tr.InsertOrderRequest, "insert", False, _INS, _INS),
    "InsertOrderList": EntryMethod(tr.InsertOrderListRequest, "insert", True, tr.InsertOrderListResponse, _INS),
    "CancelOrder": EntryMethod(tr.CancelOrderRequest, "cancel", False, _CXL, _CXL),
    "CancelOrderList": EntryMethod(tr.CancelOrderListRequest, "cancel", True, tr.CancelOrderListResponse, _CXL),
    "CancelReplaceOrder": EntryMethod(tr.CancelReplaceOrderRequest, "replace", False, _RPL, _RPL),
    "CancelReplaceOrderList": EntryMethod(tr.CancelReplaceOrderListRequest, "replace", True, tr.CancelReplaceOrderListResponse, _RPL),
}


class RestingOrder(NamedTuple):
    """A client order resting at the exchange now (wire price and quantity)."""

    account: str
    clord_id: str
    order_id: str
    symbol: str
    side: str  # "BUY" or "SELL"
    price: int
    leaves: int


def check_identity(order_id: str, clord_id: str) -> None:
    """A cancel or replace must name its order (``SimError`` INVALID_ARGUMENT otherwise)."""
    if not order_id and not clord_id:
        raise SimError(grpc.StatusCode.INVALID_ARGUMENT, "order_id or clord_id is required")
