"""Transport: the venue's wires -- the gRPC channel (TLS by default, plaintext
only to loopback), the pooled HTTP client, the access token, REST and gRPC
order entry -- and its three kinds of stream as sources the core keeps open.

Streams
-------
Each stream is a :class:`~framework.StreamSource` run by the core's
:class:`~framework.SupervisedStream`, which owns the lifecycle (CONNECTING ->
LIVE -> STALE / DOWN -> RESYNCING -> LIVE, published as ``StreamStatus``),
the stream-slot lease (kept across reconnects), the admission of every open
through the risk layer's sender, the backoff and the staleness watchdog. A
source supplies only what is Polymarket's:

- ``resubscribe``: the subscription (built by :mod:`plugins.polymarket.codec.requests`),
  after resetting what the last session built -- a market-data stream's next
  update per symbol is its snapshot; drop copy resumes after the last
  execution seen;
- ``open``: the call, with a fresh bearer token (plus ``x-participant-id`` on
  the account streams), yielding raw frames; its gRPC status mapped: see
  :func:`stream_failure`;
- ``decode``: the codec (market data from raw bytes, the hot path);
- ``synced``: every symbol has had its picture; the order snapshot arrived;
  drop copy answered.

The venue's reconnect advice (1 s doubling to 30 s, with jitter) and its
stale threshold (180 s without a message, heartbeats included) come from the
settings (:func:`stream_policy`); a stream gone stale is reopened at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx

from framework.execution import Outbound
from framework.model.errors import (
    ConfigError,
    VenueAuthError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import Event
from framework.plugin.venue import MessageKind, VenueContext
from framework.runtime.streams import StreamPolicy, SupervisedStream
from plugins.polymarket.auth import TokenSource
from plugins.polymarket.codec import (
    DropCopyCodec,
    MarketDataCodec,
    OrderCodec,
    OrderOwners,
)
from plugins.polymarket.codec.requests import (
    MD_METHOD,
    dropcopy_subscription,
    md_subscription,
    order_subscription,
)
from plugins.polymarket.faultlog import Redeliveries
from plugins.polymarket.gen import dropcopy_pb2_grpc as dc_grpc
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.grpc_orders import GrpcOrderEntry
from plugins.polymarket.rest import RestClient
from plugins.polymarket.settings import PolymarketSettings, is_loopback, reveal

__all__ = [
    "DropCopyStream",
    "MarketDataStream",
    "OrderStream",
    "PolymarketTransport",
    "check_target",
    "is_loopback",
    "make_channel",
    "stream_failure",
    "stream_policy",
]

# Refusals a reopen cannot cure: the stream gives up (start() raises them).
_PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.NOT_FOUND,
}


# --- channels ----------------------------------------------------------------------


def _host(target: str) -> str:
    target = target.split("://", 1)[-1]
    if target.startswith("["):
        return target[1 : target.index("]")]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


def check_target(venue: str, target: str, tls: bool) -> None:
    """Refuse plaintext to anything but loopback, saying why (nothing is opened)."""
    if not tls and not is_loopback(_host(target)):
        raise ConfigError([
            (
                f"venues.{venue}: tls: false is allowed only for a loopback grpc_target, not {target!r}: "
                "orders and credentials must not cross a network unencrypted (the venue requires TLS)"
            )
        ])


def make_channel(venue: str, target: str, tls: bool, keepalive_s: float) -> grpc.aio.Channel:
    """A grpc.aio channel with keepalive pings; TLS unless ``tls`` is false on loopback."""
    check_target(venue, target, tls)
    ms = int(keepalive_s * 1000)
    options = [
        ("grpc.keepalive_time_ms", ms),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ]
    if tls:
        return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(), options=options)
    return grpc.aio.insecure_channel(target, options=options)


# --- streams -----------------------------------------------------------------------


def stream_policy(settings: PolymarketSettings) -> StreamPolicy:
    """How the core keeps the venue's streams open (see the module docs)."""
    low = max(1, round(settings.reconnect_initial_s * 1000))
    return StreamPolicy(reconnect_min_ms=low, reconnect_max_ms=max(low, round(settings.reconnect_max_s * 1000)),
                        jitter=settings.reconnect_jitter, stale_after_ms=max(1, round(settings.stale_after_s * 1000)),
                        stable_after_ms=max(1, round(settings.reconnect_stable_s * 1000)),
                        reconnect_after_stale_ms=0)  # fmt: skip


def stream_failure(venue: str, exc: grpc.aio.AioRpcError, note: str = "") -> Exception:
    """What a stream's gRPC status means to the core: ``RESOURCE_EXHAUSTED`` ->
    :class:`VenueThrottled` (the sender backs off), a permanent refusal ->
    :class:`VenueRejected` (the stream gives up), ``UNAUTHENTICATED`` ->
    :class:`VenueAuthError`, anything else :class:`VenueUnavailable` (reopen)."""
    code = exc.code()
    message = f"{exc.details()}{'; ' + note if note else ''}"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return VenueThrottled(venue, message, code.name)
    if code in _PERMANENT:
        return VenueRejected(venue, message, code.name)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return VenueAuthError(venue, message, code.name)
    return VenueUnavailable(venue, message, code.name)


class _VenueStream:
    """What the venue's streams share: the authorized call and its status mapping."""

    method = ""  # the venue method, as the risk layer counts it

    def __init__(self, venue: str, name: str, tokens: TokenSource, participant_id: str, now: Callable[[], int]) -> None:
        self.venue = venue
        self.name = name
        self.lease_key = f"{venue}:{name}"
        self.tokens = tokens
        self.participant_id = participant_id
        self.now = now

    def _call(self, request: Any, metadata: tuple[tuple[str, str], ...]) -> Any:
        raise NotImplementedError

    def _lost(self, code: grpc.StatusCode) -> str:
        """A note on what a failure with ``code`` cost this stream ('' for nothing)."""
        return ""

    async def open(self, request: Any) -> AsyncIterator[Any]:
        token = await self.tokens.token()
        metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),)
        if self.participant_id:
            metadata += (("x-participant-id", self.participant_id),)
        call = self._call(request, metadata)
        read, eof = call.read, grpc.aio.EOF
        try:
            while (frame := await read()) is not eof:
                yield frame
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.tokens.invalidate(token)  # the next open mints a new one
            raise stream_failure(self.venue, exc, self._lost(exc.code())) from exc
        finally:
            call.cancel()


class MarketDataStream(_VenueStream):
    """One market-data stream of up to 1000 symbols, read as raw bytes by ``codec``."""

    method = "CreateMarketDataSubscription"

    def __init__(self, venue: str, name: str, channel: Any, tokens: TokenSource, codec: MarketDataCodec,
                 symbols: list[str], settings: PolymarketSettings, now: Callable[[], int]) -> None:  # fmt: skip
        super().__init__(venue, name, tokens, "", now)
        self.codec = codec
        self.symbols = symbols
        self.request = md_subscription(symbols, settings.depth, settings.slow_consumer_skip_to_head)
        # Raw bytes off the wire: the codec reads only what the book needs.
        self._open_raw = channel.unary_stream(
            MD_METHOD, request_serializer=md.CreateMarketDataSubscriptionRequest.SerializeToString,
            response_deserializer=None,
        )

    def _call(self, request: Any, metadata: tuple[tuple[str, str], ...]) -> Any:
        return self._open_raw(request, metadata=metadata)

    def resubscribe(self) -> Outbound:
        self.codec.resync(self.symbols)  # every symbol's next update is its snapshot
        return Outbound(MessageKind.QUERY, self.method, self.request)

    def decode(self, frame: bytes) -> list[Event]:
        return self.codec.on_bytes(frame, self.now())

    def synced(self) -> bool:
        return not self.codec.pending


class OrderStream(_VenueStream):
    """The order stream: the open-order snapshot, then executions and cancel rejects."""

    method = "CreateOrderSubscription"

    def __init__(self, venue: str, channel: Any, tokens: TokenSource, codec: OrderCodec, owners: OrderOwners,
                 settings: PolymarketSettings, now: Callable[[], int], redelivered: Redeliveries) -> None:  # fmt: skip
        super().__init__(venue, "orders", tokens, settings.participant_id, now)
        self.codec = codec
        self.owners = owners
        self.redelivered = redelivered  # logs the venue's duplicate executions (the codec drops them)
        self.request = order_subscription(settings.account)
        self._stub = tr_grpc.OrderEntryAPIStub(channel)
        self._snapshot = False

    def _call(self, request: Any, metadata: tuple[tuple[str, str], ...]) -> Any:
        return self._stub.CreateOrderSubscription(request, metadata=metadata)

    def resubscribe(self) -> Outbound:
        self._snapshot = False
        return Outbound(MessageKind.QUERY, self.method, self.request)

    def decode(self, frame: Any) -> list[Event]:
        if frame.HasField("snapshot"):
            self._snapshot = True
        elif frame.HasField("update"):
            self.redelivered.check(ex.id for ex in frame.update.executions)
        events = self.codec.on_response(frame, self.now())
        self.owners.settle(events)
        return events

    def synced(self) -> bool:
        return self._snapshot


class DropCopyStream(_VenueStream):
    """The drop-copy stream: every execution of the account, resumed where it left off."""

    method = "CreateDropCopySubscription"

    def __init__(self, venue: str, channel: Any, tokens: TokenSource, codec: DropCopyCodec, owners: OrderOwners,
                 settings: PolymarketSettings, now: Callable[[], int]) -> None:  # fmt: skip
        super().__init__(venue, "dropcopy", tokens, settings.participant_id, now)
        self.codec = codec
        self.owners = owners
        self.account = settings.account
        self._stub = dc_grpc.DropCopyAPIStub(channel)
        self._answered = False

    def _call(self, request: Any, metadata: tuple[tuple[str, str], ...]) -> Any:
        return self._stub.CreateDropCopySubscription(request, metadata=metadata)

    def _lost(self, code: grpc.StatusCode) -> str:
        return self.codec.resume_lost() if code == grpc.StatusCode.OUT_OF_RANGE else ""

    def resubscribe(self) -> Outbound:
        self._answered = False
        return Outbound(MessageKind.QUERY, self.method, dropcopy_subscription(self.account, self.codec.resume_token))

    def decode(self, frame: Any) -> list[Event]:
        self._answered = True  # the venue's first answer (a heartbeat) says the replay is on its way
        events = self.codec.on_response(frame, self.now())
        self.owners.settle(events)
        return events

    def synced(self) -> bool:
        return self._answered


# --- the venue's wires ------------------------------------------------------------------


class PolymarketTransport:
    """The venue's connections, and the streams the core keeps open over them.

    :meth:`connect` opens the HTTP client, mints the first token (a bad key or
    client id fails here) and keeps it renewed; :meth:`open_channel` opens the
    gRPC channel and the order entry ``settings.order_entry`` names;
    :meth:`supervise` runs a stream until :meth:`close`.
    """

    def __init__(self, ctx: VenueContext, settings: PolymarketSettings, key: Any) -> None:
        self.ctx = ctx
        self.settings = settings
        self.venue = ctx.name
        self.key = key
        self.policy = stream_policy(settings)
        self._rng = random.Random(settings.seed)  # the backoff jitter of every stream
        self.http: httpx.AsyncClient | None = None
        self.tokens: TokenSource | None = None
        self.rest: RestClient | None = None
        self.channel: Any = None
        self.entry: RestClient | GrpcOrderEntry | None = None  # where orders go
        self.streams: list[SupervisedStream] = []
        self._tasks: list[asyncio.Task[Any]] = []

    async def connect(self) -> None:
        s, ctx = self.settings, self.ctx
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(s.http_timeout_s),
            limits=httpx.Limits(max_connections=s.http_max_connections, max_keepalive_connections=s.http_max_connections),
        )
        self.tokens = TokenSource(
            venue=self.venue, http=self.http, clock=ctx.clock, sender=ctx.sender, token_url=s.token_url,
            audience=s.audience or s.rest_base, client_id=reveal(s.client_id), key=self.key,
            renew_before_s=s.token_renew_before_s,
        )
        self.rest = RestClient(venue=self.venue, base=s.rest_base, http=self.http, tokens=self.tokens,
                               sender=ctx.sender, participant_id=s.participant_id)  # fmt: skip
        await self.tokens.token()
        self._spawn(self.tokens.run(), "token-renewal")

    def open_channel(self) -> None:
        s = self.settings
        assert self.tokens is not None and self.rest is not None
        self.channel = make_channel(self.venue, s.grpc_target, s.tls, s.keepalive_s)
        if s.order_entry == "grpc":
            self.entry = GrpcOrderEntry(venue=self.venue, channel=self.channel, tokens=self.tokens, sender=self.ctx.sender,
                                        participant_id=s.participant_id, timeout_s=s.http_timeout_s)  # fmt: skip
        else:
            self.entry = self.rest

    async def supervise(self, source: Any) -> SupervisedStream:
        """Run ``source`` under the core's supervision until :meth:`close`; return
        once it is LIVE (raise why it gave up, or ``VenueUnavailable`` after
        ``start_timeout_s``)."""
        stream = SupervisedStream(self.venue, source, self.policy, clock=self.ctx.clock, sender=self.ctx.sender,
                                  publish=self.ctx.bus.publish, rng=self._rng)  # fmt: skip
        self.streams.append(stream)
        self._spawn(stream.run(), source.name)
        await stream.wait_live(round(self.settings.start_timeout_s * 1000))
        return stream

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(coro, name=f"{self.venue}:{name}"))

    async def close(self) -> None:
        """Stop every stream (their slots released), the token renewal, the channel and the HTTP client."""
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.channel is not None:
            await self.channel.close()
            self.channel = None
        if self.http is not None:
            await self.http.aclose()
            self.http = None
