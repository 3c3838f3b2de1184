"""The Polymarket US exchange venue adapter: codec + transport + REST + auth.

Start-up: load the key (a bad one fails here, clearly), mint a token, list
the instruments of the run's symbols (their scales), then open the drop-copy
stream (executions, resumable), the order stream and ``ceil(n / 1000)``
market-data streams one after another, and wait until each has resynced. Every
outbound message -- token request, stream open, query, order, cancel, replace
-- is an :class:`~framework.execution.Outbound` sent through ``ctx.sender``,
which admits it at the risk layer before it is written.

Hot path per market-data message: the raw bytes into the codec (no protobuf
object unless the update carries more than the book), one ``bus.publish`` per
event; nothing else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

import grpc
import httpx

from framework.books.l2book import L2Book
from framework.model.errors import (
    VenueAuthError,
    VenueError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import (
    Instrument,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    VenueCheckpoint,
)
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.plugin.specs import SettingsIssue
from framework.plugin.venue import VenueContext, VenueLimits, VenueOrder
from framework.runtime.clock import NS_PER_S
from plugins.polymarket.auth import TokenSource, load_private_key
from plugins.polymarket.codec import MarketDataCodec, OrderCodec
from plugins.polymarket.faultlog import Redeliveries
from plugins.polymarket.gen import dropcopy_pb2 as dc
from plugins.polymarket.gen import dropcopy_pb2_grpc as dc_grpc
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.grpc_orders import GrpcOrderEntry
from plugins.polymarket.limits import BATCH_MAX, SYMBOLS_PER_STREAM, venue_limits
from plugins.polymarket.rest import RestClient
from plugins.polymarket.scales import Scales
from plugins.polymarket.settings import PolymarketSettings, plaintext_issues, reveal
from plugins.polymarket.transport import (
    Backoff,
    ManagedStream,
    check_target,
    make_channel,
)

__all__ = ["PolymarketAdapter", "pack_symbols"]

_TIF = {
    TimeInForce.GTC: "TIME_IN_FORCE_GOOD_TILL_CANCEL",
    TimeInForce.IOC: "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL",
    TimeInForce.FOK: "TIME_IN_FORCE_FILL_OR_KILL",
    TimeInForce.GTT: "TIME_IN_FORCE_GOOD_TILL_TIME",
    TimeInForce.DAY: "TIME_IN_FORCE_DAY",
}


_TIF_WIRE = {
    TimeInForce.GTC: E.TIME_IN_FORCE_GOOD_TILL_CANCEL,
    TimeInForce.IOC: E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL,
    TimeInForce.FOK: E.TIME_IN_FORCE_FILL_OR_KILL,
    TimeInForce.GTT: E.TIME_IN_FORCE_GOOD_TILL_TIME,
    TimeInForce.DAY: E.TIME_IN_FORCE_DAY,
}


_MD_METHOD = "/polymarket.v1.MarketDataSubscriptionAPI/CreateMarketDataSubscription"

# The journal key of the drop-copy resume token (a VenueCheckpoint).
RESUME_TOKEN_KEY = "dropcopy.resume_token"
# Events after which an order is over (a full fill is checked separately). An
# order in doubt (OrderUnknown) is not: the run resolves it from the venue.
_FINAL = frozenset({OrderCanceled, OrderExpired, OrderRejected})


def pack_symbols(symbols: Sequence[str], per_stream: int = SYMBOLS_PER_STREAM) -> list[list[str]]:
    """Split symbols onto ``ceil(n / per_stream)`` streams, in order, duplicates dropped."""
    unique = list(dict.fromkeys(symbols))
    return [unique[i : i + per_stream] for i in range(0, len(unique), per_stream)]


def _rfc3339(wall_ns: int) -> str:
    secs, ns = divmod(wall_ns, NS_PER_S)
    return dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


class PolymarketAdapter:
    """A :class:`framework.plugin.venue.VenueAdapter` for the Polymarket US exchange."""

    #: Cancels per CancelOrderList request: the venue (and its simulator) counts
    #: one request as one ingress message, so the run's protective cancels and
    #: its stop go out 20 to a message (``RunRouter.cancel_batch``).
    cancel_batch_max = BATCH_MAX
    #: The streams our orders' states arrive on: one of them down is a venue
    #: disconnect for :mod:`framework.execution.protection`.
    order_streams = ("orders", "dropcopy")

    def __init__(self, ctx: VenueContext, settings: PolymarketSettings) -> None:
        self.ctx = ctx
        self.settings = s = settings
        self.venue = ctx.name
        check_target(self.venue, s.grpc_target, s.tls)
        SettingsIssue.refuse(self.venue, plaintext_issues(s))  # the REST and token URLs too
        self.limits: VenueLimits = venue_limits(s.tier)
        self.key = load_private_key(self.venue, reveal(s.private_key_pem), s.private_key_path)
        self.symbols = list(dict.fromkeys([*ctx.symbols, *s.symbols]))
        self.instruments: dict[str, Instrument] = {}
        self.scales: dict[str, Scales] = {}
        self.books: dict[str, L2Book] = {}
        self.md_codecs: list[MarketDataCodec] = []
        self.streams: list[ManagedStream] = []
        self._rng = random.Random(s.seed)
        # clord_id -> strategy; a resumed run's open orders come first, so that
        # their executions (replayed or new) reach the right strategy.
        self._strategy: dict[str, str] = dict(ctx.open_orders)
        self._order_id: dict[str, str] = {}  # clord_id -> venue order id
        self.orders = OrderCodec(self.venue, self.scales, lambda clord: self._strategy.get(clord, ""),
                                 synthesize=not s.drop_copy)
        # The drop-copy position: resume after the last execution seen (in an
        # earlier session of a resumed run, too: the journal kept it).
        self.resume_token = ctx.checkpoints.get(RESUME_TOKEN_KEY, b"")
        self._http: httpx.AsyncClient | None = None
        self._channel: Any = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.tokens: TokenSource | None = None
        self.rest: RestClient | None = None
        self.entry: RestClient | GrpcOrderEntry | None = None  # where orders go (settings.order_entry)
        self._insert_request: Any = self.insert_body

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        s, ctx = self.settings, self.ctx
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(s.http_timeout_s),
            limits=httpx.Limits(max_connections=s.http_max_connections, max_keepalive_connections=s.http_max_connections),
        )
        self.tokens = TokenSource(
            venue=self.venue, http=self._http, clock=ctx.clock, sender=ctx.sender, token_url=s.token_url,
            audience=s.audience or s.rest_base, client_id=reveal(s.client_id), key=self.key,
            renew_before_s=s.token_renew_before_s,
        )
        self.rest = RestClient(venue=self.venue, base=s.rest_base, http=self._http, tokens=self.tokens,
                               sender=ctx.sender, participant_id=s.participant_id)
        try:
            await self.tokens.token()
            await self._load_instruments()
            self._channel = make_channel(self.venue, s.grpc_target, s.tls, s.keepalive_s)
            if s.order_entry == "grpc":
                self.entry = GrpcOrderEntry(venue=self.venue, channel=self._channel, tokens=self.tokens,
                                            sender=ctx.sender, participant_id=s.participant_id, timeout_s=s.http_timeout_s)
                self._insert_request = self.insert_proto  # no JSON round trip on the hot path
            else:
                self.entry = self.rest
            self._spawn(self.tokens.run(), "token-renewal")
            if s.drop_copy:
                await self._open_drop_copy()
            await self._open_order_stream()
            for i, chunk in enumerate(pack_symbols(self.symbols)):
                await self._open_md_stream(i, chunk)  # one after another, not in a burst
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _forget(self, clord: str) -> None:
        """The order is done: drop what only a working order needs (bounded memory)."""
        self._strategy.pop(clord, None)
        self._order_id.pop(clord, None)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"{self.venue}:{name}")
        self._tasks.append(task)
        return task

    async def _load_instruments(self) -> None:
        assert self.rest is not None
        if not self.symbols:
            return  # nothing subscribed: do not page through every listed instrument
        for inst in await self.rest.list_instruments(self.symbols):
            sym = inst["symbol"]
            sc = Scales(sym, int(inst.get("priceScale", 0)), int(inst.get("fractionalQtyScale", 0)), inst.get("tickSize", 0))
            self.scales[sym] = sc
            self.instruments[sym] = sc.instrument(self.venue)
        missing = [sym for sym in self.symbols if sym not in self.scales]
        if missing:
            raise VenueRejected(self.venue, f"unknown symbols: {missing[:10]}{' ...' if len(missing) > 10 else ''}")

    def _backoff(self) -> Backoff:
        s = self.settings
        return Backoff(s.reconnect_initial_s, s.reconnect_max_s, s.reconnect_jitter, self._rng)

    async def _await_live(self, stream: ManagedStream) -> None:
        try:
            await asyncio.wait_for(stream.live_event.wait(), self.settings.start_timeout_s)
        except TimeoutError as exc:
            raise VenueUnavailable(self.venue, f"stream {stream.name} not live after {self.settings.start_timeout_s:g} s") from exc
        if stream.error is not None:
            raise stream.error

    async def _open_order_stream(self) -> None:
        stub = tr_grpc.OrderEntryAPIStub(self._channel)
        req = tr.CreateOrderSubscriptionRequest(accounts=[self.settings.account] if self.settings.account else [])
        publish, clock, codec = self.ctx.bus.publish, self.ctx.clock, self.orders
        stream: ManagedStream
        self.redelivered = redelivered = Redeliveries(self.venue, "orders", clock)  # logs the venue's duplicates

        def handle(msg: Any) -> None:
            if msg.HasField("update"):
                redelivered.check(ex.id for ex in msg.update.executions)
            for ev in codec.on_response(msg, clock.now_ns()):
                publish(ev)
                if type(ev) in _FINAL or (type(ev) is OrderFilled and not ev.remaining):
                    self._forget(ev.client_order_id)
            if not stream.live and msg.HasField("snapshot"):
                stream.mark_live()

        stream = ManagedStream(
            venue=self.venue, name="orders", method="CreateOrderSubscription", clock=clock, sender=self.ctx.sender,
            tokens=self.tokens, opener=lambda m: stub.CreateOrderSubscription(req, metadata=m), on_open=lambda: None,
            handle=handle, publish=publish, backoff=self._backoff(), stale_after_s=self.settings.stale_after_s,
            participant_id=self.settings.participant_id,
        )
        self.streams.append(stream)
        self._spawn(stream.run(), "orders")
        await self._await_live(stream)

    async def _open_drop_copy(self) -> None:
        stub = dc_grpc.DropCopyAPIStub(self._channel)
        accounts = [self.settings.account] if self.settings.account else []
        publish, clock, codec = self.ctx.bus.publish, self.ctx.clock, self.orders
        stream: ManagedStream

        def open_call(metadata: Any) -> Any:
            req = dc.CreateDropCopySubscriptionRequest(accounts=accounts, resume_token=self.resume_token)
            return stub.CreateDropCopySubscription(req, metadata=metadata)

        def handle(msg: Any) -> None:
            if msg.HasField("execution"):
                for ev in codec.on_copy(msg.execution, clock.now_ns()):
                    publish(ev)
                    if type(ev) in _FINAL or (type(ev) is OrderFilled and not ev.remaining):
                        self._forget(ev.client_order_id)
            if msg.resume_token and msg.resume_token != self.resume_token:
                self.resume_token = token = msg.resume_token
                now = clock.now_ns()
                publish(VenueCheckpoint(self.venue, "", now, now, RESUME_TOKEN_KEY, token))
            if not stream.live:
                stream.mark_live()

        def on_rpc_error(code: Any) -> str:
            if code == grpc.StatusCode.OUT_OF_RANGE and self.resume_token:
                # The venue no longer holds our resume point: go on from now,
                # and say so -- executions in the gap cannot be replayed.
                self.resume_token = b""
                return "resume point no longer retained: resuming from now, executions in the gap are not replayed"
            return ""

        stream = ManagedStream(
            venue=self.venue, name="dropcopy", method="CreateDropCopySubscription", clock=clock, sender=self.ctx.sender,
            tokens=self.tokens, opener=open_call, on_open=lambda: None, handle=handle, publish=publish,
            backoff=self._backoff(), stale_after_s=self.settings.stale_after_s, participant_id=self.settings.participant_id,
            on_rpc_error=on_rpc_error,
        )
        self.streams.append(stream)
        self._spawn(stream.run(), "dropcopy")
        await self._await_live(stream)

    async def _open_md_stream(self, index: int, symbols: list[str]) -> None:
        s = self.settings
        # Raw bytes off the wire: the codec reads only what the book needs.
        open_raw = self._channel.unary_stream(
            _MD_METHOD, request_serializer=md.CreateMarketDataSubscriptionRequest.SerializeToString,
            response_deserializer=None,
        )
        req = md.CreateMarketDataSubscriptionRequest(symbols=symbols, depth=s.depth, slow_consumer_skip_to_head=s.slow_consumer_skip_to_head)
        codec = MarketDataCodec(self.venue, self.scales, s.depth)
        self.md_codecs.append(codec)
        publish, clock = self.ctx.bus.publish, self.ctx.clock
        on_bytes = codec.on_bytes
        pending = codec.pending
        stream: ManagedStream

        def handle(msg: bytes) -> None:
            for ev in on_bytes(msg, clock.now_ns()):
                publish(ev)
            if not stream.live and not pending:
                stream.mark_live()

        def on_open() -> None:
            codec.resync(symbols)

        stream = ManagedStream(
            venue=self.venue, name=f"md{index}", method="CreateMarketDataSubscription", clock=clock, sender=self.ctx.sender,
            tokens=self.tokens, opener=lambda m: open_raw(req, metadata=m), on_open=on_open,
            handle=handle, publish=publish, backoff=self._backoff(), stale_after_s=s.stale_after_s,
        )
        self.streams.append(stream)
        self._spawn(stream.run(), f"md{index}")
        await self._await_live(stream)
        for sym in symbols:
            self.books[sym] = codec.books[sym]

    # --- reads ---------------------------------------------------------------

    def stream(self, name: str) -> ManagedStream:
        """The managed stream called ``name`` ('dropcopy', 'orders', 'md0', ...)."""
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(name)

    def book(self, symbol: str) -> L2Book:
        """The live L2 book of ``symbol`` (the same object across reconnects)."""
        return self.books[symbol]

    # --- order entry -----------------------------------------------------------

    def insert_body(self, order: SubmitOrder) -> dict[str, Any]:
        """The InsertOrderRequest JSON of an intent (a market order is sent as an
        IOC limit at its protective price, so it never rests)."""
        sc = self.scales[order.symbol]
        market = order.order_type is OrderType.MARKET
        body: dict[str, Any] = {
            "type": "ORDER_TYPE_LIMIT",
            "side": "SIDE_BUY" if order.side > 0 else "SIDE_SELL",
            "orderQty": str(order.size),
            "symbol": order.symbol,
            "price": str(sc.to_wire_px(order.price)),
            "timeInForce": "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL" if market else _TIF[order.tif],
            "clordId": order.client_order_id,
        }
        if self.settings.account:
            body["account"] = self.settings.account
        if order.post_only:
            body["participateDontInitiate"] = True
        if order.tif is TimeInForce.GTT and not market:
            body["goodTillTime"] = _rfc3339(order.expire_ns)
        return body

    def insert_proto(self, order: SubmitOrder) -> tr.InsertOrderRequest:
        """The same request as :meth:`insert_body`, as the protobuf message."""
        sc = self.scales[order.symbol]
        market = order.order_type is OrderType.MARKET
        tif = E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL if market else _TIF_WIRE[order.tif]
        req = tr.InsertOrderRequest(
            type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY if order.side > 0 else E.SIDE_SELL, order_qty=order.size,
            symbol=order.symbol, price=sc.to_wire_px(order.price), time_in_force=tif,
            clord_id=order.client_order_id, account=self.settings.account,
            participate_dont_initiate=order.post_only,
        )
        if order.tif is TimeInForce.GTT and not market:
            req.good_till_time.seconds, req.good_till_time.nanos = divmod(order.expire_ns, NS_PER_S)
        return req

    async def submit(self, order: SubmitOrder) -> None:
        """Insert an order; a definite refusal is published as ``OrderRejected``."""
        assert self.entry is not None
        body = self._insert_request(order)
        self._strategy[order.client_order_id] = order.strategy
        try:
            self._order_id[order.client_order_id] = await self.entry.insert_order(body)
        except (VenueRejected, VenueThrottled, VenueAuthError) as exc:
            self._refused(order.symbol, order.client_order_id, order.strategy, exc)

    async def submit_many(self, orders: Sequence[SubmitOrder]) -> None:
        """Insert orders through InsertOrderList, 20 per request."""
        assert self.entry is not None
        for i in range(0, len(orders), BATCH_MAX):
            chunk = orders[i : i + BATCH_MAX]
            for o in chunk:
                self._strategy[o.client_order_id] = o.strategy
            try:
                ids = await self.entry.insert_order_list([self.insert_body(o) for o in chunk])
            except (VenueRejected, VenueThrottled, VenueAuthError) as exc:
                for o in chunk:
                    self._refused(o.symbol, o.client_order_id, o.strategy, exc)
                continue
            for o, oid in zip(chunk, ids, strict=False):
                self._order_id[o.client_order_id] = oid

    def _refused(self, symbol: str, clord: str, strategy: str, exc: VenueError) -> None:
        self._forget(clord)
        self.ctx.bus.publish(OrderRejected(self.venue, symbol, 0, self.ctx.clock.now_ns(), clord, strategy, "", str(exc)))

    def _ids(self, intent: CancelOrder | ReplaceOrder) -> dict[str, Any]:
        oid = intent.venue_order_id or self._order_id.get(intent.client_order_id, "")
        body: dict[str, Any] = {"clordId": intent.client_order_id, "symbol": intent.symbol}
        if oid:
            body["orderId"] = oid
        return body

    async def cancel(self, cancel: CancelOrder) -> None:
        """Cancel an order; a refusal arrives as ``CancelRejected`` on the order stream."""
        assert self.entry is not None
        await self.entry.cancel_order(self._ids(cancel))

    async def cancel_many(self, cancels: Sequence[CancelOrder]) -> None:
        """Cancel orders through CancelOrderList, 20 per request; a refused cancel
        arrives as ``CancelRejected`` on the order stream, as for :meth:`cancel`."""
        assert self.entry is not None
        for i in range(0, len(cancels), BATCH_MAX):
            await self.entry.cancel_order_list([self._ids(c) for c in cancels[i : i + BATCH_MAX]])

    def replace_body(self, replace: ReplaceOrder) -> dict[str, Any]:
        body = self._ids(replace)
        if replace.price:
            body["price"] = str(self.scales[replace.symbol].to_wire_px(replace.price))
        if replace.size:
            body["orderQty"] = str(replace.size)
        return body

    async def replace(self, replace: ReplaceOrder) -> None:
        """Cancel-replace price and/or size; the outcome arrives on the order stream."""
        assert self.entry is not None
        await self.entry.replace_order(self.replace_body(replace))

    async def replace_many(self, replaces: Sequence[ReplaceOrder]) -> None:
        assert self.entry is not None
        for i in range(0, len(replaces), BATCH_MAX):
            await self.entry.replace_order_list([self.replace_body(r) for r in replaces[i : i + BATCH_MAX]])

    def venue_open_orders(self) -> list[Any]:
        """The venue's working orders as the order-stream snapshot and executions
        left them, in ticks and lots (what a restarted run reconciles against)."""
        from framework.journal import OpenOrder as Reconcilable

        return [
            Reconcilable(o.clord_id, o.strategy, self.venue, o.symbol, o.side, o.price, o.size, o.filled, o.order_id)
            for o in self.orders.open_orders.values()
        ]

    async def find_orders(self, orders: Sequence[Any]) -> dict[str, VenueOrder]:
        """Of ``orders`` (the run's orders in doubt), those the venue holds open,
        by client id: one GetOpenOrders for their symbols (see framework.plugin.venue.VenueOrder)."""
        wanted = {o.client_order_id for o in orders}
        found: dict[str, VenueOrder] = {}
        for o in await self.open_orders(sorted({o.symbol for o in orders})):
            clord = o.get("clordId", "")
            if clord in wanted:
                found[clord] = VenueOrder(clord, str(o.get("id", "")), int(o.get("cumQty", 0) or 0))
        return found

    def adopt(self, clord_id: str, strategy: str) -> None:
        """A resumed run takes over a working order its journal did not know:
        its executions and end reach ``strategy`` from now on."""
        self._strategy[clord_id] = strategy
        for o in self.orders.open_orders.values():
            if o.clord_id == clord_id:
                o.strategy = strategy

    async def open_orders(self, symbols: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The venue's open orders (REST GetOpenOrders), JSON mapping."""
        assert self.entry is not None
        return await self.entry.open_orders(symbols, [self.settings.account] if self.settings.account else [])

