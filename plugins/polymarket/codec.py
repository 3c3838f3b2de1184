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
    codec diffs each picture against the previous one and applies just the
    changed levels with ``set_level`` (a few per message, where a full
    ``replace_top`` of both sides cost about 20 us).
    The stream hands in raw bytes (:meth:`MarketDataCodec.on_bytes`): a plain
    book update (symbol, entries, time) is split straight from the wire
    format, a side whose entries are byte for byte the last picture's is not
    decoded at all, and each entry's bytes decode once (cached); anything
    else -- heartbeats, state, stats, unknown fields -- goes through protobuf
    and :meth:`MarketDataCodec.on_update`.
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
    ended while we were away) are reported as :class:`OrderUnresolved`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from framework.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    Event,
    InstrumentStatus,
    Liquidity,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    Side,
    StreamState,
    StreamStatus,
    Trade,
    TradingStatus,
)
from framework.l2book import L2Book
from plugins.polymarket.events import OrderReplaced, OrderUnresolved
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

_BUY, _SELL = int(Side.BUY), int(Side.SELL)


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
        self._pictures: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
        # The entries (as bytes) the last raw update's picture was built from.
        self._raw: dict[str, tuple[tuple[bytes, ...], tuple[bytes, ...]]] = {}
        self._entries: dict[bytes, tuple[int, int]] = {}  # entry bytes -> (wire px, qty)
        self._symbols: dict[bytes, str] = {}
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
            parts = _split(data)
            if parts is None:  # not a plain book update: protobuf reads it
                resp = md.CreateMarketDataSubscriptionResponse.FromString(data)
                return self.on_update(resp.update, ts_recv) if resp.HasField("update") else []
            raw_symbol, bids, offers, ts = parts
            symbol = self._symbols.get(raw_symbol) or self._symbol(raw_symbol)
            return self._decode_raw(symbol, bids, offers, ts, ts_recv)
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

    def _symbol(self, raw: bytes) -> str:
        symbol = raw.decode()
        if symbol in self.scales:  # only subscribed symbols are remembered (bounded)
            self._symbols[raw] = symbol
        return symbol

    def _decode(self, msg: Any, symbol: str, ts_recv: int) -> list[Event]:
        sc = self.scales[symbol]
        ts = msg.transact_time
        ts_event = ts.seconds * 1_000_000_000 + ts.nanos
        self._raw.pop(symbol, None)
        bids = [(e.px, e.qty) for e in msg.bids]
        asks = [(e.px, e.qty) for e in msg.offers]
        out = self._apply(symbol, sc, ts_event, ts_recv, bids, asks)
        if msg.HasField("state"):
            self._on_state(symbol, msg.state, ts_event, ts_recv, out)
        if msg.HasField("stats"):
            self._on_stats(symbol, sc, msg.stats, ts_event, ts_recv, out)
        return out

    def _decode_raw(self, symbol: str, bids: list[bytes], offers: list[bytes], ts: bytes, ts_recv: int) -> list[Event]:
        sc = self.scales[symbol]
        if ts:
            t = Timestamp.FromString(ts)
            ts_event = t.seconds * 1_000_000_000 + t.nanos
        else:
            ts_event = 0
        raw_b, raw_a = tuple(bids), tuple(offers)
        last = self._raw.get(symbol) if symbol not in self.pending else None
        # A side whose entries are the last picture's bytes did not change.
        new_b = None if last is not None and raw_b == last[0] else self._pairs(raw_b)
        new_a = None if last is not None and raw_a == last[1] else self._pairs(raw_a)
        out = self._apply(symbol, sc, ts_event, ts_recv, new_b, new_a)
        self._raw[symbol] = (raw_b, raw_a)
        return out

    def _pairs(self, entries: tuple[bytes, ...]) -> list[tuple[int, int]]:
        cache = self._entries
        out = []
        for raw in entries:
            pair = cache.get(raw)
            if pair is None:
                e = md.BookEntry.FromString(raw)
                pair = (e.px, e.qty)
                if len(cache) >= _ENTRY_CACHE:
                    cache.clear()  # bounded: a cleared cache refills from the next pictures
                cache[raw] = pair
            out.append(pair)
        return out

    def _apply(self, symbol: str, sc: Scales, ts_event: int, ts_recv: int,
               bids: list[tuple[int, int]] | None, asks: list[tuple[int, int]] | None) -> list[Event]:
        """Apply one top-N picture, each side as (wire px, qty) pairs best first
        or ``None`` when it is known to equal the last picture's side."""
        tk = None if sc.tick_wire == 1 else sc.to_ticks
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = L2Book(self.venue, symbol)
            self.pending.add(symbol)
        last = self._pictures.get(symbol)
        if symbol in self.pending or last is None:
            assert bids is not None and asks is not None  # callers pass both sides then
            new_b, _ = _side(_BUY, _EMPTY, bids, tk)
            new_a, _ = _side(_SELL, _EMPTY, asks, tk)
            snap_b, snap_a = tuple(new_b.items()), tuple(new_a.items())
            book.apply_snapshot(snap_b, snap_a)
            self.pending.discard(symbol)
            out: list[Event] = [BookSnapshot(self.venue, symbol, ts_event, ts_recv, snap_b, snap_a)]
            if symbol in self._desynced:
                self._desynced.discard(symbol)
                out.append(StreamStatus(self.venue, symbol, ts_event, ts_recv, StreamState.LIVE, "resynced"))
        else:
            out = []
            new_b, changes = (last[0], []) if bids is None else _side(_BUY, last[0], bids, tk)
            new_a, ask_changes = (last[1], []) if asks is None else _side(_SELL, last[1], asks, tk)
            if ask_changes:
                changes += ask_changes
            if changes:
                set_level = book.set_level
                for side, price, size in changes:
                    set_level(side, price, size)
                out.append(BookDelta(self.venue, symbol, ts_event, ts_recv, tuple(changes)))
        self._pictures[symbol] = (new_b, new_a)
        return out

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


_EMPTY: dict[int, int] = {}
_ENTRY_CACHE = 1 << 16

# Wire tags (field number << 3 | 2, length-delimited) the raw path reads.
_TAG_UPDATE = 0x12  # CreateMarketDataSubscriptionResponse.update
_TAG_SYMBOL, _TAG_BIDS, _TAG_OFFERS, _TAG_TIME = 0x0A, 0x12, 0x1A, 0x32  # MarketDataUpdate fields 1, 2, 3, 6


def _varint(data: bytes, i: int) -> tuple[int, int]:
    """The varint at ``data[i]``: (value, index after it)."""
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _split(data: bytes) -> tuple[bytes, list[bytes], list[bytes], bytes] | None:
    """A response holding only a book update -> (symbol, bid entries, offer
    entries, transact_time), each as its bytes; ``None`` for anything else
    (the caller lets protobuf read it). ``ValueError``/``IndexError`` when the
    lengths do not add up."""
    n = len(data)
    if n < 2 or data[0] != _TAG_UPDATE:
        return None
    size, i = _varint(data, 1)
    if i + size != n:
        return None  # more top-level fields than the update
    symbol = ts = b""
    bids: list[bytes] = []
    offers: list[bytes] = []
    while i < n:
        tag = data[i]
        if tag not in _RAW_TAGS:
            return None
        size = data[i + 1]
        if size < 0x80:
            i += 2
        else:
            size, i = _varint(data, i + 1)
        j = i + size
        if j > n:
            raise ValueError(f"field {tag >> 3} runs past the end of the update")
        if tag == _TAG_BIDS:
            bids.append(data[i:j])
        elif tag == _TAG_OFFERS:
            offers.append(data[i:j])
        elif tag == _TAG_SYMBOL:
            symbol = data[i:j]
        else:
            ts = data[i:j]
        i = j
    return symbol, bids, offers, ts


_RAW_TAGS = frozenset({_TAG_SYMBOL, _TAG_BIDS, _TAG_OFFERS, _TAG_TIME})


def _side(side: int, old: dict[int, int], entries: list[tuple[int, int]], to_ticks: Callable[[int], int] | None) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
    """Read one side's (wire px, qty) entries (best first), check them
    (distinct, strictly best first, sizes >= 0; size 0 = an empty level,
    dropped) and diff them against the previous picture; returns (new
    picture, changes). One pass, no intermediate lists: this is the
    per-message hot path."""
    new: dict[int, int] = {}
    changes = []
    prev = None
    bid = side > 0
    for px, size in entries:
        if not size:
            continue
        price = px if to_ticks is None else to_ticks(px)
        if size < 0:
            raise ValueError(f"size must be >= 0, not {size} at {price}")
        if prev is not None and (price >= prev if bid else price <= prev):
            raise ValueError(f"levels must be distinct and best first: {price} after {prev}")
        prev = price
        new[price] = size
        if old.get(price) != size:
            changes.append((side, price, size))
    for price in old:
        if price not in new:
            changes.append((side, price, 0))
    return new, changes


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
                OrderUnresolved(
                    self.venue, gone.symbol, 0, ts_recv, gone.clord_id, gone.strategy, gone.order_id,
                    gone.filled, "missing from the snapshot after a reconnect",
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
            out.append(OrderCanceled(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, reason))
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

