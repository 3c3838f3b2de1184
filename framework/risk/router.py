"""The order router: strategies' intents -> risk layer -> venue adapter -> gate.

``send(intent)`` is synchronous (strategies call it from their handlers): the
risk layer decides at once, a denial is published as ``OrderDenied`` and
nothing is sent; an approved intent goes to its venue adapter in a task the
router owns, and the adapter's transport waits at the venue's gate. If the gate
refuses (``RATE_LIMITED``: no budget within the bound) the strategy gets
``OrderDenied`` and the order never leaves; if the venue cannot be reached the
strategy gets ``OrderRejected`` (or ``CancelRejected``), so no intent is ever
left without an answer. Venue refusals are the adapter's to publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from framework.errors import Denied, VenueError
from framework.events import CancelRejected, DenyReason, OrderRejected
from framework.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.risk.layer import RiskLayer

__all__ = ["RiskRouter"]

log = logging.getLogger(__name__)


class RiskRouter:
    """What a run hands its strategies as their order router."""

    def __init__(self, layer: RiskLayer, venues: Mapping[str, Any], gates: Mapping[str, Any]) -> None:
        self.layer = layer
        self.venues = venues
        self.gates = gates
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.failed = 0

    def send(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        """Check ``intent`` now; send it in the background if it passes."""
        if intent.venue not in self.venues:
            self.layer.deny(intent, DenyReason.INVALID_ORDER, f"no venue {intent.venue!r} in this run")
            return
        if self.layer.evaluate(intent) is not None:
            return
        task = asyncio.get_running_loop().create_task(self._send(intent), name=f"send:{intent.client_order_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def budget(self, venue: str) -> int:
        """New orders ``venue``'s account may send now without waiting."""
        gate = self.gates.get(venue)
        return int(gate.remaining()) if gate is not None else 0

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until every intent sent so far has been handed to its venue (or refused)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop sending: what has not reached its venue yet is cancelled."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _send(self, intent: Intent) -> None:
        adapter = self.venues[intent.venue]
        try:
            if isinstance(intent, SubmitOrder):
                await adapter.submit(intent)
            elif isinstance(intent, CancelOrder):
                await adapter.cancel(intent)
            else:
                await adapter.replace(intent)
            self.sent += 1
        except Denied as exc:
            self.layer.deny(intent, exc.reason, exc.message)
        except VenueError as exc:
            self.failed += 1
            log.warning("%s: %s %s failed: %s", intent.venue, type(intent).__name__, intent.client_order_id, exc)
            self._failed(intent, str(exc))

    def _failed(self, intent: Intent, reason: str) -> None:
        layer = self.layer
        now = layer.clock.now_ns()
        args = (intent.venue, intent.symbol, 0, now, intent.client_order_id, intent.strategy, "", reason)
        event = OrderRejected(*args) if isinstance(intent, SubmitOrder) else CancelRejected(*args)
        if isinstance(intent, SubmitOrder | ReplaceOrder):
            layer.state.order_denied(intent)  # it never reached the venue: not open (or unchanged)
        if layer.bus is not None:
            layer.bus.publish(event)
