"""What the paper exchange tells the bus: its order events, stamped with the
clock's wall and monotonic times, and its execution ids (``<prefix>-<n>``)."""

from __future__ import annotations

from typing import Any

from framework.model.events import Liquidity, OrderAccepted, OrderFilled, OrderReplaced
from framework.paper.queue import PaperOrder
from framework.runtime.bus import Bus
from framework.runtime.clock import Clock

__all__ = ["PaperReports"]


class PaperReports:
    """Publishes one paper venue's order events on ``bus``."""

    def __init__(self, venue: str, bus: Bus, clock: Clock, prefix: str) -> None:
        self.venue = venue
        self._bus = bus
        self._clock = clock
        self._prefix = prefix
        self._executions = 0

    def filled(self, order: PaperOrder, price: int, lots: int, liquidity: Liquidity, fee: int) -> None:
        """One execution of ``lots`` at ``price`` (``order.filled`` already counts them)."""
        self._executions += 1
        self._bus.publish(
            OrderFilled(
                self.venue,
                order.symbol,
                self._clock.wall_ns(),
                self._clock.now_ns(),
                order.client_order_id,
                order.strategy,
                order.venue_order_id,
                f"{self._prefix}-{self._executions}",
                order.side,
                price,
                lots,
                order.filled,
                order.remaining,
                liquidity,
                fee,
            )
        )

    def accepted(self, order: PaperOrder) -> None:
        """``order`` is working at the venue."""
        self._bus.publish(
            OrderAccepted(
                self.venue,
                order.symbol,
                self._clock.wall_ns(),
                self._clock.now_ns(),
                order.client_order_id,
                order.strategy,
                order.venue_order_id,
                order.side,
                order.price,
                order.size,
            )
        )

    def replaced(self, order: PaperOrder) -> None:
        """``order``'s new price and total size took effect."""
        now = self._clock.now_ns()
        self._bus.publish(OrderReplaced(self.venue, order.symbol, self._clock.wall_ns(), now, order.client_order_id,
                                        order.strategy, order.venue_order_id, order.price, order.size, order.remaining))  # fmt: skip

    def order_event(self, kind: type[Any], msg: Any, venue_order_id: str, *, reason: str) -> None:
        """An event of ``kind`` (canceled, expired, rejected, cancel rejected) for
        the order or request ``msg``."""
        self._bus.publish(
            kind(
                self.venue,
                msg.symbol,
                self._clock.wall_ns(),
                self._clock.now_ns(),
                msg.client_order_id,
                msg.strategy,
                venue_order_id,
                reason=reason,
            )
        )
