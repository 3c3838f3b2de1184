"""What a plugin is handed leads nowhere near a venue's wire.

A strategy gets a ``StrategyContext``, a risk check gets the order and the
``RiskState``, a lifecycle hook gets the ``RunView``, an adapter its
``VenueContext``. From none of them may a path of public attributes reach a
venue adapter (whose ``submit`` / ``cancel`` / ``replace`` skip the risk
layer), a ``GatedSender`` (its ``send`` writes anything once the gate admits
it, pre-trade checks or not), an execution route, the router (its routes and
its pre-trade hook) or the risk layer's controls. A venue's context may hold
its own sender, and nothing else on that list.

The walk is a breadth-first search over what Python offers as public: instance
attributes and ``__slots__`` and msgspec fields not starting with ``_``,
properties, the items of mappings and sequences, a bound method's
``__self__`` and a ``functools.partial``'s parts. Underscored names and
closure cells are private by the language's convention and not followed (the
context's own order path necessarily leads to the venue through them).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
from collections import deque
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import msgspec
import pytest

from framework.config import load_config
from framework.execution.protection import Protection
from framework.execution.router import RunRouter
from framework.execution.sender import GatedRoute, GatedSender
from framework.paper import PaperExchange
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import load_host
from framework.plugin.specs import RiskCheckSpec
from framework.plugin.view import RunView
from framework.risk import RiskLayer
from framework.runtime.run import Run
from framework.runtime.runner import EXIT_OK, run_config

PLAIN = (str, bytes, bytearray, int, float, complex, bool, type(None), Decimal, Fraction, enum.Enum, range, Path)
OPAQUE = (type, types.ModuleType, types.FunctionType, types.CodeType, types.CoroutineType)
SEQUENCES = (list, tuple, set, frozenset, deque)


def _public_names(obj: Any) -> Iterator[str]:
    cls = type(obj)
    seen: set[str] = set()
    names: list[str] = list(getattr(obj, "__dict__", {}))
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
        names += [n for n, v in vars(klass).items() if isinstance(v, property | functools.cached_property)]
    names += list(getattr(cls, "__struct_fields__", ()))
    for name in names:
        if not name.startswith("_") and name not in seen:
            seen.add(name)
            yield name


def edges(obj: Any) -> Iterator[tuple[str, Any]]:
    """``(step, neighbour)`` for every public way out of ``obj`` (see the module docs)."""
    if isinstance(obj, Mapping):
        for key, value in list(obj.items()):
            yield f"[{key!r}]", value
    elif isinstance(obj, SEQUENCES):
        for i, value in enumerate(list(obj)):
            yield f"[{i}]", value
    if isinstance(obj, types.MethodType | types.BuiltinMethodType):
        owner = getattr(obj, "__self__", None)
        if owner is not None and not isinstance(owner, types.ModuleType):
            yield ".__self__", owner
        return
    if isinstance(obj, functools.partial):
        yield ".func", obj.func
        for i, arg in enumerate(obj.args):
            yield f".args[{i}]", arg
        for key, arg in obj.keywords.items():
            yield f".keywords[{key!r}]", arg
        return
    for name in _public_names(obj):
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that cannot be read now leads nowhere
            continue
        yield f".{name}", value


def forbidden(obj: Any, adapters: list[Any]) -> str | None:
    """What ``obj`` is, if no plugin may hold it."""
    if any(obj is a for a in adapters):
        return "a venue adapter"
    kinds = {GatedSender: "a gated sender", GatedRoute: "an execution route", PaperExchange: "the paper exchange",
             RunRouter: "the order router", Protection: "the run's protection", RiskLayer: "the risk layer"}  # fmt: skip
    for kind, what in kinds.items():
        if isinstance(obj, kind):
            return what
    cls = type(obj)
    if all(callable(getattr(cls, m, None)) for m in ("submit", "cancel", "replace")):
        return f"an order route ({cls.__name__})"
    return None


def reach(root: Any, adapters: list[Any], *, allowed: tuple[Any, ...] = (), limit: int = 200_000) -> str | None:
    """The shortest public path from ``root`` to something :func:`forbidden`, or None."""
    seen = {id(root)} | {id(a) for a in allowed}
    queue: deque[tuple[Any, str]] = deque([(root, "root")])
    while queue:
        obj, path = queue.popleft()
        for step, nxt in edges(obj):
            if isinstance(nxt, PLAIN) or id(nxt) in seen:
                continue
            seen.add(id(nxt))
            what = forbidden(nxt, adapters)
            if what is not None:
                return f"{path}{step} is {what}"
            if not isinstance(nxt, OPAQUE):
                queue.append((nxt, path + step))
        if len(seen) > limit:
            raise AssertionError(f"the graph from {type(root).__name__} has more than {limit} objects")
    return None


# -- a run with every kind of plugin watching -------------------------------------


class RecordingCheck:
    """A pre-trade check that keeps what it was handed and lets everything through."""

    name = "recorder"
    seen: list[tuple[Any, Any, Any]] = []

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def check(self, order: Any, state: Any) -> None:
        if len(RecordingCheck.seen) < 3:
            RecordingCheck.seen.append((self, order, state))


class Watcher:
    """Implements every lifecycle hook and walks what it gets, at that moment."""

    def __init__(self) -> None:
        self.views: dict[str, RunView] = {}
        self.found: dict[str, str | None] = {}

    def _walk(self, hook: str, run: RunView) -> None:
        self.views[hook] = run
        self.found[hook] = reach(run, [])  # adapters are route-shaped: found by their shape too

    @hookimpl
    def backplane_risk_checks(self) -> list[RiskCheckSpec]:
        return [RiskCheckSpec("recorder", RecordingCheck)]

    @hookimpl
    def backplane_run_configured(self, run: RunView) -> None:
        self._walk("configured", run)

    @hookimpl
    def backplane_run_started(self, run: RunView) -> None:
        self._walk("started", run)

    @hookimpl
    def backplane_run_stopping(self, run: RunView) -> None:
        self._walk("stopping", run)


PAPER = """\
run: {{name: reach, mode: paper, clock: sim, duration: 5s}}
venues: {{sim: {{plugin: scripted, settings: {{interval_ms: 100, seed: 3}}}}}}
strategies:
  mm: {{plugin: market_maker, venue: sim, symbols: [A, B], params: {{min_budget: 0}}}}
risk: {{checks: {{recorder: {{}}, max_order_size: {{max_size: 1000}}, max_position: {{max_position: 1000}},
                 max_open_orders: {{per_strategy: 100}}, price_band: {{max_ticks: 50}}}}}}
journal: {{path: {runs}}}
"""

LIVE = """\
run: {{name: reach-live, mode: live, duration: 1s}}
venues: {{polymarket: {{plugin: polymarket, simulate: true}}}}
strategies:
  maker:
    plugin: market_maker
    venue: polymarket
    symbols: [demo-election-winner]
    params: {{size: 10, half_spread_ticks: 1, min_budget: 0}}
risk: {{checks: {{recorder: {{}}}}}}
journal: {{path: {runs}}}
"""


class Handed:
    """What the run handed the plugins' factories: each venue's context, each built check."""

    def __init__(self) -> None:
        self.contexts: dict[str, Any] = {}
        self.checks: list[Any] = []

    def venue(self, make: Any) -> Any:
        def factory(ctx: Any, settings: Any) -> Any:
            self.contexts[ctx.name] = ctx
            return make(ctx, settings)

        return factory

    def check(self, make: Any) -> Any:
        def factory(settings: Any) -> Any:
            self.checks.append(make(settings))
            return self.checks[-1]

        return factory


async def _run(tmp_path: Path, text: str) -> tuple[Run, Watcher, Handed]:
    RecordingCheck.seen.clear()
    watcher = Watcher()
    host = load_host([(watcher, "watcher")])
    handed = Handed()
    for name, spec in list(host.venues.items()):
        host.venues[name] = dataclasses.replace(spec, factory=handed.venue(spec.factory))
    for name, check in list(host.risk_checks.items()):
        host.risk_checks[name] = dataclasses.replace(check, factory=handed.check(check.factory))
    path = tmp_path / "run.yaml"
    path.write_text(text.format(runs=tmp_path / "runs"))
    runs: list[Run] = []
    code = await run_config(load_config(path, host.config_schema()), host, install_signals=False, on_done=runs.append)
    assert code == EXIT_OK
    return runs[0], watcher, handed


@pytest.mark.parametrize("config", [PAPER, LIVE], ids=["paper", "live"])
async def test_nothing_a_plugin_is_handed_reaches_a_venue_adapter(tmp_path: Path, config: str) -> None:
    run, watcher, handed = await _run(tmp_path, config)
    adapters = list(run.adapters.values())
    assert adapters and RecordingCheck.seen and run.strategies and handed.contexts  # everything was there to walk
    # Each hook, walked when it was called and again now that every part exists.
    assert watcher.found == {"configured": None, "started": None, "stopping": None}
    assert {id(v) for v in watcher.views.values()} == {id(run.view)}
    assert reach(run.view, adapters) is None
    for name, part in run.strategies.items():
        assert reach(part.ctx, adapters) is None, name
    for check, order, state in RecordingCheck.seen:  # what a check is called with
        for root in (order, state):
            assert reach(root, adapters) is None, type(root).__name__
    if config is PAPER:
        assert {type(c).__name__ for c in handed.checks} >= {"MaxOrderSize", "MaxPosition", "MaxOpenOrders", "PriceBand"}
    for check in handed.checks:  # every check built, the riskchecks plugin's too
        assert reach(check, adapters) is None, type(check).__name__
    # A venue's context holds its own sender, and leads to no adapter, its own or another's.
    for name, ctx in handed.contexts.items():
        assert reach(ctx, adapters, allowed=(run.venues[name].sender,)) is None, name


# -- the walk finds what is there -----------------------------------------------------


class Leaky:
    """What a careless view would look like: a book reader that is the adapter's
    bound method, and the run's own bus."""

    def __init__(self, run: Run) -> None:
        self.name = "leaky"
        self.book = run.adapters["sim"].book
        self.settings = {"bus": run.core.bus}


async def test_the_walk_finds_a_leak(tmp_path: Path) -> None:
    run, _, _ = await _run(tmp_path, PAPER)
    adapters = list(run.adapters.values())
    assert reach(Leaky(run), adapters) == "root.book.__self__ is a venue adapter"
    # The run's bus lists every subscription, and a subscription names its
    # handler, a bound method of whoever subscribed: the reason plugins get a BusPort.
    assert reach(run.core.bus, adapters) is not None
    assert reach(run.view.bus, adapters) is None
    # A venue context with the raw bus would reach the other parts of the run.
    ctx = msgspec.structs.replace(run.venues["sim"].adapter.ctx, bus=run.core.bus)
    path = reach(ctx, adapters, allowed=(run.venues["sim"].sender,))
    assert path is not None and path.startswith("root.bus.subscriptions[")
