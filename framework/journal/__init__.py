"""The run journal: SQLite (WAL) per run, exactly-once executions, restore and reconciliation.

See :mod:`framework.journal.store` for how events are journalled,
:mod:`framework.execution.lifecycle` for the order lifecycle it follows and
:mod:`framework.journal.reconcile` for a restarted live run's reconciliation.
"""

from framework.execution.lifecycle import OrderStatus
from framework.journal.reconcile import (
    Difference,
    DifferenceKind,
    reconcile,
    reconcile_positions,
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
    "RestoredState",
    "reconcile",
    "reconcile_positions",
    "run_dir_for",
]

OrderState = OrderStatus
"""The former name of :class:`~framework.execution.lifecycle.OrderStatus`."""
