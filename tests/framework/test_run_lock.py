"""One process per run id: a second one is refused naming the holder; SIGKILL frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framework.journal import RunLock, RunLocked

HOLD = """
import sys, time
from framework.journal import RunLock
RunLock(sys.argv[1]).acquire(1_700_000_000_000_000_000)
print("held", flush=True)
time.sleep(60)
"""


def hold_in_subprocess(run_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_until_the_holder_is_killed(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "r1"
    holder = hold_in_subprocess(run_dir)
    try:
        with pytest.raises(RunLocked) as refused:
            RunLock(run_dir).acquire(0)
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and "2023-11-14T22:13:20" in message and "'r1'" in message
        assert "--run-id" in message  # the fix
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        lock = RunLock(run_dir)
        lock.acquire(0)  # the kernel released it: no stale lock to clean up
        assert f"pid {os.getpid()}" in (run_dir / "run.lock").read_text()
        lock.release()
    finally:
        holder.kill()
        holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_released_lock_can_be_taken_again_in_the_same_process(tmp_path: Path) -> None:
    first = RunLock(tmp_path)
    first.acquire(0)
    with pytest.raises(RunLocked):
        RunLock(tmp_path).acquire(0)  # another open file description: refused, even in-process
    first.release()
    again = RunLock(tmp_path)
    start = time.monotonic()
    again.acquire(0)
    assert time.monotonic() - start < 1
    again.release()
