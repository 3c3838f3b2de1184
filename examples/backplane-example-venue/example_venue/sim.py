"""A small example venue on 127.0.0.1: books, a post-only order gateway, drivers.

The simulator serves the wire protocol of :mod:`example_venue.codec`. Each
symbol has a crowd book (seeded around ``mid``) plus the orders clients rest;
the public book is their sum. Client orders never cross (a crossing order is
rejected: this is a post-only venue); they fill when a counterparty trades
(:meth:`ExampleSimulator.make_trade`). The drivers the conformance kit needs
-- change a level, trade, drop or silence the market-data streams, re-send an
execution report -- are plain methods, and the simulator counts every line a
client sends so tests can check nothing bypassed the gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from framework import NS_PER_MS, Level, LiveClock, Side

from example_venue.adapter import ExampleSettings
from example_venue.codec import encode

__all__ = ["ExampleSimulator", "SimSettings"]

MIN_PRICE, MAX_PRICE = 1, 9_999


class SimSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How the simulator starts."""

    symbols: list[str] = msgspec.field(default_factory=lambda: ["AAA", "BBB", "CCC"])
    mid: Annotated[int, msgspec.Meta(ge=10, le=9_000)] = 102
    heartbeat_ms: Annotated[int, msgspec.Meta(ge=1)] = 100
    port: Annotated[int, msgspec.Meta(ge=0, le=65535, description="0 picks a free port")] = 0


@dataclass(eq=False)  # identity: a client is its connection
class _Client:
    writer: asyncio.StreamWriter
    symbols: list[str] = field(default_factory=list)  # market data it subscribed to
    orders: bool = False
    silent: bool = False

    def send(self, message: dict[str, Any]) -> None:
        if not self.silent and not self.writer.is_closing():
            self.writer.write(encode(message))


@dataclass
class _Resting:
    oid: str
    cid: str
    symbol: str
    side: int
    price: int
    size: int
    filled: int
    owner: _Client

    @property
    def left(self) -> int:
        return self.size - self.filled


class ExampleSimulator:
    """``async with ExampleSimulator(SimSettings()) as sim:`` serves on ``sim.port``."""

    def __init__(self, settings: SimSettings | None = None) -> None:
        self.settings = settings or SimSettings()
        self.clock = LiveClock()
        self.port = 0
        self.messages = 0  # lines received from clients
        self._clients: set[_Client] = set()
        self._crowd: dict[str, dict[int, dict[int, int]]] = {}
        self._resting: dict[str, _Resting] = {}
        self._seq: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._last_fill: tuple[_Client, dict[str, Any]] | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        mid = self.settings.mid
        for symbol in self.settings.symbols:
            self._crowd[symbol] = {1: {mid - 2 - i: 10 for i in range(5)}, -1: {mid + 2 + i: 10 for i in range(5)}}
            self._seq[symbol] = 1

    # -- lifecycle ------------------------------------------------------------

    async def __aenter__(self) -> ExampleSimulator:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.settings.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._heartbeats())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for client in list(self._clients):
            client.writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def venue_settings(self, settings: ExampleSettings | None) -> ExampleSettings:
        """The adapter settings that point at this simulator."""
        return msgspec.structs.replace(settings or ExampleSettings(), host="127.0.0.1", port=self.port)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeats(self) -> None:
        while True:
            await self.clock.sleep_ns(self.settings.heartbeat_ms * NS_PER_MS)
            for client in self._clients:
                if client.symbols or client.orders:
                    client.send({"t": "hb"})

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _Client(writer)
        self._clients.add(client)
        self._spawn(self._session(client, reader))

    async def _session(self, client: _Client, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                self.messages += 1
                self._handle(client, msgspec.json.decode(line))
                await client.writer.drain()
        except (OSError, msgspec.DecodeError):
            pass  # a client that sends garbage is disconnected
        finally:
            self._clients.discard(client)
            client.writer.close()

    # -- the venue --------------------------------------------------------------

    def levels(self, symbol: str) -> tuple[list[Level], list[Level]]:
        """The public book: crowd plus resting client orders, best first."""
        sides = {s: dict(levels) for s, levels in self._crowd[symbol].items()}
        for order in self._resting.values():
            if order.symbol == symbol:
                sides[order.side][order.price] = sides[order.side].get(order.price, 0) + order.left
        bids = sorted(((p, s) for p, s in sides[1].items() if s), reverse=True)
        asks = sorted((p, s) for p, s in sides[-1].items() if s)
        return bids, asks

    def _size_at(self, symbol: str, side: int, price: int) -> int:
        bids, asks = self.levels(symbol)
        return dict(bids if side == 1 else asks).get(price, 0)

    def _publish_level(self, symbol: str, side: int, price: int) -> None:
        self._seq[symbol] += 1
        msg = {"t": "lvl", "sym": symbol, "seq": self._seq[symbol], "side": side, "px": price,
               "sz": self._size_at(symbol, side, price)}  # fmt: skip
        for client in self._clients:
            if symbol in client.symbols:
                client.send(msg)

    def _handle(self, client: _Client, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "subscribe":
            client.symbols = [s for s in msg["symbols"] if s in self._crowd]
            for symbol in client.symbols:
                bids, asks = self.levels(symbol)
                client.send({"t": "snap", "sym": symbol, "seq": self._seq[symbol], "bids": bids, "asks": asks})
        elif op == "login":
            client.orders = True
            client.send({"t": "hb"})  # logged in: the order stream is live
        elif op == "new":
            self._new(client, msg)
        elif op == "cancel":
            self._cancel(client, msg)
        elif op == "replace":
            self._replace(client, msg)

    def _refusal(self, msg: dict[str, Any]) -> str:
        symbol, side, price, size = msg.get("sym"), msg.get("side"), msg.get("px"), msg.get("sz")
        if symbol not in self._crowd:
            return f"unknown symbol {symbol!r}"
        if side not in (1, -1) or not isinstance(price, int) or not isinstance(size, int) or size <= 0:
            return "malformed order"
        if not MIN_PRICE <= price <= MAX_PRICE:
            return f"price {price} out of range {MIN_PRICE}..{MAX_PRICE}"
        bids, asks = self.levels(symbol)
        opposite = asks if side == 1 else bids
        if opposite and (price >= opposite[0][0] if side == 1 else price <= opposite[0][0]):
            return "would cross: post-only venue"
        return ""

    def _new(self, client: _Client, msg: dict[str, Any]) -> None:
        why = self._refusal(msg)
        if why:
            client.send({"t": "rej", "cid": msg.get("cid", ""), "sym": msg.get("sym", ""), "why": why})
            return
        order = _Resting(f"o{next(self._ids)}", msg["cid"], msg["sym"], msg["side"], msg["px"], msg["sz"], 0, client)
        self._resting[order.oid] = order
        self._ack(order)
        self._publish_level(order.symbol, order.side, order.price)

    def _ack(self, order: _Resting) -> None:
        order.owner.send({"t": "ack", "cid": order.cid, "oid": order.oid, "sym": order.symbol,
                          "side": order.side, "px": order.price, "sz": order.size})  # fmt: skip

    def _find(self, client: _Client, msg: dict[str, Any]) -> _Resting | None:
        order = self._resting.get(msg.get("oid", ""))
        return order if order is not None and order.owner is client else None

    def _cancel(self, client: _Client, msg: dict[str, Any]) -> None:
        order = self._find(client, msg)
        if order is None:
            client.send({"t": "cxl_rej", "cid": msg.get("cid", ""), "sym": "", "why": "unknown order"})
            return
        del self._resting[order.oid]
        client.send({"t": "out", "cid": order.cid, "oid": order.oid, "sym": order.symbol})
        self._publish_level(order.symbol, order.side, order.price)

    def _replace(self, client: _Client, msg: dict[str, Any]) -> None:
        order = self._find(client, msg)
        why = "unknown order" if order is None else self._refusal({**msg, "sym": order.symbol, "side": order.side})
        if order is None or why:
            client.send({"t": "cxl_rej", "cid": msg.get("cid", ""), "oid": msg.get("oid", ""),
                         "sym": order.symbol if order else "", "why": why})  # fmt: skip
            return
        old_price = order.price
        order.price, order.size, order.filled = msg["px"], msg["sz"], 0
        self._ack(order)
        self._publish_level(order.symbol, order.side, old_price)
        if order.price != old_price:
            self._publish_level(order.symbol, order.side, order.price)

    # -- drivers ------------------------------------------------------------------

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        """Set the crowd's size at a level and publish the change."""
        self._crowd[symbol][int(side)][price] = size
        self._publish_level(symbol, int(side), price)
        await self._flush()

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        """A counterparty order trades, best price first; at each price resting
        client orders fill first (in arrival order), then the crowd."""
        book = int(side.opposite)  # the side of the book it trades against
        bids, asks = self.levels(symbol)
        touched: list[int] = []
        for level, _ in bids if book == 1 else asks:
            if size == 0 or (level < price if book == 1 else level > price):
                break
            for order in [o for o in self._resting.values() if (o.symbol, o.side, o.price) == (symbol, book, level)]:
                size -= self._fill(order, min(size, order.left))
                if size == 0:
                    break
            crowd = self._crowd[symbol][book]
            taken = min(size, crowd.get(level, 0))
            if taken:
                crowd[level] -= taken
                size -= taken
            touched.append(level)
        for level in touched:
            self._publish_level(symbol, book, level)
        await self._flush()

    def _fill(self, order: _Resting, size: int) -> int:
        order.filled += size
        msg = {"t": "fill", "cid": order.cid, "oid": order.oid, "sym": order.symbol, "exec": f"e{next(self._ids)}",
               "side": order.side, "px": order.price, "sz": size, "filled": order.filled,
               "left": order.left}  # fmt: skip
        order.owner.send(msg)
        self._last_fill = (order.owner, msg)
        if order.left == 0:
            del self._resting[order.oid]
        return size

    async def duplicate_execution(self) -> None:
        """Send the last execution report again."""
        assert self._last_fill is not None, "no execution to duplicate"
        client, msg = self._last_fill
        client.send(msg)
        await self._flush()

    async def kill_streams(self) -> None:
        """Drop every market-data connection."""
        for client in [c for c in self._clients if c.symbols]:
            client.writer.close()
        await self._flush()

    async def send_malformed(self) -> None:
        """Send every market-data connection a line that is not JSON."""
        for client in self._clients:
            if client.symbols and not client.writer.is_closing():
                client.writer.write(b"{this is not json\n")
        await self._flush()

    async def silence_streams(self) -> None:
        """Keep market-data connections open but send nothing more on them."""
        for client in self._clients:
            if client.symbols:
                client.silent = True

    @property
    def open_streams(self) -> int:
        return len(self._clients)

    async def _flush(self) -> None:
        for client in list(self._clients):
            with contextlib.suppress(OSError):
                await client.writer.drain()
