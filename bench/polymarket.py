"""Polymarket adapter over loopback against the simulator, beside bare grpc.aio.

Figures (same run, same simulator, same messages):

- ``md_updates_per_s``: market-data updates from the simulator's stream through
  the adapter (protobuf -> codec -> L2 book -> bus) to a strategy callback;
  ``bare_stream_msgs_per_s``: a bare grpc.aio client reading the same stream
  and only counting; ``md_vs_bare_ratio`` (goal >= 0.9).
- ``adapter_work_per_update_us``: the adapter's own work per update (codec,
  book, bus) measured alone, beside ``bare_transport_per_update_us``: what
  the loopback stream costs per message. Their ratio is what the throughput
  ratio would be without scheduling noise.
- ``tick_to_order_p50_us`` / ``_p99_us``: the simulator publishes a book
  change -> the strategy's callback submits an order -> the simulator's order
  entry receives it, with ``order_entry: grpc`` (unary InsertOrder);
  ``tick_to_order_rest_*``: the same with REST order entry (httpx -> aiohttp);
  ``bare_unary_rtt_p50_us``: a bare grpc.aio unary round trip to the same
  simulator; ``bare_http_rtt_p50_us``: a bare httpx POST round trip to its REST
  order entry; ``tick_to_order_vs_unary_ratio`` (goal <= 1.1) and
  ``tick_to_order_rest_vs_http_ratio``. ``tick_to_strategy_p50_us`` is the
  first hop alone (publish -> strategy callback); ``bare_tick_to_order_p50_us``
  the floor of the whole path (a bare stream read then a bare unary insert of
  a prebuilt request), with ``tick_to_order_vs_bare_path_ratio``.

Everything runs in one process and one event loop (server and client share
the CPU, as they do for both the adapter and the bare baselines).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Self

from framework.bus import Bus
from framework.clock import LiveClock
from framework.events import BookDelta, Side
from framework.orders import SubmitOrder, TimeInForce
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


async def _tick_to_order(sim: Simulator, sym: str, rounds: int, entry: str) -> tuple[list[float], list[float]]:
    """(tick -> order received, tick -> strategy callback) per round, in us."""
    known = {id(h) for h in sim.exchange.streams}
    ad, bus = await _adapter(sim, [sym], entry)
    loop = asyncio.get_running_loop()
    n = 0
    seen_ns = 0

    def strategy(ev: BookDelta) -> None:  # reacts to every book change with an order
        nonlocal n, seen_ns
        seen_ns = time.perf_counter_ns()
        n += 1
        # An IOC far from the touch: it neither trades nor rests, so the
        # strategy's own order never moves the book it is reacting to.
        order = SubmitOrder("bench", "polymarket", sym, f"b{n}", Side.BUY, 1, 100, tif=TimeInForce.IOC)
        loop.create_task(ad.submit(order))

    try:
        handle = _md_handle(sim, known)
        bus.subscribe(strategy, BookDelta, name="bench")
        total, tick = [], []
        with _Arrivals(sim) as arrivals:
            for m in _updates(sym, rounds):
                t0 = time.perf_counter_ns()
                handle.push(m)
                t1 = await asyncio.wait_for(arrivals.queue.get(), 10)
                total.append((t1 - t0) / 1000)
                tick.append((seen_ns - t0) / 1000)
                await asyncio.sleep(0.002)  # let the order's own executions drain
        return total, tick
    finally:
        await ad.stop()


async def _bare_tick_to_order(sim: Simulator, sym: str, token: str, rounds: int) -> list[float]:
    """The floor of the same path: a bare stream read, then a bare unary insert
    of a prebuilt request (no codec, no book, no bus, no gate)."""
    from plugins.polymarket.gen import trading_pb2 as tr
    from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc

    meta = (("authorization", f"Bearer {token}"), ("x-participant-id", sim.participant_id))
    async with _BareSink(sim, sym, token) as sink:
        stub = tr_grpc.OrderEntryAPIStub(sink.channel)
        out = []
        with _Arrivals(sim) as arrivals:
            for i, m in enumerate(_updates(sym, rounds)):
                req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=sym, price=1,
                                            time_in_force=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, clord_id=f"bare{i}",
                                            account=sim.account)
                t0 = time.perf_counter_ns()
                sink.handle.push(m)
                await sink.call.read()
                await stub.InsertOrder(req, metadata=meta)
                out.append((arrivals.queue.get_nowait() - t0) / 1000)
                await asyncio.sleep(0.002)
        return out


async def _bare_unary(sim: Simulator, rounds: int) -> list[float]:
    import grpc

    async with grpc.aio.insecure_channel(sim.grpc_target) as ch:
        stub = health_pb2_grpc.HealthAPIStub(ch)
        await stub.Check(health_pb2.HealthCheckRequest())
        out = []
        for _ in range(rounds):
            t0 = time.perf_counter_ns()
            await stub.Check(health_pb2.HealthCheckRequest())
            out.append((time.perf_counter_ns() - t0) / 1000)
        return out


async def _bare_http(sim: Simulator, token: str, rounds: int, sym: str) -> list[float]:
    import httpx

    hdr = {"authorization": f"Bearer {token}", "x-participant-id": sim.participant_id}
    body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": sym, "price": "1",
            "timeInForce": "TIME_IN_FORCE_GOOD_TILL_CANCEL"}
    async with httpx.AsyncClient() as http:
        out = []
        for i in range(rounds + 1):
            t0 = time.perf_counter_ns()
            r = await http.post(f"{sim.rest_base}/v1/trading/orders", json={**body, "clordId": f"h{i}"}, headers=hdr)
            if i:
                out.append((time.perf_counter_ns() - t0) / 1000)
            r.raise_for_status()
        return out


async def _token(sim: Simulator) -> str:
    ad, _ = await _adapter(sim, [])
    try:
        assert ad.tokens is not None
        return await ad.tokens.token()
    finally:
        await ad.stop()


def _adapter_work_us(sym: str, msgs: list[Any]) -> float:
    """Best-of per-message cost of what the adapter adds to a read: codec,
    L2 book, events and one bus delivery (no transport), in us."""
    from bench._timing import best_of
    from plugins.polymarket.codec import MarketDataCodec
    from plugins.polymarket.scales import Scales

    bus = Bus(LiveClock())
    bus.subscribe(lambda ev: None, BookDelta, name="bench")
    clock = LiveClock()

    def once() -> None:
        codec = MarketDataCodec("pm", {sym: Scales(sym, 1000)}, 3)
        on_update, publish = codec.on_update, bus.publish
        for msg in msgs:
            if msg.HasField("update"):
                for ev in on_update(msg.update, clock.now_ns()):
                    publish(ev)

    return best_of(once, 3) / len(msgs) * 1e6


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]


async def _run(quick: bool) -> dict[str, float]:
    n_md = 1_000 if quick else 3_000
    rounds = 100 if quick else 400
    limits = LimitSettings(ingress_rate_per_s=1_000_000, ingress_window_s=1.0, enforce_buckets=False)
    settings = SimSettings(instruments=3, flow_rate_per_s=0.0, heartbeat_s=30.0, limits=limits, token_ttl_s=600.0)
    async with simulate(settings, LiveClock()) as sim:
        sym = sim.symbols[0]
        token = await _token(sim)
        msgs = _updates(sym, n_md)
        adapter_rates, bare_rates = [], []
        # Short runs, alternating, both consumers connected throughout: the
        # machine is shared and noisy, so the ratio is the median of the
        # ratios of neighbouring runs.
        async with _AdapterSink(sim, sym) as adapter_sink, _BareSink(sim, sym, token) as bare_sink:
            for _ in range(2 if quick else 8):
                bare_rates.append(await bare_sink.rate(msgs))
                adapter_rates.append(await adapter_sink.rate(msgs))
        work_us = _adapter_work_us(sym, msgs)
        t2o, tick = await _tick_to_order(sim, sym, rounds, "grpc")
        t2o_rest, _ = await _tick_to_order(sim, sym, rounds, "rest")
        bare_t2o = await _bare_tick_to_order(sim, sym, token, rounds)
        unary = await _bare_unary(sim, rounds)
        http = await _bare_http(sim, token, rounds, sim.symbols[1])
    md_rate, bare_rate = statistics.median(adapter_rates), statistics.median(bare_rates)
    pair_ratio = statistics.median(a / b for a, b in zip(adapter_rates, bare_rates, strict=True))
    unary_p50, t2o_p50 = statistics.median(unary), statistics.median(t2o)
    return {
        "md_updates_per_s": md_rate,
        "bare_stream_msgs_per_s": bare_rate,
        "md_vs_bare_ratio": pair_ratio,
        "adapter_work_per_update_us": work_us,
        "bare_transport_per_update_us": 1e6 / bare_rate,
        "tick_to_order_p50_us": t2o_p50,
        "tick_to_order_p99_us": _pct(t2o, 99),
        "tick_to_strategy_p50_us": statistics.median(tick),
        "bare_tick_to_order_p50_us": statistics.median(bare_t2o),
        "tick_to_order_vs_bare_path_ratio": t2o_p50 / statistics.median(bare_t2o),
        "tick_to_order_rest_p50_us": statistics.median(t2o_rest),
        "tick_to_order_rest_p99_us": _pct(t2o_rest, 99),
        "bare_unary_rtt_p50_us": unary_p50,
        "bare_unary_rtt_p99_us": _pct(unary, 99),
        "bare_http_rtt_p50_us": statistics.median(http),
        "tick_to_order_vs_unary_ratio": t2o_p50 / unary_p50,
        "tick_to_order_rest_vs_http_ratio": statistics.median(t2o_rest) / statistics.median(http),
    }


def run(quick: bool = False) -> dict[str, float]:
    """Run the benchmark (bounded: well under a minute)."""
    return asyncio.run(_run(quick))
