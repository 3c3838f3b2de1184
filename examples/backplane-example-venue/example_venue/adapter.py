"""The example venue's transport: connections and stream sources; the core keeps the streams open.

Theory of operation
-------------------
The adapter opens one order stream (``orders``) and one market-data stream
per group of at most ``symbols_per_stream`` symbols. Each is a
:class:`_LineStream`: a :class:`~framework.StreamSource` over one TCP
connection of JSON lines, run by a :class:`~framework.SupervisedStream`. The
adapter supplies only what is the venue's -- the subscription line
(``resubscribe``), the connection (``open``), the codec (``decode``) and
whether every symbol has its snapshot (``synced``). The core does the rest:
it takes the stream slot once (kept across reconnects, released at ``stop``),
admits every subscription through ``ctx.sender``, publishes ``StreamStatus``
(CONNECTING, LIVE once every symbol has its snapshot, STALE when nothing --
not even a heartbeat -- arrived for ``stale_after_ms``, RESYNCING after a
sequence gap or a bad line, DOWN when the connection dropped), reopens a
connection still silent ``stale_after_ms`` after going stale, and reconnects
with a backoff from ``reconnect_ms`` up to ``reconnect_max_ms``. Every
reconnect resubscribes, which brings a fresh snapshot: the book is resynced,
never patched over a gap.

Orders, cancels and replaces go out on the order stream's current connection,
each line admitted by ``ctx.sender`` first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from framework import (
    BookSnapshot,
    CancelOrder,
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

from example_venue.codec import MarketCodec, OrderCodec, encode

__all__ = ["LIMITS", "ExampleAdapter", "ExampleSettings"]

#: What the example venue enforces per account, declared for the risk layer.
LIMITS = VenueLimits(ingress=RateRule(rate_per_s=50, window_s=10, burst=20), max_streams=3, symbols_per_stream=2)


class ExampleSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Settings of the ``example`` venue under ``venues.<name>.settings``."""

    host: Annotated[str, msgspec.Meta(description="venue host")] = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535, description="venue TCP port")] = 9400
    stale_after_ms: Annotated[int, msgspec.Meta(ge=10, description="silence after which a stream is stale")] = 2000
    reconnect_ms: Annotated[int, msgspec.Meta(ge=1, description="first pause before reconnecting")] = 100
    reconnect_max_ms: Annotated[int, msgspec.Meta(ge=1, description="longest pause before reconnecting")] = 5000
    start_timeout_ms: Annotated[int, msgspec.Meta(ge=1, description="how long start() waits for the venue")] = 10_000

    def policy(self) -> StreamPolicy:
        """How the core keeps this venue's streams open."""
        return StreamPolicy(reconnect_min_ms=self.reconnect_ms, reconnect_max_ms=max(self.reconnect_ms, self.reconnect_max_ms),
                            stale_after_ms=self.stale_after_ms, reconnect_after_stale_ms=self.stale_after_ms)  # fmt: skip


def limits(settings: ExampleSettings) -> VenueLimits:
    """The venue's limits, known without connecting."""
    return LIMITS


class _LineStream:
    """One connection of JSON lines, as a stream source: ``hello`` subscribes it,
    ``receive`` decodes a line, ``symbols`` are the books it must sync."""

    def __init__(self, adapter: ExampleAdapter, name: str, hello: bytes,
                 receive: Callable[[bytes, int], list[Any]], symbols: list[str]) -> None:  # fmt: skip
        self.name = self.lease_key = name
        self.adapter = adapter
        self.hello = hello
        self.receive = receive
        self.symbols = symbols
        self.waiting: set[str] = set()  # symbols still without a snapshot on this connection
        self._writer: asyncio.StreamWriter | None = None

    def resubscribe(self) -> Outbound:
        self.waiting = set(self.symbols)
        self.adapter.market.forget(self.symbols)
        return Outbound(MessageKind.QUERY, "", self.hello)

    async def open(self, hello: bytes) -> AsyncIterator[bytes]:
        settings = self.adapter.settings
        try:
            reader, writer = await asyncio.open_connection(settings.host, settings.port)
        except OSError as exc:
            raise VenueUnavailable(self.adapter.ctx.name, f"cannot connect to {settings.host}:{settings.port}: {exc}") from exc
        self._writer = writer
        try:
            writer.write(hello)  # admitted already: the session is the subscription's write
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

    def decode(self, line: bytes) -> list[Any]:
        events = self.receive(line, self.adapter.ctx.clock.now_ns())
        if self.waiting:
            for event in events:
                if event.__class__ is BookSnapshot:
                    self.waiting.discard(event.symbol)
        return events

    def synced(self) -> bool:
        return not self.waiting

    async def write(self, line: bytes) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            raise VenueUnavailable(self.adapter.ctx.name, f"stream {self.name} is not connected")
        writer.write(line)
        await writer.drain()


class ExampleAdapter:
    """The ``example`` venue adapter (see the module docs)."""

    def __init__(self, ctx: VenueContext, settings: ExampleSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.limits = LIMITS
        self.instruments = {s: Instrument(ctx.name, s, Decimal("0.01"), Decimal(1), 1, 9_999) for s in ctx.symbols}
        self.market = MarketCodec(ctx.name)
        self.orders = OrderCodec(ctx.name)
        self.streams: list[SupervisedStream] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._order_line: _LineStream | None = None

    async def start(self) -> None:
        """Start every stream: wait until the order stream is live (the venue answered
        the login) and each market-data subscription is admitted. The snapshots
        arrive after ``start``, as events the run's strategies see."""
        self._order_line = _LineStream(self, "orders", encode({"op": "login", "stream": "orders"}), self.orders.receive, [])
        await self._run(self._order_line).wait_live(self.settings.start_timeout_ms)
        per = self.limits.symbols_per_stream or len(self.ctx.symbols)
        for i in range(0, len(self.ctx.symbols), per):
            group = list(self.ctx.symbols[i : i + per])
            hello = encode({"op": "subscribe", "symbols": group})
            stream = self._run(_LineStream(self, "md:" + ",".join(group), hello, self.market.receive, group))
            await stream.wait_open(self.settings.start_timeout_ms)

    def _run(self, source: _LineStream) -> SupervisedStream:
        """Run ``source`` under the core's supervision until ``stop``."""
        stream = SupervisedStream(self.ctx.name, source, self.settings.policy(), clock=self.ctx.clock,
                                  sender=self.ctx.sender, publish=self.ctx.bus.publish)  # fmt: skip
        self.streams.append(stream)
        self._tasks.append(asyncio.get_running_loop().create_task(stream.run(), name=f"{self.ctx.name}:{source.name}"))
        return stream

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in reversed(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.streams.clear()

    def book(self, symbol: str) -> L2Book:
        return self.market.book(symbol)

    async def submit(self, order: SubmitOrder) -> None:
        await self._send(MessageKind.NEW_ORDER, self.orders.new(order))

    async def cancel(self, cancel: CancelOrder) -> None:
        await self._send(MessageKind.CANCEL, self.orders.cancel(cancel))

    async def replace(self, replace: ReplaceOrder) -> None:
        await self._send(MessageKind.REPLACE, self.orders.replace(replace))

    async def _send(self, kind: MessageKind, line: bytes) -> None:
        """Send one encoded line on the order stream, through the framework's sender (admitted first)."""
        if self._order_line is None:
            raise VenueUnavailable(self.ctx.name, "not started")
        await self.ctx.sender.send(Outbound(kind, "", line), self._order_line.write)
