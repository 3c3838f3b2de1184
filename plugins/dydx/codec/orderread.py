"""Reading order ids and orders out of stream messages, with an id cache.

:class:`OrderReader` is the base of the codec's state
(:class:`~plugins.dydx.codec.state.CodecState`): every part of the codec reads
ids and orders through it.
"""

from __future__ import annotations

from framework.books.wire import Malformed, skip_field, varint
from plugins.dydx.ids import OrderKey, key_from_bytes

__all__ = ["OrderReader"]

_ID_CACHE_LIMIT = 500_000  # not Final: tests lower it (monkeypatch)


class OrderReader:
    """Order ids decoded once per distinct encoding, and the book fields of an order."""

    def __init__(self) -> None:
        self.ids: dict[bytes, OrderKey] = {}  # encoded order id -> key

    def order_key(self, raw: bytes) -> OrderKey:
        """The key of an encoded order id (decoded once, then looked up)."""
        return self.ids.get(raw) or self._new_key(raw)

    def _new_key(self, raw: bytes) -> OrderKey:
        ids = self.ids
        if len(ids) >= _ID_CACHE_LIMIT:
            ids.clear()  # ids are cheap to decode again; the cache must not grow forever
        key = ids[raw] = key_from_bytes(raw)
        return key

    def order_fields(self, buf: bytes, pos: int, end: int) -> tuple[OrderKey, int, int, int]:
        """``(key, v4 side, quantums, subticks)`` of an encoded ``IndexerOrder`` or clob
        ``Order`` (fields 1-4 have the same numbers and types in both)."""
        raw = b""
        side = quantums = subticks = 0
        seen = 0
        while pos < end:
            tag = buf[pos]
            if tag == 0x0A:
                n = buf[pos + 1]
                if n < 0x80:
                    raw = buf[pos + 2 : pos + 2 + n]
                    pos += 2 + n
                else:
                    n, start = varint(buf, pos + 1)
                    raw = buf[start : start + n]
                    pos = start + n
                seen |= 1
            elif tag == 0x10:
                side = buf[pos + 1]
                if side < 0x80:
                    pos += 2
                else:
                    side, pos = varint(buf, pos + 1)
                seen |= 2
            elif tag == 0x18:
                quantums, pos = varint(buf, pos + 1)
                seen |= 4
            elif tag == 0x20:
                subticks, pos = varint(buf, pos + 1)
                seen |= 8
            else:
                pos = skip_field(buf, pos)
            if seen == 15:
                break  # the rest (good-til, flags, metadata) does not change the book
        if pos > end:
            raise Malformed("order overruns its length")
        return self.order_key(raw), side, quantums, subticks
