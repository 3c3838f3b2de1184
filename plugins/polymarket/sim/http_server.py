"""The simulator's HTTP server (aiohttp) on 127.0.0.1: the token endpoint and
the grpc-gateway REST mirror, in the proto3 JSON mapping.

Errors use the grpc-gateway body ``{"code": <grpc code>, "message": ...,
"details": []}`` with the matching HTTP status (reference §6).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from aiohttp import web
from google.protobuf import json_format

from plugins.polymarket.gen import refdata_pb2 as rd
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.sim.exchange import Client, Exchange, SimError
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

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults])
        r = app.router
        r.add_post("/oauth/token", self.token)
        r.add_get("/v1/health", self.health)
        r.add_post("/v1/trading/orders", self._trading("InsertOrder", tr.InsertOrderRequest, self._insert))
        r.add_post("/v1/trading/orders/list", self._trading("InsertOrderList", tr.InsertOrderListRequest, self._insert_list))
        r.add_post("/v1/trading/orders/cancel", self._trading("CancelOrder", tr.CancelOrderRequest, self._cancel))
        r.add_post("/v1/trading/orders/cancel/list", self._trading("CancelOrderList", tr.CancelOrderListRequest, self._cancel_list))
        r.add_post("/v1/trading/orders/replace", self._trading("CancelReplaceOrder", tr.CancelReplaceOrderRequest, self._replace))
        r.add_post("/v1/trading/orders/replace/list", self._trading("CancelReplaceOrderList", tr.CancelReplaceOrderListRequest, self._replace_list))
        r.add_get("/v1/trading/orders/open", self.open_orders)
        r.add_post("/v1/refdata/instruments", self.instruments)
        return app

    @web.middleware
    async def _faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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

    def _trading(self, method: str, msg_type: type, call: Callable[[Client, Any], Any]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                client = self._authed(request, method, participant=True)
                try:
                    msg = json_format.Parse(await request.text(), msg_type())
                except json_format.ParseError as exc:
                    raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"bad request body: {exc}") from exc
                return _ok(call(client, msg))
            except SimError as exc:
                return _status_body(exc.code, exc.message)

        return handle

    def _insert(self, c: Client, m: Any) -> Any:
        return tr.InsertOrderResponse(order_id=self.x.insert(c, m))

    def _insert_list(self, c: Client, m: Any) -> Any:
        _check_batch(m.requests)
        return tr.InsertOrderListResponse(responses=[self._insert(c, r) for r in m.requests])

    def _cancel(self, c: Client, m: Any) -> Any:
        self.x.cancel(c, m)
        return tr.CancelOrderResponse()

    def _cancel_list(self, c: Client, m: Any) -> Any:
        _check_batch(m.requests)
        return tr.CancelOrderListResponse(responses=[self._cancel(c, r) for r in m.requests])

    def _replace(self, c: Client, m: Any) -> Any:
        self.x.replace(c, m)
        return tr.CancelReplaceOrderResponse()

    def _replace_list(self, c: Client, m: Any) -> Any:
        _check_batch(m.requests)
        return tr.CancelReplaceOrderListResponse(responses=[self._replace(c, r) for r in m.requests])

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
            try:
                req = json_format.Parse(await request.text() or "{}", rd.ListInstrumentsRequest())
            except json_format.ParseError as exc:
                raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"bad request body: {exc}") from exc
            return _ok(self.x.list_instruments(req))
        except SimError as exc:
            return _status_body(exc.code, exc.message)


def _check_batch(requests: Any) -> None:
    if not 1 <= len(requests) <= 20:
        raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"a batch holds 1-20 requests, not {len(requests)}")


async def start_http_server(exchange: Exchange, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve on 127.0.0.1; returns the runner (``await runner.cleanup()``) and base URL."""
    routes = Routes(exchange)
    runner = web.AppRunner(routes.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    routes.token_url = f"{base}/oauth/token"
    routes.audience = base
    return runner, base
