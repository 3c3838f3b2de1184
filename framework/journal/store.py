"""The run journal: one SQLite (WAL) database per run, ``runs/<run-id>/journal.sqlite``.

Theory of operation
-------------------
The runner subscribes :meth:`Journal.on_event` to the bus (a queued
subscriber: execution and order events are never dropped) and calls
:meth:`Journal.record_submit` for each order a strategy sends. Every event
is one transaction (or part of one :meth:`Journal.batch`), so the database
always holds a prefix of the run's history, whatever kills the process.

Executions are exactly-once by ``UNIQUE (venue, execution_id)``: a fill is
inserted with ``INSERT OR IGNORE`` and only a row actually inserted moves the
position, the order's filled size and the positions history, in the same
transaction. Redelivered fills (a reconnect, a replayed stream) change nothing.

Positions are never read back from a snapshot: on open, the journal replays
its executions into a :class:`~framework.model.positions.PositionBook`, which is
exact (integers) and cannot disagree with the execution log.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import msgspec

from framework.execution.lifecycle import OrderStatus, Trigger
from framework.journal.orders import (
    ensure_order,
    insert_submitted,
    open_orders,
    order_record,
    order_state,
    proven_venue_id,
    transition,
)
from framework.journal.reconcile import Difference
from framework.journal.records import OpenOrder, RestoredState
from framework.journal.restore import replayed_positions, restored_state
from framework.journal.schema import JournalError, connect, create
from framework.model.events import (
    CancelRejected,
    Event,
    HandlerFailed,
    Instrument,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderResolved,
    OrderUnknown,
    VenueCheckpoint,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.model.positions import PositionBook
from framework.runtime.clock import Clock, LiveClock

__all__ = ["JOURNAL_FILE", "Journal", "run_dir_for"]

JOURNAL_FILE = "journal.sqlite"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_encode = msgspec.json.Encoder().encode


def run_dir_for(root: Path | str, run_id: str) -> Path:
    """``root/<run_id>``, refusing run ids that are not a plain file name."""
    if not _RUN_ID.fullmatch(run_id):
        raise JournalError(f"run id {run_id!r} must be letters, digits, '.', '_' or '-' (at most 128)")
    return Path(root) / run_id


class Journal:
    """The journal of one run. ``run_dir`` is the run's own directory
    (``runs/<run-id>``, created if missing); reopening it with the same
    ``run_id`` resumes the run, with another id raises :class:`JournalError`."""

    def __init__(self, run_dir: Path | str, run_id: str, *, clock: Clock | None = None) -> None:
        run_dir_for(".", run_id)  # validates the id
        self.run_id = run_id
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / JOURNAL_FILE
        self._clock = clock or LiveClock()
        self._db = connect(str(self.path))
        create(self._db)
        self._depth = 0
        with self._tx():
            row = self._db.execute("SELECT run_id FROM run").fetchone()
            if row is None:
                self._db.execute("INSERT INTO run VALUES (?, ?, '', '', '{}')", (run_id, self._now()))
        if row is not None and row["run_id"] != run_id:
            self._db.close()
            raise JournalError(f"{self.path} is the journal of run {row['run_id']!r}, not {run_id!r}")
        self._session = 0
        self.positions = PositionBook()
        self._replay_positions()
        self._handlers: dict[type, Callable[[Any], Any]] = {
            OrderFilled: self.record_fill,
            OrderAccepted: self._on_accepted,
            OrderReplaced: self._on_accepted,
            OrderCanceled: self._order_event,
            OrderExpired: self._order_event,
            OrderRejected: self._order_event,
            OrderUnknown: self._order_event,
            OrderResolved: self._order_event,
            CancelRejected: self._order_event,
            OrderDenied: self._on_denied,
            HandlerFailed: lambda e: self.record_error(e.subscriber, e.error, e.traceback, e.event_kind),
            VenueCheckpoint: self.record_checkpoint,
        }

    # -- lifecycle -----------------------------------------------------

    def start(self, *, mode: str, config_text: str, meta: Mapping[str, Any] | None = None) -> bool:
        """Record a session start; returns True when this resumes an existing run.

        ``config_text`` is the resolved config with secrets already redacted;
        the first session's is the run's, every session keeps its own.
        """
        now = self._now()
        with self._tx():
            resumed = self._db.execute("SELECT 1 FROM sessions").fetchone() is not None
            if not resumed:
                self._db.execute(
                    "UPDATE run SET mode = ?, config_text = ?, meta_json = ?",
                    (mode, config_text, _encode(dict(meta or {})).decode()),
                )
            cur = self._db.execute(
                "INSERT INTO sessions (started_ns, pid, mode, config_text) VALUES (?, ?, ?, ?)",
                (now, os.getpid(), mode, config_text),
            )
            self._session = cur.lastrowid or 0
        return resumed

    def close(self, *, clean: bool = True) -> None:
        """Mark the session ended (``clean`` False after a failure) and close."""
        if self._session:
            with self._tx():
                self._db.execute(
                    "UPDATE sessions SET ended_ns = ?, clean = ? WHERE seq = ?",
                    (self._now(), int(clean), self._session),
                )
            self._session = 0
        self._db.close()

    @property
    def session(self) -> int:
        """Number of this session of the run (1 for the first start; 0 before ``start``)."""
        return self._session

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(clean=exc_type is None)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group everything recorded inside into one transaction (one fsync)."""
        with self._tx():
            yield

    # -- recording -------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Journal an order, execution, denial, handler-failure or venue-checkpoint
        event; others are ignored."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def record_submit(self, order: SubmitOrder) -> None:
        """A strategy sent ``order`` (called before it reaches the risk layer's venue route)."""
        now = self._now()
        with self._tx():
            insert_submitted(self._db, order, now)
            transition(self._db, order.client_order_id, Trigger.ADMIT, order, now)

    def record_intent(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        """What a strategy sent: a new order, or a request to cancel or replace one."""
        if isinstance(intent, SubmitOrder):
            self.record_submit(intent)
        else:
            self.record_request(intent)

    def record_request(self, intent: CancelOrder | ReplaceOrder) -> None:
        """A strategy asked to cancel or replace an order (PENDING_CANCEL / PENDING_REPLACE)."""
        trigger = Trigger.REQUEST_CANCEL if isinstance(intent, CancelOrder) else Trigger.REQUEST_REPLACE
        with self._tx():
            transition(self._db, intent.client_order_id, trigger, intent, self._now())

    def record_fill(self, event: OrderFilled) -> bool:
        """Book one execution; returns False (changing nothing) for a duplicate.

        A fill without an execution id (a venue bug) is still booked, keyed by
        its order's cumulative fill, and recorded as an error.
        """
        now = self._now()
        execution_id = event.execution_id
        with self._tx():
            if not execution_id:
                execution_id = f"{event.client_order_id}#filled={event.filled}"
            cur = self._db.execute(
                "INSERT OR IGNORE INTO executions (venue, execution_id, client_order_id, strategy,"
                " symbol, side, price, size, fee, liquidity, ts_event, ts_ns)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.venue,
                    execution_id,
                    event.client_order_id,
                    event.strategy,
                    event.symbol,
                    int(event.side),
                    event.price,
                    event.size,
                    event.fee,
                    int(event.liquidity),
                    event.ts_event,
                    now,
                ),
            )
            if cur.rowcount == 0:
                return False
            if not event.execution_id:
                self.record_error(event.strategy, f"fill without execution id, booked as {execution_id!r}")
            self._book_fill(event, cur.lastrowid or 0, now)
        return True

    def record_checkpoint(self, event: VenueCheckpoint) -> None:
        """Keep ``event`` as its venue's latest checkpoint under its key."""
        with self._tx():
            self._db.execute(
                "INSERT INTO venue_checkpoints (venue, key, value, ts_ns) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (venue, key) DO UPDATE SET value = excluded.value, ts_ns = excluded.ts_ns",
                (event.venue, event.key, event.value, self._now()),
            )

    def record_error(self, strategy: str, message: str, traceback: str = "", event_kind: str = "") -> None:
        """A strategy (or any bus subscriber) raised."""
        with self._tx():
            self._db.execute(
                "INSERT INTO errors (ts_ns, strategy, event_kind, message, traceback) VALUES (?, ?, ?, ?, ?)",
                (self._now(), strategy, event_kind, message, traceback),
            )

    def record_metric(self, name: str, value: float) -> None:
        """A periodic sample for the report (e.g. ``budget_utilisation.<venue>``)."""
        with self._tx():
            self._db.execute("INSERT INTO metrics (ts_ns, name, value) VALUES (?, ?, ?)", (self._now(), name, value))

    def record_instrument(self, instrument: Instrument) -> None:
        """Tick and lot size of an instrument, so the report can show money."""
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO instruments VALUES (?, ?, ?, ?)",
                (instrument.venue, instrument.symbol, str(instrument.tick_size), str(instrument.lot_size)),
            )

    def record_differences(self, differences: Iterable[Difference]) -> None:
        """Reconciliation findings of a restarted live run."""
        now = self._now()
        with self._tx():
            self._db.executemany(
                "INSERT INTO differences (ts_ns, kind, key, field, ours, theirs) VALUES (?, ?, ?, ?, ?, ?)",
                [(now, d.kind.value, d.key, d.field, d.ours, d.theirs) for d in differences],
            )

    # -- reading back --------------------------------------------------------

    def restore(self) -> RestoredState:
        """Positions, open orders and session history, for a restart with this run id.

        An order whose request was in flight when the last session ended (pending
        new, cancel or replace) is in doubt now: its answer is lost with the
        process. It moves to UNKNOWN here (``lost``), as the tracker takes it over."""
        self._in_flight_lost()
        return restored_state(self._db, self._session)

    def _in_flight_lost(self) -> None:
        pending = (OrderStatus.PENDING_NEW.value, OrderStatus.PENDING_CANCEL.value, OrderStatus.PENDING_REPLACE.value)
        rows = self._db.execute("SELECT client_order_id FROM orders WHERE state IN (?, ?, ?)", pending).fetchall()
        now = self._now()
        with self._tx():
            for (client_order_id,) in rows:
                transition(self._db, client_order_id, Trigger.LOST, {"reason": "the session ended with a request in flight"}, now)

    def open_orders(self) -> list[OpenOrder]:
        """Orders that may still trade or rest at the venue (in doubt included), oldest first."""
        return open_orders(self._db)

    def order_record(self, client_order_id: str) -> OpenOrder | None:
        """One order of this run as journalled, whatever its state (None: not ours)."""
        return order_record(self._db, client_order_id)

    def order_state(self, client_order_id: str) -> OrderStatus:
        """The journalled status of one order (``NEW`` if unknown)."""
        return order_state(self._db, client_order_id)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Read-only access for reports and tests."""
        return self._db.execute(sql, tuple(params)).fetchall()

    # -- internals -----------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            self._replay_positions()  # memory must not keep what the database dropped
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def _now(self) -> int:
        return self._clock.wall_ns()

    def _replay_positions(self) -> None:
        self.positions = replayed_positions(self._db)

    def _book_fill(self, event: OrderFilled, execution_seq: int, now: int) -> None:
        pos = self.positions.apply_fill(
            event.strategy, event.venue, event.symbol, event.side, event.price, event.size, event.fee
        )
        self._db.execute(
            "INSERT INTO positions (ts_ns, execution_seq, strategy, venue, symbol, qty, cost, realized,"
            " fees, mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, execution_seq, event.strategy, event.venue, event.symbol, pos.qty, pos.cost,
             pos.realized, pos.fees, event.price),
        )
        ensure_order(self._db, event, self._now(), side=int(event.side), price=event.price, size=event.filled + event.remaining)
        self._db.execute(
            "UPDATE orders SET filled = filled + ? WHERE client_order_id = ?", (event.size, event.client_order_id)
        )
        size, filled = self._db.execute(
            "SELECT size, filled FROM orders WHERE client_order_id = ?", (event.client_order_id,)
        ).fetchone()
        if size > 0 and filled > size:
            self.record_error(event.strategy, f"order {event.client_order_id} filled {filled} of size {size}"
                              f" (execution {event.execution_id}): filled <= size broken", event_kind="OrderFilled")  # fmt: skip
        # Our own sum decides, not the event's ``remaining``: fills of one order
        # may arrive out of order.
        full = filled >= size if size > 0 else event.remaining == 0
        transition(self._db, event.client_order_id, Trigger.FILL_FULL if full else Trigger.FILL, event, now)

    def _on_accepted(self, event: OrderAccepted | OrderReplaced) -> None:
        """An acknowledgement (or a replace taking effect) restates price and size."""
        with self._tx():
            side = int(event.side) if isinstance(event, OrderAccepted) else 0
            ensure_order(self._db, event, self._now(), side=side, price=event.price, size=event.size)
            self._db.execute(
                "UPDATE orders SET price = ?, size = ?, venue_order_id = ? WHERE client_order_id = ?",
                (event.price, event.size, event.venue_order_id, event.client_order_id),
            )
            transition(self._db, event.client_order_id, event, event, self._now())

    def _on_denied(self, event: OrderDenied) -> None:
        now = self._now()
        with self._tx():
            self._db.execute(
                "INSERT INTO denials (ts_ns, strategy, venue, symbol, client_order_id, reason, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now, event.strategy, event.venue, event.symbol, event.client_order_id,
                 event.reason.value, event.message),
            )
            if event.client_order_id:
                ensure_order(self._db, event, self._now())
                transition(self._db, event.client_order_id, event, event, now, reason=event.reason.value)

    def _order_event(self, event: OrderEvent) -> None:
        """Cancelled, expired, rejected, refused, in doubt or resolved: the table decides."""
        with self._tx():
            ensure_order(self._db, event, self._now())
            venue_order_id = proven_venue_id(event)
            if venue_order_id:
                self._db.execute(
                    "UPDATE orders SET venue_order_id = ? WHERE client_order_id = ? AND venue_order_id = ''",
                    (venue_order_id, event.client_order_id),
                )
            reason = getattr(event, "reason", "")
            transition(self._db, event.client_order_id, event, event, self._now(), reason=reason if type(event) is not CancelRejected else "")
