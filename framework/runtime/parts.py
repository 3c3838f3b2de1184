"""The typed parts a run is assembled from, one frozen record per concern.

:class:`Core` is made before anything starts (config, clock, bus, order
tracker, router); assembly (:mod:`framework.runtime.assembly`) adds, in
start order, the journal :class:`Session`, the :class:`Guard` (risk layer,
protection, resolver, venue gates), a :class:`VenuePart` per venue and a
:class:`StrategyPart` per strategy; the runner's
:class:`~framework.runtime.run.Run` owns them. Plugins never see these
records: hooks get a :class:`~framework.plugin.view.RunView`, adapters a
:class:`~framework.plugin.venue.VenueContext`, strategies a
:class:`~framework.plugin.strategy.StrategyContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec

from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.runtime.bus import Bus
from framework.runtime.schedule import Schedule
from framework.runtime.stats import RunStats

if TYPE_CHECKING:
    from framework.config import RunConfig
    from framework.execution.protection import Protection
    from framework.execution.resolver import UnknownResolver
    from framework.execution.sender import GatedSender
    from framework.journal import Journal, RestoredState
    from framework.model.events import Instrument
    from framework.plugin.manager import PluginHost
    from framework.plugin.strategy import Strategy, StrategyContext
    from framework.plugin.venue import Gate
    from framework.plugin.view import VenueView
    from framework.risk import RiskLayer
    from framework.runtime.clock import Clock

S = TypeVar("S", bound=msgspec.Struct)

__all__ = ["Core", "Guard", "Market", "Session", "StrategyPart", "VenuePart"]


@dataclass(frozen=True, slots=True)
class Core:
    """What every other part is built on; made before anything starts."""

    config: RunConfig
    host: PluginHost
    clock: Clock
    bus: Bus
    tracker: OrderTracker
    router: RunRouter
    stats: RunStats
    schedule: Schedule

    @classmethod
    def build(cls, config: RunConfig, host: PluginHost, clock: Clock) -> Core:
        bus, tracker = Bus(clock), OrderTracker()
        return cls(config, host, clock, bus, tracker, RunRouter(bus, clock, tracker), RunStats(), Schedule(clock))

    def section(self, name: str, kind: type[S]) -> S:
        """The config's plugin section ``name`` (validated as a ``kind``), or ``kind()``
        when the file has none."""
        value = self.config.sections.get(name)
        return cast(S, value) if value is not None else kind()


@dataclass(frozen=True, slots=True)
class Session:
    """This process's session of the run: the client order id tag
    (:mod:`framework.model.ids`), the journal (None when disabled), and what
    the journal restored when the run id was seen before."""

    id_tag: str = ""
    journal: Journal | None = None
    restored: RestoredState | None = None

    @property
    def number(self) -> int:
        """The journal's session number (0 without a journal)."""
        return self.journal.session if self.journal is not None else 0


@dataclass(frozen=True, slots=True)
class Guard:
    """What stands between the strategies and the venues: the pre-trade
    ``risk`` layer, the run's ``protection`` in front of it, the ``resolver``
    of orders in doubt, and each venue account's ingress ``gates``."""

    risk: RiskLayer
    protection: Protection
    resolver: UnknownResolver
    gates: Mapping[str, Gate]


@dataclass(frozen=True, slots=True)
class VenuePart:
    """One venue as started: its ``adapter``, the ``sender`` the adapter writes
    through (over the guard's gate), the ``route`` the router sends intents to
    (the adapter live, the paper exchange behind the sender in paper mode),
    its in-process ``simulator`` (``simulate:``) with its ``fault_plan`` (if
    the entry lists faults) and the hooks' ``view``."""

    name: str
    mode: str
    adapter: Any
    sender: GatedSender
    route: Any
    view: VenueView
    simulator: Any = None
    fault_plan: Any = None  # framework.runtime.faults.FaultPlan


@dataclass(frozen=True, slots=True)
class StrategyPart:
    """One strategy as started, with the context it trades through."""

    name: str
    strategy: Strategy[Any]
    ctx: StrategyContext


class Market:
    """Books, instruments and marks of the venues' adapters (what the risk
    layer, the PnL figures and the views read). ``adapters`` is the run's
    live mapping: a venue's adapter is in it from just before it starts."""

    __slots__ = ("_adapters",)

    def __init__(self, adapters: Mapping[str, Any]) -> None:
        self._adapters = adapters

    def book(self, venue: str, symbol: str) -> Any:
        adapter = self._adapters.get(venue)
        return adapter.book(symbol) if adapter is not None else None

    def instrument(self, venue: str, symbol: str) -> Instrument | None:
        """The venue's :class:`~framework.model.events.Instrument` for ``symbol``, or None."""
        instrument: Instrument | None = getattr(self._adapters.get(venue), "instruments", {}).get(symbol)
        return instrument

    def mark(self, venue: str, symbol: str) -> int | None:
        """A mark price in ticks for PnL: the mid, rounded down (None without one)."""
        book = self.book(venue, symbol)
        mid_x2 = book.mid_x2() if book is not None else None
        return None if mid_x2 is None else mid_x2 // 2
