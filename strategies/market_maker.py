"""A market maker: quotes both sides around mid, skewed by inventory.

Each book update it computes a fair price ``mid - skew_ticks_per_lot x
position`` and wants a bid ``half_spread_ticks`` below it and an ask as far
above, ``size`` lots each. A side whose inventory is at ``max_inventory``
(long for the bid, short for the ask) is not quoted. A working quote is moved
only when the wanted price differs by at least ``requote_ticks``, at most once
per ``min_requote_ms`` -- quotes are not churned on every tick -- and only
while the venue's ingress budget left is above ``min_budget``: when the firm's budget is short, the maker requotes
less and leaves the budget to cancels.

All arithmetic is in integer ticks and lots.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from framework import BookDelta, BookSnapshot, OrderEvent, OrderFilled, Side, Strategy

__all__ = ["MarketMaker", "MarketMakerParams"]


class MarketMakerParams(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    size: Annotated[int, msgspec.Meta(gt=0, description="lots per quote")] = 10
    half_spread_ticks: Annotated[int, msgspec.Meta(ge=1, description="distance of each quote from fair")] = 2
    skew_ticks_per_lot: Annotated[int, msgspec.Meta(ge=0, description="fair moves this many ticks per lot of inventory, in 1/100 ticks")] = 0
    max_inventory: Annotated[int, msgspec.Meta(gt=0, description="no more buying above (selling below -) this many lots")] = 100
    requote_ticks: Annotated[int, msgspec.Meta(ge=1, description="move a quote only when it is off by this much")] = 1
    min_budget: Annotated[int, msgspec.Meta(ge=0, description="do not requote while fewer ingress messages are left")] = 10
    min_requote_ms: Annotated[int, msgspec.Meta(ge=0, description="move one quote at most once per this many ms")] = 100


class MarketMaker(Strategy[MarketMakerParams]):
    """Two-sided quoting with inventory skew, within the ingress budget."""

    def on_start(self) -> None:
        # symbol -> side -> (client order id, price last asked for). Comparing
        # with what was last *asked* (not what the venue has confirmed yet)
        # keeps a quote from being moved twice while a replace is in flight.
        self.quotes: dict[str, dict[Side, tuple[str, int]]] = {s: {} for s in self.ctx.symbols}
        self.last_move: dict[tuple[str, Side], int] = {}

    def external_touch(self, symbol: str, side: Side) -> int | None:
        """Best price on ``side`` once our own working orders are taken out.

        Our quotes are in the book we read: quoting around a mid that includes
        them would make the maker chase its own orders.
        """
        book = self.ctx.book(symbol)
        if book is None:
            return None
        own: dict[int, int] = {}
        for order in self.ctx.open_orders(symbol):
            if order.side is side:
                own[order.price] = own.get(order.price, 0) + order.remaining
        for price, size in book.depth(side, len(own) + 1):
            if size > own.get(price, 0):
                return price
        return None

    def wanted(self, symbol: str) -> dict[Side, int]:
        """The quotes wanted now: side -> price in ticks (a side may be absent)."""
        bid_touch = self.external_touch(symbol, Side.BUY)
        ask_touch = self.external_touch(symbol, Side.SELL)
        if bid_touch is None or ask_touch is None:
            return {}
        mid_x2 = bid_touch + ask_touch
        p = self.params
        position = self.ctx.position(symbol)
        # fair x 200 in integers: mid x2 x100, minus the skew in 1/100 ticks per lot x 2
        fair_x200 = mid_x2 * 100 - 2 * p.skew_ticks_per_lot * position
        bid = (fair_x200 - 200 * p.half_spread_ticks) // 200
        ask = -((-fair_x200 - 200 * p.half_spread_ticks) // 200)  # ceiling
        wanted: dict[Side, int] = {}
        if position < p.max_inventory and bid > 0:
            wanted[Side.BUY] = bid
        if position > -p.max_inventory:
            wanted[Side.SELL] = max(ask, bid + 1)
        return wanted

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        self.requote(event.symbol)

    def on_order(self, event: OrderEvent) -> None:
        # Requote at once after a fill only. A denied or cancelled quote waits
        # for the next book update: answering a denial with a new order at
        # once would loop for as long as the risk layer keeps denying.
        if type(event) is OrderFilled and event.symbol in self.quotes:
            self.requote(event.symbol)

    def requote(self, symbol: str) -> None:
        wanted = self.wanted(symbol)
        working = self.quotes.setdefault(symbol, {})
        for side in (Side.BUY, Side.SELL):
            cid, asked = working.get(side, ("", 0))
            order = self.ctx.order(cid) if cid else None
            if order is not None and not order.is_open:
                del working[side]
                order = None
            price = wanted.get(side)
            if price is None:
                if order is not None:
                    self.ctx.cancel(cid)
                    del working[side]
                continue
            if self.ctx.budget() <= self.params.min_budget:
                continue  # short of budget: leave it to cancels
            if order is None:
                working[side] = (self.ctx.submit_limit(symbol, side, price, self.params.size, post_only=True), price)
            elif abs(asked - price) >= self.params.requote_ticks and self._may_move(symbol, side):
                self.ctx.replace(cid, price, self.params.size)
                working[side] = (cid, price)

    def _may_move(self, symbol: str, side: Side) -> bool:
        """At most one replace per quote per ``min_requote_ms`` of the run's clock."""
        now = self.ctx.clock.now_ns()
        last = self.last_move.get((symbol, side))
        if last is not None and now - last < self.params.min_requote_ms * 1_000_000:
            return False
        self.last_move[(symbol, side)] = now
        return True
