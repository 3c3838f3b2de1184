"""The Polymarket US exchange venue adapter: the codec and the transport put together.

Start-up: load the key (a bad one fails here, clearly), mint a token, list
the instruments of the run's symbols (their scales), then open the drop-copy
stream (executions, resumable), the order stream and ``ceil(n / 1000)``
market-data streams one after another, and wait until each is LIVE. Every
outbound message -- token request, stream open, query, order, cancel, replace
-- is encoded by the codec (:mod:`plugins.polymarket.codec`) and sent by the
transport (:mod:`plugins.polymarket.transport`) as an
:class:`~framework.execution.Outbound` through ``ctx.sender``, which admits it
at the risk layer before it is written; the core keeps the streams open.

Hot path per market-data message: the raw bytes into the codec (no protobuf
object unless the update carries more than the book), one ``bus.publish`` per
event; nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from framework.books.l2book import L2Book
from framework.model.errors import (
    VenueAuthError,
    VenueError,
    VenueRejected,
    VenueThrottled,
)
from framework.model.events import Instrument, OrderRejected
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.specs import SettingsIssue
from framework.plugin.venue import VenueContext, VenueLimits, VenueOrder
from framework.runtime.streams import SupervisedStream
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
from plugins.polymarket.faultlog import Redeliveries
from plugins.polymarket.grpc_orders import GrpcOrderEntry
from plugins.polymarket.limits import BATCH_MAX, venue_limits
from plugins.polymarket.rest import RestClient
from plugins.polymarket.scales import Scales
from plugins.polymarket.settings import PolymarketSettings, plaintext_issues, reveal
from plugins.polymarket.transport import (
    DropCopyStream,
    MarketDataStream,
    OrderStream,
    PolymarketTransport,
    check_target,
)

__all__ = ["PolymarketAdapter"]

_REFUSED = (VenueRejected, VenueThrottled, VenueAuthError)  # a definite no: the order never rested


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
        self.symbols = list(dict.fromkeys([*ctx.symbols, *s.symbols]))
        self.instruments: dict[str, Instrument] = {}
        self.scales: dict[str, Scales] = {}
        self.books: dict[str, L2Book] = {}
        self.md_codecs: list[MarketDataCodec] = []
        self.owners = OrderOwners(ctx.open_orders)  # a resumed run's open orders first
        self.orders = OrderCodec(self.venue, self.scales, self.owners.strategy_of, synthesize=not s.drop_copy)
        # The drop-copy position: resume after the last execution seen (in an
        # earlier session of a resumed run, too: the journal kept it).
        self.dropcopy = DropCopyCodec(self.venue, self.orders, ctx.checkpoints.get(RESUME_TOKEN_KEY, b""))
        requests = ProtoRequests if s.order_entry == "grpc" else JsonRequests  # no JSON round trip for gRPC
        self.requests: JsonRequests | ProtoRequests = requests(self.scales, s.account, self.owners)
        key = load_private_key(self.venue, reveal(s.private_key_pem), s.private_key_path)
        self.transport = PolymarketTransport(ctx, s, key)

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        s, t, now = self.settings, self.transport, self.ctx.clock.now_ns
        try:
            await t.connect()
            await self._load_instruments()
            t.open_channel()
            assert t.tokens is not None
            if s.drop_copy:
                await t.supervise(DropCopyStream(self.venue, t.channel, t.tokens, self.dropcopy, self.owners, s, now))
            self.redelivered = Redeliveries(self.venue, "orders", self.ctx.clock)
            await t.supervise(OrderStream(self.venue, t.channel, t.tokens, self.orders, self.owners, s, now, self.redelivered))
            for i, chunk in enumerate(pack_symbols(self.symbols)):  # one after another, not in a burst
                codec = MarketDataCodec(self.venue, self.scales, s.depth)
                self.md_codecs.append(codec)
                await t.supervise(MarketDataStream(self.venue, f"md{i}", t.channel, t.tokens, codec, chunk, s, now))
                self.books.update((sym, codec.books[sym]) for sym in chunk)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await self.transport.close()

    async def _load_instruments(self) -> None:
        assert self.transport.rest is not None
        if not self.symbols:
            return  # nothing subscribed: do not page through every listed instrument
        for inst in await self.transport.rest.list_instruments(self.symbols):
            sym = inst["symbol"]
            sc = Scales(sym, int(inst.get("priceScale", 0)), int(inst.get("fractionalQtyScale", 0)), inst.get("tickSize", 0))
            self.scales[sym] = sc
            self.instruments[sym] = sc.instrument(self.venue)
        missing = [sym for sym in self.symbols if sym not in self.scales]
        if missing:
            raise VenueRejected(self.venue, f"unknown symbols: {missing[:10]}{' ...' if len(missing) > 10 else ''}")

    # --- reads ---------------------------------------------------------------

    @property
    def streams(self) -> list[SupervisedStream]:
        """The venue's streams, as the core supervises them."""
        return self.transport.streams

    def stream(self, name: str) -> SupervisedStream:
        """The stream called ``name`` ('dropcopy', 'orders', 'md0', ...)."""
        for s in self.transport.streams:
            if s.source.name == name:
                return s
        raise KeyError(name)

    @property
    def tokens(self) -> TokenSource | None:
        return self.transport.tokens

    @property
    def entry(self) -> RestClient | GrpcOrderEntry | None:
        """Where orders go (``settings.order_entry``)."""
        return self.transport.entry

    @property
    def resume_token(self) -> bytes:
        """Where drop copy resumes (the last execution seen)."""
        return self.dropcopy.resume_token

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
        except _REFUSED as exc:
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
            except _REFUSED as exc:
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

    # --- what the run asks the venue (reconcile, orders in doubt) ----------------

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
