"""dYdX stream throughput: order-book updates per second through the whole pipeline.

In process: a long recorded simulator stream of 10-update responses goes
through decode + L3 book + bus to a strategy that reads the top of book on
every event (``pipeline_updates_per_s``). Beside it in the same run:
protobuf ``FromString`` alone over the same bytes (``pb_decode_only_updates_per_s``)
and a straightforward pipeline that decodes with protobuf and reads fields
out of the messages (``naive_pipeline_updates_per_s``, same book and bus).
The straightforward one does less than the codec: no taker events, no prints
or replay detection, no pre-snapshot or unknown-id accounting, and its
BookDelta events carry no level changes; it is the floor to beat, not a peer.

Over loopback gRPC: the fake node, in a child process, serves the recording;
the adapter consumes it into its books and the bus (``grpc_adapter_updates_per_s``)
beside a bare grpc.aio stream that only receives the same messages
(``grpc_bare_updates_per_s``): the same server, one client at a time, all timed
from the subscription to the end of the stream, the order rotating between
rounds. Updates/s are each path's best round; ``*_over_bare_ratio`` is the
median of the rounds' ratios (``_min``/``_max``: the spread). The client's CPU
per message is reported for both. On a 2-vCPU machine the node and the bare
client together keep both cores busy, so each microsecond the adapter adds per
message costs throughput: the ratio is about (node + bare client CPU) / (node
+ adapter CPU). ``grpc_adapter_process_*`` is the adapter with ``receiver:
process``: a child process reads the stream and pipes it here, so the receive
work and the codec can run on different cores (the parent's CPU per message is
reported; the child's is not counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from v4_proto.dydxprotocol.clob.query_pb2 import (
    StreamOrderbookUpdatesResponse as Response,
)

from bench._timing import best_of
from framework.books.l3book import L3Book
from framework.model.events import BookDelta, Event, StreamState, StreamStatus
from framework.runtime.bus import Bus
from framework.tools.native import compiled_modules
from plugins.dydx.codec import DydxCodec
from plugins.dydx.recording import read_frames, write_frames
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.flow import SyntheticFlow
from plugins.dydx.units import GENESIS

PARAMS = {0: GENESIS["BTC-USD"][1], 1: GENESIS["ETH-USD"][1]}
PAIRS = {0: ("BTC-USD", PARAMS[0]), 1: ("ETH-USD", PARAMS[1])}
PER_MESSAGE = 10


def record_stream(n_updates: int, seed: int = 7) -> list[bytes]:
    """Simulator stream (snapshot first) repacked into responses of ~10 order-book updates."""
    engine = FakeEngine([0, 1], confirm_prob=0.8, diverge_prob=0.1, seed=seed)
    flow = SyntheticFlow(engine, PARAMS, seed=seed, actions_per_tick=6)
    for _ in range(3):  # build some depth first
        for _ in range(20):
            flow.tick()
        flow.block()
    engine.take_response()
    updates = list(engine.snapshot([0, 1]))
    bodies = [Response(updates=updates).SerializeToString()]
    pending: list = []
    count = total = 0
    while total < n_updates:
        for _ in range(10):
            flow.tick()
        out = list(engine.pending)
        engine.pending = []
        for resp in flow.block():
            out += list(resp.updates)
        out += engine.pending
        engine.pending = []
        for su in out:
            if su.WhichOneof("update_message") in ("subaccount_update", "price_update"):
                continue  # not sent to a subscriber of clob pairs only
            pending.append(su)
            if su.WhichOneof("update_message") == "orderbook_update":
                count += len(su.orderbook_update.updates)
            if count >= PER_MESSAGE:
                bodies.append(Response(updates=pending).SerializeToString())
                total += count
                pending, count = [], 0
    return bodies


def _count_updates(bodies: list[bytes]) -> int:
    n = 0
    for body in bodies[1:]:
        for su in Response.FromString(body).updates:
            if su.WhichOneof("update_message") == "orderbook_update":
                n += len(su.orderbook_update.updates)
    return n


class TopReader:
    """The strategy: reads the top of book on every event."""

    def __init__(self, books: dict[str, L3Book]) -> None:
        self.books = books
        self.reads = 0
        self.last: object = None

    def on_event(self, event: Event) -> None:
        book = self.books.get(event.symbol)
        if book is not None:
            self.last = (book.best_bid(), book.best_ask())
            self.reads += 1


def _pipeline(bodies: list[bytes]) -> None:
    codec = DydxCodec("dydx", PAIRS)
    bus = Bus()
    reader = TopReader({"BTC-USD": codec.book(0), "ETH-USD": codec.book(1)})
    bus.subscribe(reader.on_event, venue="dydx")
    publish, feed = bus.publish, codec.feed
    for body in bodies:
        for event in feed(body):
            publish(event)


def _decode_only(bodies: list[bytes]) -> None:
    parse = Response.FromString
    for body in bodies:
        parse(body)


def _naive_pipeline(bodies: list[bytes]) -> None:
    """Decode with protobuf, read fields out of the objects, same book and bus (book rules only)."""
    books = {0: L3Book("dydx", "BTC-USD"), 1: L3Book("dydx", "ETH-USD")}
    symbols = {0: "BTC-USD", 1: "ETH-USD"}
    steps = {p: (PARAMS[p].subticks_per_tick, PARAMS[p].step_base_quantums) for p in PARAMS}
    bus = Bus()
    reader = TopReader({"BTC-USD": books[0], "ETH-USD": books[1]})
    bus.subscribe(reader.on_event, venue="dydx")

    def key(oid):  # type: ignore[no-untyped-def]
        s = oid.subaccount_id
        return (s.owner, s.number, oid.client_id, oid.order_flags, oid.clob_pair_id)

    for body in bodies:
        for su in Response.FromString(body).updates:
            kind = su.WhichOneof("update_message")
            touched = set()
            if kind == "orderbook_update":
                obu = su.orderbook_update
                snap: dict = {}
                for u in obu.updates:
                    which = u.WhichOneof("update_message")
                    if which == "order_place":
                        o = u.order_place.order
                        k = key(o.order_id)
                        spt, step = steps[k[4]]
                        side = 1 if o.side == 1 else -1
                        if obu.snapshot:
                            snap.setdefault(k[4], []).append([k, side, o.subticks // spt, o.quantums // step, 0])
                        else:
                            books[k[4]].place(k, side, o.subticks // spt, o.quantums // step)
                        touched.add(k[4])
                    elif which == "order_update":
                        k = key(u.order_update.order_id)
                        if obu.snapshot:
                            snap[k[4]][-1][4] = u.order_update.total_filled_quantums // steps[k[4]][1]
                        else:
                            books[k[4]].update(k, u.order_update.total_filled_quantums // steps[k[4]][1])
                        touched.add(k[4])
                    elif which == "order_remove":
                        k = key(u.order_remove.removed_order_id)
                        books[k[4]].remove(k)
                        touched.add(k[4])
                for pair, rows in snap.items():
                    books[pair].apply_snapshot(tuple(r) for r in rows)
            elif kind == "order_fill":
                f = su.order_fill
                for o, amount in zip(f.orders, f.fill_amounts):
                    k = key(o.order_id)
                    books[k[4]].update(k, amount // steps[k[4]][1])
                    touched.add(k[4])
            for pair in touched:
                bus.publish(BookDelta("dydx", symbols[pair], 0, 0, ()))


# --- loopback gRPC ---------------------------------------------------------------------

_SERVE = """
import asyncio, sys
from plugins.dydx.sim.server import FakeNodeSettings, fake_node
async def main():
    async with fake_node(FakeNodeSettings(recording=sys.argv[1], auto=False)) as node:
        print(node.endpoint, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


async def _bare(endpoint: str) -> tuple[int, float, float]:
    """Receive the stream and nothing else: ``(messages, wall s, client CPU s)``."""
    import grpc

    async with grpc.aio.insecure_channel(endpoint, options=[("grpc.max_receive_message_length", 64 << 20)]) as ch:
        start, cpu = time.perf_counter(), time.process_time()
        call = ch.unary_stream(
            "/dydxprotocol.clob.Query/StreamOrderbookUpdates",
            request_serializer=lambda r: r.SerializeToString(),
            response_deserializer=None,
        )(_request())
        n = 0
        async for _ in call:
            n += 1
        return n, time.perf_counter() - start, time.process_time() - cpu


def _request():  # type: ignore[no-untyped-def]
    from v4_proto.dydxprotocol.clob.query_pb2 import StreamOrderbookUpdatesRequest

    return StreamOrderbookUpdatesRequest(clob_pair_id=[0, 1])


async def _adapter(endpoint: str, receiver: str = "inline") -> tuple[int, float, float]:
    """The adapter into its books, the bus and the strategy: ``(messages, wall s, client CPU s)``,
    timed like the bare stream, from the subscription to the stream's end. (With
    ``receiver="process"`` the CPU is this process's only, not the receiver child's.)"""
    from framework.execution import GatedSender
    from framework.plugin.venue import CountingGate, VenueContext
    from framework.runtime.clock import LiveClock
    from plugins.dydx.adapter import DydxAdapter
    from plugins.dydx.settings import DydxSettings

    bus = Bus()
    settings = DydxSettings(
        endpoint=endpoint, markets={"BTC-USD": 0, "ETH-USD": 1},
        instruments={"BTC-USD": PARAMS[0], "ETH-USD": PARAMS[1]}, reconnect_min_ms=10_000,
        reconnect_max_ms=10_000, receiver=receiver,
    )
    adapter = DydxAdapter(VenueContext("dydx", bus, LiveClock(), GatedSender(CountingGate())), settings)
    done = asyncio.Event()
    marks: list[tuple[float, float]] = []

    def on_status(event: StreamStatus) -> None:
        if event.state is StreamState.CONNECTING or event.state is StreamState.DOWN:
            marks.append((time.perf_counter(), time.process_time()))
        if event.state is StreamState.DOWN and len(marks) > 1:
            done.set()

    bus.subscribe(on_status, StreamStatus)
    await adapter.start()
    reader = TopReader({"BTC-USD": adapter.book("BTC-USD"), "ETH-USD": adapter.book("ETH-USD")})
    bus.subscribe(reader.on_event, venue="dydx")
    await asyncio.wait_for(done.wait(), 120)
    (start, cpu), (end, cpu_end) = marks[0], marks[-1]
    n = adapter.transport.source.received
    await adapter.stop()
    return n, end - start, cpu_end - cpu


@contextlib.contextmanager
def serve_recording(path: Path) -> Iterator[str]:
    """The fake node in a child process serving the recording at ``path``;
    yields its endpoint, stops it on exit."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _grpc_figures(path: Path, n_updates: int, n_messages: int, rounds: int) -> dict[str, float]:
    with serve_recording(path) as endpoint:
        # One server, one client at a time, the same messages; the order rotates
        # so a burst of load elsewhere on the machine does not always hit the same one.
        runs = {
            "bare": lambda: _bare(endpoint),
            "adapter": lambda: _adapter(endpoint),
            "process": lambda: _adapter(endpoint, receiver="process"),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        names = list(runs)
        for i in range(rounds):
            for name in names[i % 3 :] + names[: i % 3]:
                n, t, cpu = asyncio.run(runs[name]())
                assert n == n_messages, (name, n, n_messages)
                times[name].append((t, cpu))
    best = {name: min(ts) for name, ts in times.items()}
    (bare_t, bare_cpu), (adapter_t, adapter_cpu) = best["bare"], best["adapter"]
    process_t, process_cpu = best["process"]
    # Ratios per round (runs next to each other), so that one lucky run of
    # either side does not decide them; the median, with the spread beside it.
    inline = [b[0] / a[0] for b, a in zip(times["bare"], times["adapter"], strict=True)]
    process = [b[0] / p[0] for b, p in zip(times["bare"], times["process"], strict=True)]
    return {
        "grpc_bare_updates_per_s": n_updates / bare_t,
        "grpc_adapter_updates_per_s": n_updates / adapter_t,
        "grpc_adapter_over_bare_ratio": statistics.median(inline),
        "grpc_adapter_over_bare_ratio_min": min(inline),
        "grpc_adapter_over_bare_ratio_max": max(inline),
        # receiver: process -- a child reads the stream, this process runs the codec
        "grpc_adapter_process_updates_per_s": n_updates / process_t,
        "grpc_adapter_process_over_bare_ratio": statistics.median(process),
        "grpc_adapter_process_parent_cpu_us_per_message": process_cpu * 1e6 / n_messages,
        # The client's CPU (all its threads) per message in the best runs (the
        # module docs say how the ratio follows from it).
        "grpc_bare_client_cpu_us_per_message": bare_cpu * 1e6 / n_messages,
        "grpc_adapter_client_cpu_us_per_message": adapter_cpu * 1e6 / n_messages,
    }


def run(quick: bool = False) -> dict[str, float]:
    bodies = record_stream(30_000 if quick else 200_000)
    n = _count_updates(bodies)
    # The snapshot message is in every run (the book needs it) but not counted.
    # Interleaved, best of each: a busy machine then slows all three alike.
    t_pipe = t_decode = t_naive = float("inf")
    for _ in range(2 if quick else 4):
        t_pipe = min(t_pipe, best_of(lambda: _pipeline(bodies), 1))
        t_decode = min(t_decode, best_of(lambda: _decode_only(bodies), 1))
        t_naive = min(t_naive, best_of(lambda: _naive_pipeline(bodies), 1))
    figures = {
        "pipeline_updates_per_s": n / t_pipe,
        "pb_decode_only_updates_per_s": n / t_decode,
        "naive_pipeline_updates_per_s": n / t_naive,
        "pipeline_over_naive_ratio": t_naive / t_pipe,
        "updates_per_message": n / (len(bodies) - 1),
        "compiled_modules": compiled_modules(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.bin"
        write_frames(path, ((i, b) for i, b in enumerate(bodies)))
        assert sum(1 for _ in read_frames(path)) == len(bodies)
        figures.update(_grpc_figures(path, n, len(bodies), 2 if quick else 5))
    return figures
