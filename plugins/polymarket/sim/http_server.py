"""The simulator's HTTP server (aiohttp) on 127.0.0.1: the token endpoint and
the grpc-gateway REST mirror, in the proto3 JSON mapping.

Errors use the grpc-gateway body ``{"code": <grpc code>, "message": ...,
"details": []}`` with the matching HTTP status (reference §6).

``GET /sim/stats`` is the simulator's own debug endpoint, not the venue's:
:meth:`Exchange.counters` as a JSON object (violations by kind, accepted
requests by method, ingress total, faults fired, executions sent, client
orders resting). It needs no token, is not counted against any limit and is
never hit by a fault; like everything here it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from aiohttp import web
from google.protobuf import json_format

from plugins.polymarket.gen import refdata_pb2 as rd
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.sim.exchange import ORDER_ENTRY, Client, Exchange, SimError
from plugins.polymarket.sim.tokens import TokenError, issue

__all__ = ["HTTP_STATUS", "start_http_server"]

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.INTERNAL: 500,
}
_BY_HTTP = {500: grpc.StatusCode.INTERNAL, 502: grpc.StatusCode.UNAVAILABLE, 503: grpc.StatusCode.UNAVAILABLE, 504: grpc.StatusCode.DEADLINE_EXCEEDED}


def _status_body(code: grpc.StatusCode, message: str) -> web.Response:
    body = json.dumps({"code": code.value[0], "message": message, "details": []})
    return web.Response(status=HTTP_STATUS.get(code, 500), text=body, content_type="application/json")


def _ok(msg: Any) -> web.Response:
    return web.Response(text=json_format.MessageToJson(msg, indent=None), content_type="application/json")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Routes:
    """The HTTP handlers; ``token_url``/``audience`` are what assertions must name."""

    def __init__(self, exchange: Exchange) -> None:
        self.x = exchange
        self.token_url = ""
        self.audience = ""
        self._jti: set[str] = set()
        self._unanswered: set[asyncio.Future[None]] = set()  # requests held without an answer

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults])
        r = app.router
        r.add_post("/oauth/token", self.token)
        r.add_get("/v1/health", self.health)
        for path, method in _ENTRY_PATHS.items():
            r.add_post(path, self._entry(method))
        r.add_get("/v1/trading/orders/open", self.open_orders)
        r.add_post("/v1/refdata/instruments", self.instruments)
        r.add_get("/sim/stats", self.stats)
        app.on_shutdown.append(self._release)
        return app

    @web.middleware
    async def _faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/sim/"):
            return await handler(request)
        status = self.x.faults.take_http_failure()
        if status is not None:
            return _status_body(_BY_HTTP.get(status, grpc.StatusCode.INTERNAL), "injected failure")
        return await handler(request)

    # --- auth ------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            return web.json_response(issue(self.x, body, self.token_url, self.audience, self._jti))
        except TokenError as exc:
            return web.json_response({"error": exc.error, "error_description": exc.description}, status=exc.status)
        except ValueError:
            return web.json_response({"error": "invalid_request", "error_description": "body is not JSON"}, status=400)

    def _authed(self, request: web.Request, method: str, participant: bool) -> Client:
        auth = request.headers.get("Authorization", "")
        client = self.x.client_for(auth[7:] if auth.startswith("Bearer ") else "")
        if participant and request.headers.get("x-participant-id") != client.participant:
            raise SimError(grpc.StatusCode.PERMISSION_DENIED, "x-participant-id missing or not yours")
        refused = self.x.limits.ingress(client.firm, method)
        if refused is not None:
            raise SimError(grpc.StatusCode.RESOURCE_EXHAUSTED, refused)
        self.x.count(method)
        return client

    # --- handlers --------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _entry(self, method: str) -> Handler:
        """The handler of one order-entry method, with its faults: ``hang_requests``
        before the exchange sees the request, ``lose_answers`` after."""
        request_type = ORDER_ENTRY[method].request

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                client = self._authed(request, method, participant=True)
                msg = _parse(await request.text(), request_type())
            except SimError as exc:
                return _status_body(exc.code, exc.message)
            faults = self.x.faults
            if faults.take_hang():
                return await self._no_answer(request, wait=True)
            try:
                answer = _ok(self.x.order_entry(client, method, msg))
            except SimError as exc:
                answer = _status_body(exc.code, exc.message)
            how = faults.take_lost_answer()
            if how is None:
                return answer
            if how == "error":
                return _status_body(grpc.StatusCode.UNAVAILABLE, "service unavailable")
            return await self._no_answer(request, wait=how == "hang")

        return handle

    async def _no_answer(self, request: web.Request, *, wait: bool) -> web.StreamResponse:
        """Drop the connection without an answer; with ``wait``, first hold it
        until the client gives up (its handler is cancelled) or the server stops."""
        if wait:
            held = asyncio.get_running_loop().create_future()
            self._unanswered.add(held)
            try:
                await held
            finally:
                self._unanswered.discard(held)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)  # never written: the transport is gone

    async def _release(self, app: web.Application) -> None:
        for held in self._unanswered:
            if not held.done():
                held.set_result(None)

    async def open_orders(self, request: web.Request) -> web.Response:
        try:
            client = self._authed(request, "GetOpenOrders", participant=True)
            symbols = [s for v in request.query.getall("symbols", []) for s in v.split(",") if s]
            accounts = [a for v in request.query.getall("accounts", []) for a in v.split(",") if a]
            return _ok(tr.GetOpenOrdersResponse(orders=self.x.open_orders(client, symbols, accounts)))
        except SimError as exc:
            return _status_body(exc.code, exc.message)

    async def instruments(self, request: web.Request) -> web.Response:
        try:
            self._authed(request, "ListInstruments", participant=False)
            req = _parse(await request.text() or "{}", rd.ListInstrumentsRequest())
            return _ok(self.x.list_instruments(req))
        except SimError as exc:
            return _status_body(exc.code, exc.message)

    async def stats(self, request: web.Request) -> web.Response:
        """``GET /sim/stats``: the exchange's counters (see the module docstring)."""
        return web.json_response(self.x.counters())


_ENTRY_PATHS = {
    "/v1/trading/orders": "InsertOrder",
    "/v1/trading/orders/list": "InsertOrderList",
    "/v1/trading/orders/cancel": "CancelOrder",
    "/v1/trading/orders/cancel/list": "CancelOrderList",
    "/v1/trading/orders/replace": "CancelReplaceOrder",
    "/v1/trading/orders/replace/list": "CancelReplaceOrderList",
}


def _parse(text: str, msg: Any) -> Any:
    """``text`` (proto3 JSON) into ``msg``; INVALID_ARGUMENT if it does not fit."""
    try:
        return json_format.Parse(text, msg)
    except json_format.ParseError as exc:
        raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"bad request body: {exc}") from exc


async def start_http_server(exchange: Exchange, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve on 127.0.0.1; returns the runner (``await runner.cleanup()``) and base URL."""
    routes = Routes(exchange)
    # handler_cancellation: a client that gives up on a held request ends its handler.
    runner = web.AppRunner(routes.app(), access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    routes.token_url = f"{base}/oauth/token"
    routes.audience = base
    return runner, base
