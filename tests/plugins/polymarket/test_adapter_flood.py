"""A strategy floods the simulator through the real risk gate: the simulator,
enforcing the (scaled-down) venue limits exactly, counts zero violations."""

from __future__ import annotations

import asyncio
import time

import pytest
from pm_support import adapter_for  # type: ignore[import-not-found]

from framework.model.errors import Denied
from framework.model.events import Side
from framework.model.orders import CancelOrder, SubmitOrder
from framework.plugin.venue import RateRule
from framework.risk.gate import RiskGate
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import MemorySlotRegistry
from framework.risk.window import BudgetRule
from framework.runtime.clock import NS_PER_S, LiveClock
from plugins.polymarket.limits import method_buckets
from plugins.polymarket.sim.limits import LimitSettings

pytestmark = pytest.mark.timeout(60)

RATE, WINDOW = 50, 2  # msg/s averaged over s: the real rule is 100 over 60


async def test_flood_through_risk_gate_causes_zero_violations(make_sim):
    clock = LiveClock()
    limits = LimitSettings(ingress_rate_per_s=RATE, ingress_window_s=WINDOW, max_streams=3, tier=1)
    async with make_sim(limits=limits, instruments=4) as sim:
        limiter = IngressLimiter(BudgetRule.from_rate(RateRule(RATE, WINDOW)), clock, name="pm")
        gate = RiskGate("polymarket", limiter, MemorySlotRegistry(3), clock, new_order_wait_ns=NS_PER_S // 2,
                        method_buckets=method_buckets(1), margin=0.9)
        ad, _ = adapter_for(sim, sim.symbols[:2], gate=gate)
        await ad.start()
        sym = sim.symbols[0]
        sent = denied = 0
        stop_at = time.monotonic() + 2.5 * WINDOW

        async def strategy(worker: int) -> None:
            nonlocal sent, denied
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                clord = f"f{worker}-{n}"
                try:
                    await ad.submit(SubmitOrder("flood", "polymarket", sym, clord, Side.BUY, 1, 100))
                    sent += 1
                    await ad.cancel(CancelOrder("flood", "polymarket", sym, clord))
                    sent += 1
                except Denied:
                    denied += 1
                    await asyncio.sleep(0.01)

        try:
            await asyncio.gather(*(strategy(w) for w in range(4)))
        finally:
            await ad.stop()
            await limiter.close()
        assert sim.violations == {}
        assert gate.throttle_signals == 0  # the venue never pushed back
        # The flood really pressed on the limit: most of the budget was used.
        budget = RATE * (2.5 * WINDOW + WINDOW)
        assert sim.exchange.limits.ingress_total >= 0.6 * RATE * 2.5 * WINDOW
        assert sim.exchange.limits.ingress_total <= budget
        assert denied > 0 or sent > RATE * WINDOW
