"""Transport: one grpc.aio stream from a dYdX full node into the codec and the bus.

Stream lifecycle (published as :class:`~framework.model.events.StreamStatus`)::

    CONNECTING --first snapshot--> LIVE --nothing for stale_after_ms--> STALE
        ^                           |  \\--data again--> LIVE
        |                           |
        +-- backoff <-- DOWN <------+  stream ended or failed (node dropped us)
        +-- RESYNCING <-------------+  codec asked for a resync (malformed, crossed)

The stream slot is taken once (``ctx.sender.lease``) and kept across
reconnects; every outbound message (the subscription, metadata queries) is an
:class:`~framework.execution.Outbound` sent through ``ctx.sender``, which
admits it at the risk layer first (a subscription's write is the whole
session, so a ``RESOURCE_EXHAUSTED`` that ends it reaches the sender). Responses arrive as raw bytes (no protobuf decode in the
transport): the codec reads them directly. With ``receiver: process`` a child
process reads the stream and pipes the bytes here (:mod:`plugins.dydx.receiver`).

:class:`DydxTransport` is driven by :class:`~plugins.dydx.adapter.DydxAdapter`;
the messages it sends are built by :mod:`plugins.dydx.codec.requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import grpc
from v4_proto.dydxprotocol.clob import query_pb2

from framework.execution import Outbound
from framework.model.errors import VenueThrottled, VenueUnavailable
from framework.model.events import StreamState, StreamStatus
from framework.plugin.venue import MessageKind, VenueContext
from framework.runtime.clock import NS_PER_MS
from plugins.dydx.codec import DydxCodec
from plugins.dydx.codec.requests import (
    CLOB_PAIR_METHOD,
    PERPETUAL_METHOD,
    STREAM_METHOD,
    clob_pair_query,
    clob_params,
    perpetual_query,
    subscription,
)
from plugins.dydx.receiver import ReceiverProcess
from plugins.dydx.settings import DydxSettings, parse_subaccount
from plugins.dydx.units import ClobParams

__all__ = ["CLOB_PAIR_METHOD", "PERPETUAL_METHOD", "STREAM_METHOD", "DydxTransport"]

log = logging.getLogger(__name__)


class _Throttled(VenueThrottled):
    """The node ended the stream with ``RESOURCE_EXHAUSTED``; ``reason`` is the stream status reason."""

    def __init__(self, venue: str, reason: str) -> None:
        super().__init__(venue, reason, "RESOURCE_EXHAUSTED")
        self.reason = reason


class DydxTransport:
    """One node: the channel, the unary queries, and the stream into ``codec`` (see the module docs)."""

    def __init__(self, ctx: VenueContext, settings: DydxSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.codec: DydxCodec | None = None
        self.state = StreamState.DOWN
        self.subscriptions = 0
        self.received = 0  # responses received on the current subscription
        self.live = asyncio.Event()
        self._channel: grpc.aio.Channel | None = None
        self._lease: Any = None
        self._task: asyncio.Task[None] | None = None
        self._last_ns = 0
        self._watchdog: Any = None

    async def connect(self) -> None:
        """Take the stream slot, then open the channel (queries may follow)."""
        # The slot first: without one, nothing may reach the node, not even a query.
        self._lease = await self.ctx.sender.lease(f"{self.ctx.name}:{self.settings.endpoint}:stream")
        self._channel = self._open_channel()

    def stream(self, codec: DydxCodec) -> None:
        """Start streaming into ``codec`` (after :meth:`connect`)."""
        self.codec = codec
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{self.ctx.name}-stream")
        self._arm_watchdog()

    async def close(self) -> None:
        """Cancel the stream, close the channel, release the slot."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._channel is not None:
            await self._channel.close()
        if self._lease is not None:
            await self._lease.release()
            self._lease = None
        self._status(StreamState.DOWN, "stopped")

    def _open_channel(self) -> grpc.aio.Channel:
        options = [("grpc.max_receive_message_length", self.settings.max_receive_mb << 20)]
        if self.settings.tls:
            return grpc.aio.secure_channel(self.settings.endpoint, grpc.ssl_channel_credentials(), options=options)
        return grpc.aio.insecure_channel(self.settings.endpoint, options=options)

    async def query_params(self, pair: int) -> tuple[ClobParams, int]:
        """The unit parameters of clob pair ``pair`` and its oracle market id, from the node."""
        what = f"cannot read clob pair {pair}"
        clob = await self._query(CLOB_PAIR_METHOD, *clob_pair_query(pair), what)
        perp = await self._query(PERPETUAL_METHOD, *perpetual_query(clob), what)
        return clob_params(clob, perp)

    async def _query(self, method: str, request: Any, response: Any, what: str) -> Any:
        """One unary query through the sender; a failure raises ``VenueUnavailable``
        (``VenueThrottled`` for ``RESOURCE_EXHAUSTED``) saying ``what`` failed."""
        assert self._channel is not None
        call = self._channel.unary_unary(method, request_serializer=type(request).SerializeToString,
                                         response_deserializer=response.FromString)  # fmt: skip
        timeout = self.settings.query_timeout_s

        async def write(req: Any) -> Any:
            try:
                return await call(req, timeout=timeout)
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                error = VenueThrottled if code == grpc.StatusCode.RESOURCE_EXHAUSTED else VenueUnavailable
                raise error(self.ctx.name, f"{what}: {exc.details()}", code.name) from exc

        return await self.ctx.sender.send(Outbound(MessageKind.QUERY, method, request), write)

    def _request(self) -> query_pb2.StreamOrderbookUpdatesRequest:
        s = self.settings
        return subscription(s.pair_symbols(), [parse_subaccount(x) for x in s.subaccounts], s.oracle_markets)

    # --- the stream loop ----------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self.settings.reconnect_min_ms
        while True:
            try:
                reason = await self._stream_once()
            except Exception as exc:  # the stream must outlive a bad message or a bug
                log.exception("%s stream failed", self.ctx.name)
                reason = f"stream failed: {exc!r}"
            if self.state is StreamState.LIVE or self.state is StreamState.STALE:
                backoff = self.settings.reconnect_min_ms
            self._status(StreamState.DOWN, reason)
            await self.ctx.clock.sleep_ns(backoff * NS_PER_MS)
            backoff = min(backoff * 2, self.settings.reconnect_max_ms)

    async def _stream_once(self) -> str:
        """One subscription, until it ends; returns why it ended."""
        assert self._channel is not None and self.codec is not None
        self.codec.reset()
        self.live.clear()
        self._status(StreamState.CONNECTING if not self.subscriptions else StreamState.RESYNCING, "subscribing")
        try:
            return await self.ctx.sender.send(Outbound(MessageKind.QUERY, STREAM_METHOD, self._request()), self._subscribed)
        except _Throttled as exc:  # the sender has backed off
            return exc.reason

    async def _subscribed(self, request: query_pb2.StreamOrderbookUpdatesRequest) -> str:
        """The admitted subscription's session: read it until it ends."""
        assert self._channel is not None
        self.subscriptions += 1
        self.received = 0
        if self.settings.receiver == "process":
            return await self._stream_via_process(request)
        call = self._channel.unary_stream(
            STREAM_METHOD,
            request_serializer=query_pb2.StreamOrderbookUpdatesRequest.SerializeToString,
            response_deserializer=None,  # raw bytes: the codec reads the wire format
        )(request)
        try:
            return await self._consume(call, call.cancel) or "stream ended by the node"
        except grpc.aio.AioRpcError as exc:
            return self._failed(exc.code().name, exc.details() or "")

    async def _stream_via_process(self, request: query_pb2.StreamOrderbookUpdatesRequest) -> str:
        """The same subscription, read by a child process (``receiver: process``)."""
        s = self.settings
        child = await ReceiverProcess.start(s.endpoint, request.SerializeToString(), tls=s.tls, max_receive_mb=s.max_receive_mb)
        try:
            reason = await self._consume(child.frames(), lambda: None)
            if reason:
                return reason
            failure = await child.failure()
            return "stream ended by the node" if failure is None else self._failed(*failure)
        finally:
            await child.close()

    async def _consume(self, frames: Any, cancel: Any) -> str:
        """Feed ``frames`` (raw responses) to the codec and the bus until they end
        (returns "") or the codec asks for a resync (calls ``cancel``, returns why)."""
        assert self.codec is not None
        codec, publish, clock = self.codec, self.ctx.bus.publish, self.ctx.clock
        # Per message: two clock reads, the codec, the bus; state changes are
        # tested with one identity comparison (LIVE is the steady state).
        feed, now_ns, wall_ns, live = codec.feed, clock.now_ns, clock.wall_ns, StreamState.LIVE
        async for data in frames:
            self._last_ns = now_ns()
            self.received += 1
            for event in feed(data, wall_ns()):
                publish(event)
            if self.state is not live:
                self._became_live(codec)
            if codec.needs_resync:
                cancel()
                return f"resync: {codec.resync_reason}"
        return ""

    def _failed(self, code: str, details: str) -> str:
        """Why the stream failed; ``RESOURCE_EXHAUSTED`` raises ``_Throttled`` for the sender."""
        reason = f"stream failed: {code} {details}"
        if code == "RESOURCE_EXHAUSTED":
            raise _Throttled(self.ctx.name, reason)
        return reason

    def _became_live(self, codec: DydxCodec) -> None:
        """Data while not LIVE: back from STALE, or the snapshot completed the books."""
        if self.state is StreamState.STALE:
            self._status(StreamState.LIVE, "data again")
        elif codec.all_ready:
            self._status(StreamState.LIVE, "snapshot applied")
            self.live.set()

    # --- staleness ---------------------------------------------------------------------

    def _arm_watchdog(self) -> None:
        period = self.settings.stale_after_ms * NS_PER_MS // 2
        self._watchdog = self.ctx.clock.call_later(period, self._check_stale)

    def _check_stale(self) -> None:
        quiet = self.ctx.clock.now_ns() - self._last_ns
        if self.state is StreamState.LIVE and quiet > self.settings.stale_after_ms * NS_PER_MS:
            self._status(StreamState.STALE, f"nothing received for {quiet // NS_PER_MS} ms")
        self._arm_watchdog()

    def _status(self, state: StreamState, reason: str) -> None:
        if state is self.state:
            return
        self.state = state
        log.info("%s stream %s: %s", self.ctx.name, state.value, reason)
        now = self.ctx.clock.wall_ns()
        self.ctx.bus.publish(StreamStatus(self.ctx.name, "", now, now, state, reason, "orderbook"))
