"""Polymarket adapter over loopback against the simulator, beside bare grpc.aio.

Figures (same run, same simulator, same messages):

- ``md_updates_per_s``: market-data updates from the simulator's stream through
  the adapter (raw bytes -> codec -> L2 book -> bus) to a strategy callback;
  ``bare_stream_msgs_per_s``: a bare grpc.aio client reading the same stream
  (deserialized by protobuf) and only counting; ``md_vs_bare_ratio`` (goal
  >= 0.9), the median over pairs of neighbouring runs, with ``_min``/``_max``.
- ``adapter_work_per_update_us``: the adapter's own work per update (codec,
  book, bus) measured alone, beside ``bare_transport_per_update_us``: what
  the loopback stream costs per message. Their ratio is what the throughput
  ratio would be without scheduling noise.
- ``tick_to_order_p50_us`` / ``_p99_us``: the simulator publishes a book
  change -> the strategy's callback submits an order through a strategy
  context and the run's order router -> the simulator's order entry receives
  it, with ``order_entry: grpc`` (unary InsertOrder);
  ``tick_to_order_rest_*``: the same with REST order entry (httpx -> aiohttp);
  ``bare_unary_rtt_p50_us``: a bare grpc.aio unary round trip to the same
  simulator; ``bare_http_rtt_p50_us``: a bare httpx POST round trip to its REST
  order entry; ``tick_to_order_vs_unary_ratio`` (goal <= 1.1; the median over
  blocks of the ratio of block medians, with ``_min``/``_max``) and
  ``tick_to_order_rest_vs_http_ratio``. ``tick_to_strategy_p50_us`` is the
  first hop alone (publish -> strategy callback); ``bare_tick_to_order_p50_us``
  the floor of the whole path (a bare stream read then a bare unary insert of
  a prebuilt request), with ``tick_to_order_vs_bare_path_ratio``.

Everything runs in one process and one event loop (server and client share
the CPU, as they do for both the adapter and the bare baselines). Every path
has a discarded warm-up run; the latency paths interleave in blocks whose
order rotates, paced alike (2 ms between rounds), so load from other
processes falls on all of them.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Self

from framework.bus import Bus
from framework.clock import LiveClock
from framework.events import BookDelta, Side
from framework.native import compiled_modules
from framework.orders import TimeInForce
from framework.router import RunRouter
from framework.strategy import StrategyContext
from framework.tracker import OrderTracker
from framework.venue import CountingGate, VenueContext
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import health_pb2, health_pb2_grpc
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import marketdatasubscription_pb2_grpc as md_grpc
from plugins.polymarket.settings import settings_from
from plugins.polymarket.sim import LimitSettings, SimSettings, Simulator, simulate


def _updates(symbol: str, n: int) -> list[Any]:
    """``n`` distinct top-3 pictures of one book (each differs from the last)."""
    out = []
    for i in range(n):
        q = 100 + i % 97
        u = md.MarketDataUpdate(
            symbol=symbol,
            bids=[md.BookEntry(px=400, qty=q), md.BookEntry(px=390, qty=200), md.BookEntry(px=380, qty=300)],
            offers=[md.BookEntry(px=420, qty=q + 1), md.BookEntry(px=430, qty=200), md.BookEntry(px=440, qty=300)],
        )
        out.append(md.CreateMarketDataSubscriptionResponse(update=u))
    return out


def _md_handle(sim: Simulator, known: set[int]) -> Any:
    fresh = [h for h in sim.exchange.streams if h.kind == "md" and id(h) not in known]
    return fresh[-1]


async def _adapter(sim: Simulator, symbols: list[str], entry: str = "grpc") -> tuple[PolymarketAdapter, Bus]:
    clock = LiveClock()
    bus = Bus(clock)
    settings = settings_from(sim.adapter_settings(depth=3, order_entry=entry))
    ad = PolymarketAdapter(VenueContext("polymarket", bus, clock, CountingGate(), symbols), settings)
    await ad.start()
    return ad, bus


class _AdapterSink:
    """The adapter subscribed to one symbol, a strategy callback counting deltas."""

    def __init__(self, sim: Simulator, sym: str) -> None:
        self.sim, self.sym = sim, sym
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()

    async def __aenter__(self) -> Self:
        known = {id(h) for h in self.sim.exchange.streams}
        self.ad, bus = await _adapter(self.sim, [self.sym])
        self.handle = _md_handle(self.sim, known)
        bus.subscribe(self.on_delta, BookDelta, name="bench")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ad.stop()

    def on_delta(self, ev: BookDelta) -> None:
        self.count += 1
        if self.count == self.target:
            self.done.set()

    async def rate(self, msgs: list[Any]) -> float:
        self.count, self.target = 0, len(msgs)
        self.done.clear()
        t0 = time.perf_counter()
        for m in msgs:
            self.handle.push(m)
        await asyncio.wait_for(self.done.wait(), 60)
        return len(msgs) / (time.perf_counter() - t0)


class _BareSink:
    """A bare grpc.aio client on the same stream: it reads and counts, nothing else."""

    def __init__(self, sim: Simulator, sym: str, token: str) -> None:
        self.sim, self.sym, self.token = sim, sym, token

    async def __aenter__(self) -> Self:
        import grpc

        known = {id(h) for h in self.sim.exchange.streams}
        self.channel = grpc.aio.insecure_channel(self.sim.grpc_target)
        self.call = md_grpc.MarketDataSubscriptionAPIStub(self.channel).CreateMarketDataSubscription(
            md.CreateMarketDataSubscriptionRequest(symbols=[self.sym], depth=3),
            metadata=(("authorization", f"Bearer {self.token}"),))
        await self.call.read()  # the first update: the book
        self.handle = _md_handle(self.sim, known)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.call.cancel()
        await self.channel.close()

    async def rate(self, msgs: list[Any]) -> float:
        t0 = time.perf_counter()
        for m in msgs:
            self.handle.push(m)
        read = self.call.read
        for _ in range(len(msgs)):
            await read()
        return len(msgs) / (time.perf_counter() - t0)


class _Arrivals:
    """Stamps the moment the simulator's order entry receives each insert."""

    def __init__(self, sim: Simulator) -> None:
        self.x = sim.exchange
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.real = self.x.insert

    def __enter__(self) -> Self:
        def timed_insert(client: Any, req: Any) -> str:
            self.queue.put_nowait(time.perf_counter_ns())
            return self.real(client, req)

        self.x.insert = timed_insert  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.x.insert = self.real  # type: ignore[method-assign]


class _AdapterOrders:
    """The adapter on one symbol and a strategy that answers every book change
    with an order, sent through a strategy context and the run's order router
    (tracker, route, the adapter's gated transport), as in a run."""

    def __init__(self, sim: Simulator, sym: str, entry: str) -> None:
        self.sim, self.sym, self.entry = sim, sym, entry
        self.seen_ns = 0

    async def __aenter__(self) -> Self:
        known = {id(h) for h in self.sim.exchange.streams}
        self.ad, bus = await _adapter(self.sim, [self.sym], self.entry)
        self.handle = _md_handle(self.sim, known)
        self.router = RunRouter(bus, self.ad.ctx.clock, OrderTracker())
        self.router.add_route("polymarket", self.ad, self.ad.ctx.gate, gated_here=False)
        self.ctx = StrategyContext("bench", "polymarket", [self.sym], self.ad.ctx.clock, self.router, self.ad.books.get, None)
        bus.subscribe(self.strategy, BookDelta, name="bench")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.router.drain()
        await self.ad.stop()

    def strategy(self, ev: BookDelta) -> None:
        self.seen_ns = time.perf_counter_ns()
        # An IOC far from the touch: it neither trades nor rests, so the
        # strategy's own order never moves the book it is reacting to.
        self.ctx.submit_limit(self.sym, Side.BUY, 1, 100, tif=TimeInForce.IOC)

    async def rounds(self, updates: list[Any]) -> tuple[list[float], list[float]]:
        """(tick -> order received, tick -> strategy callback) per update, in us."""
        total, tick = [], []
        with _Arrivals(self.sim) as arrivals:
            for m in updates:
                t0 = time.perf_counter_ns()
                self.handle.push(m)
                t1 = await asyncio.wait_for(arrivals.queue.get(), 10)
                total.append((t1 - t0) / 1000)
                tick.append((self.seen_ns - t0) / 1000)
                await asyncio.sleep(0.002)  # let the order's own executions drain
        return total, tick


class _BareOrders(_BareSink):
    """The floor of the same path: a bare stream read, then a bare unary insert
    of a prebuilt request (no codec, no book, no bus, no gate)."""

    async def __aenter__(self) -> Self:
        from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc

        await super().__aenter__()
        self.stub = tr_grpc.OrderEntryAPIStub(self.channel)
        self.meta = (("authorization", f"Bearer {self.token}"), ("x-participant-id", self.sim.participant_id))
        self.n = 0
        return self

    async def rounds(self, updates: list[Any]) -> list[float]:
        from plugins.polymarket.gen import trading_pb2 as tr

        out = []
        with _Arrivals(self.sim) as arrivals:
            for m in updates:
                self.n += 1
                req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=self.sym, price=1,
                                            time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"bare{self.n}",
                                            account=self.sim.account)
                t0 = time.perf_counter_ns()
                self.handle.push(m)
                await self.call.read()
                await self.stub.InsertOrder(req, metadata=self.meta)
                out.append((arrivals.queue.get_nowait() - t0) / 1000)
                await asyncio.sleep(0.002)
        return out


class _BareUnary:
    """A bare grpc.aio unary round trip (Health.Check) to the same simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __aenter__(self) -> Self:
        import grpc

        self.channel = grpc.aio.insecure_channel(self.sim.grpc_target)
        self.stub = health_pb2_grpc.HealthAPIStub(self.channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.channel.close()

    async def rounds(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            await self.stub.Check(health_pb2.HealthCheckRequest())
            out.append((time.perf_counter_ns() - t0) / 1000)
            await asyncio.sleep(0.002)  # the same pacing as the tick-to-order rounds
        return out


class _BareHttp:
    """A bare httpx POST round trip to the simulator's REST order entry."""

    def __init__(self, sim: Simulator, token: str, sym: str) -> None:
        self.sim, self.sym = sim, sym
        self.hdr = {"authorization": f"Bearer {token}", "x-participant-id": sim.participant_id}
        self.n = 0

    async def __aenter__(self) -> Self:
        import httpx

        self.http = httpx.AsyncClient()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def rounds(self, n: int) -> list[float]:
        body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": self.sym, "price": "1",
                "timeInForce": "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL"}
        out = []
        for _ in range(n):
            self.n += 1
            t0 = time.perf_counter_ns()
            r = await self.http.post(f"{self.sim.rest_base}/v1/trading/orders", json={**body, "clordId": f"h{self.n}"},
                                     headers=self.hdr)
            out.append((time.perf_counter_ns() - t0) / 1000)
            r.raise_for_status()
            await asyncio.sleep(0.002)
        return out


async def _token(sim: Simulator) -> str:
    ad, _ = await _adapter(sim, [])
    try:
        assert ad.tokens is not None
        return await ad.tokens.token()
    finally:
        await ad.stop()


def _adapter_work_us(sym: str, msgs: list[Any]) -> float:
    """Best-of per-message cost of what the adapter adds to a read: codec
    (from the raw bytes, as the stream hands them in), L2 book, events and one
    bus delivery (no transport), in us."""
    from bench._timing import best_of
    from plugins.polymarket.codec import MarketDataCodec
    from plugins.polymarket.scales import Scales

    bus = Bus(LiveClock())
    bus.subscribe(lambda ev: None, BookDelta, name="bench")
    clock = LiveClock()
    raw = [m.SerializeToString() for m in msgs]

    def once() -> None:
        codec = MarketDataCodec("pm", {sym: Scales(sym, 1000)}, 3)
        on_bytes, publish = codec.on_bytes, bus.publish
        for data in raw:
            for ev in on_bytes(data, clock.now_ns()):
                publish(ev)

    return best_of(once, 3) / len(msgs) * 1e6


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]


def _paired_median(xs: list[float], ys: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(xs, ys, strict=True))


async def _rates(sim: Simulator, sym: str, token: str, msgs: list[Any], pairs: int) -> tuple[list[float], list[float]]:
    """Adapter and bare stream rates, in pairs of neighbouring runs (which goes
    first alternates), after one discarded warm-up run of each."""
    adapter_rates: list[float] = []
    bare_rates: list[float] = []
    async with _AdapterSink(sim, sym) as adapter_sink, _BareSink(sim, sym, token) as bare_sink:
        await bare_sink.rate(msgs)
        await adapter_sink.rate(msgs)
        for i in range(pairs):
            order: list[tuple[Any, list[float]]] = [(bare_sink, bare_rates), (adapter_sink, adapter_rates)]
            for sink, out in order if i % 2 else order[::-1]:
                out.append(await sink.rate(msgs))
    return adapter_rates, bare_rates


async def _latencies(sim: Simulator, token: str, rounds: int, blocks: int) -> dict[str, list[list[float]]]:
    """Round trips per block for every path; the blocks interleave the paths (in
    a rotating order), each after a discarded warm-up block."""
    sym = sim.symbols[0]
    per_block = rounds // blocks
    out: dict[str, list[list[float]]] = {k: [] for k in ("grpc", "tick", "rest", "bare_path", "unary", "http")}
    async with (
        _AdapterOrders(sim, sym, "grpc") as grpc_orders,
        _AdapterOrders(sim, sym, "rest") as rest_orders,
        _BareOrders(sim, sym, token) as bare_orders,
        _BareUnary(sim) as unary,
        _BareHttp(sim, token, sim.symbols[1]) as http,
    ):
        async def grpc_block(ups: list[Any], keep: bool) -> None:
            total, tick = await grpc_orders.rounds(ups)
            if keep:
                out["grpc"].append(total)
                out["tick"].append(tick)

        async def rest_block(ups: list[Any], keep: bool) -> None:
            total, _ = await rest_orders.rounds(ups)
            if keep:
                out["rest"].append(total)

        async def bare_path_block(ups: list[Any], keep: bool) -> None:
            xs = await bare_orders.rounds(ups)
            if keep:
                out["bare_path"].append(xs)

        async def unary_block(ups: list[Any], keep: bool) -> None:
            xs = await unary.rounds(len(ups))
            if keep:
                out["unary"].append(xs)

        async def http_block(ups: list[Any], keep: bool) -> None:
            xs = await http.rounds(len(ups))
            if keep:
                out["http"].append(xs)

        paths = [grpc_block, unary_block, bare_path_block, rest_block, http_block]
        updates = _updates(sym, per_block * (blocks + 1))
        for block in range(blocks + 1):
            ups = updates[block * per_block : (block + 1) * per_block]
            k = block % len(paths)
            for path in paths[k:] + paths[:k]:
                await path(ups, block > 0)
    return out


def _p50(blocks: list[list[float]]) -> float:
    return statistics.median(x for b in blocks for x in b)


def _p99(blocks: list[list[float]]) -> float:
    return _pct([x for b in blocks for x in b], 99)


def _block_ratio(num: list[list[float]], den: list[list[float]]) -> float:
    """The median over blocks of the ratio of the blocks' medians."""
    return _paired_median([statistics.median(b) for b in num], [statistics.median(b) for b in den])


async def _run(quick: bool) -> dict[str, float]:
    n_md = 1_000 if quick else 3_000
    rounds = 100 if quick else 400
    blocks = 2 if quick else 4
    limits = LimitSettings(ingress_rate_per_s=1_000_000, ingress_window_s=1.0, enforce_buckets=False)
    settings = SimSettings(instruments=3, flow_rate_per_s=0.0, heartbeat_s=30.0, limits=limits, token_ttl_s=600.0)
    async with simulate(settings, LiveClock()) as sim:
        sym = sim.symbols[0]
        token = await _token(sim)
        msgs = _updates(sym, n_md)
        # The machine is shared and noisy: ratios are medians of the ratios of
        # neighbouring runs; the spread (min/max) is reported beside them.
        adapter_rates, bare_rates = await _rates(sim, sym, token, msgs, 2 if quick else 8)
        work_us = _adapter_work_us(sym, msgs)
        lat = await _latencies(sim, token, rounds, blocks)
    md_ratios = [a / b for a, b in zip(adapter_rates, bare_rates, strict=True)]
    t2o_ratios = [statistics.median(a) / statistics.median(b) for a, b in zip(lat["grpc"], lat["unary"], strict=True)]
    bare_rate = statistics.median(bare_rates)
    return {
        "compiled_modules": compiled_modules(),
        "md_updates_per_s": statistics.median(adapter_rates),
        "bare_stream_msgs_per_s": bare_rate,
        "md_vs_bare_ratio": statistics.median(md_ratios),
        "md_vs_bare_ratio_min": min(md_ratios),
        "md_vs_bare_ratio_max": max(md_ratios),
        "adapter_work_per_update_us": work_us,
        "bare_transport_per_update_us": 1e6 / bare_rate,
        "tick_to_order_p50_us": _p50(lat["grpc"]),
        "tick_to_order_p99_us": _p99(lat["grpc"]),
        "tick_to_strategy_p50_us": _p50(lat["tick"]),
        "bare_tick_to_order_p50_us": _p50(lat["bare_path"]),
        "tick_to_order_vs_bare_path_ratio": _block_ratio(lat["grpc"], lat["bare_path"]),
        "tick_to_order_rest_p50_us": _p50(lat["rest"]),
        "tick_to_order_rest_p99_us": _p99(lat["rest"]),
        "bare_unary_rtt_p50_us": _p50(lat["unary"]),
        "bare_unary_rtt_p99_us": _p99(lat["unary"]),
        "bare_http_rtt_p50_us": _p50(lat["http"]),
        "tick_to_order_vs_unary_ratio": statistics.median(t2o_ratios),
        "tick_to_order_vs_unary_ratio_min": min(t2o_ratios),
        "tick_to_order_vs_unary_ratio_max": max(t2o_ratios),
        "tick_to_order_rest_vs_http_ratio": _block_ratio(lat["rest"], lat["http"]),
    }


def run(quick: bool = False) -> dict[str, float]:
    """Run the benchmark (bounded: well under a minute)."""
    return asyncio.run(_run(quick))
