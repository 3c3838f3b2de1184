"""A taker that trades book imbalance.

On each book update it sums the size of the top ``levels`` levels per side.
When bids outweigh asks by ``threshold_pct`` percent of the total it buys
``size`` lots with an IOC order at the best ask (plus ``slippage_ticks``); when
asks outweigh bids, it sells at the best bid. It keeps its position within
``max_position`` and waits ``cooldown_ms`` of the run's clock between trades,
so one lopsided book does not fire a burst of orders.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from framework import NS_PER_MS, BookDelta, BookSnapshot, Side, Strategy

__all__ = ["ImbalanceTaker", "ImbalanceTakerParams"]


class ImbalanceTakerParams(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    size: Annotated[int, msgspec.Meta(gt=0, description="lots per trade")] = 1
    levels: Annotated[int, msgspec.Meta(ge=1, le=50, description="levels per side summed")] = 5
    threshold_pct: Annotated[int, msgspec.Meta(gt=0, lt=100, description="(bids-asks)/(bids+asks) that triggers, percent")] = 40
    max_position: Annotated[int, msgspec.Meta(gt=0, description="lots, either way")] = 10
    slippage_ticks: Annotated[int, msgspec.Meta(ge=0, description="how far through the touch an order may trade")] = 0
    cooldown_ms: Annotated[int, msgspec.Meta(ge=0, description="minimum time between trades")] = 1000


class ImbalanceTaker(Strategy[ImbalanceTakerParams]):
    """Buys into bid-heavy books and sells into ask-heavy ones."""

    def on_start(self) -> None:
        self.last_trade_ns: int | None = None

    def imbalance_pct(self, symbol: str) -> int | None:
        """``100 x (bids - asks) / (bids + asks)`` over the top levels, rounded toward 0."""
        book = self.ctx.book(symbol)
        if book is None:
            return None
        n = self.params.levels
        bids = sum(size for _, size in book.depth(Side.BUY, n))
        asks = sum(size for _, size in book.depth(Side.SELL, n))
        if bids + asks == 0:
            return None
        pct = (100 * abs(bids - asks)) // (bids + asks)
        return pct if bids >= asks else -pct

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        now = self.ctx.clock.now_ns()
        if self.last_trade_ns is not None and now - self.last_trade_ns < self.params.cooldown_ms * NS_PER_MS:
            return
        if self.ctx.open_orders(event.symbol):
            return  # one order at a time
        imbalance = self.imbalance_pct(event.symbol)
        if imbalance is None or abs(imbalance) < self.params.threshold_pct:
            return
        book = self.ctx.book(event.symbol)
        position = self.ctx.position(event.symbol)
        p = self.params
        if imbalance > 0 and book.best_ask_price is not None and position + p.size <= p.max_position:
            self.ctx.submit_market(event.symbol, Side.BUY, p.size, book.best_ask_price + p.slippage_ticks)
        elif imbalance < 0 and book.best_bid_price is not None and position - p.size >= -p.max_position:
            self.ctx.submit_market(event.symbol, Side.SELL, p.size, book.best_bid_price - p.slippage_ticks)
        else:
            return
        self.last_trade_ns = now
