"""Sans-IO market data: ``MarketDataUpdate`` messages -> book, status and trade events.

No sockets, no event loop, no clock: the transport hands each message in (as
raw bytes) with its receive time and publishes what comes back. Replay, the
simulator tests and the fuzzers drive :class:`MarketDataCodec` directly.

There is no snapshot arm and no sequence number. The first update per symbol
after a (re)subscribe carries the book and becomes a :class:`BookSnapshot`;
later updates replace the top ``depth`` levels of each side (reference open
question 4) and become a :class:`BookDelta` holding only the levels that
changed. Because the book is fed only by these top-N pictures it never holds a
level deeper than the last picture, so :meth:`L2Book.replace_top` reduces to
"the picture is the side": the codec diffs each picture against the previous
one (rank by rank while the prices stay put, which is the common case) as it
checks it, and applies just the changed levels with ``set_level``.

The stream hands in raw bytes (:meth:`MarketDataCodec.on_bytes`): a plain
book update is read by :func:`~plugins.polymarket.codec.mdwire.read_plain`;
anything else goes through protobuf and :meth:`MarketDataCodec.on_update`.
``state`` -> :class:`InstrumentStatus` when it changes; ``stats`` ->
:class:`Trade` when the last-trade figures move. A malformed update is
counted and skipped and its symbol resynced: because every update is a full
top-N picture, the next one is taken as a snapshot (the stream stays open).

Compiled by mypyc (the hot path; ``framework.tools.native``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf.message import DecodeError

from framework.books.l2book import L2Book
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Event,
    InstrumentStatus,
    StreamState,
    StreamStatus,
    Trade,
    TradingStatus,
)
from plugins.polymarket.codec.mdwire import read_plain
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.scales import Scales

__all__ = ["TRADING_STATUS", "MarketDataCodec"]

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
            parts = read_plain(data)
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
