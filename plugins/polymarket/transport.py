"""gRPC transport: channels (TLS by default, plaintext only to loopback) and
long-lived server streams that reconnect by themselves.

Stream lifecycle (published as :class:`StreamStatus`)::

    CONNECTING --first open--> (messages) --resynced--> LIVE
    LIVE --error / server close--> DOWN --backoff--> RESYNCING --resynced--> LIVE
    LIVE --no message for stale_after_s--> STALE --backoff--> RESYNCING ...

"Resynced" is the owner's call (the order stream's snapshot arrived; every
symbol of a market-data stream got its first update): it calls
:meth:`ManagedStream.mark_live`. The stream keeps its stream-slot lease (from
the framework's sender) across reconnects and releases it on stop; each open
is an :class:`~framework.execution.Outbound` whose write is the whole session,
so the sender admits every open and sees a ``RESOURCE_EXHAUSTED`` that ends one. Staleness costs one integer increment per
message: a watchdog compares the counter every quarter of ``stale_after_s``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from collections.abc import Callable
from typing import Any

import grpc

from framework.execution import GatedSender, Outbound
from framework.model.errors import (
    ConfigError,
    Denied,
    VenueError,
    VenueRejected,
    VenueThrottled,
)
from framework.model.events import StreamState, StreamStatus
from framework.plugin.venue import MessageKind
from framework.runtime.clock import NS_PER_S, Clock

__all__ = ["Backoff", "ManagedStream", "check_target", "is_loopback", "make_channel"]

log = logging.getLogger(__name__)

_PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.NOT_FOUND,
}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127/8, ::1)."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


class Backoff:
    """Exponential backoff with jitter: ``initial * 2**n`` capped at ``cap``,
    each delay scaled by a uniform draw in ``[1 - jitter, 1]``."""

    def __init__(self, initial_s: float, cap_s: float, jitter: float, rng: random.Random) -> None:
        self.initial_s = initial_s
        self.cap_s = cap_s
        self.jitter = jitter
        self.rng = rng
        self.attempt = 0

    def next_ns(self) -> int:
        base = min(self.cap_s, self.initial_s * (2 ** self.attempt))
        self.attempt += 1
        return int(base * (1 - self.jitter * self.rng.random()) * NS_PER_S)

    def reset(self) -> None:
        self.attempt = 0


Opener = Callable[[tuple[tuple[str, str], ...]], Any]  # metadata -> a grpc.aio UnaryStreamCall


class ManagedStream:
    """One long-lived server stream that reconnects itself; see the module docstring.

    ``opener(metadata)`` starts the call; ``on_open()`` runs before each
    (re)open (the owner resets its codec there); ``handle(msg)`` runs per
    message. ``publish`` receives the :class:`StreamStatus` events.
    """

    def __init__(self, *, venue: str, name: str, method: str, clock: Clock, sender: GatedSender, tokens: Any,
                 opener: Opener, on_open: Callable[[], None], handle: Callable[[Any], None],
                 publish: Callable[[Any], None], backoff: Backoff, stale_after_s: float,
                 participant_id: str = "", on_rpc_error: Callable[[grpc.StatusCode], str] | None = None) -> None:
        self.venue = venue
        self.name = name
        self.method = method
        self.clock = clock
        self.sender = sender
        self.tokens = tokens
        self._open = Outbound(MessageKind.QUERY, method, opener)  # the open the sender admits
        self.on_open = on_open
        self.handle = handle
        self.publish = publish
        self.backoff = backoff
        self.stale_after_ns = int(stale_after_s * NS_PER_S)
        self.participant_id = participant_id
        self.on_rpc_error = on_rpc_error  # may handle a code; returns a note for the status reason
        self.state = StreamState.CONNECTING
        self.received = 0
        self.opens = 0
        self.reconnects = 0
        self.live = False
        self.error: Exception | None = None  # why the stream gave up for good (start() raises it)
        self.live_event = asyncio.Event()
        self._call: Any = None
        self._stale = False
        self._lease: Any = None

    def _status(self, state: StreamState, reason: str = "") -> None:
        self.state = state
        self.publish(StreamStatus(self.venue, "", 0, self.clock.now_ns(), state, reason, self.name))

    def mark_live(self) -> None:
        """The owner has resynced from the new snapshot: the stream is LIVE."""
        if not self.live:
            self.live = True
            self.backoff.reset()
            self._status(StreamState.LIVE)
            self.live_event.set()

    async def run(self) -> None:
        """Hold a stream slot and keep the stream open until cancelled."""
        try:
            self._lease = await self.sender.lease(f"{self.venue}:{self.name}")
        except Denied as exc:  # no slot (or no budget): the risk layer said no
            self.error = exc
            self._status(StreamState.DOWN, f"risk layer: {exc}")
            self.live_event.set()
            return
        watchdog = asyncio.create_task(self._watch(), name=f"{self.venue}:{self.name}:watchdog")
        try:
            while True:
                reason, stale = await self._session()
                if self.error is not None:
                    self._status(StreamState.DOWN, reason)
                    self.live_event.set()  # wake a waiting start(); it reads .error
                    return
                self._status(StreamState.STALE if stale else StreamState.DOWN, reason)
                await self.clock.sleep_ns(self.backoff.next_ns())
                self.reconnects += 1
        finally:
            watchdog.cancel()
            await asyncio.gather(watchdog, return_exceptions=True)
            if self._call is not None:
                self._call.cancel()
            await self._lease.release()

    async def _session(self) -> tuple[str, bool]:
        """One open-read cycle; returns (why it ended, whether it went stale)."""
        self.live = False
        self._stale = False
        try:
            return await self.sender.send(self._open, self._open_and_read)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._stale and task is not None and not task.cancelling():
                return f"no message for {self.stale_after_ns / NS_PER_S:g} s", True
            raise
        except Denied as exc:
            return f"risk layer: {exc}", False
        except VenueError as exc:  # auth, throttled (the sender has backed off), ...
            return str(exc), False
        except Exception as exc:  # a bug in a handler must not end the stream silently
            log.exception("%s: stream %s handler failed; resyncing", self.venue, self.name)
            return f"internal error, resyncing: {exc!r}", False
        finally:
            self._call = None

    async def _open_and_read(self, opener: Opener) -> tuple[str, bool]:
        """The admitted open, then every message until the stream ends; an end by
        ``RESOURCE_EXHAUSTED`` raises :class:`VenueThrottled` for the sender."""
        token = await self.tokens.token()
        metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),)
        if self.participant_id:
            metadata += (("x-participant-id", self.participant_id),)
        self._status(StreamState.RESYNCING if self.opens else StreamState.CONNECTING)
        self.opens += 1
        self.on_open()
        self._call = call = opener(metadata)
        handle, read, eof = self.handle, call.read, grpc.aio.EOF
        try:
            while (msg := await read()) is not eof:
                self.received += 1
                handle(msg)
        except grpc.aio.AioRpcError as exc:
            reason = self._rpc_error(exc, token)
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise VenueThrottled(self.venue, f"stream {self.name}: {reason}", exc.code().name) from exc
            return reason, False
        return "stream closed by the venue", False

    def _rpc_error(self, exc: grpc.aio.AioRpcError, token: str) -> str:
        code = exc.code()
        reason = f"{code.name}: {exc.details()}"
        if self.on_rpc_error is not None:
            note = self.on_rpc_error(code)
            if note:
                return f"{reason}; {note}"
        if code == grpc.StatusCode.UNAUTHENTICATED:
            self.tokens.invalidate(token)
        elif code in _PERMANENT:
            self.error = VenueRejected(self.venue, f"stream {self.name} refused: {exc.details()}", code.name)
        return reason

    async def _watch(self) -> None:
        """Cancel the call when nothing arrived for ``stale_after_s``."""
        step = max(self.stale_after_ns // 4, 1)
        seen, since = self.received, self.clock.now_ns()
        while True:
            await self.clock.sleep_ns(step)
            now = self.clock.now_ns()
            if self.received != seen or self._call is None:
                seen, since = self.received, now
            elif now - since >= self.stale_after_ns:
                self._stale = True
                self._call.cancel()
                seen, since = self.received, now
