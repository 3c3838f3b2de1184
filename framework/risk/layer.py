"""The risk layer: trading states, loss limits and pre-trade checks in front of
every order.

Theory of operation
-------------------
``evaluate(intent)`` runs, in order: basic validity (size, price bounds), the
trading state -- the stricter of the run's and the strategy's: ACTIVE lets the
checks decide, REDUCING lets through only orders that shrink the position
(worst case, counting open orders on the same side), HALTED nothing -- and
then every enabled check for the intent's ``(venue, strategy)``. The first
refusal becomes an :class:`~framework.model.events.OrderDenied` for the strategy and
the order never reaches a venue. Cancels always pass. An approved order counts
as open at once.

``on_event`` folds the run's order, fill and market events into the
:class:`RiskState`, and after a fill or a new mark re-evaluates the loss limits:
a strategy (or the run) past its ``max_loss`` moves to REDUCING or HALTED.
States only get stricter by themselves; ``set_state`` (the kill switch, a
person) can also lift them. Every change is told to ``listeners`` (the run's
:mod:`framework.execution.protection` pulls resting orders on a halt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from framework.model.events import (
    BookSnapshot,
    CancelRejected,
    DenyReason,
    Event,
    Instrument,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    Side,
    Trade,
)
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.plugin.specs import RiskCheckSpec
from framework.risk.checks import Denial, PreTradeCheck
from framework.risk.config import RiskConfig, TradingState
from framework.risk.state import RiskState
from framework.runtime.bus import Bus
from framework.runtime.clock import Clock

__all__ = ["RUN_SCOPE", "RiskLayer"]

log = logging.getLogger(__name__)

RUN_SCOPE = ""
"""The scope name of the whole run in :meth:`RiskLayer.set_state`."""


class RiskLayer:
    """Pre-trade checks and trading states for one run."""

    def __init__(
        self,
        config: RiskConfig,
        checks: Mapping[str, RiskCheckSpec],
        clock: Clock,
        *,
        instruments: Callable[[str, str], Instrument | None] | None = None,
        mid_source: Callable[[str, str], int | None] | None = None,
        bus: Bus | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.bus = bus
        self.state = RiskState(instruments, mid_source)
        self._specs = dict(checks)
        self._checks: dict[tuple[str, str], list[PreTradeCheck]] = {}
        self._states: dict[str, TradingState] = {RUN_SCOPE: TradingState.parse(config.state)}
        self._why: dict[str, tuple[DenyReason | None, str]] = {}
        # Called as listener(scope, old, new, reason) after every change of state
        # (the run's protection pulls resting orders on a halt).
        self.listeners: list[Callable[[str, TradingState, TradingState, str], None]] = []
        for name, strategy in config.strategies.items():
            self._states[name] = TradingState.parse(strategy.state)
        self.denied: dict[DenyReason, int] = {}
        # Approved intents the venue has not answered yet, and the denials this layer
        # built: a denial on the bus undoes an approval only if someone else made it
        # (a router whose gate refused), never one of ours, which counted nothing.
        self._unconfirmed: dict[str, SubmitOrder | ReplaceOrder] = {}
        self._issued: dict[str, OrderDenied] = {}
        missing = sorted(config.check_names() - set(self._specs))
        if missing:
            raise ValueError(f"risk checks not installed: {', '.join(missing)}")

    # -- trading states ------------------------------------------------------

    def trading_state(self, strategy: str = RUN_SCOPE) -> TradingState:
        """The state that applies to ``strategy``: the stricter of its own and the run's."""
        return max(self._states.get(strategy, TradingState.ACTIVE), self._states[RUN_SCOPE])

    def set_state(self, scope: str, state: TradingState, reason: str = "", *, cause: DenyReason | None = None) -> None:
        """Put the run (``scope=""``) or one strategy in ``state``; ``reason`` is shown in denials."""
        old = self._states.get(scope, TradingState.ACTIVE)
        self._states[scope] = state
        self._why[scope] = (cause, reason)
        if old != state:
            who = f"strategy {scope}" if scope else "the run"
            log.warning("risk: %s %s -> %s%s", who, old.name, state.name, f" ({reason})" if reason else "")
            for listener in self.listeners:
                listener(scope, old, state, reason)

    def restricted(self) -> dict[str, tuple[TradingState, str]]:
        """Every scope whose own state is not ACTIVE -- ``""`` (the run) first, then
        strategies by name -- with the reason it was given (``""`` if none)."""
        return {
            scope: (state, self._why.get(scope, (None, ""))[1])
            for scope, state in sorted(self._states.items())
            if state is not TradingState.ACTIVE
        }

    def halt(self, strategy: str | None = None, reason: str = "kill switch") -> None:
        """The kill switch: cancels only, for one strategy or (``None``) the whole run."""
        self.set_state(strategy or RUN_SCOPE, TradingState.HALTED, reason)

    # -- the gate for intents ------------------------------------------------------

    def evaluate(self, intent: Intent) -> OrderDenied | None:
        """``None`` if ``intent`` may go to its venue (and it now counts as open),
        else the :class:`OrderDenied` for its strategy (also published on the bus)."""
        if isinstance(intent, CancelOrder):
            return None
        assert isinstance(intent, SubmitOrder | ReplaceOrder)
        denial = self._invalid(intent) or self._state_denial(intent) or self._run_checks(intent)
        if denial is not None:
            return self._denied(intent, denial.reason, denial.message)
        self.state.order_sent(intent)
        self._unconfirmed[intent.client_order_id] = intent
        return None

    def deny(self, intent: Intent, reason: DenyReason, message: str) -> OrderDenied:
        """An intent that passed :meth:`evaluate` was refused further on (the gate found
        no budget: ``RATE_LIMITED``): undo its counting, publish the denial."""
        self._undo(intent.client_order_id)
        return self._denied(intent, reason, message)

    def _denied(self, intent: Intent, reason: DenyReason, message: str) -> OrderDenied:
        request = "submit" if isinstance(intent, SubmitOrder) else "replace" if isinstance(intent, ReplaceOrder) else "cancel"
        event = OrderDenied(intent.venue, intent.symbol, 0, self.clock.now_ns(), intent.client_order_id,
                            intent.strategy, "", reason, message, request)  # fmt: skip
        self.denied[reason] = self.denied.get(reason, 0) + 1
        self._issued[intent.client_order_id] = event
        if self.bus is not None:
            self.bus.publish(event)
        return event

    def _undo(self, client_order_id: str) -> None:
        intent = self._unconfirmed.pop(client_order_id, None)
        if intent is not None:
            self.state.order_denied(intent)

    def _invalid(self, order: SubmitOrder | ReplaceOrder) -> Denial | None:
        if order.size <= 0:
            return Denial(DenyReason.INVALID_ORDER, f"size must be a positive number of lots, not {order.size}")
        if isinstance(order, ReplaceOrder) and self.state.order(order.client_order_id) is None:
            return Denial(DenyReason.INVALID_ORDER, f"no open order {order.client_order_id!r} to replace")
        inst = self.state.instrument(order.venue, order.symbol)
        if inst is not None and not inst.in_bounds(order.price):
            return Denial(DenyReason.INVALID_ORDER,
                          f"price {order.price} ticks outside [{inst.min_price}, {inst.max_price}] for {order.symbol}")  # fmt: skip
        return None

    def _state_denial(self, order: SubmitOrder | ReplaceOrder) -> Denial | None:
        state = self.trading_state(order.strategy)
        if state is TradingState.ACTIVE:
            return None
        cause, why = self._why.get(order.strategy) or self._why.get(RUN_SCOPE) or (None, "")
        scope = order.strategy if self._states.get(order.strategy, TradingState.ACTIVE) >= state else "the run"
        because = f" ({why})" if why else ""
        if state is TradingState.HALTED:
            return Denial(cause or DenyReason.TRADING_HALTED, f"{scope} is halted{because}: cancels only")
        long_, short = self.state.exposure_after(order)
        pos = self.state.position(order.strategy, order.venue, order.symbol)
        side = self.state.side_of(order)
        # Reducing: the order is against the position and, with every open order on
        # its side filled too, the position cannot flip.
        if (side is Side.SELL and pos > 0 and short >= 0) or (side is Side.BUY and pos < 0 and long_ <= 0):
            return None
        return Denial(
            cause or DenyReason.REDUCE_ONLY,
            f"{scope} is reducing{because}: {side.name.lower() if side else 'order'} {order.size} "
            f"does not shrink position {pos} in {order.symbol} (open orders counted)",
        )

    def _run_checks(self, order: SubmitOrder | ReplaceOrder) -> Denial | None:
        key = (order.venue, order.strategy)
        checks = self._checks.get(key)
        if checks is None:
            checks = self._checks[key] = self._build_checks(order.venue, order.strategy)
        state = self.state
        for check in checks:
            denial = check.check(order, state)
            if denial is not None:
                return denial
        return None

    def _build_checks(self, venue: str, strategy: str) -> list[PreTradeCheck]:
        built = []
        for name in sorted(self.config.check_names()):
            settings = self.config.check_settings(name, venue, strategy)
            if settings is None:
                continue
            spec = self._specs[name]
            built.append(spec.factory(msgspec.convert(settings, spec.settings, strict=False)))
        return built

    # -- events ----------------------------------------------------------------

    def attach(self, bus: Bus) -> None:
        """Follow the run's order events, trades and book snapshots on ``bus``."""
        self.bus = bus
        bus.subscribe(self.on_event, (OrderEvent, Trade, BookSnapshot), name="risk")

    def on_event(self, event: Event) -> None:
        """Fold ``event`` into the state; re-check loss limits after fills and new marks.

        An ``OrderDenied`` someone else published for an approved intent (the gate
        refused it) undoes its counting; a ``CancelRejected`` restores a replaced order."""
        kind = type(event)
        if kind is OrderDenied or kind is CancelRejected:
            coid = event.client_order_id  # type: ignore[attr-defined]
            if self._issued.get(coid) is event:
                del self._issued[coid]
            elif kind is OrderDenied or isinstance(self._unconfirmed.get(coid), ReplaceOrder):
                self._undo(coid)  # a refused cancel leaves the order as it is
            return
        if isinstance(event, OrderEvent):
            self._unconfirmed.pop(event.client_order_id, None)
        self.state.on_event(event)
        if kind is OrderFilled or kind is Trade or kind is BookSnapshot:
            self._check_losses(event.venue, event.symbol)

    def _check_losses(self, venue: str, symbol: str) -> None:
        cfg = self.config
        for strategy in self.state.strategies_in(venue, symbol):
            limit = cfg.strategies[strategy].loss_limit if strategy in cfg.strategies else None
            if limit is not None:
                self._apply_limit(strategy, self.state.pnl(strategy), limit)
        if cfg.loss_limit is not None:
            self._apply_limit(RUN_SCOPE, self.state.run_pnl(), cfg.loss_limit)

    def _apply_limit(self, scope: str, pnl: Any, limit: Any) -> None:
        target = TradingState.parse(limit.action)
        if pnl <= -limit.max_loss and self._states.get(scope, TradingState.ACTIVE) < target:
            self.set_state(scope, target, f"loss {-pnl} reached the limit of {limit.max_loss}",
                           cause=DenyReason.LOSS_LIMIT)  # fmt: skip

    def stats(self) -> dict[str, int]:
        """Denials by reason, for reports."""
        return {reason.value: n for reason, n in self.denied.items()}

