"""dYdX order ids as one hashable tuple, whichever message named them.

Stream places, updates and removes carry an ``IndexerOrderId``; fills and taker
orders carry a clob ``OrderId``. Both have the same fields and the same wire
layout (1 subaccount_id {1 owner, 2 number}, 2 client_id fixed32,
3 order_flags, 4 clob_pair_id), so both map to one :data:`OrderKey`:
``(owner, number, client_id, order_flags, clob_pair_id)``.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["OrderKey", "key_from_bytes", "key_from_pb", "format_key", "IdCache"]

OrderKey = tuple[str, int, int, int, int]
"""``(owner, subaccount number, client_id, order_flags, clob_pair_id)``."""

_FIXED32 = struct.Struct("<I").unpack_from


def key_from_pb(oid: Any) -> OrderKey:
    """The key of a decoded ``OrderId`` or ``IndexerOrderId`` message."""
    sub = oid.subaccount_id
    return (sub.owner, sub.number, oid.client_id, oid.order_flags, oid.clob_pair_id)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _skip(buf: bytes, pos: int, wire_type: int) -> int:
    if wire_type == 0:
        return _varint(buf, pos)[1]
    if wire_type == 2:
        n, pos = _varint(buf, pos)
        return pos + n
    if wire_type == 5:
        return pos + 4
    if wire_type == 1:
        return pos + 8
    raise ValueError(f"unsupported wire type {wire_type}")


def key_from_bytes(buf: bytes) -> OrderKey:
    """The key of an encoded ``OrderId``/``IndexerOrderId``; ``ValueError`` if malformed."""
    owner, number, client_id, flags, pair = "", 0, 0, 0, 0
    pos, end = 0, len(buf)
    try:
        while pos < end:
            tag, pos = _varint(buf, pos)
            field, wt = tag >> 3, tag & 7
            if field == 1 and wt == 2:
                n, pos = _varint(buf, pos)
                sub_end = pos + n
                while pos < sub_end:
                    stag, pos = _varint(buf, pos)
                    if stag == 0x0A:
                        n, pos = _varint(buf, pos)
                        owner = buf[pos : pos + n].decode()
                        pos += n
                    elif stag == 0x10:
                        number, pos = _varint(buf, pos)
                    else:
                        pos = _skip(buf, pos, stag & 7)
                if pos != sub_end:
                    raise ValueError("subaccount id overruns its length")
            elif field == 2 and wt == 5:
                (client_id,) = _FIXED32(buf, pos)
                pos += 4
            elif field == 3 and wt == 0:
                flags, pos = _varint(buf, pos)
            elif field == 4 and wt == 0:
                pair, pos = _varint(buf, pos)
            else:
                pos = _skip(buf, pos, wt)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed order id: {exc}") from exc
    if pos != end:
        raise ValueError("order id overruns its length")
    return (owner, number, client_id, flags, pair)


class IdCache(dict[bytes, OrderKey]):
    """Encoded order id -> key, so that a repeated id is decoded once.

    Equal keys may come from different encodings; each encoding maps to an
    equal tuple, so the book never sees a difference. Bounded: once it holds
    ``limit`` entries it starts over (ids are cheap to decode again).
    """

    def __init__(self, limit: int = 500_000) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, raw: bytes) -> OrderKey:
        if len(self) >= self.limit:
            self.clear()
        key = self[raw] = key_from_bytes(raw)
        return key


def format_key(key: OrderKey) -> str:
    """``owner/number/client_id/flags/clob_pair``: how ids are shown to people."""
    return "/".join(str(part) for part in key)
