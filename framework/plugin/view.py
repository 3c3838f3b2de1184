"""What a lifecycle hook receives: a read-only view of the run.

``backplane_run_configured``, ``backplane_run_started`` and
``backplane_run_stopping`` get a :class:`RunView`, never the runner's own
object: the bus (through a :class:`~framework.runtime.busport.BusPort`), the
clock, each venue as a :class:`VenueView` (symbols, books, instruments, its
ingress budget), the orders and positions the run tracks, the trading states,
a few counters, and a way to ask the run to stop.

Nothing in it leads to a venue adapter, its sender, an execution route or the
risk layer's controls: orders leave only through a strategy's context, and
every one passes the risk layer (``tests/framework/test_reach.py``
walks what a hook can reach and fails if one of those turns up).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from framework.model.events import Instrument
from framework.risk.config import TradingState
from framework.runtime.busport import BusPort
from framework.runtime.clock import Clock
from framework.runtime.stats import gate_usage

if TYPE_CHECKING:
    from framework.execution.tracker import OrderTracker, TrackedOrder

__all__ = ["BudgetUsage", "RunCounts", "RunView", "VenueView"]


class BudgetUsage(msgspec.Struct, frozen=True):
    """A venue account's ingress budget now: messages in the limiter's window
    against its cap, and stream slots held against the stream cap (0 = unknown
    or no cap)."""

    window_used: int
    window_cap: int
    streams_held: int
    stream_cap: int


class RunCounts(msgspec.Struct, frozen=True):
    """The run's counters: bus events, orders sent to routes and denied, fills and their lots."""

    events: int
    orders_sent: int
    orders_denied: int
    fills: int
    volume: int


class _Market(Protocol):
    def book(self, venue: str, symbol: str) -> Any: ...

    def instrument(self, venue: str, symbol: str) -> Instrument | None: ...


class _Gate(Protocol):
    def remaining(self) -> int: ...


class VenueView:
    """One venue as a hook sees it: ``name``, ``mode`` (paper / live) and
    ``symbols``, its books and instruments to read, and its ingress budget."""

    __slots__ = ("_clock", "_gate", "_market", "mode", "name", "symbols")

    def __init__(self, name: str, mode: str, symbols: list[str], *, market: _Market, gate: _Gate, clock: Clock) -> None:
        self.name = name
        self.mode = mode
        self.symbols = tuple(symbols)
        self._market = market
        self._gate = gate
        self._clock = clock

    def book(self, symbol: str) -> Any:
        """The current ``L2Book`` / ``L3Book`` of ``symbol`` (None before its snapshot)."""
        return self._market.book(self.name, symbol)

    def instrument(self, symbol: str) -> Instrument | None:
        """Tick size, lot size and price bounds of ``symbol``, if the venue gave them."""
        return self._market.instrument(self.name, symbol)

    def budget(self) -> int:
        """Ingress messages the venue account may send now without waiting."""
        return self._gate.remaining()

    def usage(self) -> BudgetUsage:
        """The limiter's window and the stream slots, as the status line shows them."""
        return BudgetUsage(*gate_usage(self._gate, self._clock.now_ns()))


class _Run(Protocol):
    """What a :class:`RunView` reads (the runner's ``Run``)."""

    @property
    def venue_views(self) -> Mapping[str, VenueView]: ...

    @property
    def strategy_names(self) -> list[str]: ...

    @property
    def failed_strategies(self) -> dict[str, str]: ...

    @property
    def tracker(self) -> OrderTracker: ...

    def trading_state(self, scope: str) -> TradingState: ...

    def restricted(self) -> dict[str, tuple[TradingState, str]]: ...

    def counts(self) -> RunCounts: ...

    def request_stop(self, reason: str = "") -> None: ...


class RunView:
    """The run as a lifecycle hook sees it (see the module docs).

    ``name`` and ``mode`` come from the config's ``run:`` section; ``bus`` is
    the plugin's :class:`~framework.runtime.busport.BusPort`; ``clock`` the
    run's clock (schedule work with ``clock.call_later``); ``venues`` maps
    each venue started so far to its :class:`VenueView` (empty in
    ``backplane_run_configured``).
    """

    __slots__ = ("_run", "bus", "clock", "mode", "name")

    def __init__(self, name: str, mode: str, bus: BusPort, clock: Clock, run: _Run) -> None:
        self.name = name
        self.mode = mode
        self.bus = bus
        self.clock = clock
        self._run = run

    @property
    def venues(self) -> Mapping[str, VenueView]:
        return MappingProxyType(dict(self._run.venue_views))

    @property
    def strategies(self) -> tuple[str, ...]:
        """The names of the strategies started so far."""
        return tuple(self._run.strategy_names)

    @property
    def failed(self) -> Mapping[str, str]:
        """Strategies halted by an exception, with the exception's repr."""
        return MappingProxyType(dict(self._run.failed_strategies))

    def order(self, client_order_id: str) -> TrackedOrder | None:
        """The tracked order (state, price, size, filled) or None."""
        return self._run.tracker.order(client_order_id)

    def open_orders(self, strategy: str | None = None, symbol: str | None = None) -> list[TrackedOrder]:
        """Orders the run believes open (of ``strategy``, in ``symbol``)."""
        return self._run.tracker.open_orders(strategy, symbol)

    def position(self, strategy: str, venue: str, symbol: str) -> int:
        """Signed lots ``strategy`` holds in ``symbol`` on ``venue``."""
        return self._run.tracker.position(strategy, venue, symbol)

    def trading_state(self, scope: str = "") -> TradingState:
        """The state that applies to strategy ``scope`` (``""``: the run's own)."""
        return self._run.trading_state(scope)

    def restricted(self) -> dict[str, tuple[TradingState, str]]:
        """Every scope not ACTIVE (``""`` is the run), with its reason."""
        return self._run.restricted()

    def counts(self) -> RunCounts:
        """Events, orders sent and denied, fills so far."""
        return self._run.counts()

    def request_stop(self, reason: str = "") -> None:
        """Ask the run to shut down in order (as SIGINT does)."""
        self._run.request_stop(reason)

