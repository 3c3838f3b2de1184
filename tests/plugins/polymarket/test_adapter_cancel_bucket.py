"""Cancels driven at the gate's pace never break the simulator's CancelOrder
bucket, even when the ingress window holds them back first (issue 16).

The run's window is scaled down to 2 s (100 msg/s, the default margin and
cancel reserve) and filled at once, so cancels queue in the limiter while the
method bucket is asked for them; when the window frees, they must still reach
the simulator no faster than its bucket (tier 1: 90/s, 90 banked) refills.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

import msgspec
import pytest
from pm_support import adapter_for  # type: ignore[import-not-found]

from framework.model.errors import VenueThrottled
from framework.model.orders import CancelOrder
from framework.plugin.venue import MessageKind
from framework.risk.config import RiskConfig
from framework.risk.gate import open_gates
from framework.runtime.clock import LiveClock
from plugins.polymarket import declared_limits
from plugins.polymarket.settings import PolymarketSettings
from plugins.polymarket.sim.limits import LimitSettings

pytestmark = pytest.mark.timeout(60)

WINDOW_S = 3
SECONDS = 5.0  # the window turns once, and the pile it held back drains


async def test_cancels_behind_a_full_window_keep_to_the_venue_bucket(make_sim):
    # The simulator's ingress is generous: only its per-method buckets are under test.
    async with make_sim(limits=LimitSettings(ingress_rate_per_s=1000, ingress_window_s=WINDOW_S), instruments=2) as sim:
        config = msgspec.convert({"venues": {"polymarket": {"rate_per_s": 100, "window_s": WINDOW_S}}}, RiskConfig)
        limits = {"polymarket": declared_limits(PolymarketSettings())}
        async with open_gates(config, limits, LiveClock()) as gates:
            gate = gates["polymarket"]
            ad, _ = adapter_for(sim, sim.symbols[:1], gate=gate)
            await ad.start()
            try:
                # Fill the window (queries take no method bucket): cancels must now wait for it.
                while gate.remaining() > 0:
                    await gate.admit(MessageKind.QUERY)
                ids = itertools.count()
                stop_at = time.monotonic() + SECONDS

                async def canceller() -> None:
                    while time.monotonic() < stop_at:
                        cid = f"c-{next(ids)}"
                        with contextlib.suppress(VenueThrottled):  # counted by the simulator
                            await ad.cancel(CancelOrder("churn", "polymarket", sim.symbols[0], cid))

                await asyncio.gather(*(canceller() for _ in range(200)))
            finally:
                await ad.stop()
        received = sim.exchange.received.get("CancelOrder", 0)
    assert sim.violations == {}
    assert gate.throttle_signals == 0
    # The gate really pressed on the bucket: most of what the window let through went out.
    assert received > 0.5 * 95 * (SECONDS - WINDOW_S)
