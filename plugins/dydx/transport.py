"""Transport: the grpc.aio channel to a dYdX full node, its unary queries, and its stream.

The order-book stream (``StreamOrderbookUpdates``) is an
:class:`OrderbookSource` kept open by the core's
:class:`~framework.runtime.streams.SupervisedStream`: it holds the stream slot
for its whole life, sends every subscription through ``ctx.sender`` (admitted
by the risk layer first; the session is the write, so a ``RESOURCE_EXHAUSTED``
that ends it reaches the sender), publishes the stream's
:class:`~framework.model.events.StreamStatus` along the core's table
(CONNECTING -> LIVE on the snapshot, STALE on silence, RESYNCING after a
desync, DOWN when the node drops us) and reopens with a backoff that restarts
only once the stream has been LIVE for ``stable_after_ms``: a node (or a
recording) that fails right after each snapshot is retried a few times a
minute, not ten times a second.

Responses arrive as raw bytes (no protobuf decode here): the codec reads the
wire format directly. With ``receiver: process`` a child process reads the
stream and pipes the bytes here (:mod:`plugins.dydx.receiver`). The unary
queries (unit parameters) go through ``ctx.sender`` too. The messages are
built by :mod:`plugins.dydx.codec.requests`; :class:`DydxTransport` is driven
by :class:`~plugins.dydx.adapter.DydxAdapter`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from v4_proto.dydxprotocol.clob import query_pb2

from framework import Desync, SupervisedStream
from framework.execution import Outbound
from framework.model.errors import VenueError, VenueThrottled, VenueUnavailable
from framework.model.events import Event
from framework.plugin.venue import MessageKind, VenueContext
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

__all__ = ["CLOB_PAIR_METHOD", "PERPETUAL_METHOD", "STREAM_METHOD", "DydxTransport", "OrderbookSource"]


def _rpc_error(venue: str, code: str, message: str) -> VenueError:
    """A failed call as the framework's error (``code``: the gRPC status name):
    ``RESOURCE_EXHAUSTED`` is a push-back, anything else transient."""
    error = VenueThrottled if code == "RESOURCE_EXHAUSTED" else VenueUnavailable
    return error(venue, message, code)


class OrderbookSource:
    """The ``StreamOrderbookUpdates`` subscription of one node into one codec
    (a :class:`~framework.runtime.streams.StreamSource`)."""

    name = "orderbook"

    def __init__(self, venue: str, settings: DydxSettings, channel: grpc.aio.Channel, codec: DydxCodec,
                 wall_ns: Any) -> None:  # fmt: skip
        self.venue = venue
        self.settings = settings
        self.codec = codec
        self.lease_key = f"{venue}:{settings.endpoint}:stream"
        self.subscribed = asyncio.Event()  # set by the first subscription: the stream slot was granted
        self.received = 0  # responses received on the current subscription
        self._call = channel.unary_stream(
            STREAM_METHOD,
            request_serializer=query_pb2.StreamOrderbookUpdatesRequest.SerializeToString,
            response_deserializer=None,  # raw bytes: the codec reads the wire format
        )
        self._feed, self._wall_ns = codec.feed, wall_ns

    def resubscribe(self) -> Outbound:
        """Every pair waits for the next snapshot; the subscription request."""
        self.codec.reset()
        self.received = 0
        self.subscribed.set()
        s = self.settings
        request = subscription(s.pair_symbols(), [parse_subaccount(x) for x in s.subaccounts], s.oracle_markets)
        return Outbound(MessageKind.QUERY, STREAM_METHOD, request)

    def open(self, request: query_pb2.StreamOrderbookUpdatesRequest) -> AsyncIterator[bytes]:
        """The responses of the admitted subscription, read here or by a child process."""
        return self._via_process(request) if self.settings.receiver == "process" else self._inline(request)

    def decode(self, frame: bytes) -> list[Event]:
        """The events of one response (the codec, with the receive time)."""
        return self._feed(frame, self._wall_ns())

    def synced(self) -> bool:
        """Has a snapshot covered every pair (and nothing asked for a resync since)?"""
        return self.codec.all_ready and not self.codec.needs_resync

    # Both readers look at the codec's resync request when the next frame is
    # wanted, i.e. after the last one's events were published: a resync drops
    # none of the fills and prints of the response that asked for it (decode
    # raising Desync would).

    async def _inline(self, request: query_pb2.StreamOrderbookUpdatesRequest) -> AsyncIterator[bytes]:
        call, codec = self._call(request), self.codec
        try:
            async for frame in call:
                self.received += 1
                yield frame
                if codec.needs_resync:
                    raise Desync(codec.resync_reason)
        except grpc.aio.AioRpcError as exc:
            raise _rpc_error(self.venue, exc.code().name, f"stream failed: {exc.details()}") from exc
        finally:
            call.cancel()

    async def _via_process(self, request: query_pb2.StreamOrderbookUpdatesRequest) -> AsyncIterator[bytes]:
        s, codec = self.settings, self.codec
        child = await ReceiverProcess.start(s.endpoint, request.SerializeToString(), tls=s.tls,
                                            max_receive_mb=s.max_receive_mb)  # fmt: skip
        try:
            async for frame in child.frames():
                self.received += 1
                yield frame
                if codec.needs_resync:
                    raise Desync(codec.resync_reason)
            failure = await child.failure()
            if failure is not None:
                code, details = failure
                raise _rpc_error(self.venue, code, f"stream failed: {details}")
        finally:
            await child.close()


class DydxTransport:
    """One node: the channel, the unary queries, and the supervised order-book stream."""

    def __init__(self, ctx: VenueContext, settings: DydxSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.source: OrderbookSource | None = None
        self.stream: SupervisedStream | None = None
        self._channel: grpc.aio.Channel | None = None
        self._task: asyncio.Task[None] | None = None

    def connect(self) -> None:
        """Open the channel (no I/O until a call)."""
        s = self.settings
        options = [("grpc.max_receive_message_length", s.max_receive_mb << 20)]
        if s.tls:
            self._channel = grpc.aio.secure_channel(s.endpoint, grpc.ssl_channel_credentials(), options=options)
        else:
            self._channel = grpc.aio.insecure_channel(s.endpoint, options=options)

    async def query_params(self, pair: int) -> tuple[ClobParams, int]:
        """The unit parameters of clob pair ``pair`` and its oracle market id, from the node."""
        what = f"cannot read clob pair {pair}"
        clob = await self._query(CLOB_PAIR_METHOD, *clob_pair_query(pair), what)
        perp = await self._query(PERPETUAL_METHOD, *perpetual_query(clob), what)
        return clob_params(clob, perp)

    async def stream_into(self, codec: DydxCodec) -> None:
        """Start the supervised stream into ``codec``; return once it holds its stream
        slot (raise why it gave up instead: ``Denied`` without a slot)."""
        assert self._channel is not None
        ctx = self.ctx
        source = self.source = OrderbookSource(ctx.name, self.settings, self._channel, codec, ctx.clock.wall_ns)
        stream = self.stream = SupervisedStream(ctx.name, source, self.settings.stream_policy(), clock=ctx.clock,
                                                sender=ctx.sender, publish=ctx.bus.publish)  # fmt: skip
        self._task = asyncio.get_running_loop().create_task(stream.run(), name=f"{ctx.name}-stream")
        # The snapshot comes at the node's next block: start() waits for the
        # slot, not for LIVE (which it announces on the bus).
        waits = [asyncio.ensure_future(source.subscribed.wait()), asyncio.ensure_future(stream.live.wait())]
        try:
            await asyncio.wait([self._task, *waits], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        failed = self._task.exception() if self._task.done() else None
        if failed is not None:  # run() raised: a lease that failed otherwise than Denied
            raise failed
        if stream.error is not None:
            raise stream.error

    async def close(self) -> None:
        """Stop the stream (DOWN "stopped" is published, the slot released), close the channel."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _query(self, method: str, request: Any, response: Any, what: str) -> Any:
        """One unary query through the sender; a failure raises ``VenueUnavailable``
        (``VenueThrottled`` for ``RESOURCE_EXHAUSTED``) saying ``what`` failed."""
        assert self._channel is not None
        call = self._channel.unary_unary(method, request_serializer=type(request).SerializeToString,
                                         response_deserializer=response.FromString)  # fmt: skip
        timeout, venue = self.settings.query_timeout_s, self.ctx.name

        async def write(req: Any) -> Any:
            try:
                return await call(req, timeout=timeout)
            except grpc.aio.AioRpcError as exc:
                raise _rpc_error(venue, exc.code().name, f"{what}: {exc.details()}") from exc

        return await self.ctx.sender.send(Outbound(MessageKind.QUERY, method, request), write)
