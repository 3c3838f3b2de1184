"""What a journal reads back for a restart: positions replayed from its
executions, the venues' last checkpoints and the run's session history."""

from __future__ import annotations

import sqlite3

from framework.journal.orders import open_orders
from framework.journal.records import RestoredState
from framework.model.positions import PositionBook

__all__ = ["replayed_positions", "restored_state"]


def replayed_positions(db: sqlite3.Connection) -> PositionBook:
    """Every journalled execution applied, in order, to a new book (exact: integers)."""
    book = PositionBook()
    for r in db.execute("SELECT strategy, venue, symbol, side, price, size, fee FROM executions ORDER BY seq"):
        book.apply_fill(r[0], r[1], r[2], r[3], r[4], r[5], r[6])
    return book


def _checkpoints(db: sqlite3.Connection) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    for row in db.execute("SELECT venue, key, value FROM venue_checkpoints"):
        out.setdefault(row["venue"], {})[row["key"]] = bytes(row["value"])
    return out


def restored_state(db: sqlite3.Connection, session: int) -> RestoredState:
    """The run's state as the database holds it; ``session`` is the current
    session's number (the sessions before it tell whether the last ended cleanly)."""
    sessions = db.execute("SELECT seq, clean FROM sessions ORDER BY seq").fetchall()
    earlier = [s for s in sessions if s["seq"] != session]
    executions = db.execute("SELECT count(*) FROM executions").fetchone()[0]
    book = replayed_positions(db)
    return RestoredState(
        positions=dict(book.items()),
        book=book,
        open_orders=open_orders(db),
        executions=executions,
        sessions=len(sessions),
        previous_session_clean=not earlier or bool(earlier[-1]["clean"]),
        checkpoints=_checkpoints(db),
        execution_keys={(r[0], r[1]) for r in db.execute("SELECT venue, execution_id FROM executions")},
    )
