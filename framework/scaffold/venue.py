"""The ``backplane new venue NAME`` templates: adapter, sans-IO codec, simulator, kit tests."""

from __future__ import annotations

SUMMARY = "A backplane venue adapter: $module, with its own loopback simulator."

USAGE = '''\
Run a strategy against its simulator (no credentials, no network):

```yaml
run:
  name: try-$name
  mode: live
venues:
  $module:
    plugin: $module
    simulate: true
strategies:
  mm:
    plugin: market_maker
    venue: $module
    symbols: [AAA]
```

The simulator speaks the same JSON-lines protocol as `codec.py` expects:
replace the codec and the connection code with your venue's, keep the split
(the codec does no I/O), and extend the simulator as your adapter grows.
The adapter is a `StreamSource`: backplane's `SupervisedStream` keeps the
connection open (stale detection, reconnect with backoff, resync). The
contract suite reports `stale` and `reconnect_resync` as unsupported until
the simulator can silence and drop a stream (the `stop_heartbeats` and
`kill_stream` drivers; see the backplane example venue).
'''

FILES = {
    "$module/__init__.py": '''\
"""$summary

Registered with backplane by the ``backplane`` entry point in pyproject.toml.
"""

from __future__ import annotations

from framework import SimulatorSpec, VenueSpec, hookimpl

from $module.adapter import LIMITS, ${Class}Adapter, ${Class}Settings
from $module.sim import ${Class}SimSettings, ${Class}Simulator

__all__ = [
    "${Class}Adapter",
    "${Class}SimSettings",
    "${Class}Settings",
    "${Class}Simulator",
]


@hookimpl
def backplane_venues() -> list[VenueSpec]:
    return [
        VenueSpec(
            "$module",
            ${Class}Adapter,
            ${Class}Settings,
            "$module venue (JSON lines over TCP)",
            simulator="$module-sim",
            limits=lambda settings: LIMITS,
        ),
    ]


@hookimpl
def backplane_simulators() -> list[SimulatorSpec]:
    return [
        SimulatorSpec(
            "$module-sim",
            ${Class}Simulator,
            ${Class}SimSettings,
            "the $module venue on 127.0.0.1",
            venue_settings=lambda simulator, settings: simulator.venue_settings(settings),
        ),
    ]
''',
    "$module/codec.py": '''\
"""Sans-IO codec: one wire line in, events out; intents in, wire lines out.

No sockets and no event loop here, so tests, replays and fuzzers can drive it
directly. Each symbol's ``seq`` counts up by one: a gap raises :class:`Desync`
and the transport resubscribes for a fresh snapshot. An execution id is
passed on once, however often the venue sends it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from framework import (
    BookDelta,
    BookSnapshot,
    CancelOrder,
    CancelRejected,
    Event,
    L2Book,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    ReplaceOrder,
    Side,
    SubmitOrder,
)

__all__ = ["Codec", "Desync", "encode"]

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode


def encode(message: dict[str, Any]) -> bytes:
    return _encode(message) + b"\\n"


class Desync(Exception):
    """A sequence gap or an undecodable line: the books must be resynced."""


class Codec:
    """Books, order ids and executions of one connection."""

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.books: dict[str, L2Book] = {}
        self._seq: dict[str, int] = {}
        self._strategy: dict[str, str] = {}
        self._executions: set[str] = set()

    def book(self, symbol: str) -> L2Book:
        if symbol not in self.books:
            self.books[symbol] = L2Book(self.venue, symbol)
        return self.books[symbol]

    def subscribe(self, symbols: list[str]) -> bytes:
        for symbol in symbols:
            self._seq.pop(symbol, None)
        return encode({"op": "subscribe", "symbols": symbols})

    def new(self, order: SubmitOrder) -> bytes:
        self._strategy[order.client_order_id] = order.strategy
        return encode({"op": "new", "cid": order.client_order_id, "sym": order.symbol,
                       "side": int(order.side), "px": order.price, "sz": order.size})  # fmt: skip

    def cancel(self, cancel: CancelOrder) -> bytes:
        return encode({"op": "cancel", "cid": cancel.client_order_id, "oid": cancel.venue_order_id})

    def replace(self, replace: ReplaceOrder) -> bytes:
        return encode({"op": "replace", "cid": replace.client_order_id, "oid": replace.venue_order_id,
                       "px": replace.price, "sz": replace.size})  # fmt: skip

    def receive(self, line: bytes, ts_recv: int) -> list[Event]:
        """Events of one line; raises :class:`Desync` when the books cannot be trusted."""
        try:
            msg = _decode(line)
            return self._market(msg, ts_recv) if "seq" in msg else self._orders(msg, ts_recv)
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
            raise Desync(f"undecodable line {line[:80]!r}: {exc}") from exc

    def _market(self, msg: dict[str, Any], ts: int) -> list[Event]:
        symbol, seq = msg["sym"], msg["seq"]
        if msg["t"] == "snap":
            bids = tuple((int(p), int(s)) for p, s in msg["bids"])
            asks = tuple((int(p), int(s)) for p, s in msg["asks"])
            self.book(symbol).apply_snapshot(bids, asks)
            self._seq[symbol] = seq
            return [BookSnapshot(self.venue, symbol, 0, ts, bids, asks)]
        last = self._seq.get(symbol)
        if last is None:
            return []  # resubscribing: the snapshot on its way already holds this change
        if seq != last + 1:
            raise Desync(f"{symbol}: sequence {seq} after {last}")
        self._seq[symbol] = seq
        change = (int(msg["side"]), int(msg["px"]), int(msg["sz"]))
        self.book(symbol).set_level(*change)
        return [BookDelta(self.venue, symbol, 0, ts, (change,))]

    def _orders(self, msg: dict[str, Any], ts: int) -> list[Event]:
        kind = msg["t"]
        if kind == "hb":
            return []
        cid = msg["cid"]
        head = (self.venue, msg["sym"], 0, ts, cid, self._strategy.get(cid, ""))
        if kind == "ack":
            return [OrderAccepted(*head, msg["oid"], Side(msg["side"]), msg["px"], msg["sz"])]
        if kind == "fill":
            if msg["exec"] in self._executions:
                return []
            self._executions.add(msg["exec"])
            return [OrderFilled(*head, msg["oid"], msg["exec"], Side(msg["side"]), msg["px"], msg["sz"],
                                msg["filled"], msg["left"])]  # fmt: skip
        if kind == "out":
            return [OrderCanceled(*head, msg["oid"], "canceled")]
        if kind == "rej":
            return [OrderRejected(*head, "", msg["why"])]
        return [CancelRejected(*head, "", msg["why"])]
''',
    "$module/adapter.py": '''\
"""The transport: one connection, as a stream source the framework keeps open.

The adapter is the connection's :class:`~framework.StreamSource`: it says how
to subscribe (``resubscribe``), how to connect (``open``), how to read a line
(``decode``, the codec) and when the books are complete (``synced``). The
framework's :class:`~framework.SupervisedStream` does the rest: the stream
slot, every subscription through the risk layer, ``StreamStatus`` on the bus,
stale detection, reconnecting with backoff, and resync after a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated

import msgspec
from framework import (
    BookSnapshot,
    CancelOrder,
    Event,
    Instrument,
    L2Book,
    MessageKind,
    Outbound,
    RateRule,
    ReplaceOrder,
    StreamPolicy,
    SubmitOrder,
    SupervisedStream,
    VenueContext,
    VenueLimits,
    VenueUnavailable,
)

from $module.codec import Codec

__all__ = ["LIMITS", "${Class}Adapter", "${Class}Settings"]

#: What the venue enforces per account; the risk layer enforces it first.
LIMITS = VenueLimits(ingress=RateRule(rate_per_s=20, window_s=10), max_streams=1)


class ${Class}Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Settings under ``venues.<name>.settings``."""

    host: Annotated[str, msgspec.Meta(description="venue host")] = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535, description="venue TCP port")] = 9500
    stale_after_ms: Annotated[int, msgspec.Meta(ge=10, description="silence after which the stream is stale")] = 2000
    reconnect_ms: Annotated[int, msgspec.Meta(ge=1, description="first pause before reconnecting")] = 100

    def policy(self) -> StreamPolicy:
        """How the framework keeps the stream open: stale after ``stale_after_ms``,
        reopened when still silent as long again; reconnects back off from ``reconnect_ms``."""
        return StreamPolicy(
            reconnect_min_ms=self.reconnect_ms,
            reconnect_max_ms=max(self.reconnect_ms, 5_000),
            stale_after_ms=self.stale_after_ms,
            reconnect_after_stale_ms=self.stale_after_ms,
        )


class ${Class}Adapter:
    """Market data and orders over one connection to the venue."""

    name = "main"  # the stream, as StreamStatus names it
    lease_key = "main"  # its stream slot at the risk layer

    def __init__(self, ctx: VenueContext, settings: ${Class}Settings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.limits = LIMITS
        self.instruments = {s: Instrument(ctx.name, s, Decimal("0.01"), Decimal(1), 1, 9_999) for s in ctx.symbols}
        self.codec = Codec(ctx.name)
        self.stream = SupervisedStream(
            ctx.name, self, settings.policy(), clock=ctx.clock, sender=ctx.sender, publish=ctx.bus.publish
        )
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: set[str] = set()  # symbols without a snapshot on this connection

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.stream.run())
        # Until the subscription is admitted (Denied without a stream slot): the
        # snapshot arrives after start(), as events the strategies see.
        await self.stream.wait_open()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()  # the stream publishes DOWN and releases its slot
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def book(self, symbol: str) -> L2Book:
        return self.codec.book(symbol)

    async def submit(self, order: SubmitOrder) -> None:
        await self._send(MessageKind.NEW_ORDER, self.codec.new(order))

    async def cancel(self, cancel: CancelOrder) -> None:
        await self._send(MessageKind.CANCEL, self.codec.cancel(cancel))

    async def replace(self, replace: ReplaceOrder) -> None:
        await self._send(MessageKind.REPLACE, self.codec.replace(replace))

    async def _send(self, kind: MessageKind, line: bytes) -> None:
        # The sender admits it at the risk layer first, then calls _write.
        await self.ctx.sender.send(Outbound(kind, "", line), self._write)

    async def _write(self, line: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise VenueUnavailable(self.ctx.name, "not connected")
        self._writer.write(line)
        await self._writer.drain()

    # -- the stream source: the framework calls these ------------------------------

    def resubscribe(self) -> Outbound:
        """Before every (re)connect: the subscription, which brings fresh snapshots."""
        self._waiting = set(self.ctx.symbols)
        return Outbound(MessageKind.QUERY, "", self.codec.subscribe(list(self.ctx.symbols)))

    async def open(self, subscription: bytes) -> AsyncIterator[bytes]:
        """Connect, send the (admitted) subscription, yield every line until the venue closes."""
        try:
            reader, writer = await asyncio.open_connection(self.settings.host, self.settings.port)
        except OSError as exc:
            raise VenueUnavailable(self.ctx.name, f"cannot connect: {exc}") from exc
        self._writer = writer
        try:
            writer.write(subscription)
            await writer.drain()
            while line := await reader.readline():
                yield line
        finally:
            self._writer = None
            writer.close()
            # close() only starts closing: wait, or a loop that ends now leaves
            # the socket open (an "unclosed transport" warning at collection).
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def decode(self, line: bytes) -> list[Event]:
        """The events of one line; the codec raises Desync on a gap (the stream resyncs)."""
        events = self.codec.receive(line, self.ctx.clock.now_ns())
        if self._waiting:
            self._waiting -= {e.symbol for e in events if isinstance(e, BookSnapshot)}
        return events

    def synced(self) -> bool:
        return not self._waiting
''',
    "$module/sim.py": '''\
"""A small $module venue on 127.0.0.1 for tests and ``simulate: true`` runs.

Each symbol has a crowd book seeded around ``mid`` plus the orders clients
rest; client orders never cross (post-only) and fill when a counterparty
trades (:meth:`${Class}Simulator.make_trade`). Every connection gets a
heartbeat every ``heartbeat_ms``, so a silent one is a stale one. Every
client line is counted.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Annotated, Any

import msgspec
from framework import NS_PER_MS, Level, LiveClock, Side

from $module.adapter import ${Class}Settings
from $module.codec import encode

__all__ = ["${Class}Simulator", "${Class}SimSettings"]


class ${Class}SimSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    symbols: list[str] = msgspec.field(default_factory=lambda: ["AAA", "BBB"])
    mid: Annotated[int, msgspec.Meta(ge=10, le=9_000)] = 102
    heartbeat_ms: Annotated[int, msgspec.Meta(ge=1)] = 500


class ${Class}Simulator:
    """The venue on 127.0.0.1 while ``async with`` it; ``port`` is where."""

    def __init__(self, settings: ${Class}SimSettings | None = None) -> None:
        self.settings = settings or ${Class}SimSettings()
        self.port = 0
        self.messages = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self._subscribers: dict[str, set[asyncio.StreamWriter]] = {s: set() for s in self.settings.symbols}
        mid = self.settings.mid
        self._crowd = {s: {1: {mid - 2 - i: 10 for i in range(5)}, -1: {mid + 2 + i: 10 for i in range(5)}}
                       for s in self.settings.symbols}  # fmt: skip
        self._orders: dict[str, dict[str, Any]] = {}  # venue order id -> order
        self._seq = dict.fromkeys(self.settings.symbols, 1)
        self._ids = itertools.count(1)
        self._last_fill: tuple[asyncio.StreamWriter, dict[str, Any]] | None = None
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> ${Class}Simulator:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._heartbeats())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self.writers):
            writer.close()
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        await self._server.wait_closed()

    def venue_settings(self, settings: ${Class}Settings | None) -> ${Class}Settings:
        """Adapter settings pointing at this simulator."""
        return msgspec.structs.replace(settings or ${Class}Settings(), host="127.0.0.1", port=self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The session runs as a task of ours, so stopping the simulator can cancel it.
        self.writers.add(writer)
        self._spawn(self._session(reader, writer))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)

    async def _heartbeats(self) -> None:
        clock = LiveClock()
        while True:
            await clock.sleep_ns(self.settings.heartbeat_ms * NS_PER_MS)
            for writer in self.writers:
                if not writer.is_closing():
                    writer.write(encode({"t": "hb"}))

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                self.messages += 1
                self._handle(writer, msgspec.json.decode(line))
                await writer.drain()
        except (OSError, msgspec.DecodeError):
            pass  # a client that sends garbage is disconnected
        finally:
            self.writers.discard(writer)
            for subscribers in self._subscribers.values():
                subscribers.discard(writer)
            writer.close()

    def levels(self, symbol: str) -> tuple[list[Level], list[Level]]:
        """The public book (crowd + resting client orders), best first."""
        sides = {side: dict(levels) for side, levels in self._crowd[symbol].items()}
        for order in self._orders.values():
            if order["sym"] == symbol:
                book = sides[order["side"]]
                book[order["px"]] = book.get(order["px"], 0) + order["sz"] - order["filled"]
        return (sorted(((p, s) for p, s in sides[1].items() if s), reverse=True),
                sorted((p, s) for p, s in sides[-1].items() if s))  # fmt: skip

    def _publish(self, symbol: str, side: int, price: int) -> None:
        self._seq[symbol] += 1
        bids, asks = self.levels(symbol)
        size = dict(bids if side == 1 else asks).get(price, 0)
        line = encode({"t": "lvl", "sym": symbol, "seq": self._seq[symbol], "side": side, "px": price, "sz": size})
        for writer in self._subscribers[symbol]:
            writer.write(line)

    def _handle(self, writer: asyncio.StreamWriter, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "subscribe":
            for symbol in (s for s in msg["symbols"] if s in self._subscribers):
                self._subscribers[symbol].add(writer)
                bids, asks = self.levels(symbol)
                writer.write(encode({"t": "snap", "sym": symbol, "seq": self._seq[symbol], "bids": bids, "asks": asks}))
        elif op == "new":
            self._new(writer, msg)
        elif op in ("cancel", "replace"):
            self._amend(writer, msg)

    def _refusal(self, msg: dict[str, Any]) -> str:
        symbol, side, price, size = msg.get("sym"), msg.get("side"), msg.get("px"), msg.get("sz")
        if symbol not in self._crowd or side not in (1, -1):
            return "unknown symbol or side"
        if not isinstance(price, int) or not isinstance(size, int) or size <= 0 or not 1 <= price <= 9_999:
            return f"price {price} or size {size} out of range"
        bids, asks = self.levels(symbol)
        opposite = asks if side == 1 else bids
        if opposite and (price >= opposite[0][0] if side == 1 else price <= opposite[0][0]):
            return "would cross: post-only venue"
        return ""

    def _new(self, writer: asyncio.StreamWriter, msg: dict[str, Any]) -> None:
        why = self._refusal(msg)
        if why:
            writer.write(encode({"t": "rej", "cid": msg.get("cid", ""), "sym": msg.get("sym", ""), "why": why}))
            return
        order = {**msg, "oid": f"o{next(self._ids)}", "filled": 0, "owner": writer}
        self._orders[order["oid"]] = order
        self._ack(order)
        self._publish(order["sym"], order["side"], order["px"])

    def _ack(self, order: dict[str, Any]) -> None:
        order["owner"].write(encode({"t": "ack", **{k: order[k] for k in ("cid", "oid", "sym", "side", "px", "sz")}}))

    def _amend(self, writer: asyncio.StreamWriter, msg: dict[str, Any]) -> None:
        order = self._orders.get(msg.get("oid", ""))
        why = "unknown order" if order is None or order["owner"] is not writer else ""
        if order is not None and not why and msg["op"] == "replace":
            why = self._refusal({**msg, "sym": order["sym"], "side": order["side"]})
        if order is None or why:
            symbol = order["sym"] if order else ""
            writer.write(encode({"t": "cxl_rej", "cid": msg.get("cid", ""), "sym": symbol, "why": why}))
            return
        old_price = order["px"]
        if msg["op"] == "cancel":
            del self._orders[order["oid"]]
            writer.write(encode({"t": "out", "cid": order["cid"], "oid": order["oid"], "sym": order["sym"]}))
        else:
            order.update(px=msg["px"], sz=msg["sz"], filled=0)
            self._ack(order)
            self._publish(order["sym"], order["side"], order["px"])
        self._publish(order["sym"], order["side"], old_price)

    # -- drivers for tests ----------------------------------------------------------

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        self._crowd[symbol][int(side)][price] = size
        self._publish(symbol, int(side), price)
        await self._flush()

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        """A counterparty trades: resting client orders first at each price, then the crowd."""
        book = -int(side)
        bids, asks = self.levels(symbol)
        for level, _ in bids if book == 1 else asks:
            if size == 0 or (level < price if book == 1 else level > price):
                break
            for order in [o for o in self._orders.values() if (o["sym"], o["side"], o["px"]) == (symbol, book, level)]:
                take = min(size, order["sz"] - order["filled"])
                size -= take
                self._fill(order, take)
            crowd = self._crowd[symbol][book]
            taken = min(size, crowd.get(level, 0))
            crowd[level] = crowd.get(level, 0) - taken
            size -= taken
            self._publish(symbol, book, level)
        await self._flush()

    def _fill(self, order: dict[str, Any], size: int) -> None:
        if size == 0:
            return
        order["filled"] += size
        left = order["sz"] - order["filled"]
        msg = {"t": "fill", **{k: order[k] for k in ("cid", "oid", "sym", "side", "px")}, "exec": f"e{next(self._ids)}",
               "sz": size, "filled": order["filled"], "left": left}  # fmt: skip
        order["owner"].write(encode(msg))
        self._last_fill = (order["owner"], msg)
        if left == 0:
            del self._orders[order["oid"]]

    async def send_malformed(self) -> None:
        """Send every subscriber a line that is not JSON."""
        for writer in {w for subscribers in self._subscribers.values() for w in subscribers}:
            writer.write(b"{this is not json\\n")
        await self._flush()

    async def duplicate_execution(self) -> None:
        assert self._last_fill is not None, "no execution to duplicate"
        writer, msg = self._last_fill
        writer.write(encode(msg))
        await self._flush()

    async def _flush(self) -> None:
        for writer in list(self.writers):
            await writer.drain()
''',
    "tests/test_$module.py": '''\
"""The $module adapter passes the backplane venue contract against its simulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from framework import Level, Side, VenueContext
from framework.kit import VenueContract, VenueCounts, VenueHarness

from $module import (
    ${Class}Adapter,
    ${Class}SimSettings,
    ${Class}Simulator,
)


class ${Class}Harness(VenueHarness):
    name = "$module"
    symbols = ("AAA", "BBB")
    timeout_s = 3.0
    unsupported = {
        "stale": "the simulator cannot silence a stream yet (add a stop_heartbeats driver)",
        "reconnect_resync": "the simulator cannot drop a stream yet (add a kill_stream driver)",
    }

    def __init__(self) -> None:
        self.sim = ${Class}Simulator(${Class}SimSettings(symbols=list(self.symbols)))

    @contextlib.asynccontextmanager
    async def session(self, ctx: VenueContext) -> AsyncIterator[${Class}Adapter]:
        async with self.sim:
            yield ${Class}Adapter(ctx, self.sim.venue_settings(None))

    def venue_book(self, symbol: str) -> tuple[list[Level], list[Level]]:
        return self.sim.levels(symbol)

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        await self.sim.set_level(symbol, side, price, size)

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        await self.sim.make_trade(symbol, side, price, size)

    async def duplicate_execution(self) -> None:
        await self.sim.duplicate_execution()

    async def send_malformed(self) -> None:
        await self.sim.send_malformed()

    def rejected_order(self, symbol: str) -> tuple[Side, int, int]:
        return Side.BUY, 0, 1  # price 0 is below the venue's minimum

    def venue_counts(self) -> VenueCounts:
        return VenueCounts(self.sim.messages, len(self.sim.writers))


@pytest.fixture
def venue_harness() -> ${Class}Harness:
    return ${Class}Harness()


class Test${Class}Contract(VenueContract):
    """Every case of the kit's venue contract."""
''',
}
