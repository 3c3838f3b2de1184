"""The runner's own object: the parts of one run and how it ended.

:class:`Run` owns the typed parts assembly makes (:mod:`framework.runtime.parts`)
-- ``core``, ``session``, ``guard``, ``venues``, ``strategies`` -- and the
run's outcome: stop requested, failed strategies, orders left open,
reconciliation differences. It is for the runner, the status line and the
summary, and whoever embeds :func:`~framework.runtime.runner.run_config`
(``on_start`` / ``on_done``); plugins never get it: their hooks get
:attr:`Run.view`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from framework.plugin.view import RunCounts, RunView, VenueView
from framework.risk.config import TradingState
from framework.runtime.busport import BusPort
from framework.runtime.parts import (
    Core,
    Guard,
    Market,
    Session,
    StrategyPart,
    VenuePart,
)

if TYPE_CHECKING:
    from framework.config import RunConfig
    from framework.execution.router import RunRouter
    from framework.execution.tracker import OrderTracker, TrackedOrder
    from framework.journal.reconcile import Difference
    from framework.plugin.venue import Gate
    from framework.risk import RiskLayer
    from framework.runtime.clock import Clock
    from framework.runtime.stats import RunStats

__all__ = ["Outcome", "Run"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Outcome:
    """How the run is ending and how it ended: the runner writes it, the exit
    code and the summary read it."""

    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False  # set when shutdown begins
    stop_budget_s: float | None = None  # how long the stop's cancels may take (set at shutdown)
    fatal: BaseException | None = None
    failed: dict[str, str] = field(default_factory=dict)  # strategy -> why it was halted
    left_open: list[TrackedOrder] = field(default_factory=list)  # orders still open when the run ended
    differences: list[Difference] = field(default_factory=list)  # what reconciliation against live venues found
    reconciled: Counter[str] = field(default_factory=Counter)  # orders closed / adopted / cancelled by it


class Run:
    """One run: its parts (filled in start order), the hooks' view, and its :class:`Outcome`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.session = Session()  # the journal's, once it is open
        self.guard: Guard | None = None
        self.venues: dict[str, VenuePart] = {}  # in start order
        self.strategies: dict[str, StrategyPart] = {}
        self.adapters: dict[str, Any] = {}  # venue name -> adapter, from just before it starts
        self.market = Market(self.adapters)
        run = core.config.run
        self.view = RunView(run.name, run.mode, BusPort(core.bus), core.clock, self)
        self.outcome = Outcome()

    # -- as the status line and the summary read the run (framework.runtime.status) --

    @property
    def config(self) -> RunConfig:
        return self.core.config

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def tracker(self) -> OrderTracker:
        return self.core.tracker

    @property
    def router(self) -> RunRouter:
        return self.core.router

    @property
    def stats(self) -> RunStats:
        return self.core.stats

    @property
    def risk(self) -> RiskLayer | None:
        return self.guard.risk if self.guard is not None else None

    @property
    def gates(self) -> Mapping[str, Gate]:
        return self.guard.gates if self.guard is not None else {}

    @property
    def failed_strategies(self) -> dict[str, str]:
        return self.outcome.failed

    @property
    def differences(self) -> list[Difference]:
        return self.outcome.differences

    @property
    def reconciled(self) -> Counter[str]:
        return self.outcome.reconciled

    @property
    def simulators(self) -> dict[str, Any]:
        """Venue name -> its in-process simulator (``simulate: true``)."""
        return {name: part.simulator for name, part in self.venues.items() if part.simulator is not None}

    @property
    def fault_plans(self) -> dict[str, Any]:
        """Venue name -> its simulator's running fault plan (``simulate: {faults: ...}``)."""
        return {name: part.fault_plan for name, part in self.venues.items() if part.fault_plan is not None}

    # -- what the hooks' view reads ---------------------------------------------

    @property
    def venue_views(self) -> dict[str, VenueView]:
        return {name: part.view for name, part in self.venues.items()}

    @property
    def strategy_names(self) -> list[str]:
        return list(self.strategies)

    def trading_state(self, scope: str) -> TradingState:
        return self.risk.trading_state(scope) if self.risk is not None else TradingState.ACTIVE

    def restricted(self) -> dict[str, tuple[TradingState, str]]:
        return self.risk.restricted() if self.risk is not None else {}

    def counts(self) -> RunCounts:
        stats, router = self.core.stats, self.core.router
        return RunCounts(stats.events, router.sent, router.denied, stats.fills, stats.volume)

    # -- stopping ---------------------------------------------------------------

    def request_stop(self, reason: str = "") -> None:
        """Ask the run to shut down (signal, duration over, fatal error)."""
        if reason:
            log.info("stopping: %s", reason)
        self.outcome.stop_requested.set()

    def fail(self, exc: BaseException, why: str) -> None:
        """Something the run cannot go on without failed (the journal): stop."""
        self.outcome.fatal = exc
        self.request_stop(why)

    def strategy_failed(self, name: str, why: str) -> None:
        """Halt strategy ``name`` alone: unsubscribe it and cancel its orders."""
        if name in self.outcome.failed:
            return
        self.outcome.failed[name] = why
        log.error("strategy %s halted: %s", name, why)
        self.retire_strategy(name)

    def retire_strategy(self, name: str) -> None:
        """Stop strategy ``name`` acting: unsubscribe it from the bus, cancel its
        timers, then its working orders. Unsubscribed first, so that nothing it
        receives while its cancels are in flight makes it send again."""
        part = self.strategies.get(name)
        if part is None:
            return
        bus = self.core.bus
        for sub in [s for s in bus.subscriptions if s.name.startswith(f"strategy:{name}:")]:
            bus.unsubscribe(sub)
        part.ctx.cancel_timers()
        if self.guard is not None:
            # While the run stops, unacknowledged inserts are left to the stop's
            # batches (one message per 20 cancels) instead of one cancel each.
            orders = self.core.tracker.open_orders(name)
            self.guard.protection.pull(orders, unacked="skip" if self.outcome.stopping else "single")

    # -- PnL --------------------------------------------------------------------

    def mark(self, venue: str, symbol: str) -> int | None:
        """A mark price in ticks for PnL: the mid, rounded down (None without one)."""
        return self.market.mark(venue, symbol)

    def money(self, venue: str, symbol: str, units: int) -> Decimal | None:
        """tick x lot ``units`` of an instrument in its quote currency (None if unknown)."""
        instrument = self.market.instrument(venue, symbol)
        return None if instrument is None else units * instrument.tick_size * instrument.lot_size

    def net_units(self, venue: str, symbol: str, pos: Any) -> int:
        """Realised - fees + unrealised at the mark (none without a mark), tick x lot units."""
        mark = self.market.mark(venue, symbol)
        return int(pos.net(mark)) if mark is not None else int(pos.realized - pos.fees)

    def total_pnl(self) -> Decimal:
        """Net PnL in quote currency, summed over the instruments whose price unit the venue gave."""
        total = Decimal(0)
        for (_, venue, symbol), pos in self.core.tracker.positions.items():
            net = self.money(venue, symbol, self.net_units(venue, symbol, pos))
            if net is not None:
                total += net
        return total
