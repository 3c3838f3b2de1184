"""Recorded streams: the frame format, replay through the fake node, and ``book-dydx``."""

from __future__ import annotations

import argparse
import asyncio
import json

import grpc
import pytest
from v4_proto.dydxprotocol.clob import query_pb2, query_pb2_grpc

from plugins.dydx import book_cli
from plugins.dydx.recording import RecordingError, read_frames, write_frames
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.flow import SyntheticFlow
from plugins.dydx.sim.messages import Response
from plugins.dydx.sim.server import FakeNodeSettings, fake_node
from plugins.dydx.units import GENESIS

PARAMS = {0: GENESIS["BTC-USD"][1], 1: GENESIS["ETH-USD"][1]}


def _record(path, blocks: int = 6, seed: int = 3) -> tuple[FakeEngine, list[bytes]]:
    """A recording as a new subscriber sees it: increments, then the snapshot, then more."""
    engine = FakeEngine([0, 1], confirm_prob=0.8, diverge_prob=0.2, seed=seed)
    flow = SyntheticFlow(engine, PARAMS, seed=seed)
    bodies: list[bytes] = []
    for block in range(blocks):
        for _ in range(8):
            flow.tick()
            r = engine.take_response()
            if r is not None:
                bodies.append(r.SerializeToString())
        bodies += [r.SerializeToString() for r in flow.block()]
        r = engine.take_response()
        if r is not None:
            bodies.append(r.SerializeToString())
        if block == 1:
            bodies.append(Response(updates=engine.snapshot([0, 1])).SerializeToString())
    write_frames(path, ((1_700_000_000_000 + i * 50, b) for i, b in enumerate(bodies)))
    return engine, bodies


def test_frames_round_trip_with_six_byte_time_and_four_byte_length(tmp_path):
    path = tmp_path / "s.bin"
    write_frames(path, [(1_734_000_000_123, b"abc"), ((1 << 48) - 1, b"")])
    raw = path.read_bytes()
    assert raw[:6] == (1_734_000_000_123).to_bytes(6, "big") and raw[6:10] == b"\x00\x00\x00\x03"
    assert list(read_frames(path)) == [(1_734_000_000_123, b"abc"), ((1 << 48) - 1, b"")]


def test_truncated_recording_is_an_error_naming_the_frame(tmp_path):
    path = tmp_path / "t.bin"
    write_frames(path, [(1, b"abcdef"), (2, b"ghijkl")])
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(RecordingError, match="frame 1 is truncated"):
        list(read_frames(path))


def test_book_command_prints_the_node_book_order_by_order(tmp_path, capsys):
    path = tmp_path / "rec.bin"
    engine, _ = _record(path)
    ns = argparse.Namespace(file=str(path), until_record=None, json=True)
    assert book_cli.run(ns) == 0
    data = json.loads(capsys.readouterr().out)
    for pair in (0, 1):
        got = [
            ((r["owner"], r["number"], r["client_id"], r["order_flags"], r["clob_pair_id"]), r["subticks"], r["remaining"])
            for side in ("bids", "asks") for r in data["pairs"][str(pair)][side]
        ]
        want = [(k, p, max(q - f, 0)) for k, _s, p, q, f in engine.book_rows(pair)]
        assert got == want
    assert data["counters"]["pre_snapshot_messages"] > 0 and data["counters"]["snapshots"] == 1


def test_book_command_until_record_stops_early_and_prints_text(tmp_path, capsys):
    path = tmp_path / "rec.bin"
    _record(path, blocks=2)
    assert book_cli.run(argparse.Namespace(file=str(path), until_record=3, json=False)) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 records") and "no snapshot yet" in out and "pre_snapshot_updates" in out
    assert book_cli.run(argparse.Namespace(file=str(tmp_path / "missing.bin"), until_record=None, json=False)) == 2


async def test_fake_node_serves_a_recorded_stream_through_the_servicer(tmp_path):
    path = tmp_path / "rec.bin"
    _engine, bodies = _record(path, blocks=3)
    async with (
        fake_node(FakeNodeSettings(recording=str(path), auto=False)) as node,
        grpc.aio.insecure_channel(node.endpoint) as channel,
    ):
        call = query_pb2_grpc.QueryStub(channel).StreamOrderbookUpdates(
            query_pb2.StreamOrderbookUpdatesRequest(clob_pair_id=[0, 1])
        )
        got = [r async for r in call]
    assert [r.SerializeToString() for r in got] == [Response.FromString(b).SerializeToString() for b in bodies]
    await asyncio.sleep(0)


def test_book_command_on_a_damaged_recording_counts_and_still_prints_the_books(tmp_path, capsys):
    """Bit flips in every frame and a torn last frame: counted, the books of
    what could be read printed, exit 0 -- never a traceback."""
    path = tmp_path / "rec.bin"
    _record(path, blocks=3)
    frames = list(read_frames(path))
    damaged = []
    for i, (ms, body) in enumerate(frames):
        raw = bytearray(body)
        if i % 2 and raw:  # every other frame: flip a bit somewhere in its body
            raw[(i * 7919) % len(raw)] ^= 1 << (i % 8)
        damaged.append((ms, bytes(raw)))
    write_frames(path, damaged)
    path.write_bytes(path.read_bytes()[:-3])  # torn last frame
    assert book_cli.run(argparse.Namespace(file=str(path), until_record=None, json=True)) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["records"] == len(frames) - 1
    assert data["counters"]["torn_frames"] == 1 and "truncated" in captured.err
    assert data["counters"]["messages"] == len(frames) - 1
