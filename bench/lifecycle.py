"""Cost of one order lifecycle transition (:mod:`framework.execution.lifecycle`).

- ``table_next_status_ns``: the table alone (``next_status``), beside a bare
  ``dict`` lookup of the same pair (the least any table can cost);
- ``tracker_transition_ns``: one transition as a run makes it on every order
  event -- :meth:`OrderTracker.apply` (table, history, open index), on an order
  moving ACCEPTED -> PENDING_CANCEL -> ACCEPTED (a cancel requested, then refused);
- ``tracker_event_ns``: the same move driven from the bus event
  (``CancelRejected`` through ``OrderTracker.on_event``: event to trigger too).

The issue's goal is at most 1 us per transition (compiled); these run as pure
Python (the lifecycle is not in the compiled set: it already meets the goal).
"""

from __future__ import annotations

from bench._timing import best_of
from framework.execution.lifecycle import TABLE, OrderStatus, Trigger, next_status
from framework.execution.tracker import OrderTracker
from framework.model.events import CancelRejected, OrderAccepted, Side
from framework.model.orders import SubmitOrder


def run(quick: bool = False) -> dict[str, float]:
    n = 20_000 if quick else 400_000
    pairs = {(s, t): a for s, row in TABLE.items() for t, a in row.items()}
    accepted, refused = OrderStatus.PENDING_CANCEL, Trigger.REFUSED

    def bare() -> None:
        for _ in range(n):
            pairs[(accepted, refused)]

    def table() -> None:
        for _ in range(n):
            next_status(accepted, refused, 0)

    tracker = OrderTracker()
    tracker.on_intent(SubmitOrder("s", "v", "X", "c1", Side.BUY, 100, 10))
    tracker.admitted("c1")
    tracker.on_event(OrderAccepted("v", "X", 0, 0, "c1", "s", "V1", Side.BUY, 100, 10))
    order = tracker.order("c1")
    assert order is not None
    apply = tracker.apply

    def transitions() -> None:
        for _ in range(n // 2):
            apply(order, Trigger.REQUEST_CANCEL)
            apply(order, Trigger.REFUSED)

    refusal = CancelRejected("v", "X", 0, 0, "c1", "s", "V1", "too late")
    on_event = tracker.on_event

    def events() -> None:
        for _ in range(n // 2):
            apply(order, Trigger.REQUEST_CANCEL)
            on_event(refusal)

    figures = {
        "dict_lookup_ns": best_of(bare) / n * 1e9,
        "table_next_status_ns": best_of(table) / n * 1e9,
        "tracker_transition_ns": best_of(transitions) / n * 1e9,
    }
    # half the moves of `events` are plain transitions: subtract them to get the event's own
    figures["tracker_event_ns"] = 2 * best_of(events) / n * 1e9 - figures["tracker_transition_ns"]
    figures["tracker_transition_vs_dict_lookup_ratio"] = figures["tracker_transition_ns"] / figures["dict_lookup_ns"]
    assert not tracker.unexpected and order.state is OrderStatus.ACCEPTED
    return figures
