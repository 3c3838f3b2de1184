"""The status line and the summary show every scope that is HALTED or REDUCING,
and the status line each venue stream's state."""

from __future__ import annotations

import io
from pathlib import Path

from framework.config import load_config
from framework.model.events import StreamState, StreamStatus
from framework.plugin.manager import load_host
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock
from framework.runtime.runner import run_config
from framework.runtime.stats import RunStats
from framework.runtime.status import StatusLine, summary_table
from framework.runtime.streams import StreamPolicy
from tests.framework.runtime.streamrig import Rig, running

CONFIG = """\
run: {{name: status-test, mode: paper, clock: sim, duration: 5s}}
venues: {{sim: {{plugin: scripted, settings: {{interval_ms: 100, seed: 7}}}}}}
strategies:
  mm: {{plugin: market_maker, venue: sim, symbols: [A], params: {{min_budget: 0}}}}
  taker: {{plugin: imbalance_taker, venue: sim, symbols: [A]}}
  quiet: {{plugin: imbalance_taker, venue: sim, symbols: [A]}}
risk: {{strategies: {{mm: {{state: reducing}}}}}}
schedule:
  - {{name: stop-taker, every: 2s, action: halt, target: taker}}
journal: {{path: {runs}}}
"""


async def test_halted_and_reducing_scopes_are_shown(tmp_path: Path) -> None:
    host = load_host()
    path = tmp_path / "status.yaml"
    path.write_text(CONFIG.format(runs=tmp_path / "runs"))
    runs: list = []
    await run_config(load_config(path, host.config_schema()), host, install_signals=False, on_done=runs.append)
    run = runs[0]
    table = summary_table(run, run.stats)
    assert state_column(table) == {"mm": "reducing", "taker": "halted", "quiet": "ok"}
    assert "trading states: mm REDUCING; taker HALTED (schedule entry 'stop-taker')" in table
    line = StatusLine(run, run.stats, out=io.StringIO()).render()
    assert line.endswith(" | streams sim live | HALTED: taker | REDUCING: mm")
    # The run's own state is named too, and applies to every strategy.
    run.risk.halt(None, "kill switch by test")
    table = summary_table(run, run.stats)
    assert "trading states: the run HALTED (kill switch by test); mm REDUCING; taker HALTED" in table
    assert state_column(table) == {"mm": "halted", "taker": "halted", "quiet": "halted"}
    assert StatusLine(run, run.stats, out=io.StringIO()).render().endswith(" | HALTED: the run, taker | REDUCING: mm")


def state_column(table: str) -> dict[str, str]:
    """strategy -> the summary's state column (one row per strategy here: one symbol each)."""
    return {cells[0]: cells[-1] for cells in map(str.split, table.splitlines()) if cells[:1] in (["mm"], ["taker"], ["quiet"])}


class _Run:
    """What StatusLine reads of a run, for a run that has only streams to show."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.router = type("Router", (), {"sent": 0, "denied": 0})()
        self.gates: dict[str, object] = {}

    def total_pnl(self) -> int:
        return 0


def test_the_status_line_shows_each_streams_last_state() -> None:
    clock, stats = SimClock(), RunStats()
    bus = Bus(clock)
    bus.subscribe(stats.on_event)
    for venue, stream, state in [
        ("pm", "md", StreamState.CONNECTING), ("pm", "orders", StreamState.LIVE), ("dydx", "orderbook", StreamState.LIVE),
        ("pm", "md", StreamState.LIVE), ("pm", "orders", StreamState.STALE), ("dydx", "orderbook", StreamState.RESYNCING),
    ]:  # fmt: skip
        bus.publish(StreamStatus(venue, "", 0, 0, state, "", stream))
    line = StatusLine(_Run(clock), stats, out=io.StringIO()).render()
    assert line.endswith(" | streams dydx:orderbook resyncing, pm:md live, pm:orders stale"), line


async def test_a_supervised_stream_going_stale_shows_on_the_status_line() -> None:
    stats = RunStats()  # a run subscribes it to every event on the bus
    rig = Rig([["s", "q", "d", "hang"]], StreamPolicy(stale_after_ms=1_000), quiet_ms=3_000, publish=stats.on_event)
    status = StatusLine(_Run(rig.clock), stats, out=io.StringIO())
    async with running(rig):
        await rig.run_for(100)
        assert status.render().endswith("streams v:md live")
        await rig.run_for(1_500)
        assert status.render().endswith("streams v:md stale")
        await rig.run_for(2_000)
        assert status.render().endswith("streams v:md live")
    assert status.render().endswith("streams v:md down")
