"""The example venue's transport: connections, sender, heartbeats, reconnects.

Theory of operation
-------------------
The adapter opens one order stream (``orders``) and one market-data stream
per group of at most ``symbols_per_stream`` symbols. Each is a
:class:`_Stream`: it takes a stream slot from the framework's sender once
(``ctx.sender.lease``, kept across reconnects, released at ``stop``), and
sends every line it writes -- subscriptions, logins, orders, cancels -- as an
:class:`~framework.execution.Outbound` through ``ctx.sender``, which admits
it at the risk layer before the line is written.

A stream's state is published as ``StreamStatus``: CONNECTING, then LIVE
(market data: once every symbol of the stream has its snapshot), STALE when
nothing -- not even a heartbeat -- arrived for ``stale_after_ms``, RESYNCING
after a sequence gap or a bad line, DOWN when the connection dropped. In every
case but a clean stop the stream reconnects after ``reconnect_ms`` and
resubscribes, which brings a fresh snapshot: the book is resynced, never
patched over a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from framework import (
    NS_PER_MS,
    BookSnapshot,
    CancelOrder,
    Denied,
    Event,
    Instrument,
    L2Book,
    MessageKind,
    Outbound,
    RateRule,
    ReplaceOrder,
    StreamState,
    StreamStatus,
    SubmitOrder,
    VenueContext,
    VenueLimits,
    VenueUnavailable,
)

from example_venue.codec import Desync, MarketCodec, OrderCodec, encode

__all__ = ["LIMITS", "ExampleAdapter", "ExampleSettings"]

#: What the example venue enforces per account, declared for the risk layer.
LIMITS = VenueLimits(ingress=RateRule(rate_per_s=50, window_s=10, burst=20), max_streams=3, symbols_per_stream=2)


class ExampleSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Settings of the ``example`` venue under ``venues.<name>.settings``."""

    host: Annotated[str, msgspec.Meta(description="venue host")] = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535, description="venue TCP port")] = 9400
    stale_after_ms: Annotated[int, msgspec.Meta(ge=10, description="silence after which a stream is stale")] = 2000
    reconnect_ms: Annotated[int, msgspec.Meta(ge=0, description="pause before reconnecting")] = 100


def limits(settings: ExampleSettings) -> VenueLimits:
    """The venue's limits, known without connecting."""
    return LIMITS


class _Stream:
    """One connection: slot, connect + hello, read loop, stale watchdog, reconnect."""

    def __init__(self, adapter: ExampleAdapter, key: str, hello: list[tuple[MessageKind, bytes]],
                 on_line: Callable[[_Stream, bytes], None], symbols: list[str]) -> None:  # fmt: skip
        self.adapter = adapter
        self.key = key
        self.hello = hello
        self.on_line = on_line
        self.symbols = symbols
        self.waiting: set[str] = set()  # symbols still without a snapshot on this connection
        self.state = StreamState.DOWN
        self._lease: Any = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._last_ns = 0
        self._watchdog: Any = None
        self._task: asyncio.Task[None] | None = None

    @property
    def ctx(self) -> VenueContext:
        return self.adapter.ctx

    async def open(self) -> None:
        """Take the slot and connect once (errors propagate to ``start``); then run."""
        self._lease = await self.ctx.sender.lease(self.key)
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{self.ctx.name}:{self.key}")

    def status(self, state: StreamState, reason: str = "") -> None:
        self.state = state
        now = self.ctx.clock.now_ns()
        self.ctx.bus.publish(StreamStatus(self.ctx.name, "", 0, now, state, reason, self.key))

    async def _connect(self) -> None:
        self.status(StreamState.CONNECTING)
        settings = self.adapter.settings
        try:
            self._reader, self._writer = await asyncio.open_connection(settings.host, settings.port)
        except OSError as exc:
            raise VenueUnavailable(self.ctx.name, f"cannot connect to {settings.host}:{settings.port}: {exc}") from exc
        self.waiting = set(self.symbols)
        self.adapter.market.forget(self.symbols)
        for kind, line in self.hello:
            await self.send(kind, line)
        self._last_ns = self.ctx.clock.now_ns()
        self._arm_watchdog()
        if not self.symbols:
            self.status(StreamState.LIVE)

    async def send(self, kind: MessageKind, line: bytes) -> None:
        """Send one encoded line through the framework's sender (admitted first)."""
        await self.ctx.sender.send(Outbound(kind, "", line), self._write)

    async def _write(self, line: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise VenueUnavailable(self.ctx.name, f"stream {self.key} is not connected")
        self._writer.write(line)
        await self._writer.drain()

    async def _run(self) -> None:
        while True:
            reason = await self._read() if self._reader is not None else "reconnect failed"
            self._drop()
            if self.state is StreamState.LIVE or self.state is StreamState.CONNECTING:
                self.status(StreamState.DOWN, reason)
            await self.ctx.clock.sleep_ns(self.adapter.settings.reconnect_ms * NS_PER_MS)
            with contextlib.suppress(VenueUnavailable, Denied, OSError):
                await self._connect()  # failed: the next turn publishes DOWN and retries

    async def _read(self) -> str:
        reader = self._reader
        while reader is not None:
            try:
                line = await reader.readline()
            except OSError as exc:
                return f"connection error: {exc}"
            if not line:
                return "connection closed by the venue"
            self._last_ns = self.ctx.clock.now_ns()
            try:
                self.on_line(self, line)
            except Desync as exc:
                self.status(StreamState.RESYNCING, str(exc))
                return str(exc)
        return "not connected"

    def _arm_watchdog(self) -> None:
        period = self.adapter.settings.stale_after_ms * NS_PER_MS // 2
        self._watchdog = self.ctx.clock.call_later(period, self._check_stale)

    def _check_stale(self) -> None:
        silent = self.ctx.clock.now_ns() - self._last_ns
        if self._writer is None:
            return
        if silent >= self.adapter.settings.stale_after_ms * NS_PER_MS:
            self.status(StreamState.STALE, f"nothing received for {silent // NS_PER_MS} ms")
            self._writer.close()  # the read loop sees EOF and reconnects
            return
        self._arm_watchdog()

    def _drop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._writer is not None:
            self._writer.close()
        self._writer = self._reader = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        writer = self._writer
        self._drop()
        if writer is not None:
            # close() only starts closing: wait, or a loop that ends now leaves
            # the socket open (an "unclosed transport" warning at collection).
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if self._lease is not None:
            await self._lease.release()


class ExampleAdapter:
    """The ``example`` venue adapter (see the module docs)."""

    def __init__(self, ctx: VenueContext, settings: ExampleSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.limits = LIMITS
        self.instruments = {s: Instrument(ctx.name, s, Decimal("0.01"), Decimal(1), 1, 9_999) for s in ctx.symbols}
        self.market = MarketCodec(ctx.name)
        self.orders = OrderCodec(ctx.name)
        self._streams: list[_Stream] = []
        self._order_stream: _Stream | None = None

    async def start(self) -> None:
        login = [(MessageKind.QUERY, encode({"op": "login", "stream": "orders"}))]
        self._order_stream = _Stream(self, "orders", login, self._on_order_line, [])
        self._streams.append(self._order_stream)
        await self._order_stream.open()
        per = self.limits.symbols_per_stream or len(self.ctx.symbols)
        for i in range(0, len(self.ctx.symbols), per):
            group = list(self.ctx.symbols[i : i + per])
            hello = [(MessageKind.QUERY, encode({"op": "subscribe", "symbols": group}))]
            stream = _Stream(self, "md:" + ",".join(group), hello, self._on_market_line, group)
            self._streams.append(stream)
            await stream.open()

    async def stop(self) -> None:
        for stream in reversed(self._streams):
            await stream.close()
        self._streams.clear()

    def book(self, symbol: str) -> L2Book:
        return self.market.book(symbol)

    async def submit(self, order: SubmitOrder) -> None:
        await self._orders().send(MessageKind.NEW_ORDER, self.orders.new(order))

    async def cancel(self, cancel: CancelOrder) -> None:
        await self._orders().send(MessageKind.CANCEL, self.orders.cancel(cancel))

    async def replace(self, replace: ReplaceOrder) -> None:
        await self._orders().send(MessageKind.REPLACE, self.orders.replace(replace))

    def _orders(self) -> _Stream:
        if self._order_stream is None:
            raise VenueUnavailable(self.ctx.name, "not started")
        return self._order_stream

    def _on_market_line(self, stream: _Stream, line: bytes) -> None:
        now = self.ctx.clock.now_ns()
        for event in self.market.receive(line, now):
            self._publish(event)
            if isinstance(event, BookSnapshot) and event.symbol in stream.waiting:
                stream.waiting.discard(event.symbol)
                if not stream.waiting:
                    stream.status(StreamState.LIVE)

    def _on_order_line(self, stream: _Stream, line: bytes) -> None:
        for event in self.orders.receive(line, self.ctx.clock.now_ns()):
            self._publish(event)

    def _publish(self, event: Event) -> None:
        self.ctx.bus.publish(event)
