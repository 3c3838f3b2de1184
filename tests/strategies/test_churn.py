"""The stress run, shortened: churn against the in-process Polymarket simulator
through the default risk config; the summary prints what the simulator counted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_stress_churn_runs_short_and_the_summary_shows_the_simulator_counters(tmp_path: Path) -> None:
    config = (ROOT / "configs" / "stress-churn.yaml").read_text().replace("duration: 90s", "duration: 5s")
    assert "duration: 5s" in config
    (tmp_path / "stress.yaml").write_text(config)
    proc = subprocess.run(
        [sys.executable, "-m", "framework.tools.cli", "run", "stress.yaml", "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next((x for x in proc.stdout.splitlines() if x.startswith("polymarket (simulator):")), "")
    assert line, proc.stdout
    found = re.search(r"violations (\d+) \((.*?)\)\s+resting (\d+) \(believed closed (\d+)\)\s+accepted ([\d,]+) messages"
                      r"\s+ingress ([\d.]+) msg/s = ([\d.]+)% of nominal 100/s", line)  # fmt: skip
    assert found, line
    violations, kinds, accepted = int(found[1]), found[2], int(found[5].replace(",", ""))
    assert violations == 0 and kinds == "none", line
    # It churned: insert + cancel per order, paced by InsertOrder's 30/s (28 after the margin).
    assert accepted > 5 * 28, line
    assert float(found[6]) == round(accepted / 5, 1)
