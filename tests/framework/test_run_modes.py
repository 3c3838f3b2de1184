"""``mode: replay`` is refused until a replay engine exists: at ``config check``,
at ``backplane run`` and in ``start_venue`` itself -- it never takes the live route."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from framework.config import ROUTED_MODES, load_config
from framework.model.errors import ConfigError
from framework.plugin.manager import load_host
from framework.runtime.clock import SimClock
from framework.runtime.parts import Core
from framework.runtime.run import Run
from framework.runtime.venues import ROUTES, start_venue
from framework.tools.cli import main

CONFIG = """\
run:
  name: modes
  mode: {run_mode}
venues:
  a:
    plugin: scripted
  b:
    plugin: scripted
    mode: {b_mode}
strategies:
  mm: {{plugin: market_maker, venue: a, symbols: [A]}}
journal: {{path: {runs}}}
"""


def write(tmp_path: Path, run_mode: str, b_mode: str) -> Path:
    path = tmp_path / "modes.yaml"
    path.write_text(CONFIG.format(run_mode=run_mode, b_mode=b_mode, runs=tmp_path / "runs"))
    return path


def test_config_check_refuses_replay_where_it_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "replay", "replay")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    fix = "(hint: no replay engine yet; use paper or live)"
    assert f"{path}:3:9: run.mode: mode 'replay' cannot run {fix}" in err
    assert f"{path}:9:11: venues.b.mode: mode 'replay' cannot run {fix}" in err
    assert "2 problem(s)" in err  # venue a inherits run.mode: reported once, there

    path = write(tmp_path, "paper", "replay")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "venues.b.mode: mode 'replay' cannot run" in err and "run.mode" not in err


def test_backplane_run_refuses_replay_before_anything_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(write(tmp_path, "replay", "paper")), "--quiet", "--duration", "1"]) == 1
    assert "run.mode: mode 'replay' cannot run" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # no journal: nothing ran


async def test_start_venue_refuses_any_mode_without_a_route(tmp_path: Path) -> None:
    """Whoever skips plan_issues still never reaches the live route (or the adapter)."""
    host = load_host()
    cfg = load_config(write(tmp_path, "paper", "replay"), host.config_schema())
    run = Run(Core.build(cfg, host, SimClock()))
    async with contextlib.AsyncExitStack() as stack:
        with pytest.raises(ConfigError, match="venues.b: mode 'replay' cannot run: no replay engine yet"):
            await start_venue(run, stack, "b", cfg.venues["b"])
    assert run.adapters == {} and run.venues == {}  # the adapter was never built, let alone routed


def test_the_config_and_the_assembly_agree_on_the_routed_modes() -> None:
    assert set(ROUTED_MODES) == set(ROUTES)
