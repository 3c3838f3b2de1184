"""The built-in pre-trade checks, loaded the way the run loads them: through
the ``backplane`` entry points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from framework.model.events import (
    BookSnapshot,
    DenyReason,
    Instrument,
    OrderFilled,
    Side,
    Trade,
)
from framework.model.orders import ReplaceOrder, SubmitOrder
from framework.plugin.manager import load_host
from framework.risk.config import RiskConfig
from framework.risk.layer import RiskLayer
from framework.risk.state import RiskState
from framework.runtime.clock import SimClock
from plugins.riskchecks.checks import (
    MaxPosition,
    MaxPositionSettings,
    PriceBandSettings,
)

INST = Instrument("pm", "AAA", Decimal("0.001"), Decimal(1), min_price=1, max_price=999)


@pytest.fixture(scope="module")
def host() -> Any:
    return load_host()


def test_the_plugin_registers_checks_section_and_command(host: Any) -> None:
    assert {"max_order_size", "max_notional", "max_position", "max_open_orders", "price_band"} <= set(
        host.names("risk-check")
    )
    assert host.config_sections["risk"].type is RiskConfig
    assert "kill" in host.commands
    assert not [p for p in host.problems if p.plugin == "riskchecks"]


_n = iter(range(10**6))


def order(size: int = 1, price: int = 500, side: Side = Side.BUY, strategy: str = "s1", symbol: str = "AAA") -> SubmitOrder:
    return SubmitOrder(strategy, "pm", symbol, f"o{next(_n)}", side, price, size)


def layer_with(host: Any, checks: dict[str, Any]) -> RiskLayer:
    config = msgspec.convert({"checks": checks}, RiskConfig)
    assert config.check_issues(host.risk_checks, pairs=[("pm", "s1")]) == []
    return RiskLayer(config, host.risk_checks, SimClock(), instruments=lambda v, s: INST if s == "AAA" else None)


def reason(layer: RiskLayer, intent: Any) -> DenyReason | None:
    denied = layer.evaluate(intent)
    return denied.reason if denied is not None else None


def test_max_order_size(host: Any) -> None:
    layer = layer_with(host, {"max_order_size": {"max_size": 100}})
    assert reason(layer, order(100)) is None
    denied = layer.evaluate(order(101))
    assert denied is not None and denied.reason is DenyReason.MAX_ORDER_SIZE
    assert denied.message == "size 101 lots is over the max order size of 100"


def test_max_notional_in_the_quote_currency(host: Any) -> None:
    layer = layer_with(host, {"max_notional": {"max_notional": "50"}})
    assert reason(layer, order(100, price=500)) is None  # 0.500 x 100 = 50
    denied = layer.evaluate(order(100, price=501))
    assert denied is not None and denied.reason is DenyReason.MAX_NOTIONAL and "50.100" in denied.message
    assert reason(layer, order(1, symbol="ZZZ")) is DenyReason.UNKNOWN_INSTRUMENT


def test_max_position_counts_open_orders_at_worst_case(host: Any) -> None:
    layer = layer_with(host, {"max_position": {"max_position": 10}})
    first = order(6)
    assert reason(layer, first) is None
    assert reason(layer, order(5)) is DenyReason.MAX_POSITION  # 6 open + 5 > 10
    assert reason(layer, order(4)) is None
    assert reason(layer, order(20, side=Side.SELL)) is DenyReason.MAX_POSITION  # short 20
    assert reason(layer, order(10, side=Side.SELL)) is None  # buys may fill later; sells alone: -10
    layer.on_event(OrderFilled("pm", "AAA", 0, 0, first.client_order_id, "s1", "", "x1", Side.BUY, 500, 6, 6, 0))
    # Long 6 with 4 more open: a replace that grows the open buy to 5 would reach 11.
    open_buy = next(k for k, o in layer.state.orders.items() if o.side is Side.BUY)
    assert reason(layer, ReplaceOrder("s1", "pm", "AAA", open_buy, "", 500, 5)) is DenyReason.MAX_POSITION
    assert reason(layer, ReplaceOrder("s1", "pm", "AAA", open_buy, "", 500, 3)) is None


def test_max_position_message() -> None:
    state = RiskState()
    denial = MaxPosition(MaxPositionSettings(2)).check(order(3), state)
    assert denial is not None and denial.message == "long 3 lots in AAA if open orders fill, over the max position of 2"


def test_max_open_orders_per_strategy_and_instrument(host: Any) -> None:
    layer = layer_with(host, {"max_open_orders": {"per_strategy": 3, "per_instrument": 2}})
    first = order()
    assert reason(layer, first) is None and reason(layer, order()) is None
    assert reason(layer, order()) is DenyReason.MAX_OPEN_ORDERS  # 2 in AAA
    assert reason(layer, order(symbol="BBB")) is None
    denied = layer.evaluate(order(symbol="CCC"))
    assert denied is not None and "max per strategy is 3" in denied.message
    assert reason(layer, ReplaceOrder("s1", "pm", "AAA", first.client_order_id, "", 400, 1)) is None
    assert reason(layer, order(strategy="s2")) is None  # another strategy's count


def test_price_band_in_ticks_and_percent_around_mid_or_last(host: Any) -> None:
    layer = layer_with(host, {"price_band": {"max_ticks": 30, "max_percent": "5"}})
    denied = layer.evaluate(order())
    assert denied is not None and denied.reason is DenyReason.PRICE_BAND
    assert denied.message == "no mid or last price for AAA yet"
    layer.on_event(Trade("pm", "AAA", 0, 0, 400, 1))
    assert reason(layer, order(price=420)) is None  # 20 ticks, 5 % of 400
    assert reason(layer, order(price=421)) is DenyReason.PRICE_BAND  # 5.25 %
    layer.on_event(BookSnapshot("pm", "AAA", 0, 0, ((690, 1),), ((710, 1),)))  # mid 700 wins over last
    assert reason(layer, order(price=730)) is None  # 30 ticks, 4.3 %
    denied = layer.evaluate(order(price=731, side=Side.SELL))
    assert denied is not None and "31 ticks from the mid_or_last 700, over 30" in denied.message
    with pytest.raises(ValueError, match="set max_ticks, max_percent or both"):
        PriceBandSettings()
    lenient = layer_with(host, {"price_band": {"max_ticks": 5, "without_reference": "allow", "reference": "mid"}})
    assert reason(lenient, order()) is None


def test_bad_settings_are_reported_with_their_path(host: Any) -> None:
    config = msgspec.convert({"checks": {"max_order_size": {"max_size": 0}, "price_band": {"max_tick": 3}}},
                             RiskConfig)  # fmt: skip
    issues = config.check_issues(host.risk_checks)
    assert any(i.startswith("risk.checks.max_order_size.max_size: Expected `int` >= 1") for i in issues)
    assert any(i.startswith("risk.checks.price_band.max_tick: unknown setting") for i in issues)
