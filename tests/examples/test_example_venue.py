"""The path a stranger follows: pip-install the example venue package, find it
through its entry point, pass the kit from its own directory, use it in YAML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.private_install import install

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backplane-example-venue"
DIST = "backplane-example-venue"


def backplane(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "framework.tools.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example pip-installed (offline) where only this module's subprocesses
    see it (tests/private_install.py): the environment they run with."""
    return install(tmp_path_factory.mktemp("example") / "site", EXAMPLE)


def test_the_installed_package_is_discovered_through_its_entry_point(installed: dict[str, str]) -> None:
    proc = backplane(installed, "plugins")
    rows = {tuple(line.split()[:4]) for line in proc.stdout.splitlines()}
    assert ("example", "venue", "0.1.0", DIST) in rows, proc.stdout + proc.stderr
    assert ("example-sim", "simulator", "0.1.0", DIST) in rows


def test_the_package_passes_the_kit_from_its_own_directory(installed: dict[str, str], tmp_path: Path) -> None:
    written = tmp_path / "matrix.md"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backplane-matrix", str(written)],
                          capture_output=True, text=True, timeout=180, cwd=EXAMPLE, env=installed)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    matrix = proc.stdout.split("backplane venue capability matrix", 1)[1]
    from framework.kit.venue import CASES

    cells = dict(line.split() for line in matrix.splitlines() if line.split()[:1] in ([c.id] for c in CASES))
    assert cells == {c.id: "pass" for c in CASES}, matrix
    table = written.read_text()
    assert table.startswith("| case | statement | example |")
    assert all(f"| `{c.id}` | {c.statement} | pass |" in table for c in CASES), table


def test_a_yaml_config_using_the_package_checks_clean(installed: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "run:\n  name: example\n  mode: live\n"
        "venues:\n  ex:\n    plugin: example\n    simulate: true\n    settings:\n      stale_after_ms: 500\n"
        "strategies:\n  mm:\n    plugin: market_maker\n    venue: ex\n    symbols: [AAA, BBB]\n"
    )
    proc = backplane(installed, "config", "check", str(config))
    assert proc.returncode == 0, proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(config.read_text().replace("stale_after_ms: 500", "stale_after_ms: 5"))
    proc = backplane(installed, "config", "check", str(bad))
    assert proc.returncode == 1 and "stale_after_ms" in proc.stderr, proc.stderr


def test_a_yaml_run_trades_on_the_package_simulator(installed: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "run:\n  name: example\n  mode: live\n  duration: 2s\n"
        "venues:\n  ex:\n    plugin: example\n    simulate: true\n"
        "strategies:\n  mm:\n    plugin: market_maker\n    venue: ex\n    symbols: [AAA, BBB]\n"
        "    params:\n      size: 2\n"
        "journal:\n  path: runs\n"
    )
    proc = backplane(installed, "run", str(config), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sent = re.search(r"orders sent (\d+)\s+denied (\d+)", proc.stdout)
    assert sent is not None, proc.stdout
    # Two symbols quoted on both sides, all accepted by the example venue's simulator.
    assert int(sent.group(1)) >= 4 and int(sent.group(2)) == 0, proc.stdout
