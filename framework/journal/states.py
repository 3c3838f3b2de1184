"""The order lifecycle as data.

Theory of operation
-------------------
An order's journalled state moves only along :data:`TRANSITIONS`, keyed by
``(state, what happened)``. Venues deliver out of order and more than once (a
fill racing a cancel, an acknowledgement after the fill), so a pair missing
from the table is not an error: the state stays, and the journal marks the
event ``ignored`` in ``order_events``. A fill is always booked (positions and
executions) whatever the state; the table only decides what the order row says.

::

    (none) --submit--> pending --accept--> accepted --fill--> partially_filled
       |                  |                   |                    |
       |                  +--reject--> rejected                    |
       +--deny--> denied  +------cancel-------+--> canceled <------+
                          any working state --fill_full--> filled
"""

from __future__ import annotations

import enum

__all__ = ["TRANSITIONS", "WORKING", "OrderState", "next_state"]


class OrderState(enum.Enum):
    NEW = "new"  # not yet journalled
    PENDING = "pending"  # sent, no answer yet
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    DENIED = "denied"


WORKING = frozenset({OrderState.PENDING, OrderState.ACCEPTED, OrderState.PARTIALLY_FILLED})
"""States of an order that may still trade (restored as open orders)."""

_S = OrderState
TRANSITIONS: dict[tuple[OrderState, str], OrderState] = {
    (_S.NEW, "submit"): _S.PENDING,
    (_S.NEW, "deny"): _S.DENIED,
    (_S.PENDING, "deny"): _S.DENIED,
    (_S.NEW, "accept"): _S.ACCEPTED,  # an order we learn of from the venue
    (_S.PENDING, "accept"): _S.ACCEPTED,
    (_S.ACCEPTED, "accept"): _S.ACCEPTED,  # a replace acknowledged
    (_S.PARTIALLY_FILLED, "accept_filled"): _S.PARTIALLY_FILLED,
    (_S.ACCEPTED, "accept_filled"): _S.PARTIALLY_FILLED,
    (_S.PENDING, "accept_filled"): _S.PARTIALLY_FILLED,
    (_S.NEW, "reject"): _S.REJECTED,
    (_S.PENDING, "reject"): _S.REJECTED,
    (_S.ACCEPTED, "reject"): _S.REJECTED,
    (_S.NEW, "cancel"): _S.CANCELED,
    (_S.PENDING, "cancel"): _S.CANCELED,
    (_S.ACCEPTED, "cancel"): _S.CANCELED,
    (_S.PARTIALLY_FILLED, "cancel"): _S.CANCELED,
    (_S.CANCELED, "fill_full"): _S.FILLED,  # the fill won the race with the cancel
}
for _state in (_S.NEW, _S.PENDING, _S.ACCEPTED, _S.PARTIALLY_FILLED):
    TRANSITIONS[(_state, "fill")] = _S.PARTIALLY_FILLED
    TRANSITIONS[(_state, "fill_full")] = _S.FILLED
del _state


def next_state(state: OrderState, happened: str) -> OrderState | None:
    """The state after ``happened``, or None when the table has no such move."""
    return TRANSITIONS.get((state, happened))
