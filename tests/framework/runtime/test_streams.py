"""The core stream lifecycle: the table, and a supervisor that follows it on a
simulated clock -- backoff that does not forget a flapping stream, stale and
back, desync and resync, giving up, throttling, one lease for a whole life."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.model.errors import Denied, VenueRejected, VenueUnavailable
from framework.model.events import BookDelta, StreamState
from framework.runtime.clock import NS_PER_MS
from framework.runtime.streams import (
    TABLE,
    StreamPolicy,
    StreamTrigger,
    SupervisedStream,
    as_markdown,
    next_state,
)
from tests.framework.runtime.streamrig import Rig, running

pytestmark = pytest.mark.timeout(60)

S, T = StreamState, StreamTrigger
LOG = "framework.runtime.streams"


# -- the table ---------------------------------------------------------------------

IN_TABLE = [(s, t, after) for s, row in TABLE.items() for t, after in row.items()]
NOT_IN_TABLE = [(s, t) for s, t in itertools.product(S, T) if t not in TABLE[s]]


@pytest.mark.parametrize(("state", "trigger", "after"), IN_TABLE, ids=[f"{s.value}-{t.value}" for s, t, _ in IN_TABLE])
def test_every_move_of_the_table(state: StreamState, trigger: StreamTrigger, after: StreamState) -> None:
    assert next_state(state, trigger) is after


@pytest.mark.parametrize(("state", "trigger"), NOT_IN_TABLE, ids=[f"{s.value}-{t.value}" for s, t in NOT_IN_TABLE])
def test_moves_not_in_the_table_are_refused(state: StreamState, trigger: StreamTrigger) -> None:
    assert next_state(state, trigger) is None


def test_the_table_says_what_the_docs_say() -> None:
    # Every state has a row, STOP ends anywhere, LIVE is entered only by a
    # snapshot or by data after silence, and a stream only leaves DOWN by opening.
    assert set(TABLE) == set(S)
    assert all(TABLE[s][T.STOP] is S.DOWN for s in S)
    assert {t for s, t, after in IN_TABLE if after is S.LIVE} == {T.SNAPSHOT, T.DATA}
    assert TABLE[S.DOWN] == {T.OPEN: S.RESYNCING, T.STOP: S.DOWN}
    reached, todo = {S.CONNECTING}, [S.CONNECTING]
    while todo:
        for after in TABLE[todo.pop()].values():
            if after not in reached:
                reached.add(after)
                todo.append(after)
    assert reached == set(S)
    doc = (Path(__file__).resolve().parents[3] / "docs" / "plugins.md").read_text()
    shown = doc.split("<!-- stream-lifecycle:start", 1)[1].split("-->", 1)[1].split("<!-- stream-lifecycle:end -->", 1)[0]
    assert shown.strip() == as_markdown().strip(), "docs/plugins.md's stream table is stale"


def test_a_policy_refuses_what_cannot_work() -> None:
    for bad in ({"reconnect_min_ms": 0}, {"reconnect_min_ms": 500, "reconnect_max_ms": 100}, {"jitter": 1.5},
                {"stale_after_ms": 0}, {"reconnect_after_stale_ms": -1}, {"stable_after_ms": -1}):  # fmt: skip
        with pytest.raises(ValueError, match="StreamPolicy"):
            StreamPolicy(**bad)  # type: ignore[arg-type]


@given(st.integers(1, 1_000), st.integers(1, 100_000), st.floats(0, 1), st.integers(0, 2**32))
def test_backoff_doubles_within_its_jitter_and_cap(min_ms: int, extra_ms: int, jitter: float, seed: int) -> None:
    policy = StreamPolicy(reconnect_min_ms=min_ms, reconnect_max_ms=min_ms + extra_ms, jitter=jitter)
    stream = SupervisedStream("v", object(), policy, clock=None, sender=None, publish=print, rng=random.Random(seed))  # type: ignore[arg-type]
    for n in range(60):
        base = min(policy.reconnect_max_ms, min_ms * 2**n) * NS_PER_MS
        assert base * (1 - jitter) - 1 <= stream._backoff_ns() <= base


# -- the supervisor against a simple model --------------------------------------------

FRAMES = ("s", "d", "x", "q")
ENDINGS = ("end", "fail", "throttle")


def model(scripts: list[list[str]]) -> tuple[list[StreamState], int]:
    """What the supervisor must publish for ``scripts`` (one per open, each
    ending the session), stopped after the last: the states, and the desyncs."""
    state, shown, desyncs = S.CONNECTING, [S.CONNECTING], 0

    def move(trigger: StreamTrigger) -> None:
        nonlocal state
        after = TABLE[state][trigger]
        if after is not state:
            shown.append(after)
        state = after

    for script in scripts:
        move(T.OPEN)
        synced = False
        for step in script:
            if step == "x":
                move(T.DESYNC)
                desyncs += 1
                break
            if step == "q":
                if state is S.LIVE:
                    move(T.QUIET)
                continue
            if step in ENDINGS:
                move(T.END)
                break
            synced = synced or step == "s"
            if state is S.STALE:
                move(T.DATA)
            elif state is not S.LIVE and synced:
                move(T.SNAPSHOT)
        else:
            move(T.END)
    move(T.OPEN)  # the next open hangs until the stop
    shown.append(S.DOWN)  # stopped
    return shown, desyncs


session = st.tuples(st.lists(st.sampled_from(FRAMES), max_size=8), st.sampled_from((*ENDINGS, "")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(session, min_size=1, max_size=6))
def test_the_supervisor_publishes_what_the_model_says(sessions: list[tuple[list[str], str]]) -> None:
    scripts = [frames + ([end] if end else []) for frames, end in sessions]

    async def scenario() -> Rig:
        rig = Rig(scripts, StreamPolicy(reconnect_min_ms=100, reconnect_max_ms=400, stale_after_ms=1_000))
        async with running(rig):
            while len(rig.source.opened_at) <= len(scripts):
                await rig.run_for(500)
        return rig

    rig = asyncio.run(scenario())
    states, desyncs = model(scripts)
    assert rig.states() == states
    stream = rig.stream
    assert (stream.opens, stream.reconnects) == (len(scripts) + 1, len(scripts))  # the last open hangs
    assert stream.frames == sum(_read(s) for s in scripts)
    assert stream.desyncs == desyncs and stream.unexpected == 0
    assert rig.source.resubscribes == stream.opens
    assert rig.gate.streams_opened == 1 and not rig.gate.open_streams  # one lease, released at stop


def _read(script: list[str]) -> int:
    """Frames the supervisor reads of ``script``: up to the first bad one."""
    frames = [f for f in script if f in "sdx"]
    return frames.index("x") + 1 if "x" in frames else len(frames)


# -- flapping, and the backoff's memory -----------------------------------------------


async def flaps_in_15_s(policy: StreamPolicy) -> int:
    """Reopens in 15 simulated seconds of a stream that dies right after each snapshot."""
    rig = Rig([], policy, then=("s", "fail"))
    async with running(rig):
        await rig.run_for(15_000)
        assert rig.stream.live.is_set() and rig.stream.state is not S.LIVE
        return rig.stream.reconnects


async def test_a_stream_dying_right_after_its_snapshot_keeps_backing_off() -> None:
    policy = StreamPolicy(reconnect_min_ms=100, reconnect_max_ms=10_000, jitter=0.2, stable_after_ms=10_000)
    assert await flaps_in_15_s(policy) <= 8
    # The old rule (forget the backoff as soon as the stream is live) is stable_after_ms=0:
    forgetful = await flaps_in_15_s(StreamPolicy(reconnect_min_ms=100, reconnect_max_ms=10_000, jitter=0.2, stable_after_ms=0))
    assert forgetful > 100


async def test_the_backoff_restarts_only_after_the_stream_was_live_for_stable_after_ms() -> None:
    policy = StreamPolicy(reconnect_min_ms=100, reconnect_max_ms=60_000, jitter=0.0, stable_after_ms=5_000,
                          stale_after_ms=60_000)  # fmt: skip
    quick, short, long = ["s", "fail"], ["s", "q:1000", "fail"], ["s", "q:6000", "fail"]
    rig = Rig([quick, quick, quick, short, long], policy)
    async with running(rig):
        await rig.run_for(20_000)
    gaps = [(b - a) // NS_PER_MS for a, b in itertools.pairwise(rig.source.opened_at)]
    # Three deaths at the snapshot wait 100, 200, 400; a 1 s life is not stable (800);
    # a 6 s life is (>= stable_after_ms): the wait after it is the minimum again.
    assert gaps == [100, 200, 400, 1_000 + 800, 6_000 + 100], gaps


# -- stale, desync, throttle, giving up -------------------------------------------------


async def test_stale_then_live_again_on_data(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    policy = StreamPolicy(stale_after_ms=1_000)
    rig = Rig([["s", "d", "q", "d", "hang"]], policy, quiet_ms=3_000)
    async with running(rig):
        await rig.run_for(3_500)
        assert rig.states() == [S.CONNECTING, S.LIVE, S.STALE, S.LIVE]
        stale = rig.statuses()[2]
        assert stale.reason.startswith("no frame for ") and stale.stream == "md" and stale.venue == "v"
        assert rig.stream.opens == 1  # never reopened: reconnect_after_stale_ms is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "stale" in warnings[0].getMessage()
    assert any("live again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


async def test_still_quiet_after_reconnect_after_stale_ms_reopens() -> None:
    policy = StreamPolicy(stale_after_ms=1_000, reconnect_after_stale_ms=2_000, reconnect_min_ms=100)
    rig = Rig([["s", "hang"], ["s", "hang"]], policy)
    async with running(rig):
        await rig.run_for(4_000)
        assert rig.states() == [S.CONNECTING, S.LIVE, S.STALE, S.DOWN, S.RESYNCING, S.LIVE]
        assert rig.statuses()[3].reason.endswith("reopening")
        assert rig.stream.opens == 2 and rig.source.closed == 1  # the quiet session was closed


async def test_a_desync_resubscribes_and_resyncs_from_a_snapshot() -> None:
    rig = Rig([["s", "d", "x", "d"], ["d", "s", "hang"]], StreamPolicy(reconnect_min_ms=50))
    async with running(rig):
        await rig.run_for(1_000)
        assert rig.states() == [S.CONNECTING, S.LIVE, S.RESYNCING, S.LIVE]
        assert rig.statuses()[2].reason == "desync: sequence gap"
        assert rig.stream.desyncs == 1 and rig.source.resubscribes == 2 and rig.source.closed == 1
        # The frame after the gap was never read; the events of the good frames were published.
        assert rig.stream.frames == 3 + 2
        assert len([e for e in rig.events if isinstance(e, BookDelta)]) == 2 + 2


async def test_a_refusal_gives_up_with_the_error_and_releases_the_slot(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([["reject"]])
    async with running(rig):
        await rig.run_for(1_000)
        assert rig.task is not None and rig.task.done()
        assert isinstance(rig.stream.error, VenueRejected) and rig.stream.live.is_set()
        assert rig.states() == [S.CONNECTING, S.DOWN] and rig.statuses()[-1].reason.startswith("refused: ")
        assert rig.stream.opens == 1 and not rig.gate.open_streams
        with pytest.raises(VenueRejected):
            await rig.stream.wait_live(1_000)
    assert rig.states() == [S.CONNECTING, S.DOWN]  # given up already: no second "stopped"
    assert any("giving up" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


async def test_no_stream_slot_gives_up_with_denied() -> None:
    rig = Rig([["s", "hang"]], max_streams=0)
    async with running(rig):
        with pytest.raises(Denied):
            await rig.stream.wait_live()
        assert rig.stream.opens == 0 and rig.source.resubscribes == 0 and rig.gate.total == 0


async def test_a_throttled_stream_tells_the_gate_and_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = Rig([["throttle"], ["throttle"], ["s", "hang"]], StreamPolicy(reconnect_min_ms=100))
    async with running(rig):
        await rig.run_for(1_000)
        assert rig.gate.throttle_signals == 2  # the sender saw each push-back
        assert rig.states() == [S.CONNECTING, S.DOWN, S.RESYNCING, S.DOWN, S.RESYNCING, S.LIVE]
        assert rig.statuses()[1].reason.startswith("throttled: ")
        assert rig.stream.opens == 3 and rig.stream.error is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "throttled" in warnings[0]  # one episode, one warning


async def test_one_warning_per_fault_episode(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, LOG)
    episode = [["fail"]] * 5 + [["s", "d", "fail"]] + [["fail"]] * 3 + [["s", "hang"]]
    rig = Rig(episode, StreamPolicy(reconnect_min_ms=10, reconnect_max_ms=20))
    async with running(rig):
        await rig.run_for(2_000)
        assert rig.stream.opens == 10 and rig.stream.state is S.LIVE
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings  # five failures, LIVE, then four more: two episodes
    assert len([r for r in caplog.records if r.levelno == logging.INFO and "live again" in r.getMessage()]) == 2


# -- the lease, waiting for live, bugs ---------------------------------------------------


async def test_the_lease_is_held_once_across_reconnects_and_released_on_stop() -> None:
    rig = Rig([["s", "end"], ["fail"], ["s", "x"]], StreamPolicy(reconnect_min_ms=10))
    async with running(rig):
        await rig.run_for(2_000)
        assert rig.stream.opens == 4 and rig.gate.open_streams == {"v:md"} and rig.gate.streams_opened == 1
        assert rig.gate.admitted.total() == 4  # every open admitted, the lease taken once
    assert not rig.gate.open_streams
    last = rig.statuses()[-1]
    assert (last.state, last.reason) == (S.DOWN, "stopped")


async def test_wait_live_times_out_on_the_injected_clock() -> None:
    rig = Rig([], then=("d", "hang"))  # data, never a snapshot
    async with running(rig):
        waiting = asyncio.ensure_future(rig.stream.wait_live(2_000))
        await rig.run_for(1_999)
        assert not waiting.done()
        await rig.run_for(1)
        with pytest.raises(VenueUnavailable, match="not live after 2000 ms"):
            await waiting


async def test_wait_open_returns_once_the_subscription_is_admitted_before_the_snapshot() -> None:
    rig = Rig([["q:500", "s", "hang"]])
    async with running(rig):
        await rig.stream.wait_open(10)
        assert rig.stream.opens == 1 and rig.gate.admitted.total() == 1 and rig.stream.state is S.CONNECTING
        await rig.run_for(500)
        assert rig.stream.state is S.LIVE
    refused = Rig([["s"]], max_streams=0)
    async with running(refused):
        with pytest.raises(Denied):
            await refused.stream.wait_open()


async def test_a_move_not_in_the_table_is_counted_logged_and_not_applied(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([["s", "hang"]])
    async with running(rig):
        await rig.run_for(10)
        shown = len(rig.events)
        rig.stream._move(T.SNAPSHOT, "twice")  # LIVE has no SNAPSHOT move
        assert rig.stream.state is S.LIVE and rig.stream.unexpected == 1 and len(rig.events) == shown
    assert any("not in the stream table" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_the_clock_is_the_only_time() -> None:
    source = (Path(__file__).resolve().parents[3] / "framework" / "runtime" / "streams.py").read_text()
    assert not re.search(r"\btime\.(time|monotonic|perf_counter)|asyncio\.sleep\(|import time", source)
