"""The order lifecycle: one transition table for every order of a run.

Theory of operation
-------------------
An order is in exactly one :class:`OrderStatus`. It moves only when something
happens to it -- a :class:`Trigger` -- and only along :data:`TABLE`, keyed by
``(status, trigger)``. The tracker (what strategies read), the journal (what
a restarted run rebuilds from) and the risk layer's exposure all follow this
one table, so they cannot disagree about an order. A pair missing from the
table is never applied: the caller counts it and logs the order's history
(venues deliver late and twice; a late acknowledgement of a cancelled order is
news, not a state change).

Where each status comes from::

    NEW --admit--> PENDING_NEW --accept--> ACCEPTED --fill--> PARTIALLY_FILLED --fill_full--> FILLED
     |               |   |                    |   ^                 |
     +--deny--> DENIED   +--reject--> REJECTED |   +--(refused)------+-- request_cancel --> PENDING_CANCEL
                     |                        +-- request_replace --> PENDING_REPLACE --replaced--> (working)
                     +--lost--> UNKNOWN --(venue has it / not / no longer)--> working / REJECTED / CANCELLED
    any working status --cancelled--> CANCELLED, --expired--> EXPIRED, --fill_full--> FILLED

*Working* means ACCEPTED, or PARTIALLY_FILLED once anything filled: the table
says ACCEPTED and :func:`next_status` turns it into PARTIALLY_FILLED for an
order with fills (one rule instead of a second copy of every row).

- A fill never leaves PENDING_CANCEL or PENDING_REPLACE (the request is still
  in flight) unless it completes the order.
- Asking the venue (the resolver, or a resumed run's reconcile) can close any
  open order: ``gone`` (it no longer works there) or ``not_found`` (it never
  got there).
- UNKNOWN is an order whose last request got no answer (timeout, 5xx, reset
  after sending): the venue may or may not hold it. It counts as open
  exposure until the venue says which: any venue event about it resolves it,
  and the run asks the venue (``found`` / ``not_found`` / ``gone``).
- An order REJECTED here that the venue then shows working (the insert whose
  lost answer was resolved as never seen was processed late) goes back to
  PENDING_CANCEL: the run believes what the venue holds and pulls it.
- A fill that completes an order the venue cancelled meanwhile (the fill won
  the race) makes it FILLED; a partial fill after the cancel leaves it
  CANCELLED. Fills are booked to positions whatever the status: the table
  only decides what the order's status says.
"""

from __future__ import annotations

import enum

from framework.model.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderRejected,
    OrderReplaced,
    OrderResolved,
    OrderUnknown,
)

__all__ = [
    "OPEN",
    "as_markdown",
    "TABLE",
    "TERMINAL",
    "OrderStatus",
    "Trigger",
    "next_status",
    "trigger_for",
]


class OrderStatus(enum.Enum):
    """Where an order stands. Values are what the journal stores."""

    NEW = "new"  # built by a strategy, not yet through the risk layer
    PENDING_NEW = "pending_new"  # admitted; the venue has not acknowledged it
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    UNKNOWN = "unknown"  # the answer to its last request was lost
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # by the venue
    DENIED = "denied"  # by our risk layer: it never reached the venue
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """May the order still trade (or rest at the venue)?"""
        return self in OPEN


class Trigger(enum.Enum):
    """What can happen to an order."""

    ADMIT = "admit"  # the risk layer let it through
    DENY = "deny"  # the risk layer (or the gate, before sending) refused it
    ACCEPT = "accept"  # the venue acknowledged it (or showed it open)
    FILL = "fill"  # part of it traded
    FILL_FULL = "fill_full"  # the rest of it traded
    REQUEST_CANCEL = "request_cancel"
    REQUEST_REPLACE = "request_replace"
    REFUSED = "refused"  # a cancel or replace was refused; the order works on
    REPLACED = "replaced"  # a replace took effect
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECT = "reject"  # the venue refused the order
    LOST = "lost"  # the answer to a request on it was lost
    NOT_FOUND = "not_found"  # asked: the venue never had it
    GONE = "gone"  # asked: the venue no longer has it (cancelled or done)


S, T = OrderStatus, Trigger

OPEN = frozenset({S.NEW, S.PENDING_NEW, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.UNKNOWN})
TERMINAL = frozenset(set(S) - OPEN)

_ENDINGS = {T.FILL_FULL: S.FILLED, T.CANCELLED: S.CANCELLED, T.EXPIRED: S.EXPIRED}
_REQUESTS = {T.REQUEST_CANCEL: S.PENDING_CANCEL, T.REQUEST_REPLACE: S.PENDING_REPLACE}
_WORKING_ROW = {
    T.ACCEPT: S.ACCEPTED, T.FILL: S.PARTIALLY_FILLED, T.REPLACED: S.ACCEPTED, T.REFUSED: S.ACCEPTED,
    T.GONE: S.CANCELLED, **_ENDINGS, **_REQUESTS,
}  # fmt: skip

TABLE: dict[OrderStatus, dict[Trigger, OrderStatus]] = {
    # NEW also holds an order first heard of from the venue (found at a resume's reconcile)
    S.NEW: {T.ADMIT: S.PENDING_NEW, T.DENY: S.DENIED, T.ACCEPT: S.ACCEPTED, T.FILL: S.PARTIALLY_FILLED,
            T.REJECT: S.REJECTED, **_ENDINGS},
    S.PENDING_NEW: {
        T.ACCEPT: S.ACCEPTED, T.FILL: S.PARTIALLY_FILLED, T.REJECT: S.REJECTED, T.DENY: S.DENIED,
        T.LOST: S.UNKNOWN, T.NOT_FOUND: S.REJECTED, T.GONE: S.CANCELLED, **_ENDINGS, **_REQUESTS,
    },
    S.ACCEPTED: dict(_WORKING_ROW),
    S.PARTIALLY_FILLED: dict(_WORKING_ROW),
    S.PENDING_CANCEL: {
        # the insert's own answers may still arrive while the cancel waits behind it
        T.ACCEPT: S.PENDING_CANCEL, T.FILL: S.PENDING_CANCEL, T.REPLACED: S.PENDING_CANCEL,
        T.REQUEST_CANCEL: S.PENDING_CANCEL, T.REQUEST_REPLACE: S.PENDING_CANCEL,
        T.REFUSED: S.ACCEPTED, T.REJECT: S.REJECTED, T.DENY: S.DENIED, T.LOST: S.UNKNOWN, T.GONE: S.CANCELLED,
        T.NOT_FOUND: S.REJECTED, **_ENDINGS,
    },
    S.PENDING_REPLACE: {
        T.ACCEPT: S.PENDING_REPLACE, T.FILL: S.PENDING_REPLACE, T.REQUEST_REPLACE: S.PENDING_REPLACE,
        T.REPLACED: S.ACCEPTED, T.REFUSED: S.ACCEPTED, T.REQUEST_CANCEL: S.PENDING_CANCEL,
        T.REJECT: S.REJECTED, T.DENY: S.DENIED, T.LOST: S.UNKNOWN, T.GONE: S.CANCELLED, T.NOT_FOUND: S.REJECTED,
        **_ENDINGS,
    },
    S.UNKNOWN: {
        T.ACCEPT: S.ACCEPTED, T.FILL: S.PARTIALLY_FILLED, T.REPLACED: S.ACCEPTED, T.REJECT: S.REJECTED,
        T.NOT_FOUND: S.REJECTED, T.GONE: S.CANCELLED, T.LOST: S.UNKNOWN,
        # a cancel may go out while unknown (the venue may hold the order); only the venue resolves it
        T.REQUEST_CANCEL: S.UNKNOWN, T.REFUSED: S.UNKNOWN, **_ENDINGS,
    },
    S.FILLED: {T.REQUEST_CANCEL: S.FILLED, T.REFUSED: S.FILLED},
    S.CANCELLED: {T.FILL: S.CANCELLED, T.FILL_FULL: S.FILLED, T.CANCELLED: S.CANCELLED, T.GONE: S.CANCELLED,
                  T.REQUEST_CANCEL: S.CANCELLED, T.REFUSED: S.CANCELLED},
    S.EXPIRED: {T.FILL: S.EXPIRED, T.FILL_FULL: S.FILLED, T.REQUEST_CANCEL: S.EXPIRED, T.REFUSED: S.EXPIRED},
    # A rejected order the venue shows working after all (an insert whose lost answer
    # was resolved as never seen, processed late): it is pulled at once.
    S.REJECTED: {T.REQUEST_CANCEL: S.REJECTED, T.REFUSED: S.REJECTED, T.NOT_FOUND: S.REJECTED,
                 T.ACCEPT: S.PENDING_CANCEL, T.REPLACED: S.PENDING_CANCEL, T.FILL: S.PENDING_CANCEL,
                 T.FILL_FULL: S.FILLED},
    S.DENIED: {T.REQUEST_CANCEL: S.DENIED, T.REFUSED: S.DENIED, T.DENY: S.DENIED},
}
"""status -> trigger -> the status after it (see the module docs)."""

del S, T


def next_status(status: OrderStatus, trigger: Trigger, filled: int = 0) -> OrderStatus | None:
    """The status after ``trigger`` for an order that has ``filled`` lots filled,
    or ``None`` when the table has no such move (the caller counts and logs it)."""
    after = TABLE[status].get(trigger)
    if after is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return after


_BY_EVENT: dict[type, Trigger] = {
    OrderAccepted: Trigger.ACCEPT,
    OrderReplaced: Trigger.REPLACED,
    OrderCanceled: Trigger.CANCELLED,
    OrderExpired: Trigger.EXPIRED,
    OrderRejected: Trigger.REJECT,
    CancelRejected: Trigger.REFUSED,
    OrderUnknown: Trigger.LOST,
}
_RESOLVED = {"found": Trigger.ACCEPT, "not_found": Trigger.NOT_FOUND, "gone": Trigger.GONE}


def trigger_for(event: OrderEvent, status: OrderStatus) -> Trigger | None:
    """The trigger an order event pulls on an order in ``status`` (``None``: the
    event does not move orders). Fills are the caller's: only it knows whether
    its own sum completes the order (FILL or FILL_FULL)."""
    kind = type(event)
    trigger = _BY_EVENT.get(kind)
    if trigger is not None:
        return trigger
    if kind is OrderDenied:
        request = event.request  # type: ignore[attr-defined]
        if request == "submit" or (not request and status in (OrderStatus.NEW, OrderStatus.PENDING_NEW)):
            return Trigger.DENY
        return Trigger.REFUSED  # a cancel or replace refused: the order works on
    if kind is OrderResolved:
        return _RESOLVED.get(event.outcome)  # type: ignore[attr-defined]
    return None


def as_markdown() -> str:
    """The table as docs/running.md shows it (a test keeps the two equal)."""
    lines = ["| status | moves on | stays on |", "| --- | --- | --- |"]
    for status, row in TABLE.items():
        moves = ", ".join(f"{t.value} → {a.value}" for t, a in row.items() if a is not status)
        stays = ", ".join(t.value for t, a in row.items() if a is status)
        lines.append(f"| {status.value} | {moves or '–'} | {stays or '–'} |")
    return "\n".join(lines) + "\n"
