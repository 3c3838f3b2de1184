"""Whole runs: scripted venue, paper exchange, risk layer, journal, isolation, shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from framework.config import load_config
from framework.journal import Journal
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import load_host
from framework.plugin.specs import StrategySpec
from framework.plugin.strategy import Strategy
from framework.plugin.view import RunView
from framework.runtime.clock import SimClock
from framework.runtime.runner import EXIT_OK, EXIT_STRATEGY_FAILED, run_config


class BoomParams(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    after: int = 3


class Boom(Strategy[BoomParams]):
    """Raises on its ``after``-th book update."""

    def on_start(self) -> None:
        self.seen = 0

    def on_book(self, event: object) -> None:
        self.seen += 1
        if self.seen == 1:
            book = self.ctx.book(self.ctx.symbols[0])
            self.ctx.submit_limit(self.ctx.symbols[0], 1, book.best_bid_price - 5, 1)  # rests
        if self.seen == self.params.after:
            raise RuntimeError("strategy bug")


class BoomPlugin:
    @hookimpl
    def backplane_strategies(self) -> list[StrategySpec]:
        return [StrategySpec("boom", Boom, BoomParams)]


CONFIG = """\
run:
  name: runner-test
  mode: paper
  clock: sim
  duration: 60s
venues:
  sim:
    plugin: scripted
    settings: {{interval_ms: 100, seed: 7}}
strategies:
  mm:
    plugin: market_maker
    venue: sim
    symbols: [A, B]
    params: {{size: 5, half_spread_ticks: 1, min_budget: 0}}
  taker:
    plugin: imbalance_taker
    venue: sim
    symbols: [A]
    params: {{size: 1, levels: 1, threshold_pct: 30, cooldown_ms: 500}}
  boom:
    plugin: boom
    venue: sim
    symbols: [B]
{extra}journal:
  path: {journal}
"""


def load(tmp_path: Path, extra: str = ""):
    host = load_host([(BoomPlugin(), "boom-plugin")])
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(journal=tmp_path / "runs", extra=extra))
    return host, load_config(path, host.config_schema())


async def test_paper_run_trades_and_a_raising_strategy_is_halted_alone(tmp_path: Path) -> None:
    host, cfg = load(tmp_path)
    runs: list = []
    code = await run_config(cfg, host, install_signals=False, run_id="r1", on_done=runs.append)
    run = runs[0]
    assert code == EXIT_STRATEGY_FAILED
    assert set(run.failed_strategies) == {"boom"}
    # the others kept trading after boom failed: fills on both symbols
    assert run.stats.fills > 10
    assert run.tracker.positions.get("taker", "sim", "A").qty != 0 or run.tracker.positions.get("taker", "sim", "A").realized != 0
    # boom's resting order was cancelled when it was halted
    assert not run.tracker.open_orders("boom")
    # the journal kept the error and every execution exactly once
    with Journal(tmp_path / "runs" / "r1", "r1") as journal:
        errors = journal.query("SELECT strategy, message FROM errors")
        assert any("strategy bug" in row["message"] for row in errors)
        n_exec = journal.query("SELECT COUNT(*) AS n FROM executions")[0]["n"]
    assert n_exec == run.stats.fills


async def test_sim_run_is_repeatable(tmp_path: Path) -> None:
    results = []
    for i in range(2):
        host, cfg = load(tmp_path / str(i))
        runs: list = []
        await run_config(cfg, host, install_signals=False, run_id="same", clock=SimClock(), on_done=runs.append)
        run = runs[0]
        results.append((run.stats.fills, run.stats.volume, sorted((k, v.qty, v.realized) for k, v in run.tracker.positions.items())))
    assert results[0] == results[1]


async def test_risk_denials_reach_the_strategy_and_never_the_venue(tmp_path: Path) -> None:
    extra = "risk:\n  checks:\n    max_order_size: {max_size: 2}\n"
    host, cfg = load(tmp_path, extra)
    runs: list = []
    await run_config(cfg, host, install_signals=False, run_id="risk", on_done=runs.append)
    run = runs[0]
    assert run.stats.denials.get("max_order_size", 0) > 0
    mm_fills = [k for k, v in run.tracker.positions.items() if k[0] == "mm" and v.qty]
    assert mm_fills == []  # the maker's 5-lot quotes never reached the paper exchange


def test_cli_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "live.yaml"
    config.write_text(
        "run: {name: sigterm-test, mode: paper}\n"
        "venues: {sim: {plugin: scripted, settings: {interval_ms: 20}}}\n"
        "strategies:\n  mm: {plugin: market_maker, venue: sim, symbols: [A], params: {min_budget: 0}}\n"
        f"journal: {{path: {tmp_path / 'runs'}}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.tools.cli", "run", str(config), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list((tmp_path / "runs").glob("*/journal.sqlite")):
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_OK, err
    assert "stopping: signal SIGTERM" in err
    assert "mm" in out and "net pnl" in out


def test_config_check_refuses_a_mode_the_venue_cannot_run(tmp_path: Path) -> None:
    from framework.tools.cli import main

    config = tmp_path / "live.yaml"
    config.write_text(
        "run: {name: x, mode: live}\n"
        "venues: {sim: {plugin: scripted}}\n"
        "strategies:\n  mm: {plugin: market_maker, venue: sim, symbols: [A]}\n"
    )
    assert main(["config", "check", str(config)]) == 1


def test_sigint_is_handled_like_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "run: {name: sigint-test, mode: paper}\n"
        "venues: {sim: {plugin: scripted}}\n"
        "strategies:\n  mm: {plugin: market_maker, venue: sim, symbols: [A]}\n"
        f"journal: {{path: {tmp_path / 'runs'}}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.tools.cli", "run", str(config), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # interrupt the run, not the interpreter's start-up: wait until it journals
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list((tmp_path / "runs").glob("*/journal.sqlite")):
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_OK, err
    assert "stopping: signal SIGINT" in err


async def test_report_summarizes_a_finished_run(tmp_path: Path) -> None:
    from framework.tools.cli import main

    host, cfg = load(tmp_path)
    runs: list = []
    await run_config(cfg, host, install_signals=False, run_id="rep", on_done=runs.append)
    run_dir = tmp_path / "runs" / "rep"
    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text()
    assert "<svg" in html and "http" not in html.split("<body", 1)[1].replace("http://www.w3.org", "")
    with Journal(run_dir, "rep") as journal:
        marks = journal.query("SELECT COUNT(*) AS n FROM metrics WHERE name LIKE 'mark.%'")[0]["n"]
    assert marks > 0


async def test_schedule_entries_act_on_strategies_in_simulated_time(tmp_path: Path) -> None:
    extra = (
        "schedule:\n"
        "  - {name: stop-taker, every: 20s, action: halt, target: taker}\n"
        "  - {name: flat, every: 15s, action: flatten, target: taker}\n"
    )
    host, cfg = load(tmp_path, extra)
    runs: list = []
    await run_config(cfg, host, install_signals=False, run_id="sched", on_done=runs.append)
    run = runs[0]
    assert run.core.schedule.fired == {"stop-taker": 3, "flat": 4}
    assert run.risk.trading_state("taker").name == "HALTED"
    assert run.risk.trading_state("mm").name == "ACTIVE"
    assert "taker" not in run.failed_strategies  # a scheduled halt is not a failure


LIVE_CONFIG = """\
run:
  name: shutdown-test
  mode: live
  duration: 3s
venues:
  polymarket:
    plugin: polymarket
    simulate: true
strategies:
  maker:
    plugin: market_maker
    venue: polymarket
    symbols: [demo-election-winner, demo-fed-cut-december]
    params: {{size: 10, half_spread_ticks: 1, min_budget: 0}}
journal:
  path: {journal}
"""


async def test_shutdown_sends_every_cancel_before_the_venue_disconnects(tmp_path: Path, monkeypatch) -> None:
    """A live run's stop cancels the strategies' working orders; those cancels
    must have reached the venue before its adapter closes its connections, and
    the strategies must not send anything new meanwhile (else orders stay
    working on the venue after the run)."""
    from plugins.polymarket.adapter import PolymarketAdapter

    seen: dict[str, int] = {}
    runs: list = []
    real_stop = PolymarketAdapter.stop

    async def stop(adapter: PolymarketAdapter) -> None:
        run = runs[0]
        seen["in_flight_at_venue_stop"] = run.router.in_flight
        # ... and the stopped strategy hears nothing more that could make it send again
        seen["maker_subscriptions"] = sum(s.name.startswith("strategy:maker:") for s in run.core.bus.subscriptions)
        await real_stop(adapter)

    monkeypatch.setattr(PolymarketAdapter, "stop", stop)

    class Watch:
        @hookimpl
        def backplane_run_stopping(self, run: RunView) -> None:
            seen["working_at_stop"] = len(run.open_orders("maker"))

    host = load_host([(Watch(), "watch")])
    path = tmp_path / "run.yaml"
    path.write_text(LIVE_CONFIG.format(journal=tmp_path / "runs"))
    code = await run_config(load_config(path, host.config_schema()), host, install_signals=False, on_start=runs.append)
    assert code == EXIT_OK
    assert seen["working_at_stop"] > 0  # there were orders to cancel
    assert seen["in_flight_at_venue_stop"] == 0
    assert seen["maker_subscriptions"] == 0
