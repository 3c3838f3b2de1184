"""Snapshots: every requested pair rebuilt from a ``snapshot=true`` update.

Each order of a snapshot is a place followed by an update carrying its filled
amount; a requested pair absent from it is empty. A snapshot of a pair that
was already live is compared first: differing orders count as
``snapshot_divergence``. Each rebuilt pair publishes a
:class:`~framework.model.events.BookSnapshot`.
"""

from __future__ import annotations

from typing import Any

from framework.books.l3book import L3Book
from framework.books.wire import iter_fields
from framework.model.events import BookSnapshot
from plugins.dydx.codec.state import SIDES, CodecState, PairState
from plugins.dydx.codec.stats import (
    DUPLICATE_PLACE,
    OFF_GRID,
    SNAPSHOT_DIVERGENCE,
    SNAPSHOTS,
    UNKNOWN_UPDATE,
)
from plugins.dydx.ids import OrderKey

__all__ = ["apply_snapshot"]


def apply_snapshot(c: CodecState, buf: bytes, pos: int, end: int) -> None:
    """Rebuild every requested pair from the snapshot ``StreamOrderbookUpdate`` in ``buf[pos:end]``."""
    per_pair = _orders(c, buf, pos, end)
    if c.any_pair:
        for pair in per_pair:
            if pair not in c.states:
                c.new_pair(pair)
    c.snapshot_seen = True
    c.stats[SNAPSHOTS] += 1
    for pair, st in c.states.items():
        _rebuild(c, st, per_pair.get(pair, {}))


def _orders(c: CodecState, buf: bytes, pos: int, end: int) -> dict[int, dict[OrderKey, list[int]]]:
    """pair -> {key: [v4 side, quantums, subticks, filled]} of a snapshot's places and updates."""
    per_pair: dict[int, dict[OrderKey, list[int]]] = {}
    for tag, value in iter_fields(buf, pos, end):
        if tag != 0x12:
            continue
        for kind, span in iter_fields(buf, *value):
            if kind == 0x0A:  # place
                for t2, v2 in iter_fields(buf, *span):
                    if t2 == 0x0A:
                        key, side, quantums, subticks = c.order_fields(buf, *v2)
                        orders = per_pair.setdefault(key[4], {})
                        if key in orders:
                            c.stats[DUPLICATE_PLACE] += 1
                        else:
                            orders[key] = [side, quantums, subticks, 0]
            elif kind == 0x1A:  # update: the filled amount of the order before
                raw, filled = b"", 0
                for t2, v2 in iter_fields(buf, *span):
                    if t2 == 0x0A:
                        raw = buf[v2[0] : v2[1]]
                    elif t2 == 0x10:
                        filled = v2
                key = c.order_key(raw)
                entry = per_pair.get(key[4], {}).get(key)
                if entry is None:
                    c.stats[UNKNOWN_UPDATE] += 1
                else:
                    entry[3] = filled
    return per_pair


def _rebuild(c: CodecState, st: PairState, orders: dict[OrderKey, list[int]]) -> None:
    spt, step = st.spt, st.step
    rows = []
    for key, (v4side, quantums, subticks, filled) in orders.items():
        side = SIDES.get(v4side)
        if side is None:
            c.bad_side(key, v4side)
            continue
        if subticks % spt or quantums % step or filled % step:
            c.stats[OFF_GRID] += 1
        rows.append((key, side, subticks // spt, quantums // step, filled // step))
    if st.ready:
        c.stats[SNAPSHOT_DIVERGENCE] += _divergence(st.book, rows)
    where = c.where
    for key in [k for k in where if k[4] == st.pair]:
        del where[key]
    st.book.apply_snapshot(rows)
    for key, side, price, _size, _filled in rows:
        where[key] = (side, price)
    st.ready = True
    c.live_pairs[st.pair] = st
    st.touched.clear()
    book = st.book
    c.out.append(
        BookSnapshot(c.venue, st.symbol, 0, c.ts_recv, tuple(book.depth(1, 1 << 30)), tuple(book.depth(-1, 1 << 30)))
    )


def _divergence(book: L3Book, rows: list[tuple[OrderKey, int, int, int, int]]) -> int:
    """How many orders differ between ``book`` and a snapshot's ``rows``."""
    new: dict[Any, tuple[int, int, int]] = {
        key: (side, price, size - filled if size > filled else 0) for key, side, price, size, filled in rows
    }
    differ = 0
    for side in (1, -1):
        for key in book.orders_in_queue_order(side):
            o = book.order(key)
            mine = None if o is None else (int(o.side), o.price, o.remaining)
            if new.pop(key, None) != mine:
                differ += 1
    return differ + len(new)
