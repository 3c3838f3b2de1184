"""The status line and the summary show every scope that is HALTED or REDUCING."""

from __future__ import annotations

import io
from pathlib import Path

from framework.config import load_config
from framework.plugin.manager import load_host
from framework.runtime.runner import run_config
from framework.runtime.status import StatusLine, summary_table

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
    assert line.endswith(" | HALTED: taker | REDUCING: mm")
    # The run's own state is named too, and applies to every strategy.
    run.risk.halt(None, "kill switch by test")
    table = summary_table(run, run.stats)
    assert "trading states: the run HALTED (kill switch by test); mm REDUCING; taker HALTED" in table
    assert state_column(table) == {"mm": "halted", "taker": "halted", "quiet": "halted"}
    assert StatusLine(run, run.stats, out=io.StringIO()).render().endswith(" | HALTED: the run, taker | REDUCING: mm")


def state_column(table: str) -> dict[str, str]:
    """strategy -> the summary's state column (one row per strategy here: one symbol each)."""
    return {cells[0]: cells[-1] for cells in map(str.split, table.splitlines()) if cells[:1] in (["mm"], ["taker"], ["quiet"])}
