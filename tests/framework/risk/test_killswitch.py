"""``backplane kill``: the file protocol, what ``--resume`` lifts, refusals of
names the run does not have, and what the run shows -- through the real CLI
against a running run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.journal import Journal
from framework.risk.config import RiskConfig, TradingState
from framework.risk.killswitch import (
    ALL_SCOPES,
    STATES_FILE,
    KillSwitch,
    read_states,
    run_strategies,
    write_kill,
)
from framework.risk.layer import RiskLayer
from framework.runtime.clock import NS_PER_MS, SimClock
from framework.tools.cli import main


def journal_dir(tmp_path: Path, strategies: str = "{mm: {plugin: market_maker}, taker: {plugin: x}}") -> Path:
    run_dir = tmp_path / "runs" / "r1"
    Journal(run_dir, "r1").start(mode="paper", config_text=f"run: {{name: r}}\nstrategies: {strategies}\n")
    return run_dir


def switch_on(run_dir: Path) -> tuple[KillSwitch, RiskLayer, SimClock]:
    clock = SimClock()
    layer = RiskLayer(RiskConfig(), {}, clock)
    switch = KillSwitch(run_dir, layer, clock, 50 * NS_PER_MS)
    switch.start()
    return switch, layer, clock


def test_resume_lifts_the_named_scope_only_and_all_lifts_everything(tmp_path: Path) -> None:
    switch, layer, clock = switch_on(tmp_path)
    write_kill(tmp_path, strategy="mm", reason="runaway")
    write_kill(tmp_path, strategy="taker", state=TradingState.REDUCING)
    write_kill(tmp_path)  # the run
    clock.advance(50 * NS_PER_MS)
    assert list(layer.restricted()) == ["", "mm", "taker"]
    states = read_states(tmp_path)
    assert states is not None and states["read_to"] == (tmp_path / "killswitch.jsonl").stat().st_size
    assert states["scopes"]["mm"] == {"state": "HALTED", "reason": "runaway"}

    write_kill(tmp_path, state=TradingState.ACTIVE)  # --resume: the run's own state only
    clock.advance(50 * NS_PER_MS)
    assert layer.trading_state("mm") is TradingState.HALTED and layer.trading_state("other") is TradingState.ACTIVE
    assert list(json.loads((tmp_path / STATES_FILE).read_text())["scopes"]) == ["mm", "taker"]

    write_kill(tmp_path, strategy="taker", state=TradingState.ACTIVE)  # --resume --strategy taker
    clock.advance(50 * NS_PER_MS)
    assert list(layer.restricted()) == ["mm"]

    write_kill(tmp_path)
    write_kill(tmp_path, strategy=ALL_SCOPES, state=TradingState.ACTIVE)  # --resume --all
    clock.advance(50 * NS_PER_MS)
    assert layer.restricted() == {} and read_states(tmp_path) == {"read_to": switch._offset, "scopes": {}}
    # A restarted run replays the file to the same end.
    _, again, _ = switch_on(tmp_path)
    assert again.restricted() == {}
    switch.stop()


COMMANDS = st.lists(
    st.tuples(st.sampled_from(["", "a", "b", ALL_SCOPES]), st.sampled_from(list(TradingState)), st.booleans()),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(commands=COMMANDS)
def test_any_command_sequence_matches_the_scope_model(tmp_path_factory: pytest.TempPathFactory,
                                                      commands: list[tuple[str, TradingState, bool]]) -> None:
    """Whatever the commands and however the polls fall between them, the run ends
    where a plain model of the scopes does, and a restarted run replays to the same."""
    run_dir = tmp_path_factory.mktemp("kill")
    switch, layer, clock = switch_on(run_dir)
    model: dict[str, TradingState] = {}
    for scope, state, poll_now in commands:
        write_kill(run_dir, strategy=scope or None, state=state)
        for one in ["", *sorted(s for s, v in model.items() if v)] if scope == ALL_SCOPES else [scope]:
            model[one] = state
        if poll_now:
            clock.advance(50 * NS_PER_MS)
    clock.advance(50 * NS_PER_MS)
    expected = {s: v for s, v in sorted(model.items()) if v is not TradingState.ACTIVE}
    assert {s: v for s, (v, _) in layer.restricted().items()} == expected
    assert {s: e["state"] for s, e in read_states(run_dir)["scopes"].items()} == {s: v.name for s, v in expected.items()}  # type: ignore[index]
    _, again, _ = switch_on(run_dir)
    assert again.restricted().keys() == expected.keys()
    switch.stop()


def test_a_loss_limit_state_is_published_on_the_next_poll(tmp_path: Path) -> None:
    switch, layer, clock = switch_on(tmp_path)
    layer.set_state("mm", TradingState.REDUCING, "loss 12 reached the limit of 10")
    assert read_states(tmp_path)["scopes"] == {}  # type: ignore[index]
    clock.advance(50 * NS_PER_MS)
    assert read_states(tmp_path)["scopes"] == {"mm": {"state": "REDUCING", "reason": "loss 12 reached the limit of 10"}}  # type: ignore[index]
    switch.stop()


def test_the_runs_strategies_come_from_its_journal(tmp_path: Path) -> None:
    assert run_strategies(journal_dir(tmp_path)) == ["mm", "taker"]
    assert run_strategies(tmp_path) is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--strategy", "mmx"], "run 'r1' has no strategy 'mmx' (did you mean 'mm'?)"),
        (["--strategy", "nosuch"], "run 'r1' has no strategy 'nosuch' (its strategies: mm, taker)"),
        (["--all"], "--all goes with --resume only"),
    ],
)
def test_refusals_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], error: str) -> None:
    run_dir = journal_dir(tmp_path)
    assert main(["kill", str(run_dir), *args, "--wait", "0"]) == 2
    assert error in capsys.readouterr().err
    assert not (run_dir / "killswitch.jsonl").exists()


def test_a_directory_without_a_journal_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kill", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["kill", str(tmp_path / "missing")]) == 2


def test_a_command_no_run_reads_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kill", str(journal_dir(tmp_path)), "--strategy", "mm", "--reducing", "--wait", "0"]) == 0
    out = capsys.readouterr().out
    assert "strategy mm -> REDUCING" in out and "not applied yet" in out


CONFIG = """\
run: {{name: kill-test, mode: paper}}
venues: {{sim: {{plugin: scripted, settings: {{interval_ms: 20}}}}}}
strategies:
  mm: {{plugin: market_maker, venue: sim, symbols: [A], params: {{min_budget: 0}}}}
  taker: {{plugin: imbalance_taker, venue: sim, symbols: [A]}}
risk: {{kill_poll: 50ms}}
journal: {{path: {runs}}}
"""


def backplane(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "framework.tools.cli", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ})  # fmt: skip


def test_kill_and_resume_against_a_running_run(tmp_path: Path) -> None:
    """The issue's case: a run-level --resume leaves a halted strategy halted --
    the command says so, and so does the run's summary."""
    config = tmp_path / "kill.yaml"
    config.write_text(CONFIG.format(runs=tmp_path / "runs"))
    run_dir = tmp_path / "runs" / "k1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.tools.cli", "run", str(config), "--run-id", "k1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (run_dir / STATES_FILE).exists():
            time.sleep(0.05)
        nosuch = backplane("kill", str(run_dir), "--strategy", "mmx")
        assert nosuch.returncode == 2 and "did you mean 'mm'?" in nosuch.stderr

        halt = backplane("kill", str(run_dir), "--strategy", "mm", "--reason", "test")
        assert halt.returncode == 0, halt.stderr
        assert halt.stdout.splitlines()[1:] == [
            "applied by the run:", "  strategy mm: ACTIVE -> HALTED", "  still HALTED: strategy mm (test)",
        ]  # fmt: skip

        resume = backplane("kill", str(run_dir), "--resume")
        assert resume.returncode == 0, resume.stderr
        assert "the run -> ACTIVE" in resume.stdout and "nothing changed" in resume.stdout
        assert "still HALTED: strategy mm (test)" in resume.stdout and "--resume --all" in resume.stdout
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["mm"], ["taker"])}
    assert rows["mm"][-1] == "halted" and rows["taker"][-1] == "ok"
    assert "trading states: mm HALTED (test)" in out
