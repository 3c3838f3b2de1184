"""Fault plans: simulator faults a user switches on from a run config or the command line.

A simulated venue's ``simulate:`` may be a mapping whose ``faults:`` lists
steps, each fired at its time after the venue's simulator started::

    simulate:
      faults:
        - {at: 20s, fault: kill_streams}
        - {at: 30s, fault: stall_streams, for: 5s}
        - {at: 40s, fault: http_5xx, count: 20}

``backplane simulate NAME --fault kill_streams@20s --fault http_5xx@40s:count=20``
does the same for a standalone simulator. The simulator plugin declares its
faults (:class:`~framework.plugin.specs.FaultSpec`) and injects them
(``SimulatorSpec.inject``); this module checks a plan against what the plugin
declares (:func:`fault_issues`, part of ``config check``), reads the
command-line form (:func:`parse_fault`) and fires each step on the clock it is
given (:class:`FaultPlan`). Each injection is logged at WARNING, as an
injection, so the log tells a fault switched on from one that happened; how
the client side noticed it is logged by whoever noticed (adapter, stream
supervisor).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from framework.config import FaultStep, format_duration, issue_at, parse_duration
from framework.config.typeinfo import did_you_mean
from framework.plugin.specs import FaultSpec
from framework.runtime.clock import Clock, TimerHandle

__all__ = [
    "FaultPlan",
    "add_fault_option",
    "fault_argument",
    "fault_issues",
    "faults_help",
    "parse_fault",
    "run_fault_plan",
    "start_fault_plan",
    "step_problems",
]

log = logging.getLogger(__name__)

#: ``inject(name, count, for_ns)`` bound to one running simulator; returns the fault's end or None.
Injector = Callable[[str, int | None, int | None], Callable[[], None] | None]


def step_problems(step: FaultStep, faults: Mapping[str, FaultSpec], simulator: str) -> list[tuple[str, str, str]]:
    """What is wrong with ``step`` for a simulator declaring ``faults``:
    ``(key, message, hint)`` each, ``key`` being the step's key at fault."""
    spec = faults.get(step.fault)
    if spec is None:
        known = sorted(faults)
        hint = did_you_mean(step.fault, known) or (f"faults of {simulator!r}: {', '.join(known)}" if known else "")
        return [("fault", f"simulator {simulator!r} has no fault {step.fault!r}", hint)]
    problems = []
    if step.count is not None and not spec.count:
        problems.append(("count", f"fault {step.fault!r} takes no count", "remove `count`"))
    if step.for_ is not None and not spec.lasts:
        problems.append(("for", f"fault {step.fault!r} takes no duration", "remove `for`"))
    return problems


def fault_issues(host: Any, cfg: Any) -> list[Any]:
    """Every problem in the run config's fault plans, each located at its key:
    a simulated venue whose plugin ships no simulator, a fault its simulator
    does not declare (with a did-you-mean), a ``count`` or ``for`` the fault
    does not take. ``config check`` and start-up report them."""
    issues: list[Any] = []
    for name, venue in cfg.venues.items():
        if not venue.simulate:
            continue
        where = ("venues", name, "simulate")
        sim_name = host.venues[venue.plugin].simulator
        sim = host.simulators.get(sim_name) if sim_name else None
        if sim is None:
            issues.append(issue_at(cfg, where, f"venue plugin {venue.plugin!r} ships no simulator",
                                   "remove `simulate`, or install the plugin's simulator"))
            continue
        steps = getattr(venue.simulate, "faults", [])
        if steps and sim.inject is None:
            issues.append(issue_at(cfg, (*where, "faults"), f"simulator {sim.name!r} injects no faults", "remove `faults`"))
            continue
        for i, step in enumerate(steps):
            for key, message, hint in step_problems(step, sim.faults, sim.name):
                issues.append(issue_at(cfg, (*where, "faults", i, key), message, hint))
    return issues


def parse_fault(text: str, faults: Mapping[str, FaultSpec], simulator: str) -> FaultStep:
    """``NAME@T[:count=N][:for=S]`` (``http_5xx@40s:count=20``) as a step;
    ``ValueError`` saying what is wrong (an unknown fault with a did-you-mean)."""
    head, *options = text.strip().split(":")
    name, at_sign, at_text = head.partition("@")
    if not at_sign or not name:
        raise ValueError(f"{text!r}: write NAME@TIME, e.g. kill_streams@20s")
    values: dict[str, Any] = {"fault": name, "at": _duration(at_text, "the time", text)}
    for option in options:
        key, eq, value = option.partition("=")
        if key == "count" and eq:
            try:
                values["count"] = int(value)
            except ValueError:
                raise ValueError(f"{text!r}: count must be a whole number, not {value!r}") from None
            if values["count"] < 1:
                raise ValueError(f"{text!r}: count must be at least 1")
        elif key == "for" and eq:
            values["for_"] = _duration(value, "for", text)
        else:
            raise ValueError(f"{text!r}: unknown option {option!r} (use :count=N or :for=S)")
    step = FaultStep(**values)
    problems = step_problems(step, faults, simulator)
    if problems:
        _, message, hint = problems[0]
        raise ValueError(f"{text!r}: {message}" + (f" ({hint})" if hint else ""))
    return step


def _duration(value: str, what: str, text: str) -> int:
    try:
        return parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text!r}: {what}: {exc}") from None


def fault_argument(faults: Mapping[str, FaultSpec], simulator: str) -> Callable[[str], FaultStep]:
    """An argparse ``type=`` reading ``--fault NAME@T[:count=N][:for=S]``."""

    def read(text: str) -> FaultStep:
        try:
            return parse_fault(text, faults, simulator)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def add_fault_option(parser: argparse.ArgumentParser, faults: Mapping[str, FaultSpec], simulator: str) -> None:
    """``--fault NAME@T[:count=N][:for=S]`` (repeatable) on a simulator's command
    (``args.fault`` is the list of steps), its faults listed in ``--help``."""
    parser.add_argument("--fault", action="append", default=[], type=fault_argument(faults, simulator),
                        metavar="NAME@T[:count=N][:for=S]",
                        help="inject fault NAME T after start (repeatable); e.g. kill_streams@20s, "
                        "http_5xx@40s:count=20, stall_streams@30s:for=5s")
    parser.epilog = faults_help(faults)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def faults_help(faults: Mapping[str, FaultSpec]) -> str:
    """The faults a simulator declares, one per line, for ``--help``."""
    lines = ["faults (--fault NAME@T[:count=N][:for=S], T and S durations like 20s or 500ms):"]
    for name, spec in sorted(faults.items()):
        takes = [t for t, on in (("count", spec.count), ("for", spec.lasts)) if on]
        lines.append(f"  {name}{' [' + ', '.join(takes) + ']' if takes else ''}: {spec.description}")
    return "\n".join(lines)


class FaultPlan:
    """Fires the steps of one simulator's fault plan on ``clock``, each ``at``
    after :meth:`start`, and ends a lasting one ``for`` after it began.
    ``fired`` lists the steps injected so far with the clock's time of each;
    :meth:`close` cancels the rest."""

    def __init__(self, clock: Clock, venue: str, steps: Sequence[FaultStep], inject: Injector) -> None:
        self.clock = clock
        self.venue = venue
        self.steps = list(steps)
        self.inject = inject
        self.fired: list[tuple[int, FaultStep]] = []
        self._timers: list[TimerHandle] = []

    def start(self) -> None:
        """Schedule every step, counting from now."""
        for step in self.steps:
            self._timers.append(self.clock.call_later(step.at, self._fire, step))

    def close(self) -> None:
        """Cancel the steps (and ends) still to come."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def _fire(self, step: FaultStep) -> None:
        what = _describe(step)
        log.warning("fault plan: %s: injecting %s", self.venue, what)
        try:
            end = self.inject(step.fault, step.count, step.for_)
        except Exception:  # a broken injector must not end the run it was meant to test
            log.exception("fault plan: %s: injecting %s failed", self.venue, what)
            return
        self.fired.append((self.clock.now_ns(), step))
        if end is not None and step.for_ is not None:
            self._timers.append(self.clock.call_later(step.for_, self._end, step, end))

    def _end(self, step: FaultStep, end: Callable[[], None]) -> None:
        try:
            end()
        except Exception:
            log.exception("fault plan: %s: ending %s failed", self.venue, step.fault)
            return
        log.info("fault plan: %s: %s over after %s", self.venue, step.fault, format_duration(step.for_ or 0))


@contextlib.contextmanager
def run_fault_plan(clock: Clock, venue: str, steps: Sequence[FaultStep], inject: Injector) -> Iterator[FaultPlan]:
    """A standalone simulator's plan (``--fault``), from now until the block ends.
    When nothing else configured logging, the plan's lines go to stderr."""
    plan = FaultPlan(clock, venue, steps, inject)
    if steps and not logging.getLogger().handlers and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    plan.start()
    try:
        yield plan
    finally:
        plan.close()


def _describe(step: FaultStep) -> str:
    parts = [step.fault, f"at {format_duration(step.at)}"]
    if step.count is not None:
        parts.append(f"count {step.count}")
    if step.for_ is not None:
        parts.append(f"for {format_duration(step.for_)}")
    return " ".join(parts)


def start_fault_plan(
    clock: Any, stack: contextlib.AsyncExitStack, name: str, simulate: Any, sim_spec: Any, simulator: Any
) -> FaultPlan | None:
    """Start venue ``name``'s fault plan (its ``simulate: {faults: ...}``), if
    it has one, on the run's clock; cancelled when the run stops (before its
    simulator). Returns it (None without one)."""
    steps = getattr(simulate, "faults", None)
    if not steps or sim_spec.inject is None:
        return None
    plan = FaultPlan(clock, name, steps, lambda fault, count, for_ns: sim_spec.inject(simulator, fault, count, for_ns))
    plan.start()
    stack.callback(plan.close)
    return plan
