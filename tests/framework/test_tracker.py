"""The order tracker: lifecycle table, exactly-once fills, open-order index."""

from __future__ import annotations

from framework.events import (
    CancelRejected,
    DenyReason,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    Side,
)
from framework.orders import CancelOrder, SubmitOrder
from framework.tracker import OrderState, OrderTracker


def submit(t: OrderTracker, cid: str, side: Side = Side.BUY, size: int = 10) -> None:
    t.on_intent(SubmitOrder("s", "v", "X", cid, side, 100, size))


def fill(cid: str, exec_id: str, size: int, filled: int, remaining: int, side: Side = Side.BUY) -> OrderFilled:
    return OrderFilled("v", "X", 0, 0, cid, "s", "V1", exec_id, side, 100, size, filled, remaining)


def test_accept_partial_full() -> None:
    t = OrderTracker()
    submit(t, "c1")
    assert t.order("c1").state is OrderState.PENDING
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    assert t.order("c1").state is OrderState.ACCEPTED and t.order("c1").venue_order_id == "V1"
    t.on_event(fill("c1", "e1", 4, 4, 6))
    assert t.order("c1").state is OrderState.PARTIALLY_FILLED and t.order("c1").remaining == 6
    t.on_event(fill("c1", "e2", 6, 10, 0))
    assert t.order("c1").state is OrderState.FILLED
    assert t.open_orders() == [] and t.position("s", "v", "X") == 10


def test_a_duplicate_execution_is_booked_once() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(fill("c1", "e1", 4, 4, 6))
    t.on_event(fill("c1", "e1", 4, 4, 6))
    assert t.position("s", "v", "X") == 4 and t.duplicate_fills == 1


def test_fill_before_ack_and_fill_after_cancel_still_count() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(fill("c1", "e1", 10, 10, 0))  # an IOC filled before its ack
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))  # late ack: ignored
    assert t.order("c1").state is OrderState.FILLED
    assert t.unexpected["filled->accepted"] == 1
    submit(t, "c2", Side.SELL)
    t.on_event(OrderCanceled("v", "X", 0, 0, "c2", "s", "V2", "user"))
    t.on_event(fill("c2", "e2", 3, 3, 7, Side.SELL))  # raced the cancel
    assert t.position("s", "v", "X") == 7
    assert t.order("c2").state is OrderState.CANCELED


def test_cancel_rejected_restores_the_previous_state() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    t.on_event(fill("c1", "e1", 2, 2, 8))
    t.on_intent(CancelOrder("s", "v", "X", "c1", "V1"))
    assert t.order("c1").state is OrderState.PENDING_CANCEL and t.order("c1").is_open
    t.on_event(CancelRejected("v", "X", 0, 0, "c1", "s", "V1", "too late"))
    assert t.order("c1").state is OrderState.PARTIALLY_FILLED


def test_denied_and_rejected_orders_leave_the_open_index() -> None:
    t = OrderTracker()
    submit(t, "c1")
    submit(t, "c2")
    t.on_event(OrderDenied("v", "X", 0, 0, "c1", "s", "", DenyReason.MAX_POSITION, "too big"))
    t.on_event(OrderRejected("v", "X", 0, 0, "c2", "s", "", "bad price"))
    assert [o.state for o in (t.order("c1"), t.order("c2"))] == [OrderState.DENIED, OrderState.REJECTED]
    assert t.open_orders("s") == []


def test_a_denied_cancel_leaves_the_order_working() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    t.on_intent(CancelOrder("s", "v", "X", "c1", "V1"))
    t.on_event(OrderDenied("v", "X", 0, 0, "c1", "s", "", DenyReason.RATE_LIMITED, "no budget"))
    assert t.order("c1").is_open


def test_open_orders_filter_by_strategy_and_symbol() -> None:
    t = OrderTracker()
    t.on_intent(SubmitOrder("a", "v", "X", "a1", Side.BUY, 1, 1))
    t.on_intent(SubmitOrder("a", "v", "Y", "a2", Side.BUY, 1, 1))
    t.on_intent(SubmitOrder("b", "v", "X", "b1", Side.BUY, 1, 1))
    assert [o.client_order_id for o in t.open_orders("a")] == ["a1", "a2"]
    assert [o.client_order_id for o in t.open_orders("a", "Y")] == ["a2"]
    assert [o.client_order_id for o in t.open_orders(symbol="X")] == ["a1", "b1"]
