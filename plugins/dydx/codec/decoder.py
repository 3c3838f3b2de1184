"""The inbound decoder: ``StreamOrderbookUpdatesResponse`` bytes -> L3 books and events.

:class:`DydxCodec` reads each response's stream updates straight from the wire
bytes and hands each body to its part: order-book updates to the hot loop here
(operations read by :mod:`~plugins.dydx.codec.ops`, snapshots by
:mod:`~plugins.dydx.codec.snapshot`), fills to :mod:`~plugins.dydx.codec.fills`,
taker, subaccount and price messages to :mod:`~plugins.dydx.codec.notices`.
The package docs (:mod:`plugins.dydx.codec`) state the book rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from google.protobuf.message import DecodeError

from framework.books.wire import Malformed, skip_field, varint
from framework.model.events import BookDelta, Event
from plugins.dydx.codec.fills import apply_fill
from plugins.dydx.codec.notices import price_update, subaccount_update, taker_order
from plugins.dydx.codec.ops import PLACE, REMOVE, UPDATE, is_snapshot, parse_body
from plugins.dydx.codec.snapshot import apply_snapshot
from plugins.dydx.codec.state import SIDES, CodecState, PairState
from plugins.dydx.codec.stats import (
    CROSSED,
    DUPLICATE_PLACE,
    MALFORMED,
    MESSAGES,
    OFF_GRID,
    PRE_SNAPSHOT_MESSAGES,
    REPLACES,
    UNKNOWN_REMOVE,
    UNKNOWN_UPDATE,
    UPDATES,
)
from plugins.dydx.ids import OrderKey
from plugins.dydx.units import ClobParams

__all__ = ["DydxCodec"]


class DydxCodec(CodecState):
    """Turns stream responses into L3 books and events (see :mod:`plugins.dydx.codec`).

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
        super().__init__(venue, pairs, confirmed_only=confirmed_only, own_subaccounts=own_subaccounts,
                         markets=markets, resync_on_crossed=resync_on_crossed)  # fmt: skip
        self._n_updates = 0  # order-book updates and unknown updates of the response
        self._n_unknown = 0  # being read, added to stats at its end
        self._height_raw = b"\xff" * 11  # never matches: no varint has 11 bytes
        self._height = 0

    def feed(self, data: bytes, ts_recv: int = 0) -> list[Event]:
        """Apply one ``StreamOrderbookUpdatesResponse`` and return its events."""
        out: list[Event] = []
        self.stats[MESSAGES] += 1
        self.ts_recv = ts_recv
        self.out = out
        self.skipped = False
        self._n_updates = self._n_unknown = 0
        try:
            self._response(data, out)
        except (Malformed, ValueError, IndexError, DecodeError) as exc:
            # DecodeError: a damaged taker, subaccount or price message (parsed by protobuf)
            self.stats[MALFORMED] += 1
            self.request_resync(f"malformed response: {exc}")
        if self._n_updates:
            self.stats[UPDATES] += self._n_updates
            if self._n_unknown:
                self.stats[UNKNOWN_UPDATE] += self._n_unknown
        if self.dirty:
            self._flush_deltas(out)
        if self.skipped:
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
                        taker_order(self, buf, q, pos, mode, height, out)
                    else:
                        apply_fill(self, buf, q, pos, mode, height, out)
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
            taker_order(self, buf, start, stop, mode, height, out)
        elif body == 0x22:
            apply_fill(self, buf, start, stop, mode, height, out)
        elif body == 0x32:
            subaccount_update(self, buf[start:stop], height, out)
        elif body == 0x3A:
            price_update(self, buf[start:stop], height, out)

    # --- order-book events: the hot path -------------------------------------
    #
    # The operations of a body are read once (ops.py) and applied here, in one
    # loop over typed locals: most of the traffic is updates and removes.

    def _orderbook(self, buf: bytes, pos: int, end: int) -> None:
        # The node sends the same StreamOrderbookUpdate bodies again and again
        # (resets, block sync, the replay of the operations queue): their
        # operations are kept by their bytes (self.body_memo), so a repeated body
        # costs one lookup instead of a walk over its updates.
        body = buf[pos:end]
        ops = self.body_memo.get(body)
        error = None
        if ops is None:
            if is_snapshot(buf, pos, end):
                apply_snapshot(self, buf, pos, end)
                return
            ops, error = parse_body(self, buf, pos, end, body)
        live, where, dirty = self.live_pairs, self.where, self.dirty
        self._n_updates += len(ops)
        for op in ops:
            if op is None:
                continue  # an empty update, or of a kind we do not know
            # Typed locals: the compiled build unboxes them once (ops are tuple[Any, ...]).
            kind: int = op[0]
            key: OrderKey = op[1]
            st = live.get(key[4])
            if st is None:
                st = self.live(key)
                if st is None:
                    continue
            if kind == UPDATE:
                at = where.get(key)
                if at is None:  # update-before-place, or block sync of a gone order
                    self._n_unknown += 1
                    continue
                step = st.step
                filled: int = op[2]
                if filled % step:
                    self.stats[OFF_GRID] += 1
                st.book.update(key, filled // step)
            elif kind == REMOVE:
                at = where.pop(key, None)
                if at is None:
                    self.stats[UNKNOWN_REMOVE] += 1
                    continue
                st.book.remove(key)
            elif kind == PLACE:
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

    def _replace(self, st: PairState, op: tuple) -> None:
        """``OrderReplaceV1`` (never emitted by v9.6.1 streams): remove old, place new."""
        self.stats[REPLACES] += 1
        _kind, old, place = op
        at = self.where.pop(old, None)
        if at is not None:
            st.book.remove(old)
            self.touch(st, at)
        if place is not None:
            new = self.live(place[1])
            if new is not None:
                self._add(new, place[1], place[2], place[3], place[4])

    def _odd_place(self, key: OrderKey, v4side: int) -> None:
        """A place the book cannot take: a repeated id, or a side that is neither."""
        if key in self.where:
            # The node removes a resting id before placing it again; a repeat
            # keeps the resting order (and its queue position).
            self.stats[DUPLICATE_PLACE] += 1
        else:
            self.bad_side(key, v4side)

    def _add(self, st: PairState, key: OrderKey, v4side: int, quantums: int, subticks: int) -> None:
        """Place the new order of a replace (the hot loop places the others inline)."""
        side = SIDES.get(v4side)
        if side is None or key in self.where:
            self._odd_place(key, v4side)
            return
        spt, step = st.spt, st.step
        if subticks % spt or quantums % step:
            self.stats[OFF_GRID] += 1
        price = subticks // spt
        st.book.place(key, side, price, quantums // step, 0)
        self.where[key] = (side, price)
        self.touch(st, (side, price))

    def _flush_deltas(self, out: list[Event]) -> None:
        """One BookDelta per touched pair (the node's flush is the unit), and the crossed-book check."""
        ts = self.ts_recv
        venue = self.venue
        for st in self.dirty:
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
                    self.request_resync(f"book of clob pair {st.pair} is crossed")
        self.dirty.clear()
