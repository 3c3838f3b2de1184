"""Positions and PnL in integers: lots, and tick x lot units.

Theory of operation
-------------------
A position is kept per ``(strategy, venue, symbol)`` as a FIFO of open lots
``[price_ticks, size_lots]``, all on the side of the position. A fill on the
same side appends a lot; a fill on the other side closes the oldest lots first
and realises ``(exit - entry) x size x direction`` for each piece it closes,
then any excess opens a lot on the new side. Because each piece closes at
its own entry price, realised PnL is exact in integers: no average price is
ever divided and rounded. (Average-cost accounting would need a division per
partial close; FIFO avoids it and is what most brokers report.)

Units: quantity in signed lots (+ long, - short), cost and PnL in price-tick x
lot units of the instrument, fees likewise (negative for a rebate). Fees are
kept apart from trading PnL: ``net = realized - fees + unrealized``. The
average entry is a :class:`~fractions.Fraction`, for display only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from fractions import Fraction

import msgspec

from framework.model.events import Side

__all__ = ["Position", "PositionBook", "PositionKey", "PositionState"]

PositionKey = tuple[str, str, str]
"""``(strategy, venue, symbol)``."""


class Position(msgspec.Struct, frozen=True):
    """A point-in-time view of one position (what the journal snapshots).

    ``cost`` is the signed entry value of the open lots (sum of price x signed
    size), so ``unrealized = mark x qty - cost``.
    """

    qty: int = 0
    cost: int = 0
    realized: int = 0
    fees: int = 0

    def unrealized(self, mark_price: int) -> int:
        """Open PnL at ``mark_price`` ticks, in tick x lot units."""
        return mark_price * self.qty - self.cost

    def net(self, mark_price: int) -> int:
        """Realised minus fees plus unrealised at ``mark_price``."""
        return self.realized - self.fees + self.unrealized(mark_price)

    @property
    def avg_entry(self) -> Fraction | None:
        """Average entry price of the open lots in ticks (None when flat)."""
        return None if self.qty == 0 else Fraction(self.cost, self.qty)


class PositionState:
    """The mutable FIFO behind one :class:`Position`."""

    __slots__ = ("fees", "lots", "qty", "realized")

    def __init__(self) -> None:
        self.lots: deque[list[int]] = deque()  # [price, size > 0], oldest first
        self.qty = 0
        self.realized = 0
        self.fees = 0

    @property
    def cost(self) -> int:
        sign = 1 if self.qty >= 0 else -1
        return sign * sum(p * s for p, s in self.lots)

    def snapshot(self) -> Position:
        return Position(self.qty, self.cost, self.realized, self.fees)

    def apply(self, side: Side | int, price: int, size: int, fee: int) -> None:
        direction = int(side)
        self.fees += fee
        left = size
        # Close against the oldest lots while the fill opposes the position.
        while left and self.qty and (self.qty > 0) != (direction > 0):
            lot = self.lots[0]
            take = min(left, lot[1])
            # A long closes by selling: (exit - entry); a short by buying: (entry - exit).
            self.realized += (price - lot[0]) * take * (-direction)
            lot[1] -= take
            left -= take
            self.qty += direction * take
            if lot[1] == 0:
                self.lots.popleft()
        if left:
            self.lots.append([price, left])
            self.qty += direction * left


class PositionBook:
    """Positions of every ``(strategy, venue, symbol)`` the run traded.

    Shared by the journal (which restores it by replaying executions), the
    risk layer and strategy contexts.
    """

    def __init__(self) -> None:
        self._states: dict[PositionKey, PositionState] = {}

    def apply_fill(
        self,
        strategy: str,
        venue: str,
        symbol: str,
        side: Side | int,
        price: int,
        size: int,
        fee: int = 0,
    ) -> Position:
        """Book one fill and return the position after it.

        ``size`` must be a positive int (lots), ``price`` an int (ticks) and
        ``fee`` an int in tick x lot units (negative for a rebate).
        """
        for what, value in (("price", price), ("size", size), ("fee", fee)):
            if type(value) is not int:
                raise TypeError(f"{what} must be an int, not {type(value).__name__}")
        if size <= 0:
            raise ValueError(f"fill size must be positive, not {size}")
        if side not in (1, -1):
            raise ValueError(f"side must be Side.BUY or Side.SELL, not {side!r}")
        key = (strategy, venue, symbol)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = PositionState()
        state.apply(side, price, size, fee)
        return state.snapshot()

    def get(self, strategy: str, venue: str, symbol: str) -> Position:
        """The position of one key (flat if never traded)."""
        state = self._states.get((strategy, venue, symbol))
        return Position() if state is None else state.snapshot()

    def position(self, strategy: str, venue: str, symbol: str) -> int:
        """Signed quantity in lots."""
        state = self._states.get((strategy, venue, symbol))
        return 0 if state is None else state.qty

    def avg_entry(self, strategy: str, venue: str, symbol: str) -> Fraction | None:
        """Average entry price in ticks of the open lots, None when flat."""
        return self.get(strategy, venue, symbol).avg_entry

    def realized(self, strategy: str, venue: str, symbol: str) -> int:
        """Realised trading PnL (before fees) in tick x lot units."""
        state = self._states.get((strategy, venue, symbol))
        return 0 if state is None else state.realized

    def fees(self, strategy: str, venue: str, symbol: str) -> int:
        """Fees paid (negative: rebates received) in tick x lot units."""
        state = self._states.get((strategy, venue, symbol))
        return 0 if state is None else state.fees

    def unrealized(self, strategy: str, venue: str, symbol: str, mark_price: int) -> int:
        """Open PnL at ``mark_price`` ticks, in tick x lot units."""
        return self.get(strategy, venue, symbol).unrealized(mark_price)

    def net_position(self, venue: str, symbol: str) -> int:
        """Signed quantity of ``venue``/``symbol`` summed over strategies."""
        return sum(s.qty for (_, v, sym), s in self._states.items() if v == venue and sym == symbol)

    def items(self) -> Iterator[tuple[PositionKey, Position]]:
        """Every key traded so far, with its position."""
        for key, state in self._states.items():
            yield key, state.snapshot()

    def __len__(self) -> int:
        return len(self._states)
