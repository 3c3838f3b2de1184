"""The simulator's grpc.aio server on 127.0.0.1: market-data, order and drop-copy
streams, unary order entry, refdata and health, speaking ``polymarket.v1``.

Every call is authenticated from its ``authorization: Bearer`` metadata and
counted against the firm's ingress limit (a stream open is one message);
streams take a firm stream slot for their lifetime.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from plugins.polymarket.gen import dropcopy_pb2_grpc as dc_grpc
from plugins.polymarket.gen import health_pb2 as hl
from plugins.polymarket.gen import health_pb2_grpc as hl_grpc
from plugins.polymarket.gen import marketdatasubscription_pb2_grpc as md_grpc
from plugins.polymarket.gen import refdata_pb2_grpc as rd_grpc
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.sim.exchange import Client, Exchange, SimError
from plugins.polymarket.sim.streams import KILL, StreamHandle

__all__ = ["start_grpc_server"]

# Allow the client's keepalive pings (the venue advises 60 s ones).
SERVER_OPTIONS = [
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_ping_strikes", 0),
]


async def _client(exchange: Exchange, context: grpc.aio.ServicerContext, method: str) -> Client:
    token = ""
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
            token = value[7:]
    try:
        client = exchange.client_for(token)
    except SimError as exc:
        await context.abort(exc.code, exc.message)
    refused = exchange.limits.ingress(client.firm, method)
    if refused is not None:
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, refused)
    exchange.count(method)
    return client


async def _pump(exchange: Exchange, handle: StreamHandle, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
    try:
        while True:
            item = await handle.next()
            if item is KILL:
                await context.abort(grpc.StatusCode.UNAVAILABLE, handle.killed or "stream closed")
            yield item
    finally:
        exchange.unsubscribe(handle)
        exchange.limits.close_stream(handle.firm)


class MarketData(md_grpc.MarketDataSubscriptionAPIServicer):
    def __init__(self, exchange: Exchange) -> None:
        self.x = exchange

    async def CreateMarketDataSubscription(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        x = self.x
        client = await _client(x, context, "CreateMarketDataSubscription")
        symbols = list(request.symbols) or list(x.engines)
        if request.symbols and not x.limits.check_symbols(len(symbols)):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"at most {x.limits.settings.symbols_per_stream} symbols per subscription")
        unknown = [s for s in symbols if s not in x.engines]
        if unknown:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown symbols: {unknown[:5]}")
        if request.unaggregated:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "the simulator serves aggregated books only")
        if not x.limits.open_stream(client.firm):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"at most {x.limits.settings.max_streams} concurrent streams")
        handle = x.subscribe_md(client.firm, symbols, request.depth or 10, request.slow_consumer_skip_to_head)
        if request.snapshot_only:
            handle.kill("snapshot sent")
        async for item in _pump(x, handle, context):
            yield item


def _entry_rpc(method: str) -> Callable[[OrderEntry, Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    """The servicer method of one order-entry RPC: :meth:`OrderEntry._entry` for ``method``."""

    async def rpc(self: OrderEntry, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await self._entry(context, method, request)

    rpc.__name__ = method
    return rpc


class OrderEntry(tr_grpc.OrderEntryAPIServicer):
    def __init__(self, exchange: Exchange) -> None:
        self.x = exchange

    async def CreateOrderSubscription(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        x = self.x
        client = await _client(x, context, "CreateOrderSubscription")
        if not x.limits.open_stream(client.firm):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"at most {x.limits.settings.max_streams} concurrent streams")
        handle = x.subscribe_orders(client, list(request.accounts))
        async for item in _pump(x, handle, context):
            yield item

    async def _entry(self, context: grpc.aio.ServicerContext, method: str, request: Any) -> Any:
        """One order-entry call, with its faults: ``hang_requests`` before the
        exchange sees it, ``lose_answers`` after it was processed."""
        x = self.x
        client = await _client(x, context, method)
        if x.faults.take_hang():
            await _until_cancelled()
        answer, error = None, None
        try:
            answer = x.order_entry(client, method, request)
        except SimError as exc:
            error = exc
        how = x.faults.take_lost_answer()
        if how == "error":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "service unavailable")
        elif how == "reset":
            await context.abort(grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2")
        elif how == "hang":
            await _until_cancelled()
        if error is not None:
            await context.abort(error.code, error.message)
        return answer

    InsertOrder = _entry_rpc("InsertOrder")
    InsertOrderList = _entry_rpc("InsertOrderList")
    CancelOrder = _entry_rpc("CancelOrder")
    CancelOrderList = _entry_rpc("CancelOrderList")
    CancelReplaceOrder = _entry_rpc("CancelReplaceOrder")
    CancelReplaceOrderList = _entry_rpc("CancelReplaceOrderList")

    async def GetOpenOrders(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        client = await _client(self.x, context, "GetOpenOrders")
        return tr.GetOpenOrdersResponse(orders=self.x.open_orders(client, request.symbols, request.accounts))


async def _until_cancelled() -> None:
    """Never answer: the client's deadline (or the server's stop) cancels the call."""
    await asyncio.get_running_loop().create_future()


class DropCopy(dc_grpc.DropCopyAPIServicer):
    def __init__(self, exchange: Exchange) -> None:
        self.x = exchange

    async def CreateDropCopySubscription(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        x = self.x
        client = await _client(x, context, "CreateDropCopySubscription")
        if not x.limits.open_stream(client.firm):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"at most {x.limits.settings.max_streams} concurrent streams")
        try:
            handle = x.subscribe_dropcopy(client, list(request.accounts), request.resume_token)
        except SimError as exc:
            x.limits.close_stream(client.firm)
            await context.abort(exc.code, exc.message)
        async for item in _pump(x, handle, context):
            yield item


class RefData(rd_grpc.RefDataAPIServicer):
    def __init__(self, exchange: Exchange) -> None:
        self.x = exchange

    async def ListInstruments(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await _client(self.x, context, "ListInstruments")
        try:
            return self.x.list_instruments(request)
        except SimError as exc:
            await context.abort(exc.code, exc.message)


class Health(hl_grpc.HealthAPIServicer):
    async def Check(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return hl.HealthCheckResponse(status="ok")


async def start_grpc_server(exchange: Exchange, port: int = 0) -> tuple[grpc.aio.Server, int]:
    """Start the server on 127.0.0.1 (plaintext: loopback only); returns it and its port."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    md_grpc.add_MarketDataSubscriptionAPIServicer_to_server(MarketData(exchange), server)
    tr_grpc.add_OrderEntryAPIServicer_to_server(OrderEntry(exchange), server)
    rd_grpc.add_RefDataAPIServicer_to_server(RefData(exchange), server)
    dc_grpc.add_DropCopyAPIServicer_to_server(DropCopy(exchange), server)
    hl_grpc.add_HealthAPIServicer_to_server(Health(), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound


