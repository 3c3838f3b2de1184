"""Fault plans: the config's `simulate: {faults: [...]}` checked against what a
simulator declares, the `--fault NAME@T[:count=N][:for=S]` form, the plan
firing on the clock it is given, and episodes logged once."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import Episode, FaultSpec
from framework.config import (
    SECOND,
    FaultStep,
    check_config,
    format_duration,
    load_config,
)
from framework.plugin.manager import load_host
from framework.runtime.clock import SimClock
from framework.runtime.faults import FaultPlan, fault_issues, parse_fault
from framework.runtime.runner import plan_issues

ROOT = Path(__file__).resolve().parents[2]
FAULTS = {
    "kill_streams": FaultSpec("drop them"),
    "stall_streams": FaultSpec("stall them", lasts=True),
    "http_5xx": FaultSpec("503 the next N", count=True),
}

CONFIG = """\
run: {{name: f, duration: 10s}}
venues:
  pm:
    plugin: polymarket
    mode: live
    simulate:
      faults:
{steps}
  other:
    plugin: scripted
    simulate: {other}
strategies: {{}}
"""


@pytest.fixture(scope="module")
def host():
    return load_host()


def _issues(host, tmp_path: Path, steps: str, other: str = "false") -> list:
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(steps=steps, other=other))
    schema = host.config_schema()
    assert check_config(path, schema) == []
    return plan_issues(host, load_config(path, schema))


def test_a_valid_plan_checks_clean(host, tmp_path: Path) -> None:
    steps = ("        - {at: 20s, fault: kill_streams}\n"
             "        - {at: 30s, fault: stall_streams, for: 5s}\n"
             "        - {at: 40s, fault: http_5xx, count: 20}")
    assert _issues(host, tmp_path, steps) == []


def test_an_unknown_fault_is_refused_at_its_line_with_did_you_mean(host, tmp_path: Path) -> None:
    issues = _issues(host, tmp_path, "        - {at: 20s, fault: kill_stream}")
    assert len(issues) == 1
    issue = issues[0]
    assert issue.file.endswith("run.yaml") and issue.line == 8
    assert issue.path == "venues.pm.simulate.faults[0].fault"
    assert "has no fault 'kill_stream'" in issue.message and "did you mean 'kill_streams'" in issue.hint


def test_a_count_or_duration_the_fault_does_not_take_is_refused(host, tmp_path: Path) -> None:
    steps = ("        - {at: 1s, fault: kill_streams, count: 2}\n"
             "        - {at: 2s, fault: http_5xx, for: 1s}")
    issues = _issues(host, tmp_path, steps)
    assert [(i.path, i.line) for i in issues] == [
        ("venues.pm.simulate.faults[0].count", 8), ("venues.pm.simulate.faults[1].for", 9)]


def test_simulating_a_venue_without_a_simulator_is_refused(host, tmp_path: Path) -> None:
    issues = _issues(host, tmp_path, "        - {at: 1s, fault: kill_streams}", other="true")
    assert [(i.path, i.line) for i in issues] == [("venues.other.simulate", 11)]
    assert "ships no simulator" in issues[0].message


def test_config_check_reports_it_like_every_other_problem(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(steps="        - {at: 1s, fault: http_500, count: 3}", other="false"))
    proc = subprocess.run([sys.executable, "-m", "framework.tools.cli", "config", "check", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1
    assert f"{path}:8:" in proc.stderr and "faults[0].fault" in proc.stderr and "did you mean 'http_5xx'" in proc.stderr


def test_the_demo_plans_check_clean(host) -> None:
    cfg = load_config(ROOT / "configs" / "faults-demo.yaml", host.config_schema())
    assert fault_issues(host, cfg) == []
    assert [s.fault for s in cfg.venues["polymarket"].simulate.faults] == ["kill_streams", "stall_streams", "http_5xx"]


# -- the command-line form ------------------------------------------------------


@given(at=st.integers(0, 10**6), count=st.none() | st.integers(1, 10**4))
def test_the_command_line_form_reads_back_what_it_says(at: int, count: int | None) -> None:
    text = f"http_5xx@{format_duration(at * 1_000_000)}" + ("" if count is None else f":count={count}")
    assert parse_fault(text, FAULTS, "sim") == FaultStep(at * 1_000_000, "http_5xx", count)


def test_the_command_line_form_takes_a_duration() -> None:
    assert parse_fault("stall_streams@1.5s:for=500ms", FAULTS, "sim") == FaultStep(
        3 * SECOND // 2, "stall_streams", None, SECOND // 2)


@pytest.mark.parametrize(("text", "says"), [
    ("kill_stream@1s", "did you mean 'kill_streams'"),
    ("kill_streams", "write NAME@TIME"),
    ("kill_streams@soon", "a duration is"),
    ("http_5xx@1s:count=0", "at least 1"),
    ("http_5xx@1s:count=many", "whole number"),
    ("http_5xx@1s:times=3", "unknown option"),
    ("kill_streams@1s:for=2s", "takes no duration"),
])
def test_a_bad_command_line_fault_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_fault(text, FAULTS, "sim")


def test_simulate_refuses_an_unknown_fault_before_starting() -> None:
    proc = subprocess.run([sys.executable, "-m", "framework.tools.cli", "simulate", "dydx", "--fault", "kill_stream@1s"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "did you mean 'kill_streams'" in proc.stderr


def test_simulate_fires_its_faults_and_counts_them() -> None:
    proc = subprocess.run([sys.executable, "-m", "framework.tools.cli", "simulate", "dydx", "--duration", "1.2",
                           "--fault", "kill_streams@200ms", "--fault", "stall_streams@400ms:for=300ms"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "faults fired: {'kill_streams': 1, 'stall_streams': 1}" in proc.stdout
    assert "WARNING fault plan: dydx: injecting kill_streams at 200ms" in proc.stderr
    assert "INFO fault plan: dydx: stall_streams over after 300ms" in proc.stderr


def test_simulate_polymarket_fires_its_faults_and_counts_them() -> None:
    proc = subprocess.run([sys.executable, "-m", "framework.tools.cli", "simulate", "polymarket", "--duration", "1",
                           "--instruments", "3", "--fault", "http_5xx@200ms:count=4", "--fault", "expire_tokens@300ms"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "faults fired: {'expire_tokens': 0}" in proc.stdout  # no token was issued; the 5xx stay armed
    assert "injecting http_5xx at 200ms count 4" in proc.stderr


# -- the plan on a clock --------------------------------------------------------


def test_a_plan_fires_each_step_at_its_time_and_ends_lasting_ones(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimClock()
    calls: list[tuple[int, str]] = []

    def inject(name: str, count: int | None, for_ns: int | None):
        calls.append((clock.now_ns(), f"{name} {count} {for_ns}"))
        return (lambda: calls.append((clock.now_ns(), f"end {name}"))) if for_ns else None

    steps = [FaultStep(3 * SECOND, "http_5xx", 20), FaultStep(SECOND, "kill_streams"),
             FaultStep(2 * SECOND, "stall_streams", None, 5 * SECOND)]
    plan = FaultPlan(clock, "pm", steps, inject)
    caplog.set_level(logging.INFO)
    plan.start()
    clock.advance_to(100 * SECOND)
    assert calls == [(SECOND, "kill_streams None None"), (2 * SECOND, f"stall_streams None {5 * SECOND}"),
                     (3 * SECOND, "http_5xx 20 None"), (7 * SECOND, "end stall_streams")]
    assert [t for t, _ in plan.fired] == [SECOND, 2 * SECOND, 3 * SECOND]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["fault plan: pm: injecting kill_streams at 1s", "fault plan: pm: injecting stall_streams at 2s for 5s",
                        "fault plan: pm: injecting http_5xx at 3s count 20"]


def test_closing_a_plan_cancels_what_is_still_to_come() -> None:
    clock = SimClock()
    calls: list[str] = []

    def inject(name: str, count: int | None, for_ns: int | None):
        calls.append(name)
        return lambda: calls.append("end")

    plan = FaultPlan(clock, "pm", [FaultStep(SECOND, "a", None, SECOND), FaultStep(5 * SECOND, "b")], inject)
    plan.start()
    clock.advance_to(SECOND)
    plan.close()
    clock.advance_to(10 * SECOND)
    assert calls == ["a"] and clock.pending == 0


def test_a_failing_injector_is_logged_and_the_plan_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimClock()
    fired: list[str] = []

    def inject(name: str, count: int | None, for_ns: int | None) -> None:
        if name == "bad":
            raise RuntimeError("broken")
        fired.append(name)

    plan = FaultPlan(clock, "pm", [FaultStep(SECOND, "bad"), FaultStep(2 * SECOND, "good")], inject)
    plan.start()
    clock.advance_to(3 * SECOND)
    assert fired == ["good"] and [s.fault for _, s in plan.fired] == ["good"]
    assert any("injecting bad at 1s failed" in r.getMessage() and r.exc_info for r in caplog.records)


# -- episodes -----------------------------------------------------------------------


def test_an_episode_logs_one_warning_then_one_info_when_over(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimClock()
    caplog.set_level(logging.DEBUG)
    episode = Episode(logging.getLogger("t"), clock, "pm: REST answering 5xx", "outcome unknown")
    assert episode.seen("InsertOrder [503]") is True
    for _ in range(19):
        clock.advance_to(clock.now_ns() + SECOND // 10)
        assert episode.seen("InsertOrder [503]") is False
    episode.over()
    episode.over()  # nothing on: nothing logged
    by_level = {level: [r.getMessage() for r in caplog.records if r.levelno == level]
                for level in (logging.WARNING, logging.INFO, logging.DEBUG)}
    assert by_level[logging.WARNING] == [
        "pm: REST answering 5xx: InsertOrder [503]; outcome unknown (logged once until it is over)"]
    assert by_level[logging.INFO] == ["pm: REST answering 5xx: over (20 times in 1.9 s)"]
    assert len(by_level[logging.DEBUG]) == 19
    assert episode.seen() is True and episode.episodes == 2  # the next one is a new episode


def test_the_guide_lists_every_fault_each_simulator_declares(host) -> None:
    guide = (ROOT / "docs" / "running.md").read_text()
    for name, sim in host.simulators.items():
        row = next(line for line in guide.splitlines() if line.startswith(f"| {name} | "))
        listed = {part.split("`")[1] for part in row.split("|")[2].split(",")}
        assert listed == set(sim.faults), name
