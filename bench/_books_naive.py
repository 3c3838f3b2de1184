"""Reference books for :mod:`bench.books` and the book property tests.

:class:`NaiveL3Book` and :class:`NaiveL2Book` are the L3 and L2 rules written as
plainly as possible (dicts of lists, every view recomputed from scratch): the
property tests check the fast books against them, and the bench measures the
fast books beside them. :class:`HeapL3Book`, a conventional fast design (heaps
with lazy deletion), gives scale.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction
from typing import Any

__all__ = ["HeapL3Book", "NaiveL2Book", "NaiveL3Book"]


class NaiveL3Book:
    """The L3 rules, written as plainly as possible: dicts of lists.

    ``side -> price -> [[id, size, filled], ...]`` in FIFO order, plus an id ->
    (side, price) index; every view is recomputed from scratch on each call.
    """

    def __init__(self) -> None:
        self.sides: dict[int, dict[int, list[list[Any]]]] = {1: {}, -1: {}}
        self.where: dict[Hashable, tuple[int, int]] = {}  # id -> (side, price)
        self.stats: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.stats[kind] = self.stats.get(kind, 0) + 1

    def _find(self, order_id: Hashable) -> tuple[int, int, list[Any]] | None:
        if order_id not in self.where:
            return None
        side, price = self.where[order_id]
        for entry in self.sides[side][price]:
            if entry[0] == order_id:
                return side, price, entry
        raise AssertionError("index and levels disagree")

    def place(self, order_id: Hashable, side: int, price: int, size: int, filled: int = 0) -> bool:
        if self._find(order_id) is not None:
            self._count("duplicate_place")
            return False
        if filled > size:
            self._count("overfill")
        self.sides[int(side)].setdefault(price, []).append([order_id, size, filled])
        self.where[order_id] = (int(side), price)
        return True

    def update(self, order_id: Hashable, filled: int) -> bool:
        found = self._find(order_id)
        if found is None:
            self._count("unknown_update")
            return False
        entry = found[2]
        if filled < entry[2]:
            self._count("fill_decreased")
        if filled > entry[1]:
            self._count("overfill")
        entry[2] = filled
        return True

    def remove(self, order_id: Hashable) -> bool:
        found = self._find(order_id)
        if found is None:
            self._count("unknown_remove")
            return False
        side, price, entry = found
        queue = self.sides[side][price]
        queue.remove(entry)
        del self.where[order_id]
        if not queue:
            del self.sides[side][price]
        return True

    @staticmethod
    def _remaining(entry: list[Any]) -> int:
        return max(0, int(entry[1]) - int(entry[2]))

    def levels(self, side: int) -> list[tuple[int, int]]:
        """Visible levels (aggregate remaining > 0), best first."""
        out = []
        for price, queue in self.sides[int(side)].items():
            total = sum(self._remaining(e) for e in queue)
            if total > 0:
                out.append((price, total))
        out.sort(reverse=side == 1)
        return out

    def _best(self, side: int) -> tuple[int, int] | None:
        levels = self.sides[side]
        pick = max if side == 1 else min
        price = pick(
            (p for p, queue in levels.items() if any(e[1] > e[2] for e in queue)),
            default=None,
        )
        if price is None:
            return None
        return price, sum(self._remaining(e) for e in levels[price])

    def best_bid(self) -> tuple[int, int] | None:
        return self._best(1)

    def best_ask(self) -> tuple[int, int] | None:
        return self._best(-1)

    def queue_position(self, order_id: Hashable) -> int | None:
        found = self._find(order_id)
        if found is None:
            return None
        side, price, entry = found
        ahead = 0
        for other in self.sides[side][price]:
            if other is entry:
                return ahead
            ahead += self._remaining(other)
        return None

    def order_ids(self, side: int) -> list[Hashable]:
        """Queue order: best price first, FIFO within a price."""
        levels = self.sides[int(side)]
        return [e[0] for p in sorted(levels, reverse=side == 1) for e in levels[p]]


class NaiveL2Book:
    """The L2 rules, written plainly: one dict per side, views recomputed."""

    def __init__(self) -> None:
        self.sides: dict[int, dict[int, int]] = {1: {}, -1: {}}

    def snapshot(self, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]]) -> None:
        self.sides = {1: {p: s for p, s in bids if s}, -1: {p: s for p, s in asks if s}}

    def set_level(self, side: int, price: int, size: int) -> None:
        if size:
            self.sides[side][price] = size
        else:
            self.sides[side].pop(price, None)

    def levels(self, side: int) -> list[tuple[int, int]]:
        return sorted(self.sides[side].items(), reverse=side == 1)

    def replace_top(self, side: int, levels: Sequence[tuple[int, int]], depth: int) -> None:
        old = self.levels(side)
        if len(levels) < depth:
            kept: dict[int, int] = {}
        else:
            worst = levels[-1][0]
            old_top = {p for p, _ in old[:depth]}
            kept = {
                p: s for p, s in old if (p < worst if side == 1 else p > worst) and p not in old_top
            }
        for p, s in levels:
            if s:
                kept[p] = s
        self.sides[side] = kept

    def best(self, side: int) -> tuple[int, int] | None:
        levels = self.levels(side)
        return levels[0] if levels else None

    def mid(self) -> Fraction | None:
        bid, ask = self.best(1), self.best(-1)
        return None if bid is None or ask is None else Fraction(bid[0] + ask[0], 2)


class HeapL3Book:
    """A conventional fast design, for scale: heaps of prices, lazy deletion.

    Levels are ``price -> [aggregate, {id: record}]``; each side's best comes
    from a heap whose stale tops (empty or zero-size levels) are popped when
    the best is read. Only the operations and best reads the bench uses.
    """

    def __init__(self) -> None:
        self.orders: dict[Hashable, list[Any]] = {}
        self.levels: dict[int, dict[int, list[Any]]] = {1: {}, -1: {}}
        self.heaps: dict[int, list[int]] = {1: [], -1: []}  # bids negated

    def place(self, order_id: Hashable, side: int, price: int, size: int, filled: int = 0) -> bool:
        if order_id in self.orders:
            return False
        remaining = max(0, size - filled)
        lvl = self.levels[side].setdefault(price, [0, {}])
        if remaining and not lvl[0]:
            heapq.heappush(self.heaps[side], -price if side == 1 else price)
        lvl[0] += remaining
        rec = self.orders[order_id] = [side, price, size, remaining]
        lvl[1][order_id] = rec
        return True

    def update(self, order_id: Hashable, filled: int) -> bool:
        rec = self.orders.get(order_id)
        if rec is None:
            return False
        side, price, size, old = rec
        remaining = max(0, size - filled)
        lvl = self.levels[side][price]
        if remaining and not lvl[0]:
            heapq.heappush(self.heaps[side], -price if side == 1 else price)
        lvl[0] += remaining - old
        rec[3] = remaining
        return True

    def remove(self, order_id: Hashable) -> bool:
        rec = self.orders.pop(order_id, None)
        if rec is None:
            return False
        levels = self.levels[rec[0]]
        lvl = levels[rec[1]]
        del lvl[1][order_id]
        lvl[0] -= rec[3]
        if not lvl[1]:
            del levels[rec[1]]
        return True

    def _best(self, side: int) -> tuple[int, int] | None:
        heap, levels = self.heaps[side], self.levels[side]
        while heap:
            price = -heap[0] if side == 1 else heap[0]
            lvl = levels.get(price)
            if lvl is not None and lvl[0] > 0:
                return price, int(lvl[0])
            heapq.heappop(heap)
        return None

    def best_bid(self) -> tuple[int, int] | None:
        return self._best(1)

    def best_ask(self) -> tuple[int, int] | None:
        return self._best(-1)
