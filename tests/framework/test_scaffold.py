"""``backplane new``: the packages it writes are clean, install, pass their own
kit tests, are listed by ``backplane plugins`` and usable in a run config."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from framework.scaffold import KINDS, MAX_NAME, Names, new_package
from tests.private_install import install

RUFF = Path(sys.executable).parent / "ruff"
# Unique per process, so that the names say which run made them.
SC = f"sc{os.getpid()}"


def run(*cmd: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=180, cwd=cwd, env=env or os.environ.copy())


def backplane(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "framework.tools.cli", *args, cwd=cwd, env=env)


def test_names_are_spelled_for_each_use() -> None:
    names = Names("order-book-mm")
    assert (names.module, names.dist, names.cls) == ("order_book_mm", "backplane-order-book-mm", "OrderBookMm")
    for bad in ("", "1venue", "My-Venue", "venue!", "a--b", "trailing-", "x" * (MAX_NAME + 1)):
        with pytest.raises(ValueError, match="is not a plugin name"):
            Names(bad)


def test_nothing_is_overwritten_and_bad_input_is_refused(tmp_path: Path) -> None:
    new_package("strategy", "twice", tmp_path)
    marker = tmp_path / "backplane-twice" / "README.md"
    marker.write_text("mine")
    with pytest.raises(FileExistsError):
        new_package("strategy", "twice", tmp_path)
    assert marker.read_text() == "mine"
    with pytest.raises(ValueError, match="unknown plugin kind"):
        new_package("exchange", "x", tmp_path)
    proc = backplane("new", "venue", "Bad Name", "--dir", str(tmp_path))
    assert proc.returncode == 1 and "is not a plugin name" in proc.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_code_is_ruff_clean_for_short_and_longest_names(kind: str, tmp_path: Path) -> None:
    if not RUFF.exists():
        pytest.skip("ruff is not installed in this environment (it belongs in the test extra)")
    # Names that sort before and after the fixed class names, and the longest allowed.
    for name in ("ab", "zz-top", "n" * (MAX_NAME - 5) + "-long"):
        root = new_package(kind, name, tmp_path)
        lint = run(str(RUFF), "check", "--output-format", "concise", ".", cwd=root)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        fmt = run(str(RUFF), "format", "--diff", ".", cwd=root)
        assert fmt.returncode == 0, fmt.stdout + fmt.stderr


class Scaffolds(NamedTuple):
    roots: dict[str, Path]  # kind -> package directory
    env: dict[str, str]  # the environment of subprocesses that see them installed


@pytest.fixture(scope="module")
def scaffolds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaffolds]:
    """One package of each kind, made by the CLI and pip-installed where only
    this module's subprocesses see them (tests/private_install.py)."""
    parent = tmp_path_factory.mktemp("scaffolds")
    roots: dict[str, Path] = {}
    proc = backplane("new", "venue", f"{SC}-venue", "--dir", str(parent))  # once through the CLI
    assert proc.returncode == 0, proc.stderr
    roots["venue"] = parent / f"backplane-{SC}-venue"
    assert f"created {roots['venue']}" in proc.stdout
    for kind in ("strategy", "risk-check"):
        roots[kind] = new_package(kind, f"{SC}-{kind}", parent)
    try:
        yield Scaffolds(roots, install(parent / "site", *roots.values()))
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_scaffolds_appear_in_backplane_plugins(scaffolds: Scaffolds) -> None:
    proc = backplane("plugins", env=scaffolds.env)
    rows = {tuple(line.split()[:4]) for line in proc.stdout.splitlines()}
    assert {
        (f"{SC}_venue", "venue", "0.1.0", f"backplane-{SC}-venue"),
        (f"{SC}_venue-sim", "simulator", "0.1.0", f"backplane-{SC}-venue"),
        (f"{SC}_strategy", "strategy", "0.1.0", f"backplane-{SC}-strategy"),
        (f"{SC}_risk_check", "risk-check", "0.1.0", f"backplane-{SC}-risk-check"),
    } <= rows, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_scaffolds_pass_their_own_generated_tests(scaffolds: Scaffolds, kind: str) -> None:
    proc = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=scaffolds.roots[kind], env=scaffolds.env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " failed" not in proc.stdout and " error" not in proc.stdout


def test_scaffolds_are_usable_in_a_run_config(scaffolds: Scaffolds, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "run:\n  name: scaffolded\n  mode: live\n  duration: 1s\n"
        "journal:\n  path: runs\n"
        f"venues:\n  v:\n    plugin: {SC}_venue\n    simulate: true\n"
        f"strategies:\n  s:\n    plugin: {SC}_strategy\n    venue: v\n    symbols: [AAA]\n"
        "    params:\n      size: 2\n      offset_ticks: 1\n"
        f"risk:\n  checks:\n    {SC}_risk_check:\n      max_price: 900\n"
    )
    proc = backplane("config", "check", str(config), env=scaffolds.env)
    assert proc.returncode == 0, proc.stderr
    # And it runs: the scaffolded strategy quotes on the scaffolded venue's simulator,
    # through the scaffolded risk check.
    proc = backplane("run", str(config), "--quiet", cwd=tmp_path, env=scaffolds.env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout[-2000:] + proc.stderr[-3000:]
    sent = re.search(r"orders sent (\d+)\s+denied (\d+)", proc.stdout)
    assert sent is not None and int(sent.group(1)) >= 1 and sent.group(2) == "0", proc.stdout
    config.write_text(config.read_text().replace("offset_ticks: 1", "offset_tick: 1"))
    proc = backplane("config", "check", str(config), env=scaffolds.env)
    assert proc.returncode == 1 and "offset_tick" in proc.stderr
