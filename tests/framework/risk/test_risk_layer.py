"""The risk layer: trading states, loss limits, the kill switch, and checks
registered by a third-party plugin."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from framework.model.events import (
    BookSnapshot,
    CancelRejected,
    DenyReason,
    Instrument,
    OrderDenied,
    OrderFilled,
    Side,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import PluginHost
from framework.plugin.specs import RiskCheckSpec
from framework.risk.checks import Denial
from framework.risk.config import RiskConfig, TradingState
from framework.risk.killswitch import KILL_FILE, KillSwitch, write_kill
from framework.risk.layer import RiskLayer
from framework.risk.state import RiskState
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_MS, SimClock

INST = Instrument("pm", "AAA", Decimal("0.01"), Decimal(1), min_price=1, max_price=99)


class OddLotSettings(msgspec.Struct, forbid_unknown_fields=True):
    lot: int


class OddLot:
    """A third-party check: sizes must be multiples of ``lot``."""

    name = "odd_lot"

    def __init__(self, settings: OddLotSettings) -> None:
        self.lot = settings.lot

    def check(self, order: SubmitOrder | ReplaceOrder, state: RiskState) -> Denial | None:
        if order.size % self.lot:
            return Denial(DenyReason.CUSTOM, f"size {order.size} is not a multiple of {self.lot}")
        return None


class ThirdParty:
    @hookimpl
    def backplane_risk_checks(self) -> list[RiskCheckSpec]:
        return [RiskCheckSpec("odd_lot", OddLot, OddLotSettings, "sizes in round lots")]


def make_layer(cfg: dict[str, Any] | None = None, bus: Bus | None = None) -> RiskLayer:
    host = PluginHost()
    assert host.register(ThirdParty(), "thirdparty"), host.problems
    config = msgspec.convert(cfg or {}, RiskConfig)
    layer = RiskLayer(config, host.risk_checks, SimClock(), instruments=lambda v, s: INST if s == "AAA" else None)
    if bus is not None:
        layer.attach(bus)
    return layer


_ids = iter(range(1, 10**6))


def buy(size: int = 1, price: int = 50, strategy: str = "s1", side: Side = Side.BUY) -> SubmitOrder:
    return SubmitOrder(strategy, "pm", "AAA", f"c{next(_ids)}", side, price, size)


def sell(size: int = 1, price: int = 50, strategy: str = "s1") -> SubmitOrder:
    return buy(size, price, strategy, Side.SELL)


def fill(order: SubmitOrder, size: int | None = None, price: int | None = None, fee: int = 0) -> OrderFilled:
    size = order.size if size is None else size
    return OrderFilled("pm", "AAA", 0, 0, order.client_order_id, order.strategy, "", f"x{next(_ids)}", order.side,
                       order.price if price is None else price, size, size, order.size - size, fee=fee)  # fmt: skip


def test_halted_allows_cancels_only_and_a_strategy_halt_is_its_own() -> None:
    layer = make_layer({"strategies": {"s2": {"state": "halted"}}})
    denied = layer.evaluate(buy(strategy="s2"))
    assert isinstance(denied, OrderDenied) and denied.reason is DenyReason.TRADING_HALTED
    assert "s2 is halted" in denied.message and denied.strategy == "s2"
    assert layer.evaluate(CancelOrder("s2", "pm", "AAA", "c1")) is None
    assert layer.evaluate(buy(strategy="s1")) is None
    layer.halt(reason="desk call")
    denied = layer.evaluate(buy(strategy="s1"))
    assert denied is not None and "the run is halted (desk call)" in denied.message
    layer.set_state("", TradingState.ACTIVE)
    assert layer.evaluate(buy(strategy="s1")) is None
    assert layer.stats() == {"trading_halted": 2}


def test_reducing_lets_through_only_what_shrinks_the_position_worst_case() -> None:
    layer = make_layer()
    first = buy(10)
    assert layer.evaluate(first) is None
    layer.on_event(fill(first))
    layer.set_state("s1", TradingState.REDUCING, "end of day")
    assert layer.evaluate(sell(4)) is None  # now 4 lots are open on the sell side
    denied = layer.evaluate(sell(7))
    assert denied is not None and denied.reason is DenyReason.REDUCE_ONLY
    assert "does not shrink position 10" in denied.message and "end of day" in denied.message
    assert layer.evaluate(sell(6)) is None
    assert layer.evaluate(buy(1)).reason is DenyReason.REDUCE_ONLY  # type: ignore[union-attr]
    # Flat: nothing can reduce.
    flat = make_layer({"strategies": {"s1": {"state": "reducing"}}})
    assert flat.evaluate(sell(1)).reason is DenyReason.REDUCE_ONLY  # type: ignore[union-attr]


def test_a_loss_past_the_limit_halts_the_strategy_and_the_run_limit_reduces_all() -> None:
    layer = make_layer({
        "loss_limit": {"max_loss": "8", "action": "reducing"},
        "strategies": {"s1": {"loss_limit": {"max_loss": "5"}}},
    })  # fmt: skip
    order = buy(10, price=60)
    assert layer.evaluate(order) is None
    layer.on_event(fill(order, fee=30))  # 0.30 of fees
    assert layer.state.pnl("s1") == Decimal("-0.30")
    layer.on_event(BookSnapshot("pm", "AAA", 0, 0, ((54, 5),), ((56, 5),)))  # mid 55: -0.50 - 0.30 fees
    assert layer.trading_state("s1") is TradingState.ACTIVE
    layer.on_event(BookSnapshot("pm", "AAA", 0, 0, ((10, 5),), ((12, 5),)))  # mid 11: -4.90 - 0.30 fees = -5.20
    assert layer.trading_state("s1") is TradingState.HALTED
    denied = layer.evaluate(buy(1))
    assert denied is not None and denied.reason is DenyReason.LOSS_LIMIT
    assert "loss 5.20 reached the limit of 5" in denied.message
    assert layer.trading_state("s3") is TradingState.ACTIVE  # -5.20 is within the run's 8
    other = buy(10, price=40, strategy="s3")
    assert layer.evaluate(other) is None
    layer.on_event(fill(other))
    layer.on_event(BookSnapshot("pm", "AAA", 0, 0, ((8, 5),), ((10, 5),)))  # mid 9
    assert layer.trading_state("s3") is TradingState.REDUCING  # the run: -5.40 - 3.10 < -8


def test_checks_layer_per_venue_and_strategy_and_denials_reach_the_bus() -> None:
    bus = Bus()
    seen: list[OrderDenied] = []
    bus.subscribe(seen.append, OrderDenied)
    layer = make_layer({
        "checks": {"odd_lot": {"lot": 5}},
        "strategies": {"s2": {"checks": {"odd_lot": {"lot": 2}}}, "s3": {"checks": {"odd_lot": {"enabled": False}}}},
    }, bus)  # fmt: skip
    assert layer.evaluate(buy(7, strategy="s1")).reason is DenyReason.CUSTOM  # type: ignore[union-attr]
    assert layer.evaluate(buy(10, strategy="s1")) is None
    assert layer.evaluate(buy(4, strategy="s2")) is None
    assert layer.evaluate(buy(7, strategy="s3")) is None
    assert [e.message for e in seen] == ["size 7 is not a multiple of 5"]


def test_invalid_orders_and_unknown_checks() -> None:
    layer = make_layer()
    assert layer.evaluate(buy(0)).reason is DenyReason.INVALID_ORDER  # type: ignore[union-attr]
    assert "outside [1, 99]" in layer.evaluate(buy(1, price=100)).message  # type: ignore[union-attr]
    replace = ReplaceOrder("s1", "pm", "AAA", "nope", "", 50, 2)
    assert "no open order 'nope'" in layer.evaluate(replace).message  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not installed: nosuch"):
        make_layer({"checks": {"nosuch": {}}})


def test_open_orders_count_from_approval_and_leave_on_denial_or_fill() -> None:
    layer = make_layer()
    a, b = buy(3), buy(4)
    assert layer.evaluate(a) is None and layer.evaluate(b) is None
    assert layer.state.open_orders("s1") == 2 and layer.state.open_lots("s1", "pm", "AAA") == (7, 0)
    layer.deny(b, DenyReason.RATE_LIMITED, "no budget")  # the gate refused it after the checks
    assert layer.state.open_orders("s1") == 1
    layer.on_event(fill(a, size=1))
    assert layer.state.open_lots("s1", "pm", "AAA") == (2, 0)
    grow = ReplaceOrder("s1", "pm", "AAA", a.client_order_id, "", 45, 9)
    assert layer.evaluate(grow) is None
    assert layer.state.open_lots("s1", "pm", "AAA") == (9, 0)
    layer.deny(grow, DenyReason.RATE_LIMITED, "no budget")  # never sent: the order is as it was
    assert layer.state.open_lots("s1", "pm", "AAA") == (2, 0) and layer.state.open_orders("s1") == 1
    assert layer.evaluate(ReplaceOrder("s1", "pm", "AAA", a.client_order_id, "", 45, 5)) is None
    assert layer.state.open_lots("s1", "pm", "AAA") == (5, 0)
    layer.on_event(fill(a, size=5))
    assert layer.state.open_orders("s1") == 0 and layer.state.position("s1", "pm", "AAA") == 6


def test_config_issues_name_the_key() -> None:
    host = PluginHost()
    host.register(ThirdParty(), "thirdparty")
    config = msgspec.convert({
        "checks": {"odd_lot": {"lot": "x"}, "nosuch": {}},
        "strategies": {"s1": {"checks": {"odd_lot": {"lots": 3, "enabled": "yes"}}}},
    }, RiskConfig)  # fmt: skip
    issues = config.check_issues(host.risk_checks)
    assert "risk.checks.nosuch: no risk check named 'nosuch' (known: odd_lot)" in issues
    assert any(i.startswith("risk.checks.odd_lot.lot: Expected `int`") for i in issues)
    assert "risk.strategies.s1.checks.odd_lot.enabled: expected true or false" in issues
    assert any(i.startswith("risk.strategies.s1.checks.odd_lot.lots: unknown setting") for i in issues)
    partial = msgspec.convert({"venues": {"pm": {"checks": {"odd_lot": {}}}}}, RiskConfig)
    assert partial.check_issues(host.risk_checks, pairs=[("pm", "s1")]) == [
        "risk.checks.odd_lot for strategy s1 on venue pm: Object missing required field `lot`"
    ]


def test_kill_switch_file_is_polled_on_the_clock(tmp_path: Path) -> None:
    clock = SimClock()
    layer = make_layer()
    layer.clock = clock
    switch = KillSwitch(tmp_path, layer, clock, 500 * NS_PER_MS)
    switch.start()
    write_kill(tmp_path, strategy="s1", reason="runaway")
    assert layer.trading_state("s1") is TradingState.ACTIVE  # not before the next poll
    clock.advance(500 * NS_PER_MS)
    assert layer.trading_state("s1") is TradingState.HALTED
    assert "runaway" in layer.evaluate(buy()).message  # type: ignore[union-attr]
    with (tmp_path / KILL_FILE).open("a") as f:
        f.write("not json\n{\"state\": \"reducing\"")  # a bad line, then half a line
    clock.advance(500 * NS_PER_MS)
    assert switch.bad_lines == 1 and layer.trading_state("") is TradingState.ACTIVE
    with (tmp_path / KILL_FILE).open("a") as f:
        f.write("}\n")
    clock.advance(500 * NS_PER_MS)
    assert layer.trading_state("") is TradingState.REDUCING and switch.applied == 2
    # A restarted run reads the whole file at start: the halt survives.
    again = make_layer()
    KillSwitch(tmp_path, again, clock, 500 * NS_PER_MS).poll()
    assert again.trading_state("s1") is TradingState.HALTED
    switch.stop()
    assert clock.next_timer_ns() is None


def test_denials_from_another_router_undo_only_what_was_approved() -> None:
    """A router that publishes its own OrderDenied when the gate refuses (and
    republishes the layer's own denials) keeps the open-order count right."""
    bus = Bus()
    layer = make_layer({"checks": {"odd_lot": {"lot": 2}}}, bus)
    a = buy(2)
    assert layer.evaluate(a) is None
    own = layer.evaluate(buy(3))  # denied by a check: never counted
    assert own is not None
    bus.publish(own)  # a router publishing it again changes nothing
    assert layer.state.open_orders("s1") == 1
    b = buy(4)
    assert layer.evaluate(b) is None and layer.state.open_orders("s1") == 2
    bus.publish(OrderDenied("pm", "AAA", 0, 0, b.client_order_id, "s1", "", DenyReason.RATE_LIMITED, "gate"))
    assert layer.state.open_orders("s1") == 1 and layer.state.open_lots("s1", "pm", "AAA") == (2, 0)
    # A replace the venue refuses restores the order; a refused cancel leaves it alone.
    assert layer.evaluate(ReplaceOrder("s1", "pm", "AAA", a.client_order_id, "", 50, 6)) is None
    bus.publish(CancelRejected("pm", "AAA", 0, 0, a.client_order_id, "s1", "", "too late"))
    assert layer.state.open_lots("s1", "pm", "AAA") == (2, 0)
    bus.publish(CancelRejected("pm", "AAA", 0, 0, a.client_order_id, "s1", "", "unknown order"))
    assert layer.state.open_orders("s1") == 1
