"""Sans-IO codec: ``StreamOrderbookUpdatesResponse`` bytes -> L3 books and events.

Theory of operation
-------------------
:meth:`DydxCodec.feed` takes the bytes of one response (as gRPC delivers them,
or as a recording holds them) and returns the events it produced. It keeps one
:class:`~framework.books.l3book.L3Book` per clob pair, in integer ticks and lots
(:mod:`plugins.dydx.units`), and applies the venue reference's book rules:

1. **Pre-snapshot**: order-book updates and fills for a pair are discarded
   (and counted) until a snapshot has covered it.
2. **Snapshot** (``snapshot=true``): each order is a place followed by an
   update carrying its filled amount; every requested pair is rebuilt from it
   (a pair absent from it is empty). A snapshot of a pair that was already
   live is compared first: differing orders count as ``snapshot_divergence``.
3. **Place** appends at the tail of its level; **update** sets the absolute
   filled amount (it may go down); **remove** deletes. Updates and removes of
   ids not on the book are tolerated and counted (update-before-place, block
   sync of gone orders).
4. **order_fill**: ``orders`` zipped with ``fill_amounts`` (cumulative) sets
   ``filled`` of each order on the book, whatever the exec mode: it is the only
   signal of a partial maker fill. Prints are made from ``MakerFill`` entries
   at the maker's price: :class:`~plugins.dydx.events.DydxTrade` (a ``Trade``)
   from finalize (mode 7) only; optimistic fills (other modes) become
   :class:`~plugins.dydx.events.OptimisticFill` unless ``confirmed_only``, and
   a replay of one (mode 102) is not published twice. :class:`~framework.model.events.OrderFilled` goes out for
   orders of ``own_subaccounts``, from mode 7 fills only.
5. **taker_order**, subaccount and price updates become events and leave the
   book alone.

Book events: after each response, one :class:`~framework.model.events.BookDelta`
per touched pair lists the new aggregate size of every level touched (the
node's flush is the unit: a consumer sees no half-applied batch); a snapshot
publishes a :class:`~framework.model.events.BookSnapshot`. Fills are in
:mod:`plugins.dydx.fills`, taker/subaccount/price messages in
:mod:`plugins.dydx.notices`, id and order reading in :mod:`plugins.dydx.orderread`
(one chain of base classes, so that mypyc can compile the codec as one native
class); counters in :mod:`plugins.dydx.stats`.

Health: bytes that do not parse are counted (``malformed``), the rest of that
response is skipped, and ``needs_resync`` is set; so is a book left crossed by
a response (``crossed``, with ``resync_on_crossed``). The transport answers
``needs_resync`` by resubscribing; :meth:`reset` makes every pair wait for the
new snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from framework.books.l3book import L3Book
from framework.books.wire import Malformed, iter_fields, skip_field, varint
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Event,
)
from plugins.dydx.fills import SIDES
from plugins.dydx.ids import OrderKey, format_key
from plugins.dydx.notices import NoticesMixin
from plugins.dydx.stats import (
    BAD_SIDE,
    CROSSED,
    DUPLICATE_PLACE,
    MALFORMED,
    MESSAGES,
    OFF_GRID,
    OTHER_PAIR,
    PRE_SNAPSHOT_MESSAGES,
    PRE_SNAPSHOT_UPDATES,
    REPLACES,
    SNAPSHOT_DIVERGENCE,
    SNAPSHOTS,
    UNKNOWN_REMOVE,
    UNKNOWN_UPDATE,
    UPDATES,
    CodecStats,
)
from plugins.dydx.units import NATIVE, ClobParams

__all__ = ["CodecStats", "DydxCodec", "PairState"]

# Field numbers are those of v4-proto 9.x (the layout since protocol v6.0.6).
# Final: the compiled build (setup.py) then inlines the constants instead of
# looking the names up in the module's globals.
_ONEOF_TAGS: Final = frozenset((0x0A, 0x12, 0x1A, 0x22))  # OffChainUpdateV1: place, remove, update, replace
_UPDATE: Final = 0  # operation kinds
_REMOVE: Final = 1
_PLACE: Final = 2
_REPLACE: Final = 3
# Not Final: read only when a cache misses, and tests lower them (monkeypatch).
_OP_CACHE_LIMIT = 200_000
_BODY_CACHE_LIMIT = 100_000


class PairState:
    """One clob pair: its book, unit grids, symbol and snapshot state."""

    __slots__ = ("book", "pair", "params", "ready", "spt", "step", "symbol", "touched")

    def __init__(self, venue: str, pair: int, symbol: str, params: ClobParams) -> None:
        self.pair = pair
        self.symbol = symbol
        self.book = L3Book(venue, symbol)
        self.params = params
        self.spt = params.subticks_per_tick
        self.step = params.step_base_quantums
        self.ready = False
        self.touched: set[tuple[int, int]] = set()


class DydxCodec(NoticesMixin):
    """Turns stream responses into L3 books and events (see the module docs).

    ``pairs`` maps clob pair id -> ``(symbol, ClobParams)``; ``None`` accepts
    every pair in native units (ticks = subticks, lots = quantums) under the
    symbol ``str(pair)`` -- what book inspection uses.
    """

    def __init__(
        self,
        venue: str = "dydx",
        pairs: Mapping[int, tuple[str, ClobParams]] | None = None,
        *,
        confirmed_only: bool = False,
        own_subaccounts: Iterable[tuple[str, int]] = (),
        markets: Mapping[int, str] | None = None,
        resync_on_crossed: bool = True,
    ) -> None:
        self.venue = venue
        self.confirmed_only = confirmed_only
        self.own = frozenset(own_subaccounts)
        self.markets = dict(markets or {})
        self.resync_on_crossed = resync_on_crossed
        self.stats = CodecStats()
        self.any_pair = pairs is None
        self.states: dict[int, PairState] = {}
        for pair, (symbol, params) in (pairs or {}).items():
            self.states[pair] = PairState(venue, pair, symbol, params)
        self.block_height = 0
        self.needs_resync = False
        self.resync_reason = ""
        self._snapshot_seen = False
        self._ids: dict[bytes, OrderKey] = {}  # encoded order id -> key (orderread.py)
        self._ops: dict[bytes, tuple] = {}  # encoded OffChainUpdateV1 -> operation
        self._bodies: dict[bytes, tuple] = {}  # encoded StreamOrderbookUpdate -> its operations
        self._n_updates = 0  # order-book updates and unknown updates of the response
        self._n_unknown = 0  # being read, added to stats at its end
        self._live_pairs: dict[int, PairState] = {}  # pairs whose updates apply now
        self._height_raw = b"\xff" * 11  # never matches: no varint has 11 bytes
        self._height = 0
        self._where: dict[OrderKey, tuple[int, int]] = {}  # id -> (side, price) on a book
        self._dirty: list[PairState] = []
        self._printed: dict[tuple[Any, ...], None] = {}  # optimistic fills already printed
        self._fills: dict[bytes, list[Any]] = {}  # encoded fill -> its reading (fills.py)
        self._ts_recv = 0
        self._out: list[Event] = []
        self._skipped = False

    # --- public API ----------------------------------------------------------

    def book(self, pair: int) -> L3Book:
        """The book of clob pair ``pair`` (KeyError if not configured or seen)."""
        return self.states[pair].book

    def ready(self, pair: int) -> bool:
        """True once a snapshot has covered ``pair`` since the last reset."""
        st = self.states.get(pair)
        return st is not None and st.ready

    @property
    def all_ready(self) -> bool:
        return self._snapshot_seen and all(st.ready for st in self.states.values())

    def reset(self) -> None:
        """A new subscription: every pair waits for the next snapshot.

        Books keep their orders until that snapshot replaces them; counters
        are kept. (``snapshot_divergence`` counts differences only for a
        snapshot that arrives while the pair is live: after a gap they are
        expected.)
        """
        for st in self.states.values():
            st.ready = False
        self._live_pairs.clear()
        self._snapshot_seen = False
        self.needs_resync = False
        self.resync_reason = ""

    def feed(self, data: bytes, ts_recv: int = 0) -> list[Event]:
        """Apply one ``StreamOrderbookUpdatesResponse`` and return its events."""
        out: list[Event] = []
        self.stats[MESSAGES] += 1
        self._ts_recv = ts_recv
        self._out = out
        self._skipped = False
        self._n_updates = self._n_unknown = 0
        try:
            self._response(data, out)
        except (Malformed, ValueError, IndexError) as exc:
            self.stats[MALFORMED] += 1
            self._request_resync(f"malformed response: {exc}")
        if self._n_updates:
            self.stats[UPDATES] += self._n_updates
            if self._n_unknown:
                self.stats[UNKNOWN_UPDATE] += self._n_unknown
        if self._dirty:
            self._flush_deltas(out)
        if self._skipped:
            self.stats[PRE_SNAPSHOT_MESSAGES] += 1
        return out

    # --- response and stream update ------------------------------------------

    def _response(self, buf: bytes, out: list[Event]) -> None:
        # The stream updates' headers are read here for the layout encoders
        # produce (height, mode, then the body); anything else goes through
        # _stream_update, which accepts any field order.
        pos, end = 0, len(buf)
        while pos < end:
            if buf[pos] != 0x0A:  # 1 updates: StreamUpdate
                pos = skip_field(buf, pos)
                continue
            n = buf[pos + 1]
            if n < 0x80:
                p = pos + 2
            elif buf[pos + 2] < 0x80:  # two-byte length: most stream updates
                n = (n & 0x7F) | buf[pos + 2] << 7
                p = pos + 3
            else:
                n, p = varint(buf, pos + 1)
            begin, pos = p, p + n
            if pos > end:
                raise Malformed("stream update overruns the response")
            height = mode = 0
            tag = buf[p] if p < pos else 0
            if tag == 0x08:
                # Every update of a block carries the same height: compare its
                # bytes with the last one's before decoding it. (A slice compare,
                # not bytes.startswith: as fast here, and a direct call compiled.)
                raw = self._height_raw
                q = p + 1 + len(raw)
                if buf[p + 1 : q] == raw:
                    height = self._height
                    p = q
                else:
                    height, q = varint(buf, p + 1)
                    self._height_raw, self._height = buf[p + 1 : q], height
                    self.block_height = max(self.block_height, height)
                    p = q
                tag = buf[p] if p < pos else 0
            if tag == 0x10:
                mode = buf[p + 1]
                p += 2
                tag = buf[p] if p < pos and mode < 0x80 else 0
            if tag == 0x1A or tag == 0x2A or tag == 0x22:
                n = buf[p + 1]
                if n < 0x80:
                    q = p + 2
                elif buf[p + 2] < 0x80:
                    n = (n & 0x7F) | buf[p + 2] << 7
                    q = p + 3
                else:
                    n, q = varint(buf, p + 1)
                if q + n == pos:
                    # Methods are called through self, not bound methods kept in
                    # locals: compiled, that is a direct C call.
                    if tag == 0x1A:
                        self._orderbook(buf, q, pos)
                    elif tag == 0x2A:
                        self._taker(buf, q, pos, mode, height, out)
                    else:
                        self._fill(buf, q, pos, mode, height, out)
                    continue
            self._stream_update(buf, begin, pos, out)

    def _stream_update(self, buf: bytes, pos: int, end: int, out: list[Event]) -> None:
        """One ``StreamUpdate`` in any field order (the general path)."""
        height = mode = body = start = stop = 0
        while pos < end:
            tag = buf[pos]
            if tag == 0x08:
                height, pos = varint(buf, pos + 1)
            elif tag == 0x10:
                mode, pos = varint(buf, pos + 1)
            elif tag in (0x1A, 0x22, 0x2A, 0x32, 0x3A):
                n, start = varint(buf, pos + 1)
                pos = stop = start + n
                body = tag
            else:
                pos = skip_field(buf, pos)
        if pos != end:
            raise Malformed("stream update overruns its length")
        self.block_height = max(self.block_height, height)
        if body == 0x1A:
            self._orderbook(buf, start, stop)
        elif body == 0x2A:
            self._taker(buf, start, stop, mode, height, out)
        elif body == 0x22:
            self._fill(buf, start, stop, mode, height, out)
        elif body == 0x32:
            self._subaccount(buf[start:stop], height, out)
        elif body == 0x3A:
            self._price(buf[start:stop], height, out)

    # --- order-book events: the hot path -------------------------------------
    #
    # Updates and removes (most of the traffic) are read inline in the loop
    # for the layout every encoder produces (the id first, one-byte lengths);
    # anything else goes through the general readers (_update, _remove),
    # which accept any field order.

    def _orderbook(self, buf: bytes, pos: int, end: int) -> None:
        # The node sends the same StreamOrderbookUpdate bodies again and again
        # (resets, block sync, the replay of the operations queue): their
        # operations are kept by their bytes (self._bodies), so a repeated body
        # costs one lookup instead of a walk over its updates.
        body = buf[pos:end]
        ops = self._bodies.get(body)
        error = None
        if ops is None:
            ops, error = self._parse_body(buf, pos, end, body)
            if ops is None:
                return  # a snapshot
        live, where, dirty = self._live_pairs, self._where, self._dirty
        self._n_updates += len(ops)
        for op in ops:
            if op is None:
                continue  # an empty update, or of a kind we do not know
            # Typed locals: the compiled build unboxes them once (ops are tuple[Any, ...]).
            kind: int = op[0]
            key: OrderKey = op[1]
            st = live.get(key[4])
            if st is None:
                st = self._live(key)
                if st is None:
                    continue
            if kind == _UPDATE:
                at = where.get(key)
                if at is None:  # update-before-place, or block sync of a gone order
                    self._n_unknown += 1
                    continue
                step = st.step
                filled: int = op[2]
                if filled % step:
                    self.stats[OFF_GRID] += 1
                st.book.update(key, filled // step)
            elif kind == _REMOVE:
                at = where.pop(key, None)
                if at is None:
                    self.stats[UNKNOWN_REMOVE] += 1
                    continue
                st.book.remove(key)
            elif kind == _PLACE:
                v4side: int = op[2]
                if key in where or v4side not in SIDES:
                    self._odd_place(key, v4side)
                    continue
                side = SIDES[v4side]
                spt, step = st.spt, st.step
                subticks: int = op[4]
                quantums: int = op[3]
                price = subticks // spt
                if subticks - price * spt or quantums % step:
                    self.stats[OFF_GRID] += 1
                st.book.place(key, side, price, quantums // step, 0)
                where[key] = at = (side, price)
            else:
                self._replace(st, op)
                continue
            touched = st.touched
            if not touched:
                dirty.append(st)
            touched.add(at)
        if error is not None:
            raise error

    def _parse_body(self, buf: bytes, pos: int, end: int, body: bytes) -> tuple[tuple | None, Malformed | None]:
        """The operations of a ``StreamOrderbookUpdate`` (None for each update that
        changes nothing), remembered under ``body``; ``(None, None)`` for a snapshot
        (applied here). A malformed update ends the list: the operations before
        it and the error are returned, and nothing is remembered."""
        if pos < end and buf[pos] == 0x08:
            flag, pos = varint(buf, pos + 1)
            if flag:
                self._snapshot(buf, pos, end)
                return None, None
        elif buf.find(b"\x08", pos, end) >= 0 and _snapshot_flag(buf, pos, end):
            # The flag may legally come after the updates: only a scan can tell
            # (the byte also occurs inside ids and amounts, hence the check).
            self._snapshot(buf, pos, end)
            return None, None
        memo = self._ops
        ops: list[tuple | None] = []
        try:
            while pos < end:
                if buf[pos] != 0x12:
                    pos = skip_field(buf, pos)  # a false snapshot flag, or a field we do not know
                    continue
                n = buf[pos + 1]
                if n < 0x80:
                    s = pos + 2
                else:
                    n, s = varint(buf, pos + 1)
                pos = s + n
                if pos > end:
                    raise Malformed("order-book update overruns its message")
                raw = buf[s:pos]
                op = memo.get(raw)
                ops.append(op if op is not None else self._parse_op(buf, s, pos, raw))
            if pos != end:
                raise Malformed("orderbook update overruns its length")
        except (Malformed, ValueError, IndexError) as exc:
            return tuple(ops), exc if isinstance(exc, Malformed) else Malformed(str(exc))
        result = tuple(ops)
        bodies = self._bodies
        if len(bodies) >= _BODY_CACHE_LIMIT:
            bodies.clear()
        bodies[body] = result
        return result, None

    def _live(self, key: OrderKey) -> PairState | None:
        """The pair state of ``key`` if its updates apply now, else count why not."""
        st = self.states.get(key[4])
        if st is None:
            if self.any_pair:
                st = self._new_pair(key[4])
            else:
                self.stats[OTHER_PAIR] += 1
                return None
        if not st.ready:
            self.stats[PRE_SNAPSHOT_UPDATES] += 1
            self._skipped = True
            return None
        return st

    # --- reading one OffChainUpdateV1 into an operation ------------------------
    #
    # An operation is a tuple: (_UPDATE, key, filled), (_REMOVE, key),
    # (_PLACE, key, v4 side, quantums, subticks) or (_REPLACE, old key, place
    # operation). The node sends the same update bytes again and again (resets,
    # block sync, the replay of the operations queue), so operations are kept
    # by their bytes (self._ops) and most updates are never read twice.

    def _parse_op(self, buf: bytes, pos: int, end: int, raw: bytes) -> tuple | None:
        """The operation of the ``OffChainUpdateV1`` in ``buf[pos:end]`` (None if empty
        or of a kind we do not know); remembers it under ``raw``."""
        op = self._canonical_op(buf, pos, end) if pos < end else None
        if op is None:
            op = self._general_op(buf, pos, end)
            if op is None:
                return None
        ops = self._ops
        if len(ops) >= _OP_CACHE_LIMIT:
            ops.clear()
        ops[raw] = op
        return op

    def _canonical_op(self, buf: bytes, s: int, end: int) -> tuple | None:
        """The layout every encoder writes (the oneof alone, the id first); None otherwise."""
        kind = buf[s]
        if kind not in _ONEOF_TAGS:
            return None
        m = buf[s + 1]
        if m < 0x80:
            s += 2
        else:
            m, s = varint(buf, s + 1)
        e = s + m
        if e != end or buf[s] != 0x0A:
            return None
        if kind == 0x0A:  # OrderPlaceV1 {1 order, 2 status, 3 time}: the order is all we need
            n, q = varint(buf, s + 1)
            return (_PLACE, *self._order_fields(buf, q, q + n))
        k = buf[s + 1]
        if k >= 0x80:
            return None
        q = s + 2 + k
        if kind == 0x1A:  # OrderUpdateV1 {1 order_id, 2 total_filled_quantums}
            filled = 0
            if q != e:
                if buf[q] != 0x10:
                    return None
                filled, q = varint(buf, q + 1)
                if q != e:
                    return None
            return (_UPDATE, self._id(buf[s + 2 : s + 2 + k]), filled)
        if kind == 0x12:  # OrderRemoveV1 {1 removed_order_id, 2 reason, 3 status, 4 time}
            return (_REMOVE, self._id(buf[s + 2 : s + 2 + k]))
        return None  # a replace: the general reader

    def _general_op(self, buf: bytes, pos: int, end: int) -> tuple | None:
        """Any valid layout: fields in any order, unknown fields skipped."""
        op: tuple | None = None
        for tag, span in iter_fields(buf, pos, end):
            if tag == 0x1A:
                key, filled = self._id(b""), 0
                for t, v in iter_fields(buf, *span):
                    if t == 0x0A:
                        key = self._id(buf[v[0] : v[1]])
                    elif t == 0x10:
                        filled = v
                op = (_UPDATE, key, filled)
            elif tag == 0x12:
                key = self._id(b"")
                for t, v in iter_fields(buf, *span):
                    if t == 0x0A:
                        key = self._id(buf[v[0] : v[1]])
                op = (_REMOVE, key)
            elif tag == 0x0A:
                op = self._place_op(buf, *span)
            elif tag == 0x22:
                old, place = self._id(b""), None
                for t, v in iter_fields(buf, *span):
                    if t == 0x0A:
                        old = self._id(buf[v[0] : v[1]])
                    elif t == 0x12:
                        place = (_PLACE, *self._order_fields(buf, *v))
                op = (_REPLACE, old, place)
        return op

    def _place_op(self, buf: bytes, pos: int, end: int) -> tuple:
        """An ``OrderPlaceV1`` in any layout."""
        fields: tuple = (self._id(b""), 0, 0, 0)
        for t, v in iter_fields(buf, pos, end):
            if t == 0x0A:
                fields = self._order_fields(buf, *v)
        return (_PLACE, *fields)

    def _replace(self, st: PairState, op: tuple) -> None:
        """``OrderReplaceV1`` (never emitted by v9.6.1 streams): remove old, place new."""
        self.stats[REPLACES] += 1
        _kind, old, place = op
        at = self._where.pop(old, None)
        if at is not None:
            st.book.remove(old)
            if not st.touched:
                self._dirty.append(st)
            st.touched.add(at)
        if place is not None:
            new = self._live(place[1])
            if new is not None:
                self._add(new, place[1], place[2], place[3], place[4], 0)

    def _odd_place(self, key: OrderKey, v4side: int) -> None:
        if key in self._where:
            # The node removes a resting id before placing it again; a repeat
            # keeps the resting order (and its queue position).
            self.stats[DUPLICATE_PLACE] += 1
        else:
            self._bad_side(key, v4side)

    def _bad_side(self, key: OrderKey, v4side: int) -> None:
        # An order we cannot place leaves the book without it: later updates
        # would be misread, so the book is rebuilt from a fresh snapshot.
        self.stats[BAD_SIDE] += 1
        self.stats[MALFORMED] += 1
        self._request_resync(f"order {format_key(key)} has side {v4side}")

    def _add(self, st: PairState, key: OrderKey, v4side: int, quantums: int, subticks: int, filled: int) -> None:
        side = SIDES.get(v4side)
        if side is None:
            self._bad_side(key, v4side)
            return
        if key in self._where:
            # The node removes a resting id before placing it again; a
            # repeat keeps the resting order (and its queue position).
            self.stats[DUPLICATE_PLACE] += 1
            return
        spt, step = st.spt, st.step
        if subticks % spt or quantums % step or filled % step:
            self.stats[OFF_GRID] += 1
        price = subticks // spt
        st.book.place(key, side, price, quantums // step, filled // step)
        self._where[key] = (side, price)
        if not st.touched:
            self._dirty.append(st)
        st.touched.add((side, price))

    # --- snapshots ---------------------------------------------------------

    def _snapshot(self, buf: bytes, pos: int, end: int) -> None:
        """Rebuild every requested pair from a snapshot's places and updates."""
        per_pair: dict[int, dict[OrderKey, list[int]]] = {}
        for tag, value in iter_fields(buf, pos, end):
            if tag != 0x12:
                continue
            for kind, span in iter_fields(buf, *value):
                if kind not in (0x0A, 0x1A):
                    continue
                s, e = span
                if kind == 0x0A:  # place
                    for t2, v2 in iter_fields(buf, s, e):
                        if t2 == 0x0A:
                            key, side, quantums, subticks = self._order_fields(buf, *v2)
                            orders = per_pair.setdefault(key[4], {})
                            if key in orders:
                                self.stats[DUPLICATE_PLACE] += 1
                            else:
                                orders[key] = [side, quantums, subticks, 0]
                elif kind == 0x1A:  # update: the filled amount of the order before
                    raw, filled = b"", 0
                    for t2, v2 in iter_fields(buf, s, e):
                        if t2 == 0x0A:
                            raw = buf[v2[0] : v2[1]]
                        elif t2 == 0x10:
                            filled = v2
                    key = self._id(raw)
                    entry = per_pair.get(key[4], {}).get(key)
                    if entry is None:
                        self.stats[UNKNOWN_UPDATE] += 1
                    else:
                        entry[3] = filled
        if self.any_pair:
            for pair in per_pair:
                if pair not in self.states:
                    self._new_pair(pair)
        self._snapshot_seen = True
        self.stats[SNAPSHOTS] += 1
        for pair, st in self.states.items():
            self._rebuild(st, per_pair.get(pair, {}))

    def _rebuild(self, st: PairState, orders: dict[OrderKey, list[int]]) -> None:
        spt, step = st.spt, st.step
        rows = []
        for key, (v4side, quantums, subticks, filled) in orders.items():
            side = SIDES.get(v4side)
            if side is None:
                self._bad_side(key, v4side)
                continue
            if subticks % spt or quantums % step or filled % step:
                self.stats[OFF_GRID] += 1
            rows.append((key, side, subticks // spt, quantums // step, filled // step))
        if st.ready:
            self.stats[SNAPSHOT_DIVERGENCE] += _divergence(st.book, rows)
        where = self._where
        for key in [k for k in where if k[4] == st.pair]:
            del where[key]
        st.book.apply_snapshot(rows)
        for key, side, price, _size, _filled in rows:
            where[key] = (side, price)
        st.ready = True
        self._live_pairs[st.pair] = st
        st.touched.clear()
        book = st.book
        self._out.append(
            BookSnapshot(
                self.venue,
                st.symbol,
                0,
                self._ts_recv,
                tuple(book.depth(1, 1 << 30)),
                tuple(book.depth(-1, 1 << 30)),
            )
        )

    # --- fills, taker orders, subaccounts, prices ----------------------------

    # --- internals ---------------------------------------------------------

    def _new_pair(self, pair: int) -> PairState:
        st = self.states[pair] = PairState(self.venue, pair, str(pair), NATIVE)
        # In any-pair mode a pair first seen after a snapshot was empty in it.
        st.ready = self._snapshot_seen
        if st.ready:
            self._live_pairs[pair] = st
        return st

    def _flush_deltas(self, out: list[Event]) -> None:
        ts = self._ts_recv
        venue = self.venue
        for st in self._dirty:
            touched = st.touched
            if not touched:
                continue
            book = st.book
            changes = tuple([(side, price, book.size_at(side, price)) for side, price in touched])
            touched.clear()
            out.append(BookDelta(venue, st.symbol, 0, ts, changes))
            bid, ask = book.best_bid_price, book.best_ask_price
            if bid is not None and ask is not None and bid >= ask:  # the node's book never crosses: ours is out of step
                self.stats[CROSSED] += 1
                if self.resync_on_crossed:
                    self._request_resync(f"book of clob pair {st.pair} is crossed")
        self._dirty.clear()

    def _request_resync(self, reason: str) -> None:
        if not self.needs_resync:
            self.needs_resync = True
            self.resync_reason = reason


def _snapshot_flag(buf: bytes, pos: int, end: int) -> bool:
    """The ``snapshot`` field of an encoded ``StreamOrderbookUpdate``, wherever it is.

    Walks the top-level fields only (lengths, not contents)."""
    flag = 0
    while pos < end:
        tag = buf[pos]
        if tag == 0x12:
            n, pos = varint(buf, pos + 1)
            pos += n
        elif tag == 0x08:
            flag, pos = varint(buf, pos + 1)
        else:
            pos = skip_field(buf, pos)
    return bool(flag)


def _divergence(book: L3Book, rows: list[tuple[OrderKey, int, int, int, int]]) -> int:
    """How many orders differ between ``book`` and a snapshot's ``rows``."""
    new: dict[Any, tuple[int, int, int]] = {key: (side, price, size - filled if size > filled else 0) for key, side, price, size, filled in rows}
    differ = 0
    for side in (1, -1):
        for key in book.orders_in_queue_order(side):
            o = book.order(key)
            mine = None if o is None else (int(o.side), o.price, o.remaining)
            if new.pop(key, None) != mine:
                differ += 1
    return differ + len(new)
