"""A paper route is gated by the same sender as a live one: every intent the
router delivers to the paper exchange was admitted at the venue's gate first,
and intents beyond the budget are denied, never filled late."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.config import load_config
from framework.model.events import DenyReason
from framework.plugin.manager import load_host
from framework.runtime.clock import SimClock
from framework.runtime.runner import run_config

pytestmark = pytest.mark.timeout(60)

CONFIG = """\
run: {{name: paper-gated, mode: paper, clock: sim, duration: 10s}}
venues:
  sim: {{plugin: scripted, settings: {{interval_ms: 100, seed: 7}}}}
risk:
  venues:
    sim: {{rate_per_s: 2, window_s: 10}}  # small: the maker asks for more than this
strategies:
  mm: {{plugin: market_maker, venue: sim, symbols: [A, B], params: {{size: 5, half_spread_ticks: 1, min_budget: 0}}}}
journal: {{path: {journal}}}
"""


async def test_paper_intents_pass_the_venue_gate_before_the_paper_exchange(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(journal=tmp_path / "runs"))
    host = load_host([])
    runs: list = []
    await run_config(load_config(path, host.config_schema()), host, install_signals=False, run_id="pg",
                     clock=SimClock(), on_done=runs.append)  # fmt: skip
    run = runs[0]
    stats = run.gates["sim"].stats()
    admitted = stats["admitted_new_order"] + stats["admitted_cancel"] + stats["admitted_replace"]
    assert admitted > 0 and admitted == run.router.sent  # each delivered intent was admitted once
    assert run.stats.denials.get(DenyReason.RATE_LIMITED.value, 0) > 0  # the small budget bit
