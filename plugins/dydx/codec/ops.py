"""Reading a ``StreamOrderbookUpdate``'s ``OffChainUpdateV1`` list into book operations.

An operation is a tuple: ``(UPDATE, key, filled)``, ``(REMOVE, key)``,
``(PLACE, key, v4 side, quantums, subticks)`` or ``(REPLACE, old key, place
operation)``. The node sends the same update bytes again and again (resets,
block sync, the replay of the operations queue), so operations are kept by
their bytes (``CodecState.op_memo``) and most updates are never read twice;
whole bodies likewise (``CodecState.body_memo``). Applying the operations to
the books is the decoder's hot loop (:mod:`plugins.dydx.codec.decoder`).
"""

from __future__ import annotations

from typing import Final

from framework.books.wire import Malformed, iter_fields, skip_field, varint
from plugins.dydx.codec.state import CodecState

__all__ = ["PLACE", "REMOVE", "REPLACE", "UPDATE", "is_snapshot", "parse_body", "snapshot_flag"]

# Field numbers are those of v4-proto 9.x (the layout since protocol v6.0.6).
# Final: the compiled build inlines the constants instead of looking the names
# up in the module's globals.
_ONEOF_TAGS: Final = frozenset((0x0A, 0x12, 0x1A, 0x22))  # OffChainUpdateV1: place, remove, update, replace
UPDATE: Final = 0  # operation kinds
REMOVE: Final = 1
PLACE: Final = 2
REPLACE: Final = 3
# Not Final: read only when a memory is full, and tests lower them (monkeypatch).
OP_MEMORY = 200_000
BODY_MEMORY = 100_000


def parse_body(c: CodecState, buf: bytes, pos: int, end: int, body: bytes) -> tuple[tuple, Malformed | None]:
    """The operations of the (not snapshot) ``StreamOrderbookUpdate`` in ``buf[pos:end]``
    (None for each update that changes nothing), remembered under ``body``. A
    malformed update ends the list: the operations before it and the error are
    returned, and nothing is remembered."""
    memo = c.op_memo
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
            ops.append(op if op is not None else _parse_op(c, buf, s, pos, raw))
        if pos != end:
            raise Malformed("orderbook update overruns its length")
    except (Malformed, ValueError, IndexError) as exc:
        return tuple(ops), exc if isinstance(exc, Malformed) else Malformed(str(exc))
    result = tuple(ops)
    bodies = c.body_memo
    if len(bodies) >= BODY_MEMORY:
        bodies.clear()
    bodies[body] = result
    return result, None


def is_snapshot(buf: bytes, pos: int, end: int) -> bool:
    """Is the ``StreamOrderbookUpdate`` in ``buf[pos:end]`` a snapshot? The flag
    (field 1) comes first as encoders write it, but may legally follow the updates."""
    if pos < end and buf[pos] == 0x08:
        flag, _ = varint(buf, pos + 1)
        return flag != 0
    # Only a scan can tell (the byte also occurs inside ids and amounts, hence the walk).
    return buf.find(b"\x08", pos, end) >= 0 and snapshot_flag(buf, pos, end)


def snapshot_flag(buf: bytes, pos: int, end: int) -> bool:
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


def _parse_op(c: CodecState, buf: bytes, pos: int, end: int, raw: bytes) -> tuple | None:
    """The operation of the ``OffChainUpdateV1`` in ``buf[pos:end]`` (None if empty
    or of a kind we do not know); remembers it under ``raw``."""
    op = _canonical_op(c, buf, pos, end) if pos < end else None
    if op is None:
        op = _general_op(c, buf, pos, end)
        if op is None:
            return None
    memo = c.op_memo
    if len(memo) >= OP_MEMORY:
        memo.clear()
    memo[raw] = op
    return op


def _canonical_op(c: CodecState, buf: bytes, s: int, end: int) -> tuple | None:
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
        return (PLACE, *c.order_fields(buf, q, q + n))
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
        return (UPDATE, c.order_key(buf[s + 2 : s + 2 + k]), filled)
    if kind == 0x12:  # OrderRemoveV1 {1 removed_order_id, 2 reason, 3 status, 4 time}
        return (REMOVE, c.order_key(buf[s + 2 : s + 2 + k]))
    return None  # a replace: the general reader


def _general_op(c: CodecState, buf: bytes, pos: int, end: int) -> tuple | None:
    """Any valid layout: fields in any order, unknown fields skipped."""
    op: tuple | None = None
    for tag, span in iter_fields(buf, pos, end):
        if tag == 0x1A:
            key, filled = c.order_key(b""), 0
            for t, v in iter_fields(buf, *span):
                if t == 0x0A:
                    key = c.order_key(buf[v[0] : v[1]])
                elif t == 0x10:
                    filled = v
            op = (UPDATE, key, filled)
        elif tag == 0x12:
            key = c.order_key(b"")
            for t, v in iter_fields(buf, *span):
                if t == 0x0A:
                    key = c.order_key(buf[v[0] : v[1]])
            op = (REMOVE, key)
        elif tag == 0x0A:
            op = _place_op(c, buf, *span)
        elif tag == 0x22:
            old, place = c.order_key(b""), None
            for t, v in iter_fields(buf, *span):
                if t == 0x0A:
                    old = c.order_key(buf[v[0] : v[1]])
                elif t == 0x12:
                    place = (PLACE, *c.order_fields(buf, *v))
            op = (REPLACE, old, place)
    return op


def _place_op(c: CodecState, buf: bytes, pos: int, end: int) -> tuple:
    """An ``OrderPlaceV1`` in any layout."""
    fields: tuple = (c.order_key(b""), 0, 0, 0)
    for t, v in iter_fields(buf, pos, end):
        if t == 0x0A:
            fields = c.order_fields(buf, *v)
    return (PLACE, *fields)
