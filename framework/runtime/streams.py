"""Supervised venue streams: one lifecycle and one reconnect loop for every adapter.

Theory of operation
-------------------
An adapter describes each long-lived venue stream as a :class:`StreamSource`
-- ``resubscribe`` (forget the last session, build the request), ``open``
(the venue call: raw frames), ``decode`` (sans-IO: a frame's events) and
``synced`` (is the snapshot complete?) -- and hands it to a
:class:`SupervisedStream`, which owns everything else::

    run():  lease = await sender.lease(source.lease_key)      # once, kept across reconnects
            loop:   request = source.resubscribe()
                    await sender.send(request, session)       # admitted by the risk layer first
                    session: for frame in source.open(request): publish(*source.decode(frame))
                    the session ended: back off, loop
            cancelled: DOWN "stopped", lease released

The stream's :class:`~framework.model.events.StreamState` moves only along
:data:`TABLE`, on a :class:`StreamTrigger`, and every change is published as a
:class:`~framework.model.events.StreamStatus`::

    CONNECTING --snapshot--> LIVE --quiet--> STALE --data--> LIVE
    any but DOWN --desync--> RESYNCING --snapshot--> LIVE       (reopened after a backoff)
    any but DOWN --end-----> DOWN --open--> RESYNCING           (reopened after a backoff)
    any --stop--> DOWN                    (cancelled, or given up: ``error`` says why)

- OPEN: a (re)subscription was admitted and its session starts.
- SNAPSHOT: ``synced()`` is true after a frame (asked after every frame while
  not LIVE; never on the LIVE path).
- DATA: a frame arrived while STALE (the books were complete: silence is not a gap).
- QUIET: nothing arrived for ``stale_after_ms`` while LIVE. A watchdog on the
  injected clock looks every quarter of it and compares the frame counter,
  so a frame costs one integer increment and no clock read. When
  ``reconnect_after_stale_ms`` is set, a session still quiet that much longer
  (STALE, or never synced) is closed: END, and a fresh open resyncs it.
- DESYNC: ``decode`` raised :class:`~framework.model.errors.Desync` (gap,
  malformed frame, crossed book): counted, the session closed, the next open
  resubscribes -- a book is resynced from a snapshot, never patched over a gap.
- END: the stream returned, or failed with anything transient (``VenueError``,
  grpc, ``OSError``, a risk-layer refusal of the open, a bug in the source).
  ``VenueThrottled`` is an END whose push-back the sender has already told the
  gate about.
- STOP: the task was cancelled, or the supervisor gave up: ``VenueRejected``
  from the venue, or no stream slot (``Denied`` from the lease). ``error``
  holds why, and a ``start()`` waiting in ``wait_live`` / ``wait_open`` raises it.

A move the table does not have is a bug: logged as an ERROR, counted in
``unexpected``, never applied.

Reopens wait an exponential backoff with jitter: ``reconnect_min_ms * 2**n``
capped at ``reconnect_max_ms``, scaled by a draw in ``[1 - jitter, 1]``. The
attempt count ``n`` restarts only when a stream leaves LIVE after having been
LIVE for ``stable_after_ms``: a stream that dies right after its snapshot
keeps backing off, so a flapping venue costs a handful of reopens, not ten a
second. Logging: the first fault of an episode (stale, ended or failed,
desync, throttled) is one WARNING, the rest of the episode DEBUG, and LIVE
again one INFO.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Protocol

import msgspec

from framework.execution.sender import GatedSender, Outbound
from framework.model.errors import (
    Denied,
    Desync,
    VenueError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import Event, StreamState, StreamStatus
from framework.runtime.clock import NS_PER_MS, Clock, TimerHandle

__all__ = ["TABLE", "Desync", "StreamPolicy", "StreamSource", "StreamTrigger", "SupervisedStream", "as_markdown", "next_state"]

log = logging.getLogger(__name__)


class StreamTrigger(enum.Enum):
    """What happens to a stream (see the module docs)."""

    OPEN = "open"  # a (re)subscription was admitted; its session starts
    SNAPSHOT = "snapshot"  # synced() became true: every book of the stream is complete
    DATA = "data"  # a frame while STALE
    QUIET = "quiet"  # no frame for stale_after_ms while LIVE
    DESYNC = "desync"  # decode raised Desync
    END = "end"  # the session ended or failed (transient), or stayed quiet too long
    STOP = "stop"  # cancelled, or given up (VenueRejected, no stream slot)


S, T = StreamState, StreamTrigger
_ENDS = {T.END: S.DOWN, T.STOP: S.DOWN}

TABLE: dict[StreamState, dict[StreamTrigger, StreamState]] = {
    S.CONNECTING: {T.OPEN: S.CONNECTING, T.SNAPSHOT: S.LIVE, T.DESYNC: S.RESYNCING, **_ENDS},
    S.LIVE: {T.QUIET: S.STALE, T.DESYNC: S.RESYNCING, **_ENDS},
    S.STALE: {T.DATA: S.LIVE, T.DESYNC: S.RESYNCING, **_ENDS},
    S.RESYNCING: {T.OPEN: S.RESYNCING, T.SNAPSHOT: S.LIVE, T.DESYNC: S.RESYNCING, **_ENDS},
    S.DOWN: {T.OPEN: S.RESYNCING, T.STOP: S.DOWN},
}
"""state -> trigger -> the state after it; the stream starts CONNECTING (see the module docs)."""

del S, T


def next_state(state: StreamState, trigger: StreamTrigger) -> StreamState | None:
    """The state after ``trigger``, or ``None`` when the table has no such move (a bug)."""
    return TABLE[state].get(trigger)


def as_markdown() -> str:
    """The table as docs/plugins.md shows it (a test keeps the two equal)."""
    lines = ["| state | moves on | stays on |", "| --- | --- | --- |"]
    for state, row in TABLE.items():
        moves = ", ".join(f"{t.value} → {a.value}" for t, a in row.items() if a is not state)
        stays = ", ".join(t.value for t, a in row.items() if a is state)
        lines.append(f"| {state.value} | {moves or '–'} | {stays or '–'} |")
    return "\n".join(lines) + "\n"


class StreamPolicy(msgspec.Struct, frozen=True):
    """How a :class:`SupervisedStream` reconnects and when it calls a stream stale.

    ``reconnect_min_ms`` .. ``reconnect_max_ms``: the backoff between opens
    (doubling per failed attempt), each delay scaled by a draw in
    ``[1 - jitter, 1]``; the attempt count restarts only after the stream was
    LIVE for ``stable_after_ms``. ``stale_after_ms``: silence that makes a LIVE
    stream STALE; ``reconnect_after_stale_ms``: further silence after which the
    session is reopened (``None``: never, wait for data).
    """

    reconnect_min_ms: int = 100
    reconnect_max_ms: int = 10_000
    jitter: float = 0.2
    stable_after_ms: int = 10_000
    stale_after_ms: int = 5_000
    reconnect_after_stale_ms: int | None = None

    def __post_init__(self) -> None:
        if not (1 <= self.reconnect_min_ms <= self.reconnect_max_ms and 0.0 <= self.jitter <= 1.0
                and self.stable_after_ms >= 0 and self.stale_after_ms >= 1 and (self.reconnect_after_stale_ms or 0) >= 0):
            raise ValueError(f"StreamPolicy needs 1 <= reconnect_min_ms <= reconnect_max_ms, 0 <= jitter <= 1, stable_after_ms >= 0, "
                             f"stale_after_ms >= 1 and reconnect_after_stale_ms >= 0 or None; got {self}")  # fmt: skip


class StreamSource(Protocol):
    """What an adapter supplies per stream: two names and four methods."""

    name: str  # the stream's name in StreamStatus.stream ("orderbook", "orders", "md0", ...)
    lease_key: str  # the stream-slot lease key, e.g. f"{venue}:{name}"

    def resubscribe(self) -> Outbound:
        """Forget what the previous session built (reset the codec / books) and
        return the subscription request for the next open. Called before EVERY open."""
        ...

    def open(self, request: Any) -> AsyncIterator[Any]:
        """Start the venue call with the admitted ``request``; yield raw frames until
        the stream ends (return) or fails. Raise ``VenueThrottled`` for a push-back,
        ``VenueRejected`` for a permanent refusal (the supervisor gives up); anything
        else is transient. An ``aclose()`` (async generator) or ``cancel()`` (grpc
        call) of the iterator is called when the session ends."""
        ...

    def decode(self, frame: Any) -> Iterable[Event]:
        """Sans-IO: the events of one frame; raise ``Desync(reason)`` when the
        books must be resynced."""
        ...

    def synced(self) -> bool:
        """Has the snapshot arrived (is every book of this stream complete)?"""
        ...


class SupervisedStream:
    """One venue stream kept open by the core (see the module docs).

    ``await run()`` until cancelled. Read ``state`` (and ``reason``), ``live``
    (set when first LIVE or given up), ``error`` (why it gave up), and the
    counters ``opens``, ``reconnects``, ``frames``, ``desyncs``, ``unexpected``.
    """

    def __init__(self, venue: str, source: StreamSource, policy: StreamPolicy, *, clock: Clock,
                 sender: GatedSender, publish: Callable[[Event], Any], rng: random.Random | None = None) -> None:  # fmt: skip
        self.venue = venue
        self.source = source
        self.policy = policy
        self._clock = clock
        self._sender = sender
        self._publish = publish
        self._rng = rng if rng is not None else random.Random()
        self.state = StreamState.CONNECTING
        self.reason = ""
        self.live = asyncio.Event()
        self._opened = asyncio.Event()
        self.error: Exception | None = None
        self.opens = self.reconnects = self.frames = self.desyncs = self.unexpected = 0
        self._attempt = 0  # failed opens since the stream was last stable
        self._live_since = 0
        self._episode: int | None = None  # when the fault episode under way began
        self._session: asyncio.Task[str] | None = None
        self._closed_quiet = ""  # why the watchdog closed the session ("" if it did not)
        self._watch: TimerHandle | None = None
        self._seen = self._quiet_since = 0
        self._stale_ns = policy.stale_after_ms * NS_PER_MS
        self._tick_ns = max(self._stale_ns // 4, 1)
        after = policy.reconnect_after_stale_ms
        self._reopen_ns = None if after is None else self._stale_ns + after * NS_PER_MS

    # -- the loop -----------------------------------------------------------------

    async def run(self) -> None:
        """Hold the stream slot and keep the stream open until cancelled or given up."""
        lease = None
        self._announce("starting")
        try:
            try:
                lease = await self._sender.lease(self.source.lease_key)
            except Denied as exc:
                self._give_up(exc, f"no stream slot: {exc}")
                return
            while await self._once():
                await self._clock.sleep_ns(self._backoff_ns())
                self.reconnects += 1
        except asyncio.CancelledError:
            self._move(StreamTrigger.STOP, "stopped")
            raise
        finally:
            if lease is not None:
                await lease.release()

    async def wait_live(self, timeout_ms: int | None = None) -> None:
        """Wait until the stream is first LIVE, at most ``timeout_ms`` of the injected
        clock; raise ``error`` if it gave up, ``VenueUnavailable`` on the timeout."""
        await self._wait(self.live, timeout_ms, "live")

    async def wait_open(self, timeout_ms: int | None = None) -> None:
        """Wait until the first subscription was admitted and its session started
        (the snapshot is on its way); raise as :meth:`wait_live` does. For a
        ``start()`` that returns before the snapshot, so the run's strategies,
        subscribed after it, see the snapshot's events."""
        await self._wait(self._opened, timeout_ms, "open")

    async def _wait(self, event: asyncio.Event, timeout_ms: int | None, what: str) -> None:
        if not event.is_set():
            waiter = asyncio.get_running_loop().create_task(event.wait())
            timer = None if timeout_ms is None else self._clock.call_later(timeout_ms * NS_PER_MS, waiter.cancel)
            try:
                await asyncio.wait((waiter,))
            finally:
                waiter.cancel()
                if timer is not None:
                    timer.cancel()
        if self.error is not None:
            raise self.error
        if not event.is_set():
            raise VenueUnavailable(self.venue, f"stream {self.source.name} not {what} after {timeout_ms} ms "
                                               f"({self.state.value}: {self.reason})")  # fmt: skip

    async def _once(self) -> bool:
        """One admitted session, until it ends; ``False`` when the supervisor gives up."""
        exc_info = False
        try:
            request = self.source.resubscribe()
            self._session = asyncio.get_running_loop().create_task(
                self._sender.send(request, self._read), name=f"{self.venue}:{self.source.name}"
            )
            try:
                why = await self._session
            finally:
                self._session = None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not self._closed_quiet or (task is not None and task.cancelling()):
                raise  # a stop, not the watchdog
            why = self._closed_quiet
        except Desync as exc:
            self.desyncs += 1
            self._fault(StreamTrigger.DESYNC, f"desync: {exc.reason}")
            return True
        except VenueRejected as exc:
            self._give_up(exc, f"refused: {exc}")
            return False
        except VenueThrottled as exc:  # the sender has told the gate to back off
            why = f"throttled: {exc}"
        except Denied as exc:
            why = f"risk layer: {exc}"
        except (VenueError, OSError) as exc:
            why = f"failed: {exc}"
        except Exception as exc:  # grpc errors, or a bug in the source: the stream must outlive it
            why, exc_info = f"failed: {type(exc).__name__}: {exc}", True
        self._fault(StreamTrigger.END, why, exc_info)
        return True

    async def _read(self, request: Any) -> str:
        """The admitted open's session: every frame decoded and published until it ends."""
        source = self.source
        self._closed_quiet = ""
        self.opens += 1
        self._move(StreamTrigger.OPEN, "resubscribing" if self.opens > 1 else "subscribing")
        self._opened.set()
        frames = source.open(request)
        self._arm()
        # Per frame: one increment, the decode, the bus, one identity compare (LIVE is the steady state).
        decode, publish, live = source.decode, self._publish, StreamState.LIVE
        try:
            async for frame in frames:
                self.frames += 1
                for event in decode(frame):
                    publish(event)
                if self.state is not live:
                    self._not_live()
        finally:
            self._disarm()
            await _close(frames)
        return "ended by the venue"

    def _not_live(self) -> None:
        if self.state is StreamState.STALE:
            self._move(StreamTrigger.DATA, "data again")
        elif self.source.synced():
            self._move(StreamTrigger.SNAPSHOT, "synced")

    def _backoff_ns(self) -> int:
        p = self.policy
        base = min(p.reconnect_max_ms, p.reconnect_min_ms << min(self._attempt, 40))
        self._attempt += 1
        return int(base * NS_PER_MS * (1.0 - p.jitter * self._rng.random()))

    # -- the watchdog -------------------------------------------------------------

    def _arm(self) -> None:
        self._seen, self._quiet_since = self.frames, self._clock.now_ns()
        self._watch = self._clock.call_later(self._tick_ns, self._tick)

    def _disarm(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _tick(self) -> None:
        now = self._clock.now_ns()
        if self.frames != self._seen:
            self._seen, self._quiet_since = self.frames, now
        else:
            quiet = now - self._quiet_since
            if self.state is StreamState.LIVE:
                if quiet >= self._stale_ns:
                    self._fault(StreamTrigger.QUIET, f"no frame for {quiet // NS_PER_MS} ms")
            elif self._reopen_ns is not None and quiet >= self._reopen_ns and self._session is not None:
                self._closed_quiet = f"no frame for {quiet // NS_PER_MS} ms: reopening"
                self._watch = None
                self._session.cancel()
                return
        self._watch = self._clock.call_later(self._tick_ns, self._tick)

    # -- states, status, logging --------------------------------------------------

    def _move(self, trigger: StreamTrigger, reason: str) -> None:
        """Apply ``trigger`` along the table; publish a change (and every STOP)."""
        old = self.state
        new = TABLE[old].get(trigger)
        if new is None:
            self.unexpected += 1
            log.error("%s stream %s: %s while %s is not in the stream table (a bug); ignored",
                      self.venue, self.source.name, trigger.value, old.value)  # fmt: skip
            return
        now = self._clock.now_ns()
        if old is StreamState.LIVE and new is not old:
            if now - self._live_since >= self.policy.stable_after_ms * NS_PER_MS:
                self._attempt = 0  # it was stable: a new failure starts the backoff afresh
        elif new is StreamState.LIVE:
            self._live_since = now
            self._recovered()
        self.state = new
        if new is not old or trigger is StreamTrigger.STOP:
            self._announce(reason)

    def _announce(self, reason: str) -> None:
        self.reason = reason
        self._publish(StreamStatus(self.venue, "", self._clock.wall_ns(), self._clock.now_ns(), self.state, reason,
                                   self.source.name))  # fmt: skip

    def _fault(self, trigger: StreamTrigger, why: str, exc_info: bool = False) -> None:
        self._move(trigger, why)
        if self._episode is None:
            self._episode = self._clock.now_ns()
            log.warning("%s stream %s %s: %s", self.venue, self.source.name, self.state.value, why, exc_info=exc_info)
        else:
            log.debug("%s stream %s %s: %s", self.venue, self.source.name, self.state.value, why, exc_info=exc_info)

    def _recovered(self) -> None:
        if self._episode is not None:
            down_ms = (self._clock.now_ns() - self._episode) // NS_PER_MS
            log.info("%s stream %s live again after %d ms (%d opens)", self.venue, self.source.name, down_ms, self.opens)
            self._episode = None
        elif not self.live.is_set():
            log.info("%s stream %s live", self.venue, self.source.name)
        self.live.set()

    def _give_up(self, error: Exception, why: str) -> None:
        self.error = error
        self._move(StreamTrigger.STOP, why)
        log.error("%s stream %s: giving up: %s", self.venue, self.source.name, why)
        self.live.set()
        self._opened.set()


async def _close(frames: Any) -> None:
    """End a session's frame iterator: ``aclose()`` an async generator, ``cancel()`` a grpc call.
    The session is over either way: a failure to close is logged, not raised."""
    try:
        aclose = getattr(frames, "aclose", None)
        if aclose is not None:
            await aclose()
        elif (cancel := getattr(frames, "cancel", None)) is not None:
            cancel()
    except Exception:
        log.debug("closing a stream session failed", exc_info=True)
