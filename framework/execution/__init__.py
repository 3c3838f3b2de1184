"""The execution core: the one order lifecycle and what drives it."""

from framework.execution.lifecycle import (
    OPEN,
    TABLE,
    TERMINAL,
    OrderStatus,
    Trigger,
    next_status,
    trigger_for,
)

__all__ = ["OPEN", "TABLE", "TERMINAL", "OrderStatus", "Trigger", "next_status", "trigger_for"]
