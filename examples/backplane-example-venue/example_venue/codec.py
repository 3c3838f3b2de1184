"""Sans-IO codec of the example venue: wire lines <-> events, no I/O.

Market data (one stream per group of symbols)::

    {"t": "snap", "sym": "AAA", "seq": 7, "bids": [[100, 10]], "asks": [[104, 10]]}
    {"t": "lvl", "sym": "AAA", "seq": 8, "side": 1, "px": 100, "sz": 0}
    {"t": "hb"}

Each symbol's ``seq`` counts up by one; a gap or a line that cannot be
decoded raises :class:`~framework.Desync` (the core's stream supervisor
counts it and resubscribes: a fresh snapshot resyncs the book). Orders (one
stream per account; the venue answers the login, and sends heartbeats, with
``{"t": "hb"}``)::

    -> {"op": "login", "stream": "orders"}
    -> {"op": "new", "cid": "s1-1", "sym": "AAA", "side": 1, "px": 101, "sz": 5}
    -> {"op": "cancel", "cid": "s1-1", "oid": "o1"}
    -> {"op": "replace", "cid": "s1-1", "oid": "o1", "px": 102, "sz": 5}
    <- {"t": "ack", "cid": ..., "oid": ..., "sym": ..., "side": 1, "px": 101, "sz": 5}
    <- {"t": "fill", "cid": ..., "oid": ..., "sym": ..., "exec": "e9", "side": 1,
        "px": 101, "sz": 2, "filled": 2, "left": 3}
    <- {"t": "out", "cid": ..., "oid": ..., "sym": ...}
    <- {"t": "rej", "cid": ..., "sym": ..., "why": "price out of range"}
    <- {"t": "cxl_rej", "cid": ..., "sym": ..., "why": "unknown order"}

The venue may deliver an execution report twice (after a reconnect): the
codec passes each ``exec`` id on once.
"""

from __future__ import annotations

from typing import Any

import msgspec
from framework import (
    BookDelta,
    BookSnapshot,
    CancelOrder,
    CancelRejected,
    Desync,
    Event,
    L2Book,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    ReplaceOrder,
    Side,
    SubmitOrder,
)

__all__ = ["Desync", "MarketCodec", "OrderCodec", "encode"]

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode


def encode(message: dict[str, Any]) -> bytes:
    """One wire line."""
    return _encode(message) + b"\n"


class MarketCodec:
    """Market-data lines -> L2 books + ``BookSnapshot``/``BookDelta`` events."""

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.books: dict[str, L2Book] = {}
        self._seq: dict[str, int] = {}
        self.desyncs = 0

    def book(self, symbol: str) -> L2Book:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = L2Book(self.venue, symbol)
        return book

    def forget(self, symbols: list[str]) -> None:
        """The stream of ``symbols`` is resubscribing: the next line must be a snapshot."""
        for symbol in symbols:
            self._seq.pop(symbol, None)

    def receive(self, line: bytes, ts_recv: int) -> list[Event]:
        """Decode one line; raises :class:`Desync` on a gap or bad line."""
        try:
            msg = _decode(line)
            kind = msg["t"]
            if kind == "hb":
                return []
            symbol = msg["sym"]
            seq = msg["seq"]
            if kind == "snap":
                return [self._snapshot(symbol, seq, msg, ts_recv)]
            if kind == "lvl":
                return [self._level(symbol, seq, msg, ts_recv)]
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
            self.desyncs += 1
            raise Desync(f"undecodable market-data line {line[:80]!r}: {exc}") from exc
        return []  # a message kind this adapter does not use

    def _snapshot(self, symbol: str, seq: int, msg: dict[str, Any], ts_recv: int) -> BookSnapshot:
        bids = tuple((int(p), int(s)) for p, s in msg["bids"])
        asks = tuple((int(p), int(s)) for p, s in msg["asks"])
        self.book(symbol).apply_snapshot(bids, asks)
        self._seq[symbol] = seq
        return BookSnapshot(self.venue, symbol, 0, ts_recv, bids, asks)

    def _level(self, symbol: str, seq: int, msg: dict[str, Any], ts_recv: int) -> BookDelta:
        last = self._seq.get(symbol)
        if last is None or seq != last + 1:
            self.desyncs += 1
            raise Desync(f"{symbol}: sequence {seq} after {last}")
        self._seq[symbol] = seq
        side, price, size = int(msg["side"]), int(msg["px"]), int(msg["sz"])
        self.book(symbol).set_level(side, price, size)
        return BookDelta(self.venue, symbol, 0, ts_recv, ((side, price, size),))


class OrderCodec:
    """Order intents -> wire lines; order-stream lines -> order events, each execution once."""

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self._strategy: dict[str, str] = {}  # client order id -> strategy
        self._executions: set[str] = set()
        self.duplicates = 0
        self.malformed = 0

    def new(self, order: SubmitOrder) -> bytes:
        self._strategy[order.client_order_id] = order.strategy
        return encode({"op": "new", "cid": order.client_order_id, "sym": order.symbol,
                       "side": int(order.side), "px": order.price, "sz": order.size})  # fmt: skip

    def cancel(self, cancel: CancelOrder) -> bytes:
        return encode({"op": "cancel", "cid": cancel.client_order_id, "oid": cancel.venue_order_id})

    def replace(self, replace: ReplaceOrder) -> bytes:
        return encode({"op": "replace", "cid": replace.client_order_id, "oid": replace.venue_order_id,
                       "px": replace.price, "sz": replace.size})  # fmt: skip

    def receive(self, line: bytes, ts_recv: int) -> list[OrderEvent]:
        """Decode one order-stream line; a bad line is counted and skipped."""
        try:
            return self._decode(_decode(line), ts_recv)
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            self.malformed += 1
            return []

    def _decode(self, msg: dict[str, Any], ts: int) -> list[OrderEvent]:
        kind = msg["t"]
        if kind == "hb":
            return []
        cid = msg["cid"]
        head = (self.venue, msg["sym"], 0, ts, cid, self._strategy.get(cid, ""))
        if kind == "ack":
            return [OrderAccepted(*head, msg["oid"], Side(msg["side"]), int(msg["px"]), int(msg["sz"]))]
        if kind == "fill":
            if msg["exec"] in self._executions:
                self.duplicates += 1
                return []
            self._executions.add(msg["exec"])
            return [OrderFilled(*head, msg["oid"], msg["exec"], Side(msg["side"]), int(msg["px"]),
                                int(msg["sz"]), int(msg["filled"]), int(msg["left"]))]  # fmt: skip
        if kind == "out":
            return [OrderCanceled(*head, msg["oid"], "canceled")]
        if kind == "rej":
            return [OrderRejected(*head, "", msg["why"])]
        if kind == "cxl_rej":
            return [CancelRejected(*head, msg.get("oid", ""), msg["why"])]
        return []
