"""Install plugin packages where only the test's own subprocesses see them.

pip-installing into the test environment itself made every other test process
running at the same time (pytest-xdist workers, a second test run) see a
half-installed or half-removed package: ``backplane plugins`` then failed on
an entry point whose module was already gone. A ``--target`` directory put on
the subprocesses' ``PYTHONPATH`` is found through the same entry points and
touches nothing shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def install(target: Path, *packages: Path) -> dict[str, str]:
    """Install ``packages`` (offline, no dependencies) into ``target``; returns
    the environment for subprocesses that should see them. Each package is
    built from a copy, so its source directory is left as it was."""
    sources = []
    for package in packages:
        copy = target.parent / f"{target.name}-src" / package.name
        shutil.copytree(package, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", ".*cache", "__pycache__"))
        sources.append(str(copy))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), *sources],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(target)) if p)
    return env
