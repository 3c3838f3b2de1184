"""A live run killed mid-way and restarted with its id reconciles against the venue."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from framework.config import load_config
from framework.journal import DifferenceKind
from framework.plugin.manager import load_host
from framework.runtime.resume import CLOSED_AT_RECONCILE
from framework.runtime.runner import run_config

CONFIG = """\
run: {{name: live-reconcile, mode: live}}
venues:
  pm: {{plugin: polymarket, simulate: true}}
strategies:
  mm:
    plugin: market_maker
    venue: pm
    symbols: [demo-a]
    params: {{size: 5, half_spread_ticks: 3, min_budget: 0}}
journal: {{path: "{runs}"}}
"""


def open_orders_in(journal: Path) -> list[str]:
    with sqlite3.connect(journal) as db:
        rows = db.execute("SELECT client_order_id FROM orders WHERE state IN ('accepted', 'partially_filled')")
        return [r[0] for r in rows]


async def test_killed_live_run_reports_and_closes_its_orders_missing_at_a_fresh_venue(tmp_path: Path) -> None:
    config = tmp_path / "live.yaml"
    config.write_text(CONFIG.format(runs=tmp_path / "runs"))
    journal = tmp_path / "runs" / "r1" / "journal.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.tools.cli", "run", str(config), "--run-id", "r1", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        working: list[str] = []
        while time.monotonic() < deadline and not working:
            time.sleep(0.2)
            if journal.exists():
                try:
                    working = open_orders_in(journal)
                except sqlite3.OperationalError:
                    pass  # not created yet
        assert working, "the maker never had a working order"
        proc.send_signal(signal.SIGKILL)  # no clean stop: its quotes stay "open" in the journal
        proc.wait(10)
    finally:
        proc.kill()
    killed_open = set(open_orders_in(journal))
    assert killed_open

    host = load_host()
    cfg = load_config(config, host.config_schema())
    runs: list = []
    await run_config(cfg, host, duration_s=1.0, install_signals=False, run_id="r1", on_done=runs.append)
    run = runs[0]
    missing = {d.key for d in run.differences if d.kind is DifferenceKind.MISSING_AT_VENUE}
    # the new simulator knows none of the killed session's orders
    assert killed_open <= missing
    assert run.reconciled["closed"] >= len(killed_open)
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT COUNT(*) FROM differences").fetchone()[0] >= len(killed_open)
        # ... and closes them, with the reason, in the journal as in the tracker
        marks = ", ".join("?" for _ in killed_open)
        rows = db.execute(f"SELECT state, reason FROM orders WHERE client_order_id IN ({marks})", sorted(killed_open))
        assert {tuple(r) for r in rows} == {("cancelled", CLOSED_AT_RECONCILE)}
    assert not any(run.tracker.order(cid).is_open for cid in killed_open)
