"""The pre-trade check contract: what a risk-check plugin implements.

A check plugin registers a :class:`~framework.plugin.specs.RiskCheckSpec` whose
``factory(settings)`` returns a :class:`PreTradeCheck`. The risk layer builds
one per ``(venue, strategy)`` from the layered ``risk.checks.<name>`` settings
and calls ``check`` for every new order and replace (cancels are never
checked: they only ever reduce risk). A check returns ``None`` to pass or a
:class:`Denial` with a reason from the fixed :class:`DenyReason` set and a
message a person can act on. Checks only read the :class:`RiskState`; they must
be fast and must not do I/O.

::

    class MaxOrderSize:
        name = "max_order_size"

        def __init__(self, settings: MaxOrderSizeSettings) -> None:
            self.max_size = settings.max_size

        def check(self, order, state):
            if order.size > self.max_size:
                return Denial(DenyReason.MAX_ORDER_SIZE, f"size {order.size} lots > max {self.max_size}")
            return None
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from framework.model.events import DenyReason
from framework.model.orders import ReplaceOrder, SubmitOrder
from framework.risk.state import RiskState

__all__ = ["Denial", "PreTradeCheck"]


class Denial(msgspec.Struct, frozen=True):
    """Why a check refused an order: a :class:`DenyReason` and a readable message."""

    reason: DenyReason
    message: str


class PreTradeCheck(Protocol):
    """One pre-trade check, configured for one ``(venue, strategy)``."""

    name: str

    def check(self, order: SubmitOrder | ReplaceOrder, state: RiskState) -> Denial | None:
        """``None`` to let ``order`` through, or the :class:`Denial` that stops it."""
        ...
