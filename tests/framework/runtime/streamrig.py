"""A scripted venue stream on a simulated clock, for the stream supervisor's tests.

:class:`ScriptedSource` is a :class:`~framework.runtime.streams.StreamSource`
whose every open plays the next script: ``"s"`` a snapshot frame (synced from
then on), ``"d"`` a data frame, ``"x"`` a frame ``decode`` refuses (Desync),
``"q"`` a silence of ``quiet_ms`` (``"q:250"``: of 250 ms), and as the last step ``"end"`` (the venue
closes it), ``"fail"`` (``VenueUnavailable``), ``"throttle"``, ``"reject"``,
``"hang"`` (open, silent, forever). A script running out ends the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

from framework.execution import Outbound
from framework.kit.sender import KitSender
from framework.model.errors import (
    Desync,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import BookDelta, Event, StreamState, StreamStatus
from framework.plugin.venue import MessageKind
from framework.runtime.clock import NS_PER_MS, SimClock
from framework.runtime.streams import StreamPolicy, SupervisedStream

VENUE = "v"


class ScriptedSource:
    """A venue stream that plays one script per open (see the module docs)."""

    name = "md"
    lease_key = "v:md"

    def __init__(self, clock: SimClock, scripts: Sequence[Sequence[str]], *, then: Sequence[str] = ("hang",),
                 quiet_ms: int = 0) -> None:  # fmt: skip
        self.clock = clock
        self.scripts = [list(s) for s in scripts]
        self.then = list(then)  # what every open after the scripted ones plays
        self.quiet_ns = quiet_ms * NS_PER_MS
        self.resubscribes = 0
        self.opened_at: list[int] = []  # clock ns of every open
        self.closed = 0  # sessions whose iterator was closed
        self._synced = False

    def resubscribe(self) -> Outbound:
        self.resubscribes += 1
        self._synced = False
        return Outbound(MessageKind.QUERY, "Subscribe", self.resubscribes)

    async def open(self, request: int) -> AsyncIterator[str]:
        assert request == self.resubscribes, "open() got a request other than the last resubscribe()'s"
        self.opened_at.append(self.clock.now_ns())
        script = self.scripts.pop(0) if self.scripts else self.then
        try:
            for step in script:
                if step.startswith("q"):
                    await self.clock.sleep_ns(int(step[2:]) * NS_PER_MS if ":" in step else self.quiet_ns)
                elif step == "end":
                    return
                elif step == "fail":
                    raise VenueUnavailable(VENUE, "connection reset", "UNAVAILABLE")
                elif step == "throttle":
                    raise VenueThrottled(VENUE, "slow down", "RESOURCE_EXHAUSTED")
                elif step == "reject":
                    raise VenueRejected(VENUE, "no such market", "INVALID_ARGUMENT")
                elif step == "hang":
                    await asyncio.get_running_loop().create_future()
                else:
                    yield step
        finally:
            self.closed += 1

    def decode(self, frame: str) -> list[Event]:
        if frame == "x":
            raise Desync("sequence gap")
        if frame == "s":
            self._synced = True
        return [BookDelta(VENUE, "AAA", 0, self.clock.now_ns(), ((1, 100, len(frame)),))]

    def synced(self) -> bool:
        return self._synced


async def settle() -> None:
    """Let every task the last timer woke run (no time passes)."""
    for _ in range(40):
        await asyncio.sleep(0)


async def run_for(clock: SimClock, ms: int) -> None:
    """Move ``clock`` forward ``ms``, timer by timer, letting woken tasks run at each."""
    end = clock.now_ns() + ms * NS_PER_MS
    await settle()
    while (nxt := clock.next_timer_ns()) is not None and nxt <= end:
        clock.advance_to(nxt)
        await settle()
    clock.advance_to(end)
    await settle()


class Rig:
    """A supervised :class:`ScriptedSource` on a :class:`SimClock`, behind a kit sender."""

    def __init__(self, scripts: Sequence[Sequence[str]], policy: StreamPolicy | None = None, *,
                 then: Sequence[str] = ("hang",), quiet_ms: int = 0, max_streams: int | None = None,
                 seed: int = 7, publish: Callable[[Event], object] | None = None) -> None:  # fmt: skip
        self.clock = SimClock()
        self.policy = policy or StreamPolicy()
        self.source = ScriptedSource(self.clock, scripts, then=then, quiet_ms=quiet_ms or 2 * self.policy.stale_after_ms)
        self.sender = KitSender(max_streams=max_streams)
        self.gate = self.sender.gate
        self.events: list[Event] = []
        self.stream = SupervisedStream(VENUE, self.source, self.policy, clock=self.clock, sender=self.sender,
                                       publish=publish or self.events.append, rng=random.Random(seed))  # fmt: skip
        self.task: asyncio.Task[None] | None = None

    def statuses(self) -> list[StreamStatus]:
        return [e for e in self.events if isinstance(e, StreamStatus)]

    def states(self) -> list[StreamState]:
        return [e.state for e in self.statuses()]

    async def run_for(self, ms: int) -> None:
        await run_for(self.clock, ms)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def running(rig: Rig) -> Iterator[Rig]:  # type: ignore[misc]
    """``rig``'s stream running for the block, stopped after it."""
    rig.task = asyncio.get_running_loop().create_task(rig.stream.run())
    await settle()
    try:
        yield rig
    finally:
        await rig.stop()
