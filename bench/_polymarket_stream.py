"""Market-data paths of :mod:`bench.polymarket`: the adapter and a bare
grpc.aio client reading the simulator's stream, and the adapter's own work
per update measured alone."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Self

from framework.execution import GatedSender
from framework.model.events import BookDelta
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import marketdatasubscription_pb2_grpc as md_grpc
from plugins.polymarket.settings import settings_from
from plugins.polymarket.sim import Simulator

__all__ = [
    "AdapterSink",
    "BareSink",
    "adapter_work_us",
    "bearer_token",
    "book_updates",
    "md_handle",
    "started_adapter",
]


def book_updates(symbol: str, n: int) -> list[Any]:
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


def md_handle(sim: Simulator, known: set[int]) -> Any:
    """The simulator's handle of the market-data stream opened last (not in ``known``)."""
    fresh = [h for h in sim.exchange.streams if h.kind == "md" and id(h) not in known]
    return fresh[-1]


async def started_adapter(sim: Simulator, symbols: list[str], entry: str = "grpc") -> tuple[PolymarketAdapter, Bus]:
    """A started adapter on ``symbols`` of ``sim`` (depth 3) and its bus."""
    clock = LiveClock()
    bus = Bus(clock)
    settings = settings_from(sim.adapter_settings(depth=3, order_entry=entry))
    ad = PolymarketAdapter(VenueContext("polymarket", bus, clock, GatedSender(CountingGate()), symbols), settings)
    await ad.start()
    return ad, bus


class AdapterSink:
    """The adapter subscribed to one symbol, a strategy callback counting deltas."""

    def __init__(self, sim: Simulator, sym: str) -> None:
        self.sim, self.sym = sim, sym
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()

    async def __aenter__(self) -> Self:
        known = {id(h) for h in self.sim.exchange.streams}
        self.ad, bus = await started_adapter(self.sim, [self.sym])
        self.handle = md_handle(self.sim, known)
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


class BareSink:
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
        self.handle = md_handle(self.sim, known)
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


async def bearer_token(sim: Simulator) -> str:
    ad, _ = await started_adapter(sim, [])
    try:
        assert ad.tokens is not None
        return await ad.tokens.token()
    finally:
        await ad.stop()


def adapter_work_us(sym: str, msgs: list[Any]) -> float:
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
