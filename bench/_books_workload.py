"""The L3 operation stream :mod:`bench.books` measures (and the book property
tests replay): a dYdX-like mix around a drifting mid."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["LEVELS", "MID", "RESTING", "Op", "l3_workload"]

MID = 100_000
LEVELS = 250  # price range per side; about 200 of them stay occupied
RESTING = 1_000

Op = tuple[int, Any, int, int, int]
"""``(kind, order_id, side, price, size_or_filled)``; kind 0 place, 1 remove, 2 update."""


class _Workload:
    """Generates a dYdX-like L3 operation stream around a drifting mid.

    Placements land uniformly over ``LEVELS`` ticks from the mid (70%) or
    within a few ticks of it (30%, where market makers requote), so about 200
    levels per side stay occupied. Every ~100 operations the mid moves a tick:
    first the orders resting at the level it moves through are removed (taken
    or cancelled), then the mid moves, so the book never crosses and the best
    levels change often, as they do in a live market. Removes that are not
    part of such a sweep, and fill updates, pick a random resting order. The
    resting count is pulled back toward ``RESTING`` when it drifts 20% away.
    Measured over 200,000 operations (seed 7): 930-1,200 resting orders,
    190-230 visible levels per side, the best bid or ask moving on 1.4% of
    operations.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.mid = MID
        self.live: list[Any] = []  # resting ids, for O(1) random choice
        self.index: dict[Any, int] = {}
        self.info: dict[Any, list[int]] = {}  # id -> [side, price, size, filled]
        self.at: dict[tuple[int, int], dict[Any, None]] = {}  # (side, price) -> ids
        self.sweep: list[Any] = []  # removes owed before the mid moves
        self.move = 0  # +1 / -1 while a sweep is pending
        self.next_id = 0

    def place(self) -> tuple[Any, int, int, int, int]:
        rng = self.rng
        self.next_id += 1
        n = self.next_id
        oid = ("owner", n, n & 0xFFFF, 64, 0)  # dYdX-shaped tuple id
        side = 1 if rng.random() < 0.5 else -1
        if rng.random() < 0.7:
            offset = rng.randrange(LEVELS)
        else:
            offset = min(LEVELS - 1, int(rng.expovariate(1 / 3)))
        # keep clear of the level being swept so that the move never crosses
        if side == -1 and self.move == 1 or side == 1 and self.move == -1:
            offset += 1
        price = self.mid - 1 - offset if side == 1 else self.mid + offset
        size = rng.randrange(1, 50) * 10
        self.index[oid] = len(self.live)
        self.live.append(oid)
        self.info[oid] = [side, price, size, 0]
        self.at.setdefault((side, price), {})[oid] = None
        return oid, side, price, size, 0

    def drop(self, oid: Any) -> None:
        i = self.index.pop(oid)
        last = self.live.pop()
        if last is not oid:
            self.live[i] = last
            self.index[last] = i
        side, price, _size, _filled = self.info.pop(oid)
        del self.at[(side, price)][oid]

    def remove(self) -> Any:
        while self.sweep:
            oid = self.sweep.pop()
            if oid in self.info:
                self.drop(oid)
                return oid
        oid = self.live[self.rng.randrange(len(self.live))]
        self.drop(oid)
        return oid

    def maybe_move_mid(self) -> None:
        if self.move and not any(o in self.info for o in self.sweep):
            self.mid += self.move
            self.move = 0
            self.sweep = []
        if not self.move and self.rng.random() < 0.01:
            self.move = 1 if self.rng.random() < 0.5 else -1
            # moving up crosses the asks at the mid; down, the bids just below
            key = (-1, self.mid) if self.move == 1 else (1, self.mid - 1)
            self.sweep = list(self.at.get(key, ()))

    def next_op(self) -> Op:
        self.maybe_move_mid()
        r = self.rng.random()
        count = len(self.live)
        if count < RESTING * 0.8 or (r < 0.45 and count < RESTING * 1.2):
            oid, side, price, size, _ = self.place()
            return (0, oid, side, price, size)
        if r < 0.90:
            return (1, self.remove(), 0, 0, 0)
        oid = self.live[self.rng.randrange(len(self.live))]
        entry = self.info[oid]
        entry[3] = min(entry[2], entry[3] + self.rng.randrange(1, 5) * 10)
        return (2, oid, 0, 0, entry[3])


def l3_workload(n_ops: int, seed: int = 7) -> tuple[list[tuple[Any, int, int, int, int]], list[Op]]:
    """Initial orders (a snapshot) and ``n_ops`` operations (see :class:`_Workload`)."""
    gen = _Workload(seed)
    initial = [gen.place() for _ in range(RESTING)]
    return initial, [gen.next_op() for _ in range(n_ops)]
