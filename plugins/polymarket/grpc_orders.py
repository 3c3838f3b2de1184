"""Unary gRPC order entry (``OrderEntryAPI``), the low-latency alternative to REST.

Same interface and the same JSON-mapping request bodies as
:class:`~plugins.polymarket.rest.RestClient` (parsed into the protobuf
messages here), so the adapter builds one body whichever path it uses
(``order_entry: grpc`` in the settings). gRPC status codes are mapped into the
project's exception tree at this boundary:

===============================================  ==========================================
status                                           raised
===============================================  ==========================================
RESOURCE_EXHAUSTED                               VenueThrottled (gate.throttled())
UNAUTHENTICATED                                  token re-minted, retried once, then VenueAuthError
PERMISSION_DENIED                                VenueAuthError
UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...    VenueUnavailable (outcome unknown)
INVALID_ARGUMENT, NOT_FOUND, ABORTED, ...        VenueRejected
===============================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import json_format

from framework.errors import (
    VenueAuthError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.venue import MessageKind
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc

__all__ = ["GrpcOrderEntry"]

_UNAVAILABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DATA_LOSS,
}


class GrpcOrderEntry:
    """Order entry over one grpc.aio channel; see the module docstring."""

    def __init__(self, *, venue: str, channel: Any, tokens: Any, gate: Any, participant_id: str, timeout_s: float) -> None:
        self.venue = venue
        self.stub = tr_grpc.OrderEntryAPIStub(channel)
        self.tokens = tokens
        self.gate = gate
        self.participant_id = participant_id
        self.timeout_s = timeout_s
        self.requests = 0

    async def insert_order(self, body: dict[str, Any] | tr.InsertOrderRequest) -> str:
        """Insert one order: a JSON-mapping body, or the message itself (the fast path)."""
        req = body if isinstance(body, tr.InsertOrderRequest) else json_format.ParseDict(body, tr.InsertOrderRequest())
        out = await self._call(self.stub.InsertOrder, req, MessageKind.NEW_ORDER, "InsertOrder")
        return str(out.order_id)

    async def insert_order_list(self, bodies: list[dict[str, Any]]) -> list[str]:
        req = json_format.ParseDict({"requests": bodies}, tr.InsertOrderListRequest())
        out = await self._call(self.stub.InsertOrderList, req, MessageKind.NEW_ORDER, "InsertOrderList")
        return [str(r.order_id) for r in out.responses]

    async def cancel_order(self, body: dict[str, Any]) -> None:
        req = json_format.ParseDict(body, tr.CancelOrderRequest())
        await self._call(self.stub.CancelOrder, req, MessageKind.CANCEL, "CancelOrder")

    async def cancel_order_list(self, bodies: list[dict[str, Any]]) -> None:
        req = json_format.ParseDict({"requests": bodies}, tr.CancelOrderListRequest())
        await self._call(self.stub.CancelOrderList, req, MessageKind.CANCEL, "CancelOrderList")

    async def replace_order(self, body: dict[str, Any]) -> None:
        req = json_format.ParseDict(body, tr.CancelReplaceOrderRequest())
        await self._call(self.stub.CancelReplaceOrder, req, MessageKind.REPLACE, "CancelReplaceOrder")

    async def replace_order_list(self, bodies: list[dict[str, Any]]) -> None:
        req = json_format.ParseDict({"requests": bodies}, tr.CancelReplaceOrderListRequest())
        await self._call(self.stub.CancelReplaceOrderList, req, MessageKind.REPLACE, "CancelReplaceOrderList")

    async def open_orders(self, symbols: Sequence[str] = (), accounts: Sequence[str] = ()) -> list[dict[str, Any]]:
        req = tr.GetOpenOrdersRequest(symbols=list(symbols), accounts=list(accounts))
        out = await self._call(self.stub.GetOpenOrders, req, MessageKind.QUERY, "GetOpenOrders")
        return [json_format.MessageToDict(o) for o in out.orders]

    async def _call(self, rpc: Any, req: Any, kind: MessageKind, method: str) -> Any:
        for attempt in (0, 1):
            await self.gate.admit(kind, method=method)
            token = await self.tokens.token()
            metadata = (("authorization", f"Bearer {token}"), ("x-participant-id", self.participant_id))
            self.requests += 1
            try:
                return await rpc(req, metadata=metadata, timeout=self.timeout_s)
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                if code == grpc.StatusCode.UNAUTHENTICATED and attempt == 0:
                    self.tokens.invalidate(token)
                    continue
                raise self._mapped(method, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _mapped(self, method: str, exc: grpc.aio.AioRpcError) -> Exception:
        code = exc.code()
        message = f"{method}: {exc.details()}"
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            self.gate.throttled()
            return VenueThrottled(self.venue, message, code.name)
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return VenueAuthError(self.venue, message, code.name)
        if code in _UNAVAILABLE:
            return VenueUnavailable(self.venue, message, code.name)
        return VenueRejected(self.venue, message, code.name)
