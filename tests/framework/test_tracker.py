"""The order tracker: lifecycle table, exactly-once fills, open-order index."""

from __future__ import annotations

from framework.execution.tracker import OrderStatus, OrderTracker
from framework.model.events import (
    CancelRejected,
    DenyReason,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderResolved,
    OrderUnknown,
    Side,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder


def submit(t: OrderTracker, cid: str, side: Side = Side.BUY, size: int = 10) -> None:
    t.on_intent(SubmitOrder("s", "v", "X", cid, side, 100, size))
    t.admitted(cid)


def fill(cid: str, exec_id: str, size: int, filled: int, remaining: int, side: Side = Side.BUY) -> OrderFilled:
    return OrderFilled("v", "X", 0, 0, cid, "s", "V1", exec_id, side, 100, size, filled, remaining)


def test_accept_partial_full() -> None:
    t = OrderTracker()
    submit(t, "c1")
    assert t.order("c1").state is OrderStatus.PENDING_NEW
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    assert t.order("c1").state is OrderStatus.ACCEPTED and t.order("c1").venue_order_id == "V1"
    t.on_event(fill("c1", "e1", 4, 4, 6))
    assert t.order("c1").state is OrderStatus.PARTIALLY_FILLED and t.order("c1").remaining == 6
    t.on_event(fill("c1", "e2", 6, 10, 0))
    assert t.order("c1").state is OrderStatus.FILLED
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
    assert t.order("c1").state is OrderStatus.FILLED
    assert t.unexpected["filled:accept"] == 1
    submit(t, "c2", Side.SELL)
    t.on_event(OrderCanceled("v", "X", 0, 0, "c2", "s", "V2", "user"))
    t.on_event(fill("c2", "e2", 3, 3, 7, Side.SELL))  # raced the cancel
    assert t.position("s", "v", "X") == 7
    assert t.order("c2").state is OrderStatus.CANCELLED


def test_cancel_rejected_restores_the_previous_state() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    t.on_event(fill("c1", "e1", 2, 2, 8))
    t.on_intent(CancelOrder("s", "v", "X", "c1", "V1"))
    assert t.order("c1").state is OrderStatus.PENDING_CANCEL and t.order("c1").is_open
    t.on_event(CancelRejected("v", "X", 0, 0, "c1", "s", "V1", "too late"))
    assert t.order("c1").state is OrderStatus.PARTIALLY_FILLED


def test_denied_and_rejected_orders_leave_the_open_index() -> None:
    t = OrderTracker()
    submit(t, "c1")
    submit(t, "c2")
    t.on_event(OrderDenied("v", "X", 0, 0, "c1", "s", "", DenyReason.MAX_POSITION, "too big"))
    t.on_event(OrderRejected("v", "X", 0, 0, "c2", "s", "", "bad price"))
    assert [o.state for o in (t.order("c1"), t.order("c2"))] == [OrderStatus.DENIED, OrderStatus.REJECTED]
    assert t.open_orders("s") == []


def test_a_denied_cancel_leaves_the_order_working() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    t.on_intent(CancelOrder("s", "v", "X", "c1", "V1"))
    t.on_event(OrderDenied("v", "X", 0, 0, "c1", "s", "", DenyReason.RATE_LIMITED, "no budget", "cancel"))
    assert t.order("c1").state is OrderStatus.ACCEPTED


def test_open_orders_filter_by_strategy_and_symbol() -> None:
    t = OrderTracker()
    t.on_intent(SubmitOrder("a", "v", "X", "a1", Side.BUY, 1, 1))
    t.on_intent(SubmitOrder("a", "v", "Y", "a2", Side.BUY, 1, 1))
    t.on_intent(SubmitOrder("b", "v", "X", "b1", Side.BUY, 1, 1))
    assert [o.client_order_id for o in t.open_orders("a")] == ["a1", "a2"]
    assert [o.client_order_id for o in t.open_orders("a", "Y")] == ["a2"]
    assert [o.client_order_id for o in t.open_orders(symbol="X")] == ["a1", "b1"]


def test_a_lost_answer_leaves_the_order_open_until_the_venue_says() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderUnknown("v", "X", 0, 5, "c1", "s", "", "submit", "timed out"))
    o = t.order("c1")
    assert o.state is OrderStatus.UNKNOWN and o.is_open and o.in_doubt == "submit" and o.unknown_since_ns == 5
    assert t.unknown_orders("v") == [o] and t.open_orders("s") == [o]
    t.on_event(OrderResolved("v", "X", 0, 6, "c1", "s", "V1", "found", 3))
    assert o.state is OrderStatus.ACCEPTED and o.filled == 0 and o.venue_order_id == "V1"  # fills come as executions
    submit(t, "c2")
    t.on_event(OrderUnknown("v", "X", 0, 5, "c2", "s", "", "submit", "HTTP 503"))
    t.on_event(OrderResolved("v", "X", 0, 6, "c2", "s", "", "not_found"))
    assert t.order("c2").state is OrderStatus.REJECTED and t.unknown_orders() == []


def test_a_replace_is_pending_until_acknowledged_and_fills_do_not_end_it() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    t.on_intent(ReplaceOrder("s", "v", "X", "c1", "V1", 101, 12))
    assert t.order("c1").state is OrderStatus.PENDING_REPLACE
    t.on_event(fill("c1", "e1", 2, 2, 8))
    assert t.order("c1").state is OrderStatus.PENDING_REPLACE
    t.on_event(OrderReplaced("v", "X", 0, 0, "c1", "s", "V1", 101, 12, 10))
    o = t.order("c1")
    assert (o.state, o.price, o.size, o.remaining) == (OrderStatus.PARTIALLY_FILLED, 101, 12, 10)


def test_an_overfill_is_counted_and_kept() -> None:
    t = OrderTracker()
    submit(t, "c1", size=5)
    t.on_event(fill("c1", "e1", 5, 5, 0))
    t.on_event(fill("c1", "e2", 2, 7, 0))
    assert t.violations["filled>size"] == 1 and t.position("s", "v", "X") == 7
    assert t.order("c1").state is OrderStatus.FILLED


def test_a_move_outside_the_table_is_ignored_and_counted() -> None:
    t = OrderTracker()
    submit(t, "c1")
    t.on_event(OrderRejected("v", "X", 0, 0, "c1", "s", "", "bad price"))
    t.on_event(OrderCanceled("v", "X", 0, 0, "c1", "s", "", "late"))
    assert t.order("c1").state is OrderStatus.REJECTED and t.unexpected["rejected:cancelled"] == 1
    assert [h[0].value for h in t.order("c1").history] == ["admit", "reject"]
    assert t.order("c1").history_text() == "admit: new -> pending_new, reject: pending_new -> rejected"
