"""The run journal: SQLite (WAL) per run, exactly-once executions, restore and reconciliation.

See :mod:`framework.journal.store` for how events are journalled
(:mod:`framework.journal.orders` for the order rows, :mod:`framework.journal.restore`
for what a restart reads back),
:mod:`framework.execution.lifecycle` for the order lifecycle it follows,
:mod:`framework.journal.reconcile` for a restarted live run's reconciliation and
:mod:`framework.journal.lock` for the one-process-per-run-id lock.
"""

from framework.execution.lifecycle import OrderStatus
from framework.journal.lock import RunLock, RunLocked
from framework.journal.reconcile import (
    Difference,
    DifferenceKind,
    ReconcileSettings,
    Settlement,
    reconcile,
    reconcile_positions,
    settle,
)
from framework.journal.records import OpenOrder, RestoredState
from framework.journal.schema import JournalError
from framework.journal.store import JOURNAL_FILE, Journal, run_dir_for

__all__ = [
    "JOURNAL_FILE",
    "Difference",
    "DifferenceKind",
    "Journal",
    "JournalError",
    "OpenOrder",
    "OrderState",
    "OrderStatus",
    "ReconcileSettings",
    "RestoredState",
    "RunLock",
    "RunLocked",
    "Settlement",
    "reconcile",
    "reconcile_positions",
    "run_dir_for",
    "settle",
]

OrderState = OrderStatus
"""The former name of :class:`~framework.execution.lifecycle.OrderStatus`."""
