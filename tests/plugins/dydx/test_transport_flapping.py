"""A damaged recording served by the fake node: the stream backs off instead of flapping.

Every session replays the recording from its start: the snapshot (LIVE), then a
response the codec cannot apply (a place with no side), so the books must be
resynced and the stream reopened. The adapter's old loop restarted its backoff
whenever the stream had been LIVE, so it reopened every ``reconnect_min_ms``
(about 150 times in 15 s at 100 ms); the core's backoff restarts only after
``stable_after_ms`` of LIVE, so it doubles: a handful of reopens in 15 s.
Time is simulated; the node and the stream run on real loopback gRPC.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from framework.execution import GatedSender
from framework.model.events import Event, StreamState, StreamStatus
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_S, SimClock
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.events import DydxTrade
from plugins.dydx.recording import write_frames
from plugins.dydx.settings import DydxSettings
from plugins.dydx.sim import messages as msg
from plugins.dydx.sim.model import BUY, SELL
from plugins.dydx.sim.server import FakeNodeSettings, fake_node
from plugins.dydx.units import NATIVE
from tests.plugins.dydx.helpers import B, ob, order, resp, snapshot

pytestmark = pytest.mark.timeout(60)


def _damaged_recording(path) -> None:
    """Snapshot, one good update, then a confirmed fill and an order with no side in one response."""
    maker, bid = order(1, SELL, 10, 101, owner=B), order(2, BUY, 5, 99)
    later = order(3, BUY, 4, 98)
    bad = order(4, 0, 4, 97)  # side UNSPECIFIED: valid protobuf, no book operation
    bodies = [
        resp(snapshot((maker, 0), (bid, 0))),
        resp(ob(msg.place(later), msg.update(later.key, 0))),
        resp(msg.fill(11, 7, order(5, BUY, 3, 101), [(maker, 3, 3)], 3), ob(msg.place(bad), height=11)),
        resp(ob(msg.remove(later.key), height=12)),
    ]
    write_frames(path, ((1_700_000_000_000 + i, body) for i, body in enumerate(bodies)))


async def _until(condition: Callable[[], bool], what: str, real_s: float = 10.0) -> None:
    """Wait for the real I/O (the node, the stream), not for the simulated clock."""
    deadline = time.monotonic() + real_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


async def test_a_damaged_recording_is_reopened_a_handful_of_times_in_15_s_not_150(tmp_path):
    path = tmp_path / "damaged.bin"
    _damaged_recording(path)
    clock = SimClock()
    bus = Bus()
    events: list[Event] = []
    bus.subscribe(events.append)
    async with fake_node(FakeNodeSettings(recording=str(path), auto=False)) as node:
        settings = DydxSettings(endpoint=node.endpoint, markets={"BTC-USD": 0}, instruments={"BTC-USD": NATIVE},
                                reconnect_min_ms=100, reconnect_max_ms=10_000, stable_after_ms=10_000)  # fmt: skip
        adapter = DydxAdapter(VenueContext("dydx", bus, clock, GatedSender(CountingGate())), settings)
        await adapter.start()
        stream = adapter.transport.stream
        assert stream is not None
        try:
            while True:
                # A session ends with its desync; then the backoff is the only timer.
                await _until(lambda: stream.desyncs == stream.opens >= 1 and clock.next_timer_ns() is not None,
                             "the session's desync and its backoff")  # fmt: skip
                wake = clock.next_timer_ns()
                assert wake is not None
                if wake > 15 * NS_PER_S:
                    break
                clock.advance_to(wake)
                opened = stream.opens
                await _until(lambda: stream.opens > opened, "the reopen")
        finally:
            await adapter.stop()
    # 100 ms doubling (times 0.8..1 for jitter): 7 reopens fit in 15 s, the 8th is due later.
    assert stream.reconnects == 7 and stream.opens == stream.desyncs == 8
    states = [e.state for e in events if isinstance(e, StreamStatus)]
    assert states[:3] == [StreamState.CONNECTING, StreamState.LIVE, StreamState.RESYNCING]
    assert states.count(StreamState.LIVE) == 8 and StreamState.DOWN not in states[:-1]
    # The fill in the damaged response is published every session: a resync drops no prints.
    assert len([e for e in events if isinstance(e, DydxTrade)]) == 8
    assert adapter.codec is not None and adapter.codec.stats["bad_side"] == 8
