"""The ``backplane`` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def backplane(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "framework.tools.cli", *args],
        capture_output=True, text=True, env=full_env, timeout=120, cwd=cwd,
    )  # fmt: skip


GOOD = """\
run:
  name: cli-test
  mode: paper
venues:
  sim:
    plugin: {venue}
strategies:
  taker:
    plugin: imbalance_taker
    venue: sim
    symbols: [X]
    params:
      size: 2
"""


@pytest.fixture
def venue_plugin() -> str:
    """A venue plugin that is installed in this environment."""
    from framework.plugin.manager import load_host

    names = load_host().names("venue")
    if not names:
        pytest.skip("no venue plugin installed yet")
    return names[0]


def test_plugins_lists_built_in_strategies() -> None:
    proc = backplane("plugins")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert ["market_maker", "strategy"] == rows[[r[0] for r in rows].index("market_maker")][:2]


def test_config_check_ok_and_show(tmp_path: Path, venue_plugin: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(GOOD.format(venue=venue_plugin))
    proc = backplane("config", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{path}: ok"
    shown = backplane("config", "show", str(path))
    assert shown.returncode == 0 and "imbalance_taker" in shown.stdout and "threshold_pct: 40" in shown.stdout


def test_config_check_reports_every_problem_with_location(tmp_path: Path, venue_plugin: str) -> None:
    path = tmp_path / "bad.yaml"
    text = GOOD.format(venue=venue_plugin).replace("plugin: imbalance_taker", "plugin: imbalance_takr")
    text = text.replace("mode: paper", "mode: papr")
    path.write_text(text)
    proc = backplane("config", "check", str(path))
    assert proc.returncode == 1
    assert f"{path}:3:9: run.mode:" in proc.stderr
    assert "imbalance_taker" in proc.stderr  # the suggestion
    assert "2 problem(s)" in proc.stderr


def test_config_show_never_prints_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("run:\n  name: ${RUN_NAME}\n")
    proc = backplane("config", "show", str(path), env={"RUN_NAME": "hunter2-very-secret"})
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr


def test_config_schema_is_json_schema_with_plugin_sections() -> None:
    proc = backplane("config", "schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    text = json.dumps(schema)
    assert "market_maker" in text and "paper" in schema.get("properties", {})


def test_unknown_simulator_suggests_close_names() -> None:
    proc = backplane("simulate", "nope")
    assert proc.returncode == 1
    assert "no plugin provides 'nope'" in proc.stderr


def test_run_help_documents_exit_codes() -> None:
    proc = backplane("run", "--help")
    assert proc.returncode == 0
    assert "exit codes:" in proc.stdout and "strategy failed" in proc.stdout
