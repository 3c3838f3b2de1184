"""What our paper orders have taken from the visible book, per book state.

A paper exchange matches against the venue's real book, which never learns
about our simulated fills. Without bookkeeping two orders arriving in the same
book state would both take the same displayed size. The ledger records, per
symbol and level, how much our orders took since the last book event for that
symbol; :meth:`LiquidityLedger.available` subtracts it, and a new book event
(a new state of the real book) clears it.

The limit of the model: the real book never shows our fills, so a level that
stays crossed with a resting paper order across several book states offers
its displayed size afresh in each of them (each state is taken as new
liquidity). Any book event counts as a new state, even one that changed
another level.
"""

from __future__ import annotations

from typing import Any

from framework.model.events import Level, Side

__all__ = ["LiquidityLedger", "crosses"]


def crosses(side: Side, limit: int, level_price: int) -> bool:
    """True when an order on ``side`` at ``limit`` may trade at ``level_price``
    of the opposite side (a buy at or above the ask, a sell at or below the bid)."""
    return level_price <= limit if side is Side.BUY else level_price >= limit


class LiquidityLedger:
    """Liquidity taken per ``(symbol, side, price)`` within the current book state."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[str, dict[tuple[int, int], int]] = {}

    def reset(self, symbol: str) -> None:
        """A new book state for ``symbol``: its displayed size is all fresh."""
        self._taken.pop(symbol, None)

    def taken(self, symbol: str, side: Side, price: int) -> int:
        """Lots taken from the ``side`` level at ``price`` in this book state."""
        return self._taken.get(symbol, {}).get((int(side), price), 0)

    def available(self, book: Any, symbol: str, side: Side, limit: int) -> list[Level]:
        """Opposite-side levels an order on ``side`` at ``limit`` may take, best
        first, with what we already took in this state removed (empty levels dropped)."""
        opposite = side.opposite
        best = book.best_ask() if side is Side.BUY else book.best_bid()
        if best is None or not crosses(side, limit, best[0]):
            return []  # the common case for resting orders: no need to list a side
        taken = self._taken.get(symbol, {})
        out: list[Level] = []
        for price, size in book.levels(opposite):
            if not crosses(side, limit, price):
                break
            left = size - taken.get((int(opposite), price), 0)
            if left > 0:
                out.append((price, left))
        return out

    def take(self, symbol: str, side: Side, price: int, size: int) -> None:
        """Record ``size`` lots taken from the ``side`` level at ``price``."""
        levels = self._taken.setdefault(symbol, {})
        key = (int(side), price)
        levels[key] = levels.get(key, 0) + size
