"""The journal's order rows: one row per order, moved along the lifecycle table,
every move (or ignored event) logged in ``order_events``.

Functions over the journal's connection; the caller holds the transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from framework.execution.lifecycle import (
    OPEN,
    OrderStatus,
    Trigger,
    next_status,
    trigger_for,
)
from framework.journal.records import OpenOrder
from framework.model.events import (
    CancelRejected,
    OrderEvent,
    OrderResolved,
    OrderUnknown,
    Side,
)
from framework.model.orders import SubmitOrder, TimeInForce

__all__ = [
    "ensure_order",
    "insert_submitted",
    "open_orders",
    "order_record",
    "order_state",
    "proven_venue_id",
    "transition",
]

_encode = msgspec.json.Encoder().encode


def _record(r: sqlite3.Row) -> OpenOrder:
    return OpenOrder(
        r["client_order_id"], r["strategy"], r["venue"], r["symbol"], Side(r["side"]), r["price"], r["size"],
        r["filled"], r["venue_order_id"], r["state"], TimeInForce(r["tif"]) if r["tif"] else TimeInForce.GTC,
        r["expire_ns"], bool(r["post_only"]),
    )  # fmt: skip


def proven_venue_id(event: OrderEvent) -> str:
    """The venue order id ``event`` gives, if it is news that the venue holds (or
    held) the order: a refusal, a lost answer or an answer from asking proves
    nothing of the kind (a resumed run tells "gone" from "never there" by it)."""
    return "" if type(event) in (CancelRejected, OrderUnknown, OrderResolved) else event.venue_order_id


def insert_submitted(db: sqlite3.Connection, order: SubmitOrder, now: int) -> None:
    """The row of an order a strategy sent (kept as it is if it exists)."""
    db.execute(
        "INSERT OR IGNORE INTO orders (client_order_id, strategy, venue, symbol, side, price,"
        " size, order_type, tif, post_only, expire_ns, state, created_ns, updated_ns)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            order.client_order_id,
            order.strategy,
            order.venue,
            order.symbol,
            int(order.side),
            order.price,
            order.size,
            order.order_type.value,
            order.tif.value,
            int(order.post_only),
            order.expire_ns,
            OrderStatus.NEW.value,
            now,
            now,
        ),
    )


def ensure_order(
    db: sqlite3.Connection, event: OrderEvent, now: int, *, side: int = 0, price: int = 0, size: int = 0
) -> None:
    """Create the row of an order first heard of from the venue."""
    db.execute(
        "INSERT OR IGNORE INTO orders (client_order_id, strategy, venue, symbol, side, price, size,"
        " state, venue_order_id, created_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event.client_order_id, event.strategy, event.venue, event.symbol, side, price, size,
         OrderStatus.NEW.value, proven_venue_id(event), now, now),
    )  # fmt: skip


def order_state(db: sqlite3.Connection, client_order_id: str) -> OrderStatus:
    """The journalled status of one order (``NEW`` if unknown)."""
    row = db.execute("SELECT state FROM orders WHERE client_order_id = ?", (client_order_id,)).fetchone()
    return OrderStatus.NEW if row is None else OrderStatus(row[0])


def open_orders(db: sqlite3.Connection) -> list[OpenOrder]:
    """Orders that may still trade or rest at the venue (in doubt included), oldest first."""
    marks = ", ".join("?" for _ in OPEN)
    rows = db.execute(
        f"SELECT * FROM orders WHERE state IN ({marks}) ORDER BY created_ns, rowid",
        [s.value for s in OPEN],
    ).fetchall()
    return [_record(r) for r in rows if r["side"] != 0]


def order_record(db: sqlite3.Connection, client_order_id: str) -> OpenOrder | None:
    """One order as journalled, whatever its state (None: not ours)."""
    row = db.execute("SELECT * FROM orders WHERE client_order_id = ?", (client_order_id,)).fetchone()
    return _record(row) if row is not None and row["side"] != 0 else None


def transition(
    db: sqlite3.Connection,
    client_order_id: str,
    happened: Trigger | OrderEvent,
    detail: Any,
    now: int,
    *,
    reason: str = "",
) -> None:
    """Move the order's row by ``happened`` (a trigger, or a bus event whose
    trigger the row's status decides) along the lifecycle table; log it either
    way (``ignored`` when the table has no such move)."""
    row = db.execute("SELECT state, filled FROM orders WHERE client_order_id = ?", (client_order_id,)).fetchone()
    before = OrderStatus.NEW if row is None else OrderStatus(row[0])
    trigger = happened if isinstance(happened, Trigger) else trigger_for(happened, before)
    if trigger is None:
        return
    after = next_status(before, trigger, row[1] if row is not None else 0)
    if after is not None and after is not before:
        db.execute(
            "UPDATE orders SET state = ?, updated_ns = ?, reason = CASE WHEN ? = '' THEN reason ELSE ? END"
            " WHERE client_order_id = ?",
            (after.value, now, reason, reason, client_order_id),
        )
    db.execute(
        "INSERT INTO order_events (ts_ns, client_order_id, kind, state_before, state_after, ignored, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (now, client_order_id, trigger.value, before.value, (after or before).value, int(after is None),
         _encode(detail).decode()),
    )  # fmt: skip
