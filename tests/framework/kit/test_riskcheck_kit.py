"""The risk-check kit: built-in checks pass it, broken checks fail the right proof."""

from __future__ import annotations

import msgspec
import pytest

from framework.kit.riskcheck import (
    RISK_CHECKS,
    RiskCheckCase,
    RiskCheckContract,
    RiskCheckHarness,
)
from framework.model.events import DenyReason, Side
from framework.risk.checks import Denial
from plugins.riskchecks.checks import (
    MaxOrderSize,
    MaxOrderSizeSettings,
    MaxPosition,
    MaxPositionSettings,
)


def _max_position_setup(h: RiskCheckHarness) -> None:
    h.mid("X", 100)
    h.fill(h.order(Side.BUY, 100, 8))  # long 8 of a max 10


@pytest.fixture(params=["max_order_size", "max_position"])
def risk_check_case(request: pytest.FixtureRequest) -> RiskCheckCase:
    if request.param == "max_order_size":
        return RiskCheckCase(
            MaxOrderSize, MaxOrderSizeSettings(max_size=5),
            passes=lambda h: [h.order(Side.BUY, 100, 5), h.order(Side.SELL, 100, 1)],
            denies=lambda h: [(h.order(Side.BUY, 100, 6), DenyReason.MAX_ORDER_SIZE)],
        )  # fmt: skip
    return RiskCheckCase(
        MaxPosition, MaxPositionSettings(max_position=10),
        passes=lambda h: [h.order(Side.BUY, 100, 2), h.order(Side.SELL, 100, 18)],
        denies=lambda h: [(h.order(Side.BUY, 100, 3), DenyReason.MAX_POSITION)],
        setup=_max_position_setup,
    )  # fmt: skip


class TestBuiltinChecks(RiskCheckContract):
    """Two built-in checks pass every proof."""


class Settings(msgspec.Struct):
    pass


class Mutating:
    """Counts each order it sees as open: a check that writes to the state."""

    name = "mutating"

    def __init__(self, settings: Settings) -> None:
        pass

    def check(self, order, state):
        state.order_sent(order)
        return None


class Mute:
    """Denies everything with the wrong reason and no message."""

    name = "mute"

    def __init__(self, settings: Settings) -> None:
        pass

    def check(self, order, state):
        return Denial(DenyReason.CUSTOM, " ")


def proof(proof_id: str):
    return next(c for c in RISK_CHECKS if c.id == proof_id)


def test_a_check_that_writes_the_state_fails_read_only() -> None:
    case = RiskCheckCase(Mutating, Settings(), passes=lambda h: [h.order(Side.BUY, 1, 1)], denies=lambda h: [])
    with pytest.raises(AssertionError, match="changed the risk state"):
        proof("read_only").body(case)


def test_wrong_reason_and_empty_message_fail_denies() -> None:
    case = RiskCheckCase(Mute, Settings(), passes=lambda h: [],
                         denies=lambda h: [(h.order(Side.BUY, 1, 1), DenyReason.MAX_NOTIONAL)])  # fmt: skip
    with pytest.raises(AssertionError, match="expected max_notional"):
        proof("denies").body(case)
    case = RiskCheckCase(Mute, Settings(), passes=lambda h: [],
                         denies=lambda h: [(h.order(Side.BUY, 1, 1), DenyReason.CUSTOM)])  # fmt: skip
    with pytest.raises(AssertionError, match="says nothing"):
        proof("denies").body(case)
    with pytest.raises(AssertionError, match="was denied"):
        proof("passes").body(RiskCheckCase(Mute, Settings(), passes=lambda h: [h.order(Side.BUY, 1, 1)], denies=lambda h: []))


def test_harness_fills_move_the_position() -> None:
    h = RiskCheckHarness(MaxOrderSize, MaxOrderSizeSettings(max_size=5))
    order = h.order(Side.SELL, 100, 4)
    h.fill(order, 1)
    h.fill(order, 3)
    assert h.state.position("s1", "sim", "X") == -4
    assert h.state.order(order.client_order_id) is None
