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
from typing import Any

from bench._polymarket_orders import (
    AdapterOrders,
    Arrivals,
    BareHttp,
    BareOrders,
    BareUnary,
    FloorOrders,
)
from bench._polymarket_stream import (
    AdapterSink,
    BareSink,
    adapter_work_us,
    bearer_token,
    book_updates,
)
from framework.runtime.clock import LiveClock
from framework.tools.native import compiled_modules
from plugins.polymarket.sim import LimitSettings, SimSettings, Simulator, simulate


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]


async def _rates(sim: Simulator, sym: str, token: str, msgs: list[Any], pairs: int) -> tuple[list[float], list[float]]:
    """Adapter and bare stream rates, in pairs of neighbouring runs (which goes
    first alternates), after one discarded warm-up run of each."""
    adapter_rates: list[float] = []
    bare_rates: list[float] = []
    async with AdapterSink(sim, sym) as adapter_sink, BareSink(sim, sym, token) as bare_sink:
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
        AdapterOrders(sim, sym, "grpc") as grpc_orders,
        AdapterOrders(sim, sym, "rest") as rest_orders,
        FloorOrders(sim, sym, "grpc") as floor_orders,
        BareOrders(sim, sym, token) as bare_orders,
        BareUnary(sim) as unary,
        BareHttp(sim, token, sim.symbols[1]) as http,
    ):
        # Each stream gets its own sequence of distinct pictures (a repeat is no book change).
        feeds = {name: iter(book_updates(sym, cycles)) for name in ("grpc", "rest", "floor", "bare_path")}
        with Arrivals(sim) as arrivals:

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
        token = await bearer_token(sim)
        msgs = book_updates(sym, n_md)
        # The machine is shared and noisy: ratios are medians of the ratios of
        # neighbouring runs; the spread (min/max) is reported beside them.
        adapter_rates, bare_rates = await _rates(sim, sym, token, msgs, 2 if quick else 8)
        work_us = adapter_work_us(sym, msgs)
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
