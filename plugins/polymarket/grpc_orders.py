"""Unary gRPC order entry (``OrderEntryAPI``), the low-latency alternative to REST.

Same interface as :class:`~plugins.polymarket.rest.RestClient`; the requests
are the protobuf messages :class:`~plugins.polymarket.codec.ProtoRequests`
builds (``order_entry: grpc`` in the settings). A JSON-mapping body, as for
REST, is parsed into its message here. Each request, encoded, is an
:class:`~framework.execution.Outbound` sent through the framework's sender,
which admits it before :meth:`GrpcOrderEntry._write` makes the call. gRPC
status codes are mapped into the project's exception tree at this boundary:

===============================================  ==========================================
status                                           raised
===============================================  ==========================================
RESOURCE_EXHAUSTED                               VenueThrottled (the sender backs off)
UNAUTHENTICATED                                  token re-minted, sent once more, then VenueAuthError
PERMISSION_DENIED                                VenueAuthError
UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...    VenueUnavailable (outcome unknown)
INVALID_ARGUMENT, NOT_FOUND, ABORTED, ...        VenueRejected
===============================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar

import grpc
from google.protobuf import json_format

from framework.execution import GatedSender, Outbound
from framework.model.errors import (
    VenueAuthError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.plugin.venue import MessageKind
from plugins.polymarket.auth import TokenRefused, send_authed
from plugins.polymarket.faultlog import EntryHealth
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc

__all__ = ["GrpcOrderEntry"]

M = TypeVar("M")

_UNAVAILABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DATA_LOSS,
}


_Body = Any  # a request message, or its JSON mapping


def _message(body: _Body, kind: type[M]) -> M:
    """``body`` as a ``kind`` message (parsed when it is a JSON mapping)."""
    return body if isinstance(body, kind) else json_format.ParseDict(body, kind())


class _Unary(NamedTuple):
    """An encoded call: what the sender admits and :meth:`GrpcOrderEntry._write` makes."""

    rpc: Any
    request: Any
    method: str


class GrpcOrderEntry:
    """Order entry over one grpc.aio channel; see the module docstring."""

    def __init__(self, *, venue: str, channel: Any, tokens: Any, sender: GatedSender, participant_id: str,
                 timeout_s: float) -> None:  # fmt: skip
        self.venue = venue
        self.stub = tr_grpc.OrderEntryAPIStub(channel)
        self.tokens = tokens
        self.sender = sender
        self.participant_id = participant_id
        self.timeout_s = timeout_s
        self.requests = 0
        self.health = EntryHealth(venue, "gRPC order entry", "UNAVAILABLE", tokens.clock)  # UNAVAILABLE bursts, lost answers

    async def insert_order(self, body: dict[str, Any] | tr.InsertOrderRequest) -> str:
        """Insert one order: a JSON-mapping body, or the message itself (the fast path)."""
        req = _message(body, tr.InsertOrderRequest)
        out = await self._call(self.stub.InsertOrder, req, MessageKind.NEW_ORDER, "InsertOrder")
        return str(out.order_id)

    async def insert_order_list(self, bodies: Sequence[_Body]) -> list[str]:
        req = tr.InsertOrderListRequest(requests=[_message(b, tr.InsertOrderRequest) for b in bodies])
        out = await self._call(self.stub.InsertOrderList, req, MessageKind.NEW_ORDER, "InsertOrderList")
        return [str(r.order_id) for r in out.responses]

    async def cancel_order(self, body: _Body) -> None:
        req = _message(body, tr.CancelOrderRequest)
        await self._call(self.stub.CancelOrder, req, MessageKind.CANCEL, "CancelOrder")

    async def cancel_order_list(self, bodies: Sequence[_Body]) -> None:
        req = tr.CancelOrderListRequest(requests=[_message(b, tr.CancelOrderRequest) for b in bodies])
        await self._call(self.stub.CancelOrderList, req, MessageKind.CANCEL, "CancelOrderList")

    async def replace_order(self, body: _Body) -> None:
        req = _message(body, tr.CancelReplaceOrderRequest)
        await self._call(self.stub.CancelReplaceOrder, req, MessageKind.REPLACE, "CancelReplaceOrder")

    async def replace_order_list(self, bodies: Sequence[_Body]) -> None:
        req = tr.CancelReplaceOrderListRequest(requests=[_message(b, tr.CancelReplaceOrderRequest) for b in bodies])
        await self._call(self.stub.CancelReplaceOrderList, req, MessageKind.REPLACE, "CancelReplaceOrderList")

    async def open_orders(self, symbols: Sequence[str] = (), accounts: Sequence[str] = ()) -> list[dict[str, Any]]:
        req = tr.GetOpenOrdersRequest(symbols=list(symbols), accounts=list(accounts))
        out = await self._call(self.stub.GetOpenOrders, req, MessageKind.QUERY, "GetOpenOrders")
        return [json_format.MessageToDict(o) for o in out.orders]

    async def _call(self, rpc: Any, req: Any, kind: MessageKind, method: str) -> Any:
        try:
            out = await send_authed(self.sender, self.tokens, Outbound(kind, method, _Unary(rpc, req, method)), self._write)
        except TokenRefused as exc:
            raise self._mapped(method, exc.answer) from exc.answer
        except VenueUnavailable as exc:
            self.health.failed(method, exc)
            raise
        self.health.ok()
        return out

    async def _write(self, call: _Unary) -> Any:
        """Make one admitted call; its error mapped (UNAUTHENTICATED raises :class:`TokenRefused`)."""
        token = await self.tokens.token()
        metadata = (("authorization", f"Bearer {token}"), ("x-participant-id", self.participant_id))
        self.requests += 1
        try:
            return await call.rpc(call.request, metadata=metadata, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise TokenRefused(token, exc) from exc
            raise self._mapped(call.method, exc) from exc

    def _mapped(self, method: str, exc: grpc.aio.AioRpcError) -> Exception:
        code = exc.code()
        message = f"{method}: {exc.details()}"
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:  # the sender, seeing it, backs off
            return VenueThrottled(self.venue, message, code.name)
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return VenueAuthError(self.venue, message, code.name)
        if code in _UNAVAILABLE:
            return VenueUnavailable(self.venue, message, code.name)
        return VenueRejected(self.venue, message, code.name)
