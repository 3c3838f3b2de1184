"""The raw reader of the market-data hot path: one serialized
``CreateMarketDataSubscriptionResponse`` holding a plain book update (symbol,
entries, time) read in one pass straight from the wire format into flat
``[px, qty, px, qty, ...]`` lists, with no message objects and no per-entry
slices. Anything else -- heartbeats, state, stats, fields it does not know --
is left to protobuf (:func:`read_plain` returns ``None``).

Per-message work is what limits the stream rate (see ``python -m bench
polymarket``), hence the hand parser; compiled by mypyc with
:mod:`plugins.polymarket.codec.marketdata`, its one caller.
"""

from __future__ import annotations

from typing import Final

from framework.books.wire import varint

__all__ = ["read_plain"]

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


def read_plain(data: bytes) -> tuple[bytes, list[int], list[int], int] | None:
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
