"""Sans-IO codec: Polymarket stream messages -> framework events.

No sockets, no event loop, no clock: the transport hands each decoded protobuf
message in with its receive time and publishes what comes back. Replay, the
simulator tests and the fuzzers drive these classes directly.

Market data (:class:`MarketDataCodec`)
    There is no snapshot arm and no sequence number. The first update per
    symbol after a (re)subscribe carries the book and becomes a
    :class:`BookSnapshot`; later updates replace the top ``depth`` levels of
    each side (reference open question 4) and become a :class:`BookDelta`
    holding only the levels that changed. Because the book is fed only by
    these top-N pictures it never holds a level deeper than the last picture,
    so :meth:`L2Book.replace_top` reduces to "the picture is the side": the
    codec diffs each picture against the previous one (rank by rank while the
    prices stay put, which is the common case) as it checks it, and applies
    just the changed levels with ``set_level``.
    The stream hands in raw bytes (:meth:`MarketDataCodec.on_bytes`): a plain
    book update (symbol, entries, time) is read in one pass straight from the
    wire format into flat ``[px, qty, px, qty, ...]`` lists, with no message
    objects and no per-entry slices; anything else -- heartbeats, state,
    stats, fields it does not know -- goes through protobuf and
    :meth:`MarketDataCodec.on_update`. Per-message work is what limits the
    stream rate (see ``python -m bench polymarket``), hence the hand parser.
    ``state`` -> :class:`InstrumentStatus` when it changes; ``stats`` ->
    :class:`Trade` when the last-trade figures move. A malformed update is
    counted and skipped and its symbol resynced: because every update is a
    full top-N picture, the next one is taken as a snapshot.

Orders (:class:`OrderCodec`)
    Snapshot (open orders) first, then executions and cancel rejects.
    Delivery is at-least-once, so executions are dropped when their id was
    seen, and a fill is also dropped when the order's cumulative quantity does
    not grow (that covers a redelivered execution after a resync synthesized
    its fill). Executions may also come from the drop-copy stream
    (:meth:`OrderCodec.on_copy`), which resumes where it left off: with it the
    snapshot after a reconnect only rebuilds the open-order table, and every
    fill, missed or not, arrives as the venue's own execution. Without it
    (``synthesize=True``) the snapshot is reconciled against the table: fills
    that happened while we were away are synthesized from each order's
    ``price_to_quantity_filled``, and orders missing from the snapshot (they
    ended while we were away) are reported as
    :class:`~framework.model.events.OrderUnknown`: the run asks the venue.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

from google.protobuf.message import DecodeError

from framework.books.l2book import L2Book
from framework.books.wire import varint
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    Event,
    InstrumentStatus,
    Liquidity,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderUnknown,
    Side,
    StreamState,
    StreamStatus,
    Trade,
    TradingStatus,
)
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.scales import Scales

__all__ = ["TRADING_STATUS", "MarketDataCodec", "OpenOrder", "OrderCodec", "side_from_wire", "side_to_wire"]

TRADING_STATUS: dict[int, TradingStatus] = {
    E.INSTRUMENT_STATE_CLOSED: TradingStatus.CLOSED,
    E.INSTRUMENT_STATE_OPEN: TradingStatus.OPEN,
    E.INSTRUMENT_STATE_PREOPEN: TradingStatus.PREOPEN,
    E.INSTRUMENT_STATE_SUSPENDED: TradingStatus.SUSPENDED,
    E.INSTRUMENT_STATE_EXPIRED: TradingStatus.EXPIRED,
    E.INSTRUMENT_STATE_TERMINATED: TradingStatus.EXPIRED,
    E.INSTRUMENT_STATE_HALTED: TradingStatus.HALTED,
    # An auction or a pending listing does not trade continuously.
    E.INSTRUMENT_STATE_MATCH_AND_CLOSE_AUCTION: TradingStatus.PREOPEN,
    E.INSTRUMENT_STATE_PENDING: TradingStatus.PREOPEN,
}

_BUY: Final = 1  # int(Side.BUY)
_SELL: Final = -1  # int(Side.SELL)


def side_from_wire(side: int) -> Side:
    """SIDE_BUY/SIDE_SELL -> :class:`Side`; ``ValueError`` for anything else."""
    if side == E.SIDE_BUY:
        return Side.BUY
    if side == E.SIDE_SELL:
        return Side.SELL
    raise ValueError(f"unknown side {side}")


def side_to_wire(side: Side) -> int:
    return E.SIDE_BUY if side is Side.BUY else E.SIDE_SELL


def ts_ns(ts: Any) -> int:
    """A google.protobuf.Timestamp as ns since the epoch (0 when unset)."""
    return ts.seconds * 1_000_000_000 + ts.nanos


class MarketDataCodec:
    """Turns ``MarketDataUpdate`` messages into book, status and trade events.

    ``scales`` maps each subscribed symbol to its :class:`Scales`; ``depth``
    is the depth requested from the venue. ``books`` holds one
    :class:`L2Book` per symbol; ``errors`` counts skipped malformed updates.
    """

    def __init__(self, venue: str, scales: Mapping[str, Scales], depth: int) -> None:
        self.venue = venue
        self.scales = scales
        self.depth = depth
        self.books: dict[str, L2Book] = {}
        self.errors = 0
        self.last_error = ""
        self.pending: set[str] = set()  # symbols whose next update is a snapshot
        self._desynced: set[str] = set()  # symbols resyncing after a malformed update
        self._feeds: dict[str, _Feed] = {}  # subscribed symbols seen so far
        self._by_raw: dict[bytes, _Feed] = {}  # the same, by the symbol's wire bytes
        self._status: dict[str, int] = {}
        self._last_trade: dict[str, tuple[int, int, int]] = {}

    def resync(self, symbols: Any) -> None:
        """The stream carrying ``symbols`` was (re)opened: their next update is a snapshot."""
        self.pending.update(symbols)

    def on_bytes(self, data: bytes, ts_recv: int) -> list[Event]:
        """Decode one serialized ``CreateMarketDataSubscriptionResponse`` (see the
        module docs); returns the events to publish (maybe none)."""
        symbol = ""
        try:
            parts = _read_plain(data)
            if parts is None:  # not a plain book update: protobuf reads it
                resp = md.CreateMarketDataSubscriptionResponse.FromString(data)
                return self.on_update(resp.update, ts_recv) if resp.HasField("update") else []
            raw_symbol, bids, offers, ts_event = parts
            feed = self._by_raw.get(raw_symbol)
            if feed is None:
                symbol = raw_symbol.decode()
                feed = self._by_raw[raw_symbol] = self._feed(symbol)
            symbol = feed.symbol
            return self._apply(feed, ts_event, ts_recv, bids, offers)
        except (ValueError, TypeError, KeyError, IndexError, DecodeError) as exc:
            return self._malformed(symbol, exc, ts_recv)

    def on_update(self, msg: Any, ts_recv: int) -> list[Event]:
        """Decode one ``MarketDataUpdate``; returns the events to publish (maybe none)."""
        symbol = msg.symbol
        try:
            return self._decode(msg, symbol, ts_recv)
        except (ValueError, TypeError, KeyError) as exc:
            return self._malformed(symbol, exc, ts_recv)

    def _malformed(self, symbol: str, exc: Exception, ts_recv: int) -> list[Event]:
        self.errors += 1
        self.last_error = f"{symbol or '?'}: {exc}"
        self.pending.add(symbol)
        if symbol not in self.scales:
            return []
        # Strategies are told: the symbol's book is stale until the next
        # update (a full top-N picture) resyncs it.
        self._desynced.add(symbol)
        reason = f"malformed update skipped ({exc}); resyncing from the next update"
        return [StreamStatus(self.venue, symbol, 0, ts_recv, StreamState.RESYNCING, reason)]

    def _feed(self, symbol: str) -> _Feed:
        """The state of ``symbol``, made with its book on its first update;
        ``KeyError`` when it is not subscribed (only those are remembered)."""
        feed = self._feeds.get(symbol)
        if feed is None:
            feed = self._feeds[symbol] = _Feed(symbol, self.scales[symbol], L2Book(self.venue, symbol))
            self.books[symbol] = feed.book
        return feed

    def _decode(self, msg: Any, symbol: str, ts_recv: int) -> list[Event]:
        feed = self._feed(symbol)
        ts = msg.transact_time
        ts_event = ts.seconds * 1_000_000_000 + ts.nanos
        bids = [x for e in msg.bids for x in (e.px, e.qty)]
        asks = [x for e in msg.offers for x in (e.px, e.qty)]
        out = self._apply(feed, ts_event, ts_recv, bids, asks)
        if msg.HasField("state"):
            self._on_state(symbol, msg.state, ts_event, ts_recv, out)
        if msg.HasField("stats"):
            self._on_stats(symbol, feed.scales, msg.stats, ts_event, ts_recv, out)
        return out

    def _apply(self, feed: _Feed, ts_event: int, ts_recv: int, bids: list[int], asks: list[int]) -> list[Event]:
        """Apply one top-N picture, each side flat ``[wire px, qty, ...]`` best first."""
        sc = feed.scales
        changes: list[tuple[int, int, int]] = []
        new_b = _side(_BUY, bids, sc, feed.bids, changes)
        new_a = _side(_SELL, asks, sc, feed.asks, changes)
        symbol, book = feed.symbol, feed.book
        feed.bids, feed.asks = new_b, new_a
        if not feed.seen or symbol in self.pending:
            feed.seen = True
            snap_b, snap_a = _levels(new_b), _levels(new_a)
            book.apply_snapshot(snap_b, snap_a)
            self.pending.discard(symbol)
            out: list[Event] = [BookSnapshot(self.venue, symbol, ts_event, ts_recv, snap_b, snap_a)]
            if symbol in self._desynced:
                self._desynced.discard(symbol)
                out.append(StreamStatus(self.venue, symbol, ts_event, ts_recv, StreamState.LIVE, "resynced"))
            return out
        if not changes:
            return []
        set_level = book.set_level
        for side, price, size in changes:
            set_level(side, price, size)
        return [BookDelta(self.venue, symbol, ts_event, ts_recv, tuple(changes))]

    def _on_state(self, symbol: str, state: int, ts_event: int, ts_recv: int, out: list[Event]) -> None:
        if self._status.get(symbol) != state:
            self._status[symbol] = state
            status = TRADING_STATUS.get(state, TradingStatus.UNKNOWN)
            name = E.InstrumentState.Name(state) if state in TRADING_STATUS else str(state)
            out.append(InstrumentStatus(self.venue, symbol, ts_event, ts_recv, status, name))

    def _on_stats(self, symbol: str, sc: Scales, stats: Any, ts_event: int, ts_recv: int, out: list[Event]) -> None:
        if not (stats.HasField("last_trade_px") and stats.HasField("last_trade_qty")):
            return
        key = (stats.shares_traded, stats.last_trade_px, stats.last_trade_qty)
        prev = self._last_trade.get(symbol)
        self._last_trade[symbol] = key
        # The first stats after (re)subscribing describe an old print, not a new one.
        if prev is not None and prev != key and stats.last_trade_qty > 0:
            out.append(Trade(self.venue, symbol, ts_event, ts_recv, sc.to_ticks(stats.last_trade_px), stats.last_trade_qty))


# Wire tags (field number << 3 | wire type) the raw path reads. Final: the
# compiled build inlines them instead of looking up module globals.
_TAG_UPDATE: Final = 0x12  # CreateMarketDataSubscriptionResponse.update
# MarketDataUpdate fields 1, 2, 3 and 6
_TAG_SYMBOL: Final = 0x0A
_TAG_BIDS: Final = 0x12
_TAG_OFFERS: Final = 0x1A
_TAG_TIME: Final = 0x32
# BookEntry px, qty and symbol_sub_type; Timestamp seconds and nanos
_TAG_F1_VARINT: Final = 0x08
_TAG_F2_VARINT: Final = 0x10
_TAG_F3_BYTES: Final = 0x1A
_INT64: Final = 1 << 64


def _int64(data: bytes, i: int) -> tuple[int, int]:
    """The int64 varint at ``data[i]`` (negatives are ten bytes of two's complement)."""
    value, i = varint(data, i)
    return (value - _INT64 if value >> 63 else value), i


def _read_plain(data: bytes) -> tuple[bytes, list[int], list[int], int] | None:
    """A response holding only a book update -> (symbol, bids, offers,
    transact_time ns), the sides flat ``[px, qty, ...]`` in wire order; ``None``
    for anything else (the caller lets protobuf read it). ``ValueError`` /
    ``IndexError`` when the lengths do not add up."""
    n = len(data)
    if n < 2 or data[0] != _TAG_UPDATE:
        return None
    size, i = varint(data, 1)
    if i + size != n:
        return None  # more top-level fields than the update
    symbol = b""
    ts_ns = 0
    bids: list[int] = []
    offers: list[int] = []
    while i < n:
        tag = data[i]
        if tag == _TAG_BIDS or tag == _TAG_OFFERS:
            px, qty, i = _entry(data, i + 1)
            if i < 0:
                return None
            side = bids if tag == _TAG_BIDS else offers
            side.append(px)
            side.append(qty)
        elif tag == _TAG_SYMBOL:
            size, i = varint(data, i + 1)
            if i + size > n:
                raise ValueError("the symbol runs past the end of the update")
            symbol = data[i : i + size]
            i += size
        elif tag == _TAG_TIME:
            ts_ns, i = _timestamp(data, i + 1)
            if i < 0:
                return None
        else:
            return None
    if i != n:
        raise ValueError("the last field runs past the end of the update")
    return symbol, bids, offers, ts_ns


def _entry(data: bytes, i: int) -> tuple[int, int, int]:
    """The ``BookEntry`` whose length is at ``data[i]`` -> (px, qty, index after
    it); the index is -1 when it holds a field the raw path does not read.
    (Not ``None``: a tuple of ints is returned unboxed by the compiled build.)"""
    size = data[i]
    if size < 0x80:
        i += 1
    else:
        size, i = varint(data, i)
    end = i + size
    if end > len(data):
        raise ValueError("a book entry runs past the end of the update")
    px = qty = 0
    while i < end:
        tag = data[i]
        if tag != _TAG_F1_VARINT and tag != _TAG_F2_VARINT and tag != _TAG_F3_BYTES:
            return 0, 0, -1
        # Values of one or two bytes (below 16,384: most prices and sizes) are
        # read here; a call per value is most of the cost of interpreted code.
        b = data[i + 1]
        if b < 0x80:
            value = b
            i += 2
        else:
            c = data[i + 2]
            if c < 0x80:
                value = (b & 0x7F) | c << 7
                i += 3
            else:
                value, i = _int64(data, i + 1)
        if tag == _TAG_F1_VARINT:
            px = value
        elif tag == _TAG_F2_VARINT:
            qty = value
        elif value >= 0:  # symbol_sub_type (value is its length): not part of the book
            i += value
        else:  # a length read as a negative int64 would move backwards
            raise ValueError(f"a negative length ({value}) in a book entry")
    if i != end:
        raise ValueError("a book entry's fields overrun it")
    return px, qty, i


def _timestamp(data: bytes, i: int) -> tuple[int, int]:
    """The ``Timestamp`` whose length is at ``data[i]`` -> (ns since the epoch,
    index after it); the index is -1 when it holds a field not read here."""
    size, i = varint(data, i)
    end = i + size
    seconds = nanos = 0
    while i < end:
        tag = data[i]
        if tag == _TAG_F1_VARINT:
            seconds, i = _int64(data, i + 1)
        elif tag == _TAG_F2_VARINT:
            nanos, i = _int64(data, i + 1)  # an int32, sign-extended on the wire like an int64
        else:
            return 0, -1
    if i != end:
        raise ValueError("transact_time's fields overrun it")
    return seconds * 1_000_000_000 + nanos, i


def _side(side: int, flat: list[int], sc: Scales, old: list[int], changes: list[tuple[int, int, int]]) -> list[int]:
    """One side's flat wire entries (best first) -> its new picture, flat
    ``[price ticks, size, ...]``: checked (distinct, strictly best first,
    sizes >= 0), empty levels (size 0) dropped, and diffed against ``old``
    into ``changes``. Returns ``flat`` itself when nothing needed converting
    or dropping, which is the common case. One pass: this is the hot path.

    The diff goes rank by rank while the prices match ``old``'s (a size
    change, the common case), then by price: a price from there on cannot be
    one of the matched ranks' (prices are distinct on a side)."""
    tick = sc.tick_wire
    out = flat
    n_old = len(old)
    r = 0  # the rank in ``old`` matched next, while in step
    rest: dict[int, int] | None = None  # ``old`` from rank r on, once out of step
    prev = 0
    first = True
    bid = side > 0
    for k in range(0, len(flat), 2):
        px, size = flat[k], flat[k + 1]
        if not size:
            if out is flat:
                out = flat[:k]
            continue
        price = px if tick == 1 else sc.to_ticks(px)
        if size < 0:
            raise ValueError(f"size must be >= 0, not {size} at {price}")
        if not first and (price >= prev if bid else price <= prev):
            raise ValueError(f"levels must be distinct and best first: {price} after {prev}")
        first = False
        prev = price
        if price != px and out is flat:
            out = flat[:k]
        if out is not flat:
            out.append(price)
            out.append(size)
        if rest is None:
            if r < n_old and old[r] == price:
                if old[r + 1] != size:
                    changes.append((side, price, size))
                r += 2
                continue
            rest = {old[j]: old[j + 1] for j in range(r, n_old, 2)}
        if rest.pop(price, 0) != size:
            changes.append((side, price, size))
    if rest is None:
        for j in range(r, n_old, 2):
            changes.append((side, old[j], 0))
    else:
        for price in rest:
            changes.append((side, price, 0))
    return out


def _levels(flat: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple([(flat[k], flat[k + 1]) for k in range(0, len(flat), 2)])


class _Feed:
    """What the market-data codec keeps per symbol: its book and the last
    picture of each side, flat ``[price ticks, size, ...]`` best first without
    empty levels (``seen`` is false until the first picture)."""

    __slots__ = ("asks", "bids", "book", "scales", "seen", "symbol")

    def __init__(self, symbol: str, scales: Scales, book: L2Book) -> None:
        self.symbol = symbol
        self.scales = scales
        self.book = book
        self.bids: list[int] = []
        self.asks: list[int] = []
        self.seen = False


class OpenOrder:
    """What the codec knows about one working order."""

    __slots__ = ("clord_id", "filled", "fills", "order_id", "price", "side", "size", "strategy", "symbol")

    def __init__(self, order_id: str, clord_id: str, symbol: str, side: Side, price: int, size: int, filled: int, strategy: str) -> None:
        self.order_id = order_id
        self.clord_id = clord_id
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.filled = filled
        self.strategy = strategy
        self.fills: dict[int, int] = {}  # wire price -> quantity we have reported

    def __repr__(self) -> str:
        return f"OpenOrder({self.order_id!r}, {self.clord_id!r}, {self.symbol!r}, {self.side.name} {self.size}@{self.price}, filled={self.filled})"


_TERMINAL_TYPES = {E.EXECUTION_TYPE_CANCELED, E.EXECUTION_TYPE_EXPIRED, E.EXECUTION_TYPE_DONE_FOR_DAY}


class OrderCodec:
    """Turns order-stream responses into order events, exactly once per execution.

    ``strategy_of(clord_id)`` names the strategy that owns an order ('' if
    unknown). ``open_orders`` (venue order id -> :class:`OpenOrder`) is the
    reconciled open-order table; ``duplicates`` counts dropped redeliveries.
    """

    def __init__(
        self,
        venue: str,
        scales: Mapping[str, Scales],
        strategy_of: Callable[[str], str] = lambda clord: "",
        remember: int = 200_000,
        synthesize: bool = True,
    ) -> None:
        self.venue = venue
        self.synthesize = synthesize
        self.scales = scales
        self.strategy_of = strategy_of
        self.open_orders: dict[str, OpenOrder] = {}
        self.duplicates = 0
        self.errors = 0
        self.last_error = ""
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def on_response(self, msg: Any, ts_recv: int) -> list[Event]:
        """Decode one ``CreateOrderSubscriptionResponse`` (heartbeats give nothing)."""
        arm = msg.WhichOneof("event")
        try:
            if arm == "update":
                out: list[Event] = []
                for ex in msg.update.executions:
                    self._on_execution(ex, ts_recv, out)
                if msg.update.HasField("cancel_reject"):
                    out.append(self._cancel_reject(msg.update.cancel_reject, ts_recv))
                return out
            if arm == "snapshot":
                return self.on_snapshot(msg.snapshot.orders, ts_recv)
        except (ValueError, KeyError) as exc:
            self.errors += 1
            self.last_error = str(exc)
        return []

    def on_copy(self, ex: Any, ts_recv: int) -> list[Event]:
        """Decode one drop-copy execution (deduplicated with the order stream's)."""
        out: list[Event] = []
        try:
            self._on_execution(ex, ts_recv, out)
        except (ValueError, KeyError) as exc:
            self.errors += 1
            self.last_error = str(exc)
        return out

    # --- snapshot / reconciliation ------------------------------------------

    def on_snapshot(self, orders: Any, ts_recv: int) -> list[Event]:
        """Reconcile the open-order table with a fresh snapshot of open orders."""
        out: list[Event] = []
        before = self.open_orders
        now: dict[str, OpenOrder] = {}
        for o in orders:
            sc = self.scales[o.symbol]
            known = before.pop(o.id, None)
            if known is None:
                known = self._open_from(o, sc)
            elif o.cum_qty > known.filled and self.synthesize:
                out.extend(self._synth_fills(known, o, sc, ts_recv))
            # With drop copy the missed fills are on their way as executions:
            # the cumulative fill must only grow as they arrive.
            known.price, known.size = sc.to_ticks(o.price), o.order_qty
            if self.synthesize:
                known.filled = o.cum_qty
            now[o.id] = known
        for gone in before.values() if self.synthesize else ():
            out.append(
                OrderUnknown(
                    self.venue, gone.symbol, 0, ts_recv, gone.clord_id, gone.strategy, gone.order_id,
                    "", f"missing from the snapshot after a reconnect (filled {gone.filled} of {gone.size} before)",
                )
            )
        self.open_orders = now
        return out

    def _open_from(self, o: Any, sc: Scales) -> OpenOrder:
        known = OpenOrder(o.id, o.clord_id, o.symbol, side_from_wire(o.side), sc.to_ticks(o.price), o.order_qty, o.cum_qty, self.strategy_of(o.clord_id))
        known.fills = dict(o.price_to_quantity_filled)
        return known

    def _synth_fills(self, known: OpenOrder, o: Any, sc: Scales, ts_recv: int) -> list[OrderFilled]:
        """One fill per price for what the order filled while we were away.

        ``price_to_quantity_filled`` gives the order's fills by price; what it
        holds beyond the fills we reported is what we missed, exactly.
        """
        out = []
        cum = known.filled
        ts = ts_ns(o.last_transact_time)
        for wire_px, qty in sorted(o.price_to_quantity_filled.items()):
            missed = qty - known.fills.get(wire_px, 0)
            if missed <= 0:
                continue
            cum += missed
            known.fills[wire_px] = qty
            out.append(
                OrderFilled(
                    self.venue, o.symbol, ts, ts_recv, o.clord_id, known.strategy, o.id,
                    f"resync:{o.id}:{cum}", known.side, sc.to_ticks(wire_px), missed, cum,
                    o.order_qty - cum, Liquidity.UNKNOWN, 0,
                )
            )
        if cum != o.cum_qty:
            raise ValueError(f"order {o.id}: price_to_quantity_filled sums to {cum}, cum_qty is {o.cum_qty}")
        return out

    # --- executions -----------------------------------------------------------

    def _seen_before(self, exec_id: str) -> bool:
        seen = self._seen
        if exec_id in seen:
            self.duplicates += 1
            return True
        seen[exec_id] = None
        if len(seen) > self._remember:
            seen.popitem(last=False)
        return False

    def _on_execution(self, ex: Any, ts_recv: int, out: list[Event]) -> None:
        if self._seen_before(ex.id):
            return
        o = ex.order
        sc = self.scales[o.symbol]
        kind = ex.type
        ts = ts_ns(ex.transact_time)
        known = self.open_orders.get(o.id)
        strategy = known.strategy if known is not None else self.strategy_of(o.clord_id)
        if kind in (E.EXECUTION_TYPE_PARTIAL_FILL, E.EXECUTION_TYPE_FILL):
            if known is not None and o.cum_qty <= known.filled:
                self.duplicates += 1  # already counted, e.g. synthesized at a resync
                return
            out.append(
                OrderFilled(
                    self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, ex.id,
                    side_from_wire(o.side), sc.to_ticks(ex.last_px), ex.last_shares, o.cum_qty, o.leaves_qty,
                    Liquidity.TAKER if ex.aggressor else Liquidity.MAKER,
                    sc.fee_units(ex.commission_notional_collected),
                )
            )
            known = self._track(o, sc, strategy, known)
            if known is not None:
                known.fills[ex.last_px] = known.fills.get(ex.last_px, 0) + ex.last_shares
        elif kind == E.EXECUTION_TYPE_NEW:
            out.append(OrderAccepted(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, side_from_wire(o.side), sc.to_ticks(o.price), o.order_qty))
            self._track(o, sc, strategy, known)
        elif kind == E.EXECUTION_TYPE_REPLACE:
            out.append(OrderReplaced(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, sc.to_ticks(o.price), o.order_qty, o.leaves_qty))
            self._track(o, sc, strategy, known)
        elif kind == E.EXECUTION_TYPE_REJECTED:
            reason = E.OrdRejectReason.Name(ex.order_reject_reason) + (f": {ex.text}" if ex.text else "")
            out.append(OrderRejected(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, reason))
            self.open_orders.pop(o.id, None)
        elif kind in _TERMINAL_TYPES:
            reason = E.ExecutionType.Name(kind) + (f": {ex.text}" if ex.text else "")
            ended = OrderExpired if kind == E.EXECUTION_TYPE_EXPIRED else OrderCanceled
            out.append(ended(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, reason))
            self.open_orders.pop(o.id, None)
        else:
            raise ValueError(f"unknown execution type {kind} in {ex.id}")

    def _track(self, o: Any, sc: Scales, strategy: str, known: OpenOrder | None) -> OpenOrder | None:
        if o.leaves_qty == 0:
            self.open_orders.pop(o.id, None)
            return None
        if known is None:
            known = self.open_orders[o.id] = OpenOrder(o.id, o.clord_id, o.symbol, side_from_wire(o.side), 0, 0, 0, strategy)
        known.price, known.size, known.filled = sc.to_ticks(o.price), o.order_qty, o.cum_qty
        return known

    def _cancel_reject(self, cr: Any, ts_recv: int) -> CancelRejected:
        known = self.open_orders.get(cr.order_id)
        symbol = known.symbol if known is not None else ""
        strategy = known.strategy if known is not None else self.strategy_of(cr.clord_id)
        name = E.CxlRejReason.Name(cr.reject_reason) if cr.reject_reason in E.CxlRejReason.values() else str(cr.reject_reason)
        reason = name + (f": {cr.text}" if cr.text else "")
        return CancelRejected(self.venue, symbol, 0, ts_recv, cr.clord_id, strategy, cr.order_id, reason)

