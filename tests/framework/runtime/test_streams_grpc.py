"""The supervisor against a real grpc.aio server on 127.0.0.1 that drops every
stream right after its snapshot (a damaged node): the backoff stays on, on the
simulated clock, and the stream is reopened a handful of times in 15 s --
not a hundred."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable

import grpc
import pytest

from framework.execution import Outbound
from framework.kit.sender import KitSender
from framework.model.errors import Desync, VenueThrottled, VenueUnavailable
from framework.model.events import BookSnapshot, Event, StreamState
from framework.plugin.venue import MessageKind
from framework.runtime.clock import NS_PER_S, SimClock
from framework.runtime.streams import StreamPolicy, SupervisedStream

pytestmark = pytest.mark.timeout(60)

METHOD = "/flaky.Feed/Stream"


class FlakyNode:
    """A grpc.aio server whose stream sends one snapshot frame, then aborts UNAVAILABLE."""

    def __init__(self) -> None:
        self.streams = 0
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def _stream(self, request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        self.streams += 1
        yield b"snapshot:" + request
        await context.abort(grpc.StatusCode.UNAVAILABLE, "node restarting")

    async def __aenter__(self) -> FlakyNode:
        handler = grpc.unary_stream_rpc_method_handler(self._stream)  # raw bytes both ways
        self.server = grpc.aio.server()
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("flaky.Feed", {"Stream": handler}),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.stop(None)


class GrpcFeed:
    """A StreamSource over one unary-stream method (raw bytes), as a venue adapter writes it."""

    name = "feed"
    lease_key = "flaky:feed"

    def __init__(self, channel: grpc.aio.Channel, clock: SimClock) -> None:
        self._call = channel.unary_stream(METHOD, request_serializer=None, response_deserializer=None)
        self.clock = clock
        self.subscriptions = 0
        self._synced = False

    def resubscribe(self) -> Outbound:
        self.subscriptions += 1
        self._synced = False
        return Outbound(MessageKind.QUERY, METHOD, b"all")

    async def open(self, request: bytes) -> AsyncIterator[bytes]:
        call = self._call(request)
        try:
            async for frame in call:
                yield frame
        except grpc.aio.AioRpcError as exc:
            error = VenueThrottled if exc.code() is grpc.StatusCode.RESOURCE_EXHAUSTED else VenueUnavailable
            raise error("flaky", exc.details() or "", exc.code().name) from exc
        finally:
            call.cancel()

    def decode(self, frame: bytes) -> list[Event]:
        if not frame.startswith(b"snapshot:"):
            raise Desync(f"unexpected frame {frame[:20]!r}")
        self._synced = True
        return [BookSnapshot("flaky", "AAA", 0, self.clock.now_ns(), ((100, 1),), ((101, 1),))]

    def synced(self) -> bool:
        return self._synced


async def _until(condition: Callable[[], bool], what: str, real_s: float = 10.0) -> None:
    """Wait for real I/O (the test's own pacing, not the code under test's)."""
    deadline = time.monotonic() + real_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


async def reopens_in_15_s(policy: StreamPolicy) -> tuple[int, int]:
    """(reopens by the supervisor, streams the node served) in 15 simulated seconds."""
    clock = SimClock()
    events: list[Event] = []
    async with FlakyNode() as node, grpc.aio.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        sender = KitSender()
        stream = SupervisedStream("flaky", GrpcFeed(channel, clock), policy, clock=clock, sender=sender,
                                  publish=events.append, rng=random.Random(3))  # fmt: skip
        task = asyncio.get_running_loop().create_task(stream.run())
        try:
            while True:
                # The session runs on real I/O; once it ended, the only timer left is the backoff.
                await _until(lambda: stream.state is StreamState.DOWN and clock.next_timer_ns() is not None, "a backoff")
                wake = clock.next_timer_ns()
                assert wake is not None
                if wake > 15 * NS_PER_S:
                    break
                clock.advance_to(wake)
                opened = stream.opens
                await _until(lambda: stream.opens > opened, "the reopen")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert sender.gate.streams_opened == 1 and not sender.gate.open_streams
        assert stream.live.is_set() and stream.error is None
        return stream.reconnects, node.streams


async def test_a_node_dropping_every_stream_after_its_snapshot_is_reopened_at_most_8_times_in_15_s() -> None:
    reopens, served = await reopens_in_15_s(StreamPolicy(reconnect_min_ms=100, reconnect_max_ms=10_000, jitter=0.2,
                                                         stable_after_ms=10_000, stale_after_ms=60_000))  # fmt: skip
    assert 1 <= reopens <= 8 and served == reopens + 1
