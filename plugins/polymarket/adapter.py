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
from framework.model.events import Instrument, OrderRejected
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.specs import SettingsIssue
from framework.plugin.venue import VenueContext, VenueLimits, VenueOrder
from plugins.polymarket.auth import TokenSource, load_private_key
from plugins.polymarket.codec import (
    RESUME_TOKEN_KEY,
    DropCopyCodec,
    JsonRequests,
    MarketDataCodec,
    OrderCodec,
    OrderOwners,
    ProtoRequests,
    pack_symbols,
)
from plugins.polymarket.codec.requests import (
    MD_METHOD,
    dropcopy_subscription,
    md_subscription,
    order_subscription,
)
from plugins.polymarket.gen import dropcopy_pb2_grpc as dc_grpc
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.grpc_orders import GrpcOrderEntry
from plugins.polymarket.limits import BATCH_MAX, venue_limits
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
        self.owners = OrderOwners(ctx.open_orders)  # a resumed run's open orders first
        self.orders = OrderCodec(self.venue, self.scales, self.owners.strategy_of, synthesize=not s.drop_copy)
        # The drop-copy position: resume after the last execution seen (in an
        # earlier session of a resumed run, too: the journal kept it).
        self.dropcopy = DropCopyCodec(self.venue, self.orders, ctx.checkpoints.get(RESUME_TOKEN_KEY, b""))
        requests = ProtoRequests if s.order_entry == "grpc" else JsonRequests  # no JSON round trip for gRPC
        self.requests: JsonRequests | ProtoRequests = requests(self.scales, s.account, self.owners)
        self._http: httpx.AsyncClient | None = None
        self._channel: Any = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.tokens: TokenSource | None = None
        self.rest: RestClient | None = None
        self.entry: RestClient | GrpcOrderEntry | None = None  # where orders go (settings.order_entry)

    @property
    def resume_token(self) -> bytes:
        """Where drop copy resumes (the last execution seen)."""
        return self.dropcopy.resume_token

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
        req = order_subscription(self.settings.account)
        publish, clock, codec, settle = self.ctx.bus.publish, self.ctx.clock, self.orders, self.owners.settle
        stream: ManagedStream

        def handle(msg: Any) -> None:
            events = codec.on_response(msg, clock.now_ns())
            for ev in events:
                publish(ev)
            settle(events)
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
        publish, clock, codec, settle = self.ctx.bus.publish, self.ctx.clock, self.dropcopy, self.owners.settle
        stream: ManagedStream

        def open_call(metadata: Any) -> Any:
            req = dropcopy_subscription(self.settings.account, codec.resume_token)
            return stub.CreateDropCopySubscription(req, metadata=metadata)

        def handle(msg: Any) -> None:
            events = codec.on_response(msg, clock.now_ns())
            for ev in events:
                publish(ev)
            settle(events)
            if not stream.live:
                stream.mark_live()

        def on_rpc_error(code: Any) -> str:
            return codec.resume_lost() if code == grpc.StatusCode.OUT_OF_RANGE else ""

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
            MD_METHOD, request_serializer=md.CreateMarketDataSubscriptionRequest.SerializeToString,
            response_deserializer=None,
        )
        req = md_subscription(symbols, s.depth, s.slow_consumer_skip_to_head)
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

    async def submit(self, order: SubmitOrder) -> None:
        """Insert an order; a definite refusal is published as ``OrderRejected``."""
        assert self.entry is not None
        request = self.requests.insert(order)
        self.owners.strategy[order.client_order_id] = order.strategy
        try:
            self.owners.order_id[order.client_order_id] = await self.entry.insert_order(request)
        except (VenueRejected, VenueThrottled, VenueAuthError) as exc:
            self._refused(order.symbol, order.client_order_id, order.strategy, exc)

    async def submit_many(self, orders: Sequence[SubmitOrder]) -> None:
        """Insert orders through InsertOrderList, 20 per request."""
        assert self.entry is not None
        for i in range(0, len(orders), BATCH_MAX):
            chunk = orders[i : i + BATCH_MAX]
            for o in chunk:
                self.owners.strategy[o.client_order_id] = o.strategy
            try:
                ids = await self.entry.insert_order_list([self.requests.insert(o) for o in chunk])
            except (VenueRejected, VenueThrottled, VenueAuthError) as exc:
                for o in chunk:
                    self._refused(o.symbol, o.client_order_id, o.strategy, exc)
                continue
            for o, oid in zip(chunk, ids, strict=False):
                self.owners.order_id[o.client_order_id] = oid

    def _refused(self, symbol: str, clord: str, strategy: str, exc: VenueError) -> None:
        self.owners.forget(clord)
        self.ctx.bus.publish(OrderRejected(self.venue, symbol, 0, self.ctx.clock.now_ns(), clord, strategy, "", str(exc)))

    async def cancel(self, cancel: CancelOrder) -> None:
        """Cancel an order; a refusal arrives as ``CancelRejected`` on the order stream."""
        assert self.entry is not None
        await self.entry.cancel_order(self.requests.cancel(cancel))

    async def cancel_many(self, cancels: Sequence[CancelOrder]) -> None:
        """Cancel orders through CancelOrderList, 20 per request; a refused cancel
        arrives as ``CancelRejected`` on the order stream, as for :meth:`cancel`."""
        assert self.entry is not None
        for i in range(0, len(cancels), BATCH_MAX):
            await self.entry.cancel_order_list([self.requests.cancel(c) for c in cancels[i : i + BATCH_MAX]])

    async def replace(self, replace: ReplaceOrder) -> None:
        """Cancel-replace price and/or size; the outcome arrives on the order stream."""
        assert self.entry is not None
        await self.entry.replace_order(self.requests.replace(replace))

    async def replace_many(self, replaces: Sequence[ReplaceOrder]) -> None:
        """Cancel-replace orders through CancelReplaceOrderList, 20 per request."""
        assert self.entry is not None
        for i in range(0, len(replaces), BATCH_MAX):
            await self.entry.replace_order_list([self.requests.replace(r) for r in replaces[i : i + BATCH_MAX]])

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
        self.owners.strategy[clord_id] = strategy
        for o in self.orders.open_orders.values():
            if o.clord_id == clord_id:
                o.strategy = strategy

    async def open_orders(self, symbols: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The venue's open orders (REST GetOpenOrders), JSON mapping."""
        assert self.entry is not None
        return await self.entry.open_orders(symbols, [self.settings.account] if self.settings.account else [])

