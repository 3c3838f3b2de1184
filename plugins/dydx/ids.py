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

from framework.books.wire import skip_value, varint

__all__ = ["OrderKey", "format_key", "key_from_bytes", "key_from_pb"]

OrderKey = tuple[Any, ...]
"""``(owner, subaccount number, client_id, order_flags, clob_pair_id)``: str, then four ints.

Declared as a tuple of any length on purpose: mypyc (the optional compiled
build, ``setup.py``) unboxes a fixed-length tuple type into a C struct, so
every key handed out of the id cache would be boxed again into a new tuple --
an allocation per lookup, and dict lookups comparing field by field instead of
finding the same object."""

_FIXED32 = struct.Struct("<I").unpack_from


def key_from_pb(oid: Any) -> OrderKey:
    """The key of a decoded ``OrderId`` or ``IndexerOrderId`` message."""
    sub = oid.subaccount_id
    return (sub.owner, sub.number, oid.client_id, oid.order_flags, oid.clob_pair_id)


def key_from_bytes(buf: bytes) -> OrderKey:
    """The key of an encoded ``OrderId``/``IndexerOrderId``; ``ValueError`` if malformed."""
    key = _canonical_key(buf)
    return key if key is not None else _general_key(buf)


def _canonical_key(buf: bytes) -> OrderKey | None:
    """The layout every encoder writes (fields in order, short lengths, small
    numbers), read without a loop; None for anything else."""
    try:
        if buf[0] != 0x0A or buf[2] != 0x0A:
            return None
        end_sub = 2 + buf[1]
        n = buf[3]
        if buf[1] >= 0x80 or n >= 0x80:
            return None
        pos = 4 + n
        owner = buf[4:pos].decode()
        number = 0
        if pos < end_sub:
            if buf[pos] != 0x10 or buf[pos + 1] >= 0x80 or pos + 2 != end_sub:
                return None
            number = buf[pos + 1]
        pos = end_sub
        client_id = flags = pair = 0
        if pos < len(buf) and buf[pos] == 0x15:
            (client_id,) = _FIXED32(buf, pos + 1)
            pos += 5
        if pos < len(buf) and buf[pos] == 0x18:
            flags, pos = varint(buf, pos + 1)
        if pos < len(buf) and buf[pos] == 0x20:
            pair, pos = varint(buf, pos + 1)
        return (owner, number, client_id, flags, pair) if pos == len(buf) else None
    except (IndexError, struct.error, UnicodeDecodeError):
        return None


def _general_key(buf: bytes) -> OrderKey:
    owner, number, client_id, flags, pair = "", 0, 0, 0, 0
    pos, end = 0, len(buf)
    try:
        while pos < end:
            tag, pos = varint(buf, pos)
            field, wt = tag >> 3, tag & 7
            if field == 1 and wt == 2:
                n, pos = varint(buf, pos)
                sub_end = pos + n
                while pos < sub_end:
                    stag, pos = varint(buf, pos)
                    if stag == 0x0A:
                        n, pos = varint(buf, pos)
                        owner = buf[pos : pos + n].decode()
                        pos += n
                    elif stag == 0x10:
                        number, pos = varint(buf, pos)
                    else:
                        pos = skip_value(buf, pos, stag & 7)
                if pos != sub_end:
                    raise ValueError("subaccount id overruns its length")
            elif field == 2 and wt == 5:
                (client_id,) = _FIXED32(buf, pos)
                pos += 4
            elif field == 3 and wt == 0:
                flags, pos = varint(buf, pos)
            elif field == 4 and wt == 0:
                pair, pos = varint(buf, pos)
            else:
                pos = skip_value(buf, pos, wt)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed order id: {exc}") from exc
    if pos != end:
        raise ValueError("order id overruns its length")
    return (owner, number, client_id, flags, pair)


def format_key(key: tuple) -> str:
    """``owner/number/client_id/flags/clob_pair``: how ids are shown to people (any id
    tuple: a liquidation's taker is ``("liquidation", owner, number, perpetual)``)."""
    return "/".join(str(part) for part in key)
