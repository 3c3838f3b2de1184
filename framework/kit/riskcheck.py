"""The risk-check kit: a check, a scripted :class:`RiskState`, and its contract.

A pre-trade check (see :mod:`framework.risk.checks`) reads an order and the
risk state and returns ``None`` or a :class:`~framework.risk.checks.Denial`.
:class:`RiskCheckHarness` builds the check from its settings and lets a test
set the state -- mids, resting orders, fills -- the way the run would. Subclass
:class:`RiskCheckContract` with a ``risk_check_case`` fixture (a
:class:`RiskCheckCase` listing orders that must pass and orders that must be
denied, with the reason) and every check gets the same proofs: the examples
hold, a denial names a reason and says why, the check only reads the state,
answers the same twice, and survives an instrument it knows nothing about.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from framework.model.events import DenyReason, Instrument, OrderFilled, Side
from framework.model.orders import ReplaceOrder, SubmitOrder
from framework.risk.checks import Denial
from framework.risk.state import RiskState

__all__ = ["RISK_CHECKS", "RiskCheckCase", "RiskCheckContract", "RiskCheckHarness"]

Order = SubmitOrder | ReplaceOrder


class RiskCheckHarness:
    """One check over a :class:`RiskState` the test scripts.

    ``factory(settings)`` is the :class:`~framework.plugin.specs.RiskCheckSpec`
    factory. Orders default to strategy ``s1`` on venue ``sim``.
    """

    def __init__(self, factory: Callable[[Any], Any], settings: msgspec.Struct,
                 instruments: Mapping[tuple[str, str], Instrument] | None = None) -> None:  # fmt: skip
        self._instruments = dict(instruments or {})
        self._mids: dict[tuple[str, str], int] = {}
        self.state = RiskState(lambda v, s: self._instruments.get((v, s)), lambda v, s: self._mids.get((v, s)))
        self.check = factory(settings)
        self._ids = itertools.count(1)
        self._execs = itertools.count(1)

    def order(self, side: Side, price: int, size: int, *, symbol: str = "X", venue: str = "sim", strategy: str = "s1") -> SubmitOrder:
        """A new limit order with a fresh client id."""
        return SubmitOrder(strategy, venue, symbol, f"{strategy}-{next(self._ids)}", side, price, size)

    def mid(self, symbol: str, ticks: int, venue: str = "sim") -> None:
        self._mids[(venue, symbol)] = ticks

    def rest(self, order: SubmitOrder) -> None:
        """``order`` passed the risk layer and now works at the venue."""
        self.state.order_sent(order)

    def fill(self, order: SubmitOrder, size: int | None = None, price: int | None = None) -> None:
        """Fill ``size`` lots (all of it by default) of an order sent earlier (or now)."""
        if self.state.order(order.client_order_id) is None:
            self.rest(order)
        size = order.size if size is None else size
        open_order = self.state.order(order.client_order_id)
        left = (open_order.remaining if open_order is not None else order.size) - size
        self.state.on_event(OrderFilled(
            order.venue, order.symbol, 0, 0, order.client_order_id, order.strategy, "v", f"x{next(self._execs)}",
            order.side, order.price if price is None else price, size, order.size - left, left,
        ))  # fmt: skip

    def evaluate(self, order: Order) -> Denial | None:
        return self.check.check(order, self.state)


@dataclass(frozen=True)
class RiskCheckCase:
    """A check under test and examples of its decisions.

    ``setup(harness)`` scripts the state before each example; ``passes`` and
    ``denies`` are built by functions of the harness (so they can use
    :meth:`RiskCheckHarness.order`); ``denies`` pairs each order with the
    reason it must be denied with.
    """

    factory: Callable[[Any], Any]
    settings: msgspec.Struct
    passes: Callable[[RiskCheckHarness], Sequence[Order]]
    denies: Callable[[RiskCheckHarness], Sequence[tuple[Order, DenyReason]]]
    setup: Callable[[RiskCheckHarness], None] = lambda harness: None
    unsupported: Mapping[str, str] = field(default_factory=dict)

    def harness(self) -> RiskCheckHarness:
        h = RiskCheckHarness(self.factory, self.settings)
        self.setup(h)
        return h


@dataclass(frozen=True)
class RiskCheck:
    id: str
    statement: str
    body: Callable[[RiskCheckCase], None]


def _passes(case: RiskCheckCase) -> None:
    h = case.harness()
    for order in case.passes(h):
        assert h.evaluate(order) is None, f"{order} was denied: {h.evaluate(order)}"


def _denies(case: RiskCheckCase) -> None:
    h = case.harness()
    examples = case.denies(h)
    assert examples, "the case lists no order the check must deny"
    for order, reason in examples:
        denial = h.evaluate(order)
        assert denial is not None, f"{order} passed, expected a {reason.value} denial"
        assert isinstance(denial, Denial) and denial.reason is reason, f"{order}: {denial}, expected {reason.value}"
        assert denial.message.strip(), f"{order}: the denial says nothing a person can act on"


def _state_snapshot(state: RiskState) -> Any:
    return (dict(state.positions), dict(state.cash),
            {k: (o.price, o.remaining) for k, o in state.orders.items()})  # fmt: skip


def _read_only(case: RiskCheckCase) -> None:
    h = case.harness()
    before = _state_snapshot(h.state)
    for order in [*case.passes(h), *(o for o, _ in case.denies(h))]:
        h.evaluate(order)
    assert _state_snapshot(h.state) == before, "checking orders changed the risk state"


def _deterministic(case: RiskCheckCase) -> None:
    h = case.harness()
    for order in [*case.passes(h), *(o for o, _ in case.denies(h))]:
        assert h.evaluate(order) == h.evaluate(order), f"two answers for {order}"


def _unknown_instrument(case: RiskCheckCase) -> None:
    h = RiskCheckHarness(case.factory, case.settings)  # no setup: no mid, no instrument, no position
    for side in (Side.BUY, Side.SELL):
        result = h.evaluate(h.order(side, 100, 1, symbol="UNLISTED"))
        assert result is None or isinstance(result, Denial), result


def _named(case: RiskCheckCase) -> None:
    check = case.harness().check
    assert isinstance(getattr(check, "name", None), str) and check.name, "the check has no name"


RISK_CHECKS: tuple[RiskCheck, ...] = (
    RiskCheck("named", "the check has a name", _named),
    RiskCheck("passes", "every order listed as passing passes", _passes),
    RiskCheck("denies", "every order listed as denied is denied with its reason and a message", _denies),
    RiskCheck("read_only", "checking orders does not change the risk state", _read_only),
    RiskCheck("deterministic", "the same order on the same state gets the same answer", _deterministic),
    RiskCheck("unknown_instrument", "an order for an instrument with no mid or instrument raises nothing", _unknown_instrument),
)  # fmt: skip


class RiskCheckContract:
    """Every risk-check proof as a test: subclass as ``Test...``, provide ``risk_check_case``."""

    @pytest.mark.parametrize("risk_check", RISK_CHECKS, ids=[c.id for c in RISK_CHECKS])
    def test_risk_check_contract(self, risk_check: RiskCheck, risk_check_case: RiskCheckCase) -> None:
        if risk_check.id in risk_check_case.unsupported:
            pytest.skip(f"declared not applicable: {risk_check_case.unsupported[risk_check.id]}")
        risk_check.body(risk_check_case)
