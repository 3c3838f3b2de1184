"""configs/faults-demo.yaml: the demo with faults switched on from YAML. Run
for ~22 s of real time: every fault fires (the simulators count them), the log
shows each one at WARNING -- injected, then noticed -- and the maker's orders
are accepted again after each."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from framework.config import load_config
from framework.model.events import OrderAccepted, StreamStatus
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import load_host
from framework.runtime.runner import EXIT_OK, plan_issues, run_config
from framework.runtime.status import StatusLine

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = 30.0


class Probe:
    """Notes when (wall time, as log records are stamped) each order is accepted."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, str]] = []
        self.lines: list[str] = []  # the status line after each stream state change
        self.run: Any = None  # the whole run (run_config's on_start), to read the simulators

    @hookimpl
    def backplane_run_started(self, run: Any) -> None:
        run.bus.subscribe(lambda e: self.accepted.append((time.time(), e.venue)), OrderAccepted, name="probe")
        run.bus.subscribe(self._status_line, StreamStatus, name="probe-status")

    def _status_line(self, event: Any) -> None:
        """The status line as a person would read it right after ``event``
        (on the next loop turn: the run's own stats have counted it by then)."""
        asyncio.get_running_loop().call_soon(lambda: self.lines.append(StatusLine(self.run, self.run.stats).render()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Probe, list[logging.LogRecord]]:
    """One run of the demo for every test here (it takes its duration in real time)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    probe = Probe()
    host = load_host([(probe, "faults-demo-probe")])
    cfg = load_config(ROOT / "configs" / "faults-demo.yaml", host.config_schema())
    assert plan_issues(host, cfg) == []
    journal = tmp_path_factory.mktemp("faults-demo") / "runs"
    cfg = msgspec.structs.replace(cfg, journal=msgspec.structs.replace(cfg.journal, path=str(journal)))
    try:
        code = asyncio.run(run_config(cfg, host, duration_s=DURATION_S, install_signals=False,
                                      on_start=lambda run: setattr(probe, "run", run)))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return code, probe, records


def _at(records: list[logging.LogRecord], level: int, *words: str) -> list[float]:
    """When records at ``level`` containing every one of ``words`` were logged."""
    return [r.created for r in records if r.levelno == level and all(w in r.getMessage() for w in words)]


def test_the_demo_runs_clean(demo: Any) -> None:
    code, _, records = demo
    assert code == EXIT_OK
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records if r.levelno >= logging.ERROR]


def test_every_fault_fired_in_the_simulators_counters(demo: Any) -> None:
    _, probe, _ = demo
    pm, node = probe.run.simulators["polymarket"], probe.run.simulators["dydx"]
    fired = pm.faults.injected
    assert fired["kill_streams"] >= 3 and fired["stall_streams"] >= 3  # market data, orders, drop copy
    assert fired["fail_http"] == 10
    assert node.injected == {"kill_streams": 1} and node.drops >= 1
    assert [s.fault for _, s in probe.run.fault_plans["polymarket"].fired] == ["kill_streams", "stall_streams", "http_5xx"]


def test_each_fault_is_logged_at_warning_when_injected_and_when_noticed(demo: Any) -> None:
    _, _, records = demo
    for venue, fault in (("polymarket", "kill_streams"), ("polymarket", "stall_streams"),
                         ("polymarket", "http_5xx"), ("dydx", "kill_streams")):
        assert len(_at(records, logging.WARNING, f"fault plan: {venue}: injecting {fault}")) == 1, fault
    kill, stall, burst = (_at(records, logging.WARNING, "fault plan: polymarket: injecting", f)[0]
                          for f in ("kill_streams", "stall_streams", "http_5xx"))
    # Noticed: the run's protection holds the maker while its order streams are down or stale ...
    assert any(kill <= t < stall for t in _at(records, logging.WARNING, "protection:", "polymarket order stream", "down"))
    assert any(stall <= t < burst for t in _at(records, logging.WARNING, "protection:", "polymarket order stream", "stale"))
    # ... and the adapter logs the 5xx burst once, and when it is over.
    assert len(_at(records, logging.WARNING, "polymarket: REST: the venue answers HTTP 5xx")) == 1
    assert len(_at(records, logging.INFO, "polymarket: REST: the venue answers HTTP 5xx: over")) == 1


def test_the_run_keeps_trading_after_each_fault(demo: Any) -> None:
    _, probe, records = demo
    accepted = [t for t, venue in probe.accepted if venue == "polymarket"]
    over = _at(records, logging.INFO, "fault plan: polymarket: stall_streams over")
    ends = [
        *_at(records, logging.WARNING, "fault plan: polymarket: injecting kill_streams"),
        *over,
        *_at(records, logging.INFO, "the venue answers HTTP 5xx: over"),
    ]
    assert len(ends) == 3
    for end in ends:
        assert any(t > end for t in accepted), f"no order accepted after {end - ends[0]:.1f} s"


def test_the_status_line_shows_each_fault_on_the_streams(demo: Any) -> None:
    _, probe, _ = demo
    lines = probe.lines
    assert any("polymarket:orders down" in line or "polymarket:orders resyncing" in line for line in lines)  # the kill
    assert any("polymarket:md0 stale" in line for line in lines)  # the stall
    assert any("dydx:orderbook down" in line or "dydx:orderbook resyncing" in line for line in lines)  # the node's drop
    assert "polymarket:md0 live" in lines[-1] or "stopped" in lines[-1] or "down" in lines[-1]
