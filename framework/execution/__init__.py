"""The execution core: the one order lifecycle, and how the framework, not the
adapter, lets a message out.

- :mod:`framework.execution.lifecycle` -- the order lifecycle table.
- :mod:`framework.execution.resolver` -- orders in doubt, asked of their venue.
- :mod:`framework.execution.sender` -- :class:`Outbound` (one encoded
  client-to-venue request) and :class:`GatedSender` (admits it through the
  venue's risk gate, then writes it).
- :mod:`framework.execution.router` -- the only way an intent reaches a venue:
  pre-trade risk, per-order sequencing, the route (live, paper).
- :mod:`framework.execution.tracker` -- where every order stands, and positions.
- :mod:`framework.execution.protection` -- what pulls resting orders when the
  run must stop quoting (:mod:`framework.execution.stopping`: at the run's stop).

The risk layer itself (gate, limiter, checks) is :mod:`framework.risk`.
"""

from framework.execution.lifecycle import (
    OPEN,
    TABLE,
    TERMINAL,
    OrderStatus,
    Trigger,
    next_status,
    trigger_for,
)
from framework.execution.sender import GatedSender, Outbound

__all__ = [
    "OPEN",
    "TABLE",
    "TERMINAL",
    "GatedSender",
    "OrderStatus",
    "Outbound",
    "Trigger",
    "next_status",
    "trigger_for",
]
