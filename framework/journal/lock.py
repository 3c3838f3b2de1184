"""One process per run id: an exclusive ``flock`` on ``runs/<run-id>/run.lock``.

Theory of operation
-------------------
The run takes the lock before it opens the journal and holds it for the life
of the process. ``flock`` locks belong to the open file description, so the
kernel releases the lock when the process dies however it dies -- SIGKILL
included -- and a resume never finds a stale lock to clean up. The holder
writes who it is into the file (pid, host, start time); a second process
with the same run id fails at once with :class:`RunLocked` naming it.

The file is never deleted: deleting it while another process waits to open
it would let two processes lock two different inodes of the same name.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path

from framework.journal.schema import JournalError
from framework.runtime.clock import NS_PER_S

__all__ = ["LOCK_FILE", "RunLock", "RunLocked"]

LOCK_FILE = "run.lock"


class RunLocked(JournalError):
    """Another live process holds the run id; ``holder`` is what it wrote."""

    def __init__(self, run_dir: Path, holder: str) -> None:
        self.run_dir = run_dir
        self.holder = holder
        super().__init__(
            f"run {run_dir.name!r} is already running ({holder or 'holder not yet written'}); "
            f"stop that process or start this one with another --run-id"
        )


class RunLock:
    """The exclusive lock of one run directory (created if missing)."""

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, started_wall_ns: int) -> None:
        """Take the lock or raise :class:`RunLocked` at once (never waits).

        ``started_wall_ns`` (the run clock's wall time) is written beside the
        pid and host for whoever finds the lock taken."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # CLOEXEC: a child the run spawns must not inherit the descriptor and
        # keep the lock held after the run itself was killed.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip()
            os.close(fd)
            raise RunLocked(self.run_dir, holder) from None
        started = dt.datetime.fromtimestamp(started_wall_ns / NS_PER_S, dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()}, started {started}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the kernel does it anyway when the process ends)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None
