"""Protection against the real Polymarket simulator on 127.0.0.1: the run's stop
leaves nothing resting however many orders it holds, and a venue disconnect
pulls the resting orders. The simulator's ingress limit is scaled down (and the
run's risk section told so) so that per-order cancels could not finish in time."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from framework.config import load_config
from framework.model.events import Side
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import load_host
from framework.plugin.specs import StrategySpec
from framework.plugin.strategy import Strategy
from framework.plugin.view import RunView
from framework.runtime.run import Run
from framework.runtime.runner import EXIT_OK, run_config
from plugins.polymarket.sim import DEMO_ACCOUNT, SimSettings
from plugins.polymarket.sim.limits import LimitSettings

pytestmark = pytest.mark.timeout(90)

RATE, WINDOW = 10, 40  # msg/s over s at the simulator (the real rule: 100 over 60)


class LadderParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    orders: int = 240


class Ladder(Strategy[LadderParams]):
    """Rests ``orders`` one-lot bids well below the touch, once (at start: the
    adapter has its books by then, and the simulator sends no flow)."""

    def on_start(self) -> None:
        self.placed = False
        self.on_book(None)

    def on_book(self, event: Any) -> None:
        book = self.ctx.book(self.ctx.symbols[0])
        if self.placed or book.best_bid_price is None:
            return
        self.placed = True
        for i in range(self.params.orders):
            self.ctx.submit_limit(self.ctx.symbols[0], Side.BUY, max(1, book.best_bid_price - 5 - i % 3), 1)


class Harness:
    """The ladder strategy, a scaled-down simulator whose resting orders are
    counted just before it stops, ``actions[t](run)`` at ``t`` s of the run, and
    optionally the run's stop once ``stop_at`` orders rest."""

    def __init__(self, actions: dict[float, Any] | None = None, stop_at: int = 0) -> None:
        self.sim: Any = None
        self.stop_at = stop_at  # stop the run once this many orders rest (0: at its duration)
        self.peak = 0
        self.resting_at_exit: int | None = None
        self.samples: dict[float, tuple[int, int, dict[str, str]]] = {}  # t -> resting, pulled, holds
        self.actions = actions or {}
        self.stop_started = self.stop_ended = 0.0

    def patch(self, host: Any) -> None:
        """Swap the host's Polymarket simulator for the scaled-down, counted one."""
        real = host.simulators["polymarket"]
        limits = LimitSettings(ingress_rate_per_s=RATE, ingress_window_s=WINDOW, tier=4)

        @contextlib.asynccontextmanager
        async def factory(settings: Any) -> AsyncIterator[Any]:
            async with real.factory(settings) as sim:
                self.sim = sim
                try:
                    yield sim
                finally:
                    self.resting_at_exit = resting(sim)
                    self.stop_ended = time.monotonic()

        def settings() -> SimSettings:
            return SimSettings(flow_rate_per_s=0.0, heartbeat_s=0.5, limits=limits)

        host.simulators["polymarket"] = dataclasses.replace(real, factory=factory, settings=settings)

    @hookimpl
    def backplane_strategies(self) -> list[StrategySpec]:
        return [StrategySpec("ladder", Ladder, LadderParams)]

    def start(self, run: Run) -> None:
        """The run's ``on_start``: the whole run, for the protection's counters."""
        for t, action in self.actions.items():
            run.clock.call_later(int(t * 1e9), self._at, run, t, action)
        if self.stop_at:
            self.stop_once_resting(run, self.stop_at)

    def stop_once_resting(self, run: Run, n: int) -> None:
        """Stop the run as soon as each of ``n`` orders rests at the venue or was
        denied (the venue's insert bucket), checked every 50 ms."""
        self.peak = resting(self.sim)
        if self.peak + run.router.denied >= n:
            run.request_stop(f"{self.peak} orders resting")
        else:
            run.clock.call_later(50_000_000, self.stop_once_resting, run, n)

    @hookimpl
    def backplane_run_stopping(self, run: RunView) -> None:
        self.stop_started = time.monotonic()

    def _at(self, run: Run, t: float, action: Any) -> None:
        assert run.guard is not None
        protection = run.guard.protection
        self.samples[t] = (resting(self.sim), protection.pulled, dict(protection.holds))
        if action is not None:
            action(run)


def resting(sim: Any) -> int:
    """Our orders resting at the simulator now."""
    return sum(1 for e in sim.engines.values() for o in e.orders.values() if o.account == DEMO_ACCOUNT)


CONFIG = """\
run:
  name: protect-live
  mode: live
  duration: {duration}
venues:
  polymarket:
    plugin: polymarket
    simulate: true
    settings: {{tier: 4, reconnect_initial_s: 0.2{venue_extra}}}
strategies:
  ladder:
    plugin: ladder
    venue: polymarket
    symbols: [demo-election-winner]
    params: {{orders: {orders}}}
{strategy_extra}risk:
  venues:
    polymarket: {{rate_per_s: {rate}, window_s: {window}}}
journal:
  path: {journal}
"""


async def start(tmp_path: Path, *, orders: int, duration: str, actions: dict[float, Any] | None = None,
                stop_at: int = 0, harness: Harness | None = None, venue_extra: str = "",
                strategy_extra: str = "") -> tuple[int, Any, Harness]:  # fmt: skip
    harness = harness or Harness(actions, stop_at)
    host = load_host([(harness, "harness")])
    harness.patch(host)
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(duration=duration, orders=orders, rate=RATE, window=WINDOW, journal=tmp_path / "runs",
                                  venue_extra=venue_extra, strategy_extra=strategy_extra))  # fmt: skip
    runs: list[Any] = []
    code = await run_config(load_config(path, host.config_schema()), host, install_signals=False,
                            on_start=harness.start, on_done=runs.append)  # fmt: skip
    return code, runs[0], harness


async def test_the_stop_pulls_hundreds_of_resting_orders_in_batches(tmp_path: Path) -> None:
    code, run, harness = await start(tmp_path, orders=240, duration="60s", stop_at=240)
    assert harness.peak == 240  # all resting when the stop began
    assert harness.resting_at_exit == 0
    assert code == EXIT_OK and run.outcome.left_open == []
    received = harness.sim.exchange.received
    # 12 lists of 20 instead of 240 single cancels: the budget left after the
    # inserts (about 130 messages in the window) could never have carried those
    assert received.get("CancelOrderList", 0) >= 12 and received.get("CancelOrder", 0) == 0
    assert harness.sim.violations == {}
    assert harness.stop_ended - harness.stop_started < run.outcome.stop_budget_s


async def test_a_venue_disconnect_pulls_the_resting_orders(tmp_path: Path, caplog: Any) -> None:
    """The simulator aborts our order stream: the adapter marks it DOWN, the
    strategy is held and its resting orders are cancelled (over REST, which
    still works); once the stream is back the hold lifts."""
    harness = Harness()

    def kill(run: Run) -> None:
        harness.sim.faults.kill_streams("orders")

    harness.actions = {2: kill, 4: None}
    code, _, _ = await start(tmp_path, orders=40, duration="5s", harness=harness)
    before, after = harness.samples[2], harness.samples[4]
    assert before == (40, 0, {})
    assert after[0] == 0 and after[1] == 40  # all 40 pulled at the venue by the disconnect, not by the stop
    assert after[2] == {}  # the order stream is live again: no hold
    holds = [r.getMessage() for r in caplog.records if "on hold" in r.getMessage()]
    assert holds and all("order stream orders" in h for h in holds)
    assert code == EXIT_OK and harness.resting_at_exit == 0


async def test_a_silent_market_data_stream_pulls_the_strategys_orders(tmp_path: Path, caplog: Any) -> None:
    """The simulator goes silent on market data: after the adapter's stale_after_s
    it marks the stream STALE (then reconnects), and the strategy, which has
    stale_after_ms, is held and its resting orders pulled."""
    harness = Harness()

    def silence(run: Run) -> None:
        harness.sim.faults.silence_streams("md")

    harness.actions = {2: silence, 4.5: None}
    code, _, _ = await start(tmp_path, orders=40, duration="5s", harness=harness,
                             venue_extra=", stale_after_s: 1.0", strategy_extra="    stale_after_ms: 60000\n")  # fmt: skip
    assert harness.samples[2] == (40, 0, {})
    resting_after, pulled, _ = harness.samples[4.5]
    assert resting_after == 0 and pulled == 40
    holds = [r.getMessage() for r in caplog.records if "on hold" in r.getMessage()]
    assert "md0 stale): pulled 40" in holds[0]  # the market-data stream, not the order stream
    assert all("market data stream md0" in h for h in holds)
    assert code == EXIT_OK and harness.resting_at_exit == 0
