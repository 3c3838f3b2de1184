"""A stress strategy: keeps ``orders`` limit orders working away from the touch
and cancels each one as soon as the venue acknowledges it.

Every order is a post-only buy ``away_ticks`` below the best bid (at least one
tick), so it never trades. The cycle of one slot is: submit; on
``OrderAccepted`` cancel; when the order is closed (cancelled, rejected,
denied) the slot is free and a new order goes out at once. That is as fast as
the risk layer lets orders and cancels through: the gate's per-method buckets
and the ingress window pace the messages, and new orders are only submitted
while ``ctx.budget()`` (the window's messages left) is above ``min_budget``.

``cancel_at: submit`` sends the cancel right behind the order instead, without
waiting for the acknowledgement. The router sequences requests per order, so
such a cancel finds its insert still queued and the run answers it itself:
the order is cancelled before anything reaches the venue (a check that the
framework spends no venue budget on orders that never left). An order
acknowledged after its cancel was refused is cancelled again.

A cancelled order's slot is refilled at once, one order for one slot. A
denial (``RATE_LIMITED``: the gate would have had to wait longer than
``risk.new_order_wait``) does not refill its slot at once -- that would only
ask the gate again immediately -- but at the next ``retry_ms`` tick, which
refills every free slot. A cancel
the venue refused (or the gate denied) is sent again at the next tick while
the order is still open.

``configs/stress-churn.yaml`` runs it against the Polymarket simulator.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from framework import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    Side,
    Strategy,
    TimerFired,
)

__all__ = ["Churn", "ChurnParams"]


class ChurnParams(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    orders: Annotated[int, msgspec.Meta(gt=0, description="orders kept working at once, all symbols")] = 20
    size: Annotated[int, msgspec.Meta(gt=0, description="lots per order")] = 1
    away_ticks: Annotated[int, msgspec.Meta(ge=1, description="ticks below the best bid")] = 5
    min_budget: Annotated[int, msgspec.Meta(ge=0, description="submit only while more ingress messages are left")] = 0
    retry_ms: Annotated[int, msgspec.Meta(gt=0, description="tick that refills denied slots and resends refused cancels")] = 50
    cancel_at: Annotated[Literal["ack", "submit"], msgspec.Meta(
        description="cancel on the venue's acknowledgement, or right after submitting (answered by the run: nothing is sent)")] = "ack"


class Churn(Strategy[ChurnParams]):
    """Submit away from the touch, cancel on acknowledgement, repeat (see module docs)."""

    def on_start(self) -> None:
        self.working: set[str] = set()  # orders this strategy has open or in flight
        self.acked: set[str] = set()  # ... of which the venue acknowledged
        self.cancelling: set[str] = set()  # ... of which a cancel is in flight
        self.next_symbol = 0
        self.cycles = 0  # orders that went round: submitted, acknowledged, cancelled
        self.ctx.set_timer("churn", self.params.retry_ms * 1_000_000)

    def on_stop(self) -> None:
        self.ctx.cancel_timer("churn")

    def on_timer(self, event: TimerFired) -> None:
        for cid in list(self.acked - self.cancelling):
            self._cancel(cid)  # acknowledged, but its cancel was refused: again
        self.fill()

    def on_order(self, event: OrderEvent) -> None:
        cid = event.client_order_id
        if cid not in self.working:
            return
        order = self.ctx.order(cid)
        if order is None or not order.is_open:
            self.working.discard(cid)
            self.acked.discard(cid)
            self.cancelling.discard(cid)
            if type(event) is OrderCanceled:
                self.cycles += 1
                self.fill(1)  # this slot again at once; denied or rejected ones wait for the tick
            return
        if type(event) is OrderAccepted:
            self.acked.add(cid)
            self._cancel(cid)
        elif type(event) in (CancelRejected, OrderDenied):
            self.cancelling.discard(cid)  # the cancel was refused or denied: the tick resends it

    def fill(self, most: int | None = None) -> None:
        """Submit new orders into the free slots (at most ``most``), while the budget allows."""
        free = self.params.orders - len(self.working)
        for _ in range(free if most is None else min(most, free)):
            if self.ctx.budget() <= self.params.min_budget:
                return
            price = self._price()
            if price is None:
                return
            symbol, px = price
            cid = self.ctx.submit_limit(symbol, Side.BUY, px, self.params.size, post_only=True)
            self.working.add(cid)
            if self.params.cancel_at == "submit" and cid in self.working:  # (not denied on the spot)
                self._cancel(cid)

    def _price(self) -> tuple[str, int] | None:
        """The next symbol (round robin) with a bid, and a price away from it."""
        symbols = self.ctx.symbols
        for _ in range(len(symbols)):
            symbol = symbols[self.next_symbol % len(symbols)]
            self.next_symbol += 1
            book = self.ctx.book(symbol)
            best = book.best_bid() if book is not None else None
            if best is not None:
                return symbol, max(1, best[0] - self.params.away_ticks)
        return None

    def _cancel(self, cid: str) -> None:
        if cid in self.cancelling:
            return
        self.cancelling.add(cid)
        self.ctx.cancel(cid)
