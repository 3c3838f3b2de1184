"""REST order entry over one pooled ``httpx.AsyncClient`` (the grpc-gateway mirror).

Every request is encoded here (the JSON body, as bytes) into an
:class:`~framework.execution.Outbound` and sent through the framework's
sender, which admits it (the risk layer's ingress limiter and per-method
buckets) before :meth:`RestClient._write` makes the request with
``authorization: Bearer`` plus, for account-scoped calls, ``x-participant-id``.
Errors are mapped into the project's exception tree here, at the boundary
(reference §6):

==========================  ====================  ==============================
HTTP                        grpc-gateway code     raised
==========================  ====================  ==============================
429                         8 RESOURCE_EXHAUSTED  VenueThrottled (the sender backs off)
401                         16 UNAUTHENTICATED    token re-minted, sent once more, then VenueAuthError
403                         7 PERMISSION_DENIED   VenueAuthError
5xx, timeouts, no connect   14 UNAVAILABLE ...    VenueUnavailable
other 4xx (400, 404, 409)   3, 5, 10 ...          VenueRejected
undecodable body                                  VenueProtocolError
==========================  ====================  ==============================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import httpx
import msgspec

from framework.execution import GatedSender, Outbound
from framework.model.errors import (
    VenueAuthError,
    VenueProtocolError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.plugin.venue import MessageKind
from plugins.polymarket.auth import TokenRefused, send_authed
from plugins.polymarket.faultlog import EntryHealth

__all__ = ["RestClient"]

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


class _Request(NamedTuple):
    """An encoded request: what the sender admits and :meth:`RestClient._write` sends."""

    verb: str
    url: str
    content: bytes | None
    params: dict[str, str] | None
    participant: bool
    method: str  # the venue method, for messages


class RestClient:
    """The venue's REST API as async methods taking and returning JSON-mapping dicts."""

    def __init__(self, *, venue: str, base: str, http: httpx.AsyncClient, tokens: Any, sender: GatedSender,
                 participant_id: str) -> None:  # fmt: skip
        self.venue = venue
        self.base = base.rstrip("/")
        self.http = http
        self.tokens = tokens
        self.sender = sender
        self.participant_id = participant_id
        self.requests = 0
        self.health = EntryHealth(venue, "REST", "HTTP 5xx", tokens.clock)  # 5xx bursts and lost answers, logged per episode

    # --- order entry ---------------------------------------------------------

    async def insert_order(self, body: dict[str, Any]) -> str:
        """POST /v1/trading/orders; returns the venue order id."""
        out = await self._call("POST", "/v1/trading/orders", MessageKind.NEW_ORDER, "InsertOrder", body)
        return str(out.get("orderId", ""))

    async def insert_order_list(self, bodies: list[dict[str, Any]]) -> list[str]:
        out = await self._call("POST", "/v1/trading/orders/list", MessageKind.NEW_ORDER, "InsertOrderList", {"requests": bodies})
        return [str(r.get("orderId", "")) for r in out.get("responses", [])]

    async def cancel_order(self, body: dict[str, Any]) -> None:
        await self._call("POST", "/v1/trading/orders/cancel", MessageKind.CANCEL, "CancelOrder", body)

    async def cancel_order_list(self, bodies: list[dict[str, Any]]) -> None:
        await self._call("POST", "/v1/trading/orders/cancel/list", MessageKind.CANCEL, "CancelOrderList", {"requests": bodies})

    async def replace_order(self, body: dict[str, Any]) -> None:
        await self._call("POST", "/v1/trading/orders/replace", MessageKind.REPLACE, "CancelReplaceOrder", body)

    async def replace_order_list(self, bodies: list[dict[str, Any]]) -> None:
        await self._call("POST", "/v1/trading/orders/replace/list", MessageKind.REPLACE, "CancelReplaceOrderList", {"requests": bodies})

    async def open_orders(self, symbols: Sequence[str] = (), accounts: Sequence[str] = ()) -> list[dict[str, Any]]:
        params = {k: ",".join(v) for k, v in (("symbols", symbols), ("accounts", accounts)) if v}
        out = await self._call("GET", "/v1/trading/orders/open", MessageKind.QUERY, "GetOpenOrders", None, params)
        return list(out.get("orders", []))

    # --- reference data ----------------------------------------------------

    async def list_instruments(self, symbols: list[str]) -> list[dict[str, Any]]:
        """Every instrument named (all listed ones when ``symbols`` is empty), page by page."""
        found: list[dict[str, Any]] = []
        chunks = [symbols[i : i + 1000] for i in range(0, len(symbols), 1000)] or [[]]
        for chunk in chunks:
            token = ""
            while True:
                body: dict[str, Any] = {"pageSize": 1000, "symbols": chunk}
                if token:
                    body["pageToken"] = token
                out = await self._call("POST", "/v1/refdata/instruments", MessageKind.QUERY, "ListInstruments", body, participant=False)
                found.extend(out.get("instruments", []))
                token = out.get("nextPageToken", "")
                if out.get("eof", True) or not token:
                    break
        return found

    # --- the one place requests are made -------------------------------------

    async def _call(self, verb: str, path: str, kind: MessageKind, method: str, body: Any,
                    params: dict[str, str] | None = None, participant: bool = True) -> dict[str, Any]:
        request = _Request(verb, self.base + path, None if body is None else _encode(body), params, participant, method)
        try:
            out = await send_authed(self.sender, self.tokens, Outbound(kind, method, request), self._write)
        except TokenRefused as exc:
            return self._result(method, exc.answer)  # refused again: raises VenueAuthError
        except VenueUnavailable as exc:
            self.health.failed(method, exc)
            raise
        self.health.ok()
        return out

    async def _write(self, req: _Request) -> dict[str, Any]:
        """Send one admitted request; the answer mapped (a 401 raises :class:`TokenRefused`)."""
        token = await self.tokens.token()
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        if req.participant:
            headers["x-participant-id"] = self.participant_id
        self.requests += 1
        try:
            r = await self.http.request(req.verb, req.url, content=req.content, params=req.params, headers=headers)
        except httpx.TimeoutException as exc:
            raise VenueUnavailable(self.venue, f"{req.method} timed out (outcome unknown)") from exc
        except httpx.HTTPError as exc:
            raise VenueUnavailable(self.venue, f"{req.method} failed: {exc!r}") from exc
        if r.status_code == 401:
            raise TokenRefused(token, r)
        return self._result(req.method, r)

    def _result(self, method: str, r: httpx.Response) -> dict[str, Any]:
        status = r.status_code
        try:
            data = _decode(r.content) if r.content else {}
        except msgspec.DecodeError as exc:
            if status >= 500:
                raise VenueUnavailable(self.venue, f"{method}: HTTP {status}", status) from exc
            raise VenueProtocolError(self.venue, f"{method}: response is not JSON", status) from exc
        if status == 200:
            if not isinstance(data, dict):
                raise VenueProtocolError(self.venue, f"{method}: response is not a JSON object", status)
            return data
        message = f"{method}: {data.get('message', '') if isinstance(data, dict) else ''}".rstrip(": ")
        if status == 429:  # the sender, seeing it, tells the gate to back off
            raise VenueThrottled(self.venue, message, status)
        if status in (401, 403):
            raise VenueAuthError(self.venue, message, status)
        if status >= 500:
            raise VenueUnavailable(self.venue, message, status)
        raise VenueRejected(self.venue, message, status)
