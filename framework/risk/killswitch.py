"""The kill switch: ``backplane kill RUN_DIR [--strategy NAME] [--reducing|--resume]``.

The command appends one JSON line to ``RUN_DIR/killswitch.jsonl``; the running
process polls that file on its injected clock (``risk.kill_poll``, default
500 ms) and applies each new line to its :class:`RiskLayer` in order. A file,
not a signal, so it works across users and hosts sharing the run directory,
leaves a record of who stopped what and when, and can name one strategy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from framework.clock import Clock, TimerHandle
from framework.risk.config import TradingState
from framework.risk.layer import RUN_SCOPE, RiskLayer

__all__ = ["KILL_FILE", "KillSwitch", "configure_kill_command", "run_kill_command", "write_kill"]

log = logging.getLogger(__name__)

KILL_FILE = "killswitch.jsonl"


def write_kill(run_dir: str | os.PathLike[str], *, strategy: str | None = None,
               state: TradingState = TradingState.HALTED, reason: str = "") -> Path:  # fmt: skip
    """Append one kill-switch command for the run in ``run_dir``; returns the file."""
    path = Path(run_dir) / KILL_FILE
    line = json.dumps({
        "scope": strategy or RUN_SCOPE,
        "state": state.name.lower(),
        "reason": reason or f"kill switch by {os.environ.get('USER', 'someone')}",
        "wall_ns": time.time_ns(),  # for the record only; the run never reads it
    })  # fmt: skip
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


class KillSwitch:
    """Polls ``run_dir/killswitch.jsonl`` and applies new lines to ``layer``."""

    def __init__(self, run_dir: str | os.PathLike[str], layer: RiskLayer, clock: Clock, poll_ns: int) -> None:
        self.path = Path(run_dir) / KILL_FILE
        self.layer = layer
        self.clock = clock
        self.poll_ns = poll_ns
        self.applied = 0
        self.bad_lines = 0
        self._offset = 0
        self._timer: TimerHandle | None = None

    def start(self) -> None:
        """Apply what the file already says (a restart keeps a halt), then poll."""
        self.poll()
        self._timer = self.clock.call_later(self.poll_ns, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def poll(self) -> int:
        """Read and apply the lines added since the last poll; returns how many."""
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return 0
        end = data.rfind(b"\n") + 1  # a half-written last line waits for the next poll
        self._offset += end
        n = 0
        for raw in data[:end].splitlines():
            if raw.strip():
                n += self._apply(raw)
        return n

    def _apply(self, raw: bytes) -> int:
        try:
            cmd = json.loads(raw)
            state = TradingState.parse(cmd["state"])
            scope = str(cmd.get("scope", RUN_SCOPE))
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_lines += 1
            log.error("kill switch: skipped a malformed line in %s: %s", self.path, exc)
            return 0
        self.layer.set_state(scope, state, str(cmd.get("reason", "kill switch")))
        self.applied += 1
        return 1

    def _tick(self) -> None:
        self.poll()
        self._timer = self.clock.call_later(self.poll_ns, self._tick)


def configure_kill_command(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``backplane kill``."""
    parser.add_argument("run_dir", help="the run's directory (where its journal lives)")
    parser.add_argument("--strategy", help="only this strategy (default: the whole run)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--reducing", action="store_true", help="allow orders that shrink positions, and cancels")
    mode.add_argument("--resume", action="store_true", help="lift a halt: back to active")
    parser.add_argument("--reason", default="", help="recorded with the command and shown in denials")


def run_kill_command(args: argparse.Namespace) -> int:
    """``backplane kill``: write the command; the run applies it within one poll."""
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        print(f"backplane kill: {run_dir} is not a directory", flush=True)
        return 2
    state = TradingState.ACTIVE if args.resume else TradingState.REDUCING if args.reducing else TradingState.HALTED
    path = write_kill(run_dir, strategy=args.strategy, state=state, reason=args.reason)
    who = f"strategy {args.strategy}" if args.strategy else "the run"
    print(f"{who} -> {state.name} (written to {path}; applied within one poll)")
    return 0
