"""The kill switch: ``backplane kill RUN_DIR [--strategy NAME | --all] [--reducing | --resume]``.

The command appends one JSON line to ``RUN_DIR/killswitch.jsonl``; the running
process polls that file on its injected clock (``risk.kill_poll``, default
500 ms) and applies each new line to its :class:`RiskLayer` in order. A file,
not a signal, so it works across users and hosts sharing the run directory,
leaves a record of who stopped what and when, and can name one strategy.

After every poll the run rewrites ``RUN_DIR/trading_states.json`` when it
changed: how far it has read the kill file and every scope that is not ACTIVE,
with its reason (a kill command, a loss limit, a schedule entry). The command
reads it before writing, waits (``--wait``, 2 s) until the run has read past
its line, and prints what changed and what is still HALTED or REDUCING.

Scopes, and what ``--resume`` lifts
-----------------------------------
A strategy trades only as far as the stricter of its own state and the run's
allows. Each command sets one scope's own state; nothing is lifted implicitly:

============================  ==================================================
``kill`` / ``--reducing``     the run: every strategy halts / only reduces
``... --strategy NAME``       that strategy only
``--resume``                  the run's own state only; a strategy halted on its
                              own (by name, by its loss limit) stays halted, and
                              the command says so
``--resume --strategy NAME``  that strategy's own state only (a halted run still
                              holds it)
``--resume --all``            the run and every strategy: all back to ACTIVE
============================  ==================================================

``--strategy`` must name a strategy of the run (read from its journal: the
latest session's config); anything else is refused with a did-you-mean.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from framework.risk.config import TradingState
from framework.risk.layer import RUN_SCOPE, RiskLayer
from framework.runtime.clock import Clock, TimerHandle

__all__ = [
    "ALL_SCOPES",
    "KILL_FILE",
    "STATES_FILE",
    "KillSwitch",
    "configure_kill_command",
    "read_states",
    "run_kill_command",
    "run_strategies",
    "write_kill",
]

log = logging.getLogger(__name__)

KILL_FILE = "killswitch.jsonl"
STATES_FILE = "trading_states.json"
ALL_SCOPES = "*"
"""The scope of a line that applies to the run and every strategy (``--resume --all``)."""


def write_kill(run_dir: str | os.PathLike[str], *, strategy: str | None = None,
               state: TradingState = TradingState.HALTED, reason: str = "") -> Path:  # fmt: skip
    """Append one kill-switch command for the run in ``run_dir``; returns the file.
    ``strategy``: one strategy's name, :data:`ALL_SCOPES`, or None for the run."""
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
        self.states_path = Path(run_dir) / STATES_FILE
        self._published: dict[str, Any] | None = None
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
        """Read and apply the lines added since the last poll, then publish the
        trading states; returns how many lines were applied."""
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            data = b""
        end = data.rfind(b"\n") + 1  # a half-written last line waits for the next poll
        self._offset += end
        n = 0
        for raw in data[:end].splitlines():
            if raw.strip():
                n += self._apply(raw)
        self._publish()
        return n

    def _publish(self) -> None:
        """Rewrite the states file if anything changed (a loss limit moves states too)."""
        scopes = {scope: {"state": state.name, "reason": why} for scope, (state, why) in self.layer.restricted().items()}
        snapshot = {"read_to": self._offset, "scopes": scopes}
        if snapshot == self._published:
            return
        tmp = self.states_path.with_name(STATES_FILE + ".tmp")
        tmp.write_text(json.dumps(snapshot), encoding="utf-8")
        os.replace(tmp, self.states_path)  # readers never see half a file
        self._published = snapshot

    def _apply(self, raw: bytes) -> int:
        try:
            cmd = json.loads(raw)
            state = TradingState.parse(cmd["state"])
            scope = str(cmd.get("scope", RUN_SCOPE))
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_lines += 1
            log.error("kill switch: skipped a malformed line in %s: %s", self.path, exc)
            return 0
        scopes = [RUN_SCOPE, *self.layer.restricted()] if scope == ALL_SCOPES else [scope]
        for one in dict.fromkeys(scopes):
            self.layer.set_state(one, state, str(cmd.get("reason", "kill switch")))
        self.applied += 1
        return 1

    def _tick(self) -> None:
        self.poll()
        self._timer = self.clock.call_later(self.poll_ns, self._tick)


def configure_kill_command(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``backplane kill``."""
    parser.add_argument("run_dir", help="the run's directory, runs/<run-id> (where its journal lives)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--strategy", help="only this strategy of the run (default: the run as a whole)")
    scope.add_argument("--all", action="store_true", help="with --resume: lift the run and every strategy")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--reducing", action="store_true", help="allow orders that shrink positions, and cancels")
    mode.add_argument("--resume", action="store_true",
                      help="back to active: the run's own state only, or --strategy NAME's, or --all")  # fmt: skip
    parser.add_argument("--reason", default="", help="recorded with the command and shown in denials")
    parser.add_argument("--wait", type=float, default=2.0, metavar="SECONDS",
                        help="how long to wait for the run to apply it and show the result (0: do not wait)")  # fmt: skip


def run_strategies(run_dir: Path) -> list[str] | None:
    """The strategy names of the run in ``run_dir`` (its latest session's
    config), or None when the directory holds no journal."""
    import yaml

    from framework.journal import JOURNAL_FILE

    path = run_dir / JOURNAL_FILE
    if not path.is_file():
        return None
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT config_text FROM sessions ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        db.close()
    config = yaml.safe_load(row[0]) if row is not None else None
    return sorted((config or {}).get("strategies") or {})


def read_states(run_dir: Path) -> dict[str, Any] | None:
    """What the run last published (``read_to``, ``scopes``), or None if it never did."""
    try:
        return json.loads((run_dir / STATES_FILE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (FileNotFoundError, ValueError):
        return None


def run_kill_command(args: argparse.Namespace) -> int:
    """``backplane kill``: check the scope, write the command, show what the run did with it."""
    run_dir = Path(args.run_dir)
    problem = _refusal(run_dir, args)
    if problem:
        print(f"backplane kill: {problem}", file=sys.stderr)
        return 2
    state = TradingState.ACTIVE if args.resume else TradingState.REDUCING if args.reducing else TradingState.HALTED
    scope = ALL_SCOPES if args.all else args.strategy or RUN_SCOPE
    before = read_states(run_dir)
    path = write_kill(run_dir, strategy=scope, state=state, reason=args.reason)
    written_to = path.stat().st_size
    print(f"{_label(scope)} -> {state.name} (written to {path})")
    after = _await_run(run_dir, written_to, args.wait)
    if after is None:
        print(f"not applied yet: no running process read it within {args.wait:g} s; "
              "a run started again with this run id applies it before trading")  # fmt: skip
        return 0
    for line in _changes(before, after, state, scope):
        print(line)
    return 0


def _refusal(run_dir: Path, args: argparse.Namespace) -> str:
    """Why this command must not be written ('' if it may)."""
    from framework.config.typeinfo import did_you_mean

    if not run_dir.is_dir():
        return f"{run_dir} is not a directory"
    strategies = run_strategies(run_dir)
    if strategies is None:
        return f"{run_dir} is not a run directory (no journal in it); give runs/<run-id>"
    if args.all and not args.resume:
        return "--all goes with --resume only (a kill without --strategy already stops every strategy)"
    if args.strategy is not None and args.strategy not in strategies:
        hint = did_you_mean(args.strategy, strategies) or f"its strategies: {', '.join(strategies) or 'none'}"
        return f"run {run_dir.name!r} has no strategy {args.strategy!r} ({hint})"
    return ""


def _await_run(run_dir: Path, written_to: int, wait_s: float) -> dict[str, Any] | None:
    """The states the run published once it read past ``written_to``; None if it did not in time."""
    deadline = time.monotonic() + wait_s
    while True:
        states = read_states(run_dir)
        if states is not None and states.get("read_to", 0) >= written_to:
            return states
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _changes(before: dict[str, Any] | None, after: dict[str, Any], state: TradingState, scope: str) -> list[str]:
    """What the run changed, and every scope still HALTED or REDUCING with how to lift it."""
    old = (before or {}).get("scopes", {})
    new = after.get("scopes", {})
    lines = ["applied by the run:"]
    for name in sorted(set(old) | set(new)):
        was, now = (s.get(name, {}).get("state", "ACTIVE") for s in (old, new))
        if was != now:
            lines.append(f"  {_label(name)}: {was} -> {now}")
    if len(lines) == 1:
        lines.append("  nothing changed: it was already so")
    for name, entry in new.items():
        why = f" ({entry['reason']})" if entry.get("reason") else ""
        lines.append(f"  still {entry['state']}: {_label(name)}{why}")
    if state is TradingState.ACTIVE and new:
        lines.append("lift a strategy with --resume --strategy NAME, the run with --resume, everything with --resume --all")
    return lines


def _label(scope: str) -> str:
    if scope == ALL_SCOPES:
        return "the run and every strategy"
    return f"strategy {scope}" if scope else "the run"
