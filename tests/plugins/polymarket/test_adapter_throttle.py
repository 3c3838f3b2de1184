"""The venue's push-back reaches the risk layer through the framework's sender,
not through the adapter: HTTP 429 (REST) and RESOURCE_EXHAUSTED (gRPC) from
the simulator's own InsertOrder bucket become one throttle signal each."""

from __future__ import annotations

import asyncio

import pytest
from pm_support import adapter_for  # type: ignore[import-not-found]

from framework.model.errors import VenueUnavailable
from framework.model.events import OrderRejected, Side
from framework.model.orders import SubmitOrder
from framework.plugin.venue import CountingGate
from plugins.polymarket.sim.limits import LimitSettings

pytestmark = pytest.mark.timeout(60)

BURST = 45  # the tier-1 InsertOrder bucket holds 30: about 15 are refused


@pytest.mark.parametrize("entry", ["rest", "grpc"])
async def test_venue_throttling_makes_the_sender_signal_the_gate(sim, entry: str) -> None:
    gate = CountingGate()  # admits everything: only the venue says no
    ad, rec = adapter_for(sim, sim.symbols[:1], gate, order_entry=entry)
    await ad.start()
    try:
        sym = sim.symbols[0]
        price = ad.book(sym).best_bid()[0] - 5
        orders = [SubmitOrder("s", "polymarket", sym, f"t{i}", Side.BUY, price, 100) for i in range(BURST)]
        await asyncio.gather(*(ad.submit(o) for o in orders))
        refused = sim.violations.get("bucket:InsertOrder", 0)
        assert refused >= 1, sim.violations  # the burst really outran the venue's bucket
        assert gate.throttle_signals == refused  # one signal per push-back, given by the sender
        rejected = [e for e in rec.of(OrderRejected) if "[429]" in e.reason or "RESOURCE_EXHAUSTED" in e.reason]
        assert len(rejected) == refused  # and the adapter still reports each refused order
    finally:
        await ad.stop()


async def test_a_stream_refused_for_the_stream_cap_signals_the_gate_through_the_sender(make_sim) -> None:
    async with make_sim(limits=LimitSettings(max_streams=2)) as sim:
        gate = CountingGate()  # grants every slot: the venue's cap of 2 refuses the third stream
        ad, _ = adapter_for(sim, sim.symbols[:1], gate, start_timeout_s=1.0)
        with pytest.raises(VenueUnavailable, match="md0 not live"):
            await ad.start()
        assert sim.violations.get("streams", 0) >= 1
        # One signal per refusal the adapter saw (stop() may cut off the last one in flight).
        assert 1 <= gate.throttle_signals <= sim.violations["streams"]
        assert not gate.open_streams  # stop() after the failed start released every slot
