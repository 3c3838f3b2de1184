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
  order entry; ``tick_to_order_vs_unary_ratio`` (goal <= 1.1; the ratio of
  the medians over the run, with ``_min``/``_max`` over four consecutive
  slices of it) and
  ``tick_to_order_rest_vs_http_ratio``. ``tick_to_strategy_p50_us`` is the
  first hop alone (publish -> strategy callback); ``bare_tick_to_order_p50_us``
  the floor of the whole path (a bare stream read then a bare unary insert of
  a prebuilt request), with ``tick_to_order_vs_bare_path_ratio``.

Everything runs in one process and one event loop (server and client share
the CPU, as they do for both the adapter and the bare baselines). Every path
has a discarded warm-up; the latency paths interleave round by round, in a
fresh random order each cycle, paced alike (2 ms after each round), so load
from other processes, and what one round leaves for the next, fall on all
of them alike (see :func:`_latencies`).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any, Self

from framework.execution import GatedSender
from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.model.events import BookDelta, Side
from framework.model.orders import TimeInForce
from framework.plugin.strategy import StrategyContext
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from framework.tools.native import compiled_modules
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
    ad = PolymarketAdapter(VenueContext("polymarket", bus, clock, GatedSender(CountingGate()), symbols), settings)
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
    """Stamps the moment the simulator's order entry receives an insert, into
    the future of the round that expects one (arrivals nobody expects, such
    as the bare HTTP round trips' inserts, are ignored). A plain future, not
    ``wait_for`` on a queue: that would start a task in the middle of the
    rounds that wait, a cost the bare path's rounds would not carry."""

    def __init__(self, sim: Simulator) -> None:
        self.x = sim.exchange
        self.real = self.x.insert
        self.waiter: asyncio.Future[int] | None = None

    def __enter__(self) -> Self:
        def timed_insert(client: Any, req: Any) -> str:
            now = time.perf_counter_ns()
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(now)
            return self.real(client, req)

        self.x.insert = timed_insert  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.x.insert = self.real  # type: ignore[method-assign]

    def expect(self) -> asyncio.Future[int]:
        """The future of the next insert's arrival time (``perf_counter_ns``)."""
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter


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
        self.router.add_route("polymarket", self.ad, self.ad.ctx.sender)
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

    async def round(self, update: Any, arrivals: _Arrivals) -> tuple[float, float]:
        """(tick -> order received, tick -> strategy callback) of one update, in us."""
        arrived = arrivals.expect()
        t0 = time.perf_counter_ns()
        self.handle.push(update)
        t1 = await arrived
        return (t1 - t0) / 1000, (self.seen_ns - t0) / 1000


class _FloorOrders(_AdapterOrders):
    """The same adapter and bus, but the callback creates the unary call on the
    adapter's stub itself: no strategy context, router, tracker, gate or
    adapter order layer (the floor under those layers). It reuses
    :class:`_AdapterOrders`' set-up and rounds, so it holds a context and a
    router, which it never calls."""

    async def __aenter__(self) -> Self:
        from plugins.polymarket.grpc_orders import GrpcOrderEntry

        await super().__aenter__()
        entry, tokens = self.ad.entry, self.ad.tokens
        assert isinstance(entry, GrpcOrderEntry) and tokens is not None
        self.stub, self.timeout_s = entry.stub, entry.timeout_s
        self.meta = (("authorization", f"Bearer {await tokens.token()}"), ("x-participant-id", self.sim.participant_id))
        self.calls: set[Any] = set()
        self.n = 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self.calls, return_exceptions=True)
        await super().__aexit__(*exc)

    def strategy(self, ev: BookDelta) -> None:
        from plugins.polymarket.gen import trading_pb2 as tr

        self.seen_ns = time.perf_counter_ns()
        self.n += 1
        req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=self.sym, price=1,
                                    time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"floor{self.n}",
                                    account=self.sim.account)
        call = self.stub.InsertOrder(req, metadata=self.meta, timeout=self.timeout_s)
        self.calls.add(call)  # keep it until done: nothing else holds the call
        call.add_done_callback(self.calls.discard)


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

    async def round(self, update: Any, arrivals: _Arrivals) -> float:
        """Tick -> order received of one update, in us."""
        from plugins.polymarket.gen import trading_pb2 as tr

        self.n += 1
        req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=self.sym, price=1,
                                    time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"bare{self.n}",
                                    account=self.sim.account)
        arrived = arrivals.expect()
        t0 = time.perf_counter_ns()
        self.handle.push(update)
        await self.call.read()
        await self.stub.InsertOrder(req, metadata=self.meta)
        return (arrived.result() - t0) / 1000


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

    async def round(self) -> float:
        t0 = time.perf_counter_ns()
        await self.stub.Check(health_pb2.HealthCheckRequest())
        return (time.perf_counter_ns() - t0) / 1000


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

    async def round(self) -> float:
        body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": self.sym, "price": "1",
                "timeInForce": "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL", "clordId": f"h{self.n}"}
        self.n += 1
        t0 = time.perf_counter_ns()
        r = await self.http.post(f"{self.sim.rest_base}/v1/trading/orders", json=body, headers=self.hdr)
        rtt = (time.perf_counter_ns() - t0) / 1000
        r.raise_for_status()
        return rtt


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


async def _latencies(sim: Simulator, token: str, cycles: int, warmup: int) -> dict[str, list[float]]:
    """One round of every path per cycle, in a fresh random order each cycle,
    paced alike (2 ms after each round); the first ``warmup`` cycles are
    discarded. Rounds interleave rather than run in blocks because what one
    round leaves behind (grpc's completion work, GC) lands on the next: in a
    fixed order, the path that always followed the bare unary call measured
    30-90 us slower than the same code in another slot."""
    sym = sim.symbols[0]
    rng = random.Random(7)
    out: dict[str, list[float]] = {k: [] for k in ("grpc", "tick", "rest", "floor", "bare_path", "unary", "http")}
    async with (
        _AdapterOrders(sim, sym, "grpc") as grpc_orders,
        _AdapterOrders(sim, sym, "rest") as rest_orders,
        _FloorOrders(sim, sym, "grpc") as floor_orders,
        _BareOrders(sim, sym, token) as bare_orders,
        _BareUnary(sim) as unary,
        _BareHttp(sim, token, sim.symbols[1]) as http,
    ):
        # Each stream gets its own sequence of distinct pictures (a repeat is no book change).
        feeds = {name: iter(_updates(sym, cycles)) for name in ("grpc", "rest", "floor", "bare_path")}
        with _Arrivals(sim) as arrivals:

            async def grpc_round() -> dict[str, float]:
                total, tick = await grpc_orders.round(next(feeds["grpc"]), arrivals)
                return {"grpc": total, "tick": tick}

            async def rest_round() -> dict[str, float]:
                total, _ = await rest_orders.round(next(feeds["rest"]), arrivals)
                return {"rest": total}

            async def floor_round() -> dict[str, float]:
                total, _ = await floor_orders.round(next(feeds["floor"]), arrivals)
                return {"floor": total}

            async def bare_path_round() -> dict[str, float]:
                return {"bare_path": await bare_orders.round(next(feeds["bare_path"]), arrivals)}

            async def unary_round() -> dict[str, float]:
                return {"unary": await unary.round()}

            async def http_round() -> dict[str, float]:
                return {"http": await http.round()}

            paths = [grpc_round, rest_round, floor_round, bare_path_round, unary_round, http_round]
            for cycle in range(cycles):
                rng.shuffle(paths)
                async with asyncio.timeout(30):  # the bound of a cycle, outside the timed rounds
                    for path in paths:
                        figures = await path()
                        await asyncio.sleep(0.002)  # the order's own executions drain; the machine settles
                        if cycle >= warmup:
                            for key, value in figures.items():
                                out[key].append(value)
    return out


def _ratio(num: list[float], den: list[float], parts: int = 4) -> tuple[float, float, float]:
    """The ratio of the medians over the whole run, and its lowest and highest
    over ``parts`` consecutive slices of the run (the spread)."""
    n = min(len(num), len(den))
    step = max(n // parts, 1)
    sliced = [statistics.median(num[i : i + step]) / statistics.median(den[i : i + step]) for i in range(0, n - step + 1, step)]
    return statistics.median(num) / statistics.median(den), min(sliced), max(sliced)


async def _run(quick: bool) -> dict[str, float]:
    n_md = 1_000 if quick else 3_000
    cycles, warmup = (70, 10) if quick else (620, 20)
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
        lat = await _latencies(sim, token, cycles, warmup)
    md_ratios = [a / b for a, b in zip(adapter_rates, bare_rates, strict=True)]
    t2o, t2o_min, t2o_max = _ratio(lat["grpc"], lat["unary"])
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
        "tick_to_order_p50_us": statistics.median(lat["grpc"]),
        "tick_to_order_p99_us": _pct(lat["grpc"], 99),
        "tick_to_strategy_p50_us": statistics.median(lat["tick"]),
        "bare_tick_to_order_p50_us": statistics.median(lat["bare_path"]),
        "tick_to_order_vs_bare_path_ratio": _ratio(lat["grpc"], lat["bare_path"])[0],
        "floor_tick_to_order_p50_us": statistics.median(lat["floor"]),
        "tick_to_order_floor_vs_unary_ratio": _ratio(lat["floor"], lat["unary"])[0],
        "tick_to_order_rest_p50_us": statistics.median(lat["rest"]),
        "tick_to_order_rest_p99_us": _pct(lat["rest"], 99),
        "bare_unary_rtt_p50_us": statistics.median(lat["unary"]),
        "bare_unary_rtt_p99_us": _pct(lat["unary"], 99),
        "bare_http_rtt_p50_us": statistics.median(lat["http"]),
        "tick_to_order_vs_unary_ratio": t2o,
        "tick_to_order_vs_unary_ratio_min": t2o_min,
        "tick_to_order_vs_unary_ratio_max": t2o_max,
        "tick_to_order_rest_vs_http_ratio": _ratio(lat["rest"], lat["http"])[0],
    }


def run(quick: bool = False) -> dict[str, float]:
    """Run the benchmark (bounded: well under a minute)."""
    return asyncio.run(_run(quick))
