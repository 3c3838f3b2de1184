"""Apply rate of the L3 and L2 books, beside deliberately naive references.

The L3 workload is a realistic dYdX-like mix around a drifting mid: 45% place,
45% remove, 10% fill update, with about 1,000 resting orders over about 200
levels per side (see :class:`_Workload`). Every operation is followed by a
read of the best bid and best ask, as a strategy reacting to each change would
do. The naive references (:class:`NaiveL3Book`, :class:`NaiveL2Book`: dicts
of lists, every view recomputed from scratch) are what the property tests
check the books against; here they are the baseline. :class:`HeapL3Book`, a
conventional fast design (heaps with lazy deletion), gives scale.

Figures: operations per second for each book, with the best read after each
operation (``*_tuple_reads``: ``best_bid()``/``best_ask()`` calls rather than
the ``best_*_price`` attributes); the same driver over an empty book whose
methods do nothing (the floor any book with this API reaches from Python);
the cost of one best-price read (attribute) and of one ``best_bid()`` call;
the ratios. L2: ``set_level`` changes with the best read after each, and
``replace_top`` updates of 20 levels on a 250-level side.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from bench._timing import best_of
from framework.books.l2book import L2Book
from framework.books.l3book import L3Book
from framework.tools.native import compiled_modules

__all__ = ["HeapL3Book", "NaiveL2Book", "NaiveL3Book", "l3_workload", "run"]

MID = 100_000
LEVELS = 250  # price range per side; about 200 of them stay occupied
RESTING = 1_000


# --- naive reference models ----------------------------------------------------


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


# --- workloads -------------------------------------------------------------------

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


# --- measurement -----------------------------------------------------------------


def _drive_l3(book: Any, ops: list[Op]) -> float:
    """Seconds to apply ``ops`` reading the best bid and ask price after each."""
    place, remove, update = book.place, book.remove, book.update
    start = time.perf_counter()
    for kind, oid, side, price, amount in ops:
        if kind == 0:
            place(oid, side, price, amount)
        elif kind == 1:
            remove(oid)
        else:
            update(oid, amount)
        book.best_bid_price
        book.best_ask_price
    return time.perf_counter() - start


def _drive_l3_tuples(book: Any, ops: list[Op]) -> float:
    """As :func:`_drive_l3` but reading ``best_bid()``/``best_ask()`` (price, size)."""
    place, remove, update = book.place, book.remove, book.update
    best_bid, best_ask = book.best_bid, book.best_ask
    start = time.perf_counter()
    for kind, oid, side, price, amount in ops:
        if kind == 0:
            place(oid, side, price, amount)
        elif kind == 1:
            remove(oid)
        else:
            update(oid, amount)
        best_bid()
        best_ask()
    return time.perf_counter() - start


class _EmptyBook:
    """A book that does nothing: the cost of the calls and reads themselves.

    Driving it measures the floor any book with this Python API can reach
    from Python: the driver loop, three method calls' overhead and the reads.
    """

    __slots__ = ("best_bid_price", "best_ask_price")

    def __init__(self) -> None:
        self.best_bid_price: int | None = 1
        self.best_ask_price: int | None = 2

    def place(self, order_id: Any, side: int, price: int, size: int, filled: int = 0) -> bool:
        return True

    def remove(self, order_id: Any) -> bool:
        return True

    def update(self, order_id: Any, filled: int) -> bool:
        return True

    def best_bid(self) -> tuple[int, int] | None:
        return None

    def best_ask(self) -> tuple[int, int] | None:
        return None


def _fresh(make: Any, initial: list[Any]) -> Any:
    book = make()
    for order in initial:
        book.place(*order)
    return book


def _l3_times(initial: list[Any], ops: list[Op], repeat: int) -> dict[str, float]:
    """Best time of each driver; repeats interleaved so load noise hits all alike."""
    runs = {
        "attr": (L3Book, _drive_l3),
        "tuples": (L3Book, _drive_l3_tuples),
        "heap_tuples": (HeapL3Book, _drive_l3_tuples),
        "empty_attr": (_EmptyBook, _drive_l3),
        "empty_tuples": (_EmptyBook, _drive_l3_tuples),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, (make, drive) in runs.items():
            best[name] = min(best[name], drive(_fresh(make, initial), ops))
    return best


def _read_ns(book: Any, n: int) -> tuple[float, float]:
    """ns per best-price attribute read, and per ``best_bid()`` call."""
    reps = range(n)

    def attr() -> None:
        for _ in reps:
            book.best_bid_price

    def call(fn: Any = book.best_bid) -> None:
        for _ in reps:
            fn()

    def empty() -> None:
        for _ in reps:
            pass

    loop = best_of(empty)
    return (best_of(attr) - loop) / n * 1e9, (best_of(call) - loop) / n * 1e9


def _l2_ops(n: int) -> list[tuple[int, int, int]]:
    """Level changes (30% deletes) over ``LEVELS`` ticks each side of the mid."""
    rng = random.Random(11)
    ops = []
    for _ in range(n):
        side = 1 if rng.random() < 0.5 else -1
        offset = rng.randrange(LEVELS)
        price = MID - 1 - offset if side == 1 else MID + offset
        ops.append((side, price, 0 if rng.random() < 0.3 else rng.randrange(1, 500)))
    return ops


def _l2_figures(n: int, repeat: int) -> dict[str, float]:
    ops = _l2_ops(n)
    naive_ops = ops[: max(1, n // 20)]

    def fast(ops: list[tuple[int, int, int]] = ops) -> None:
        book = L2Book()
        set_level = book.set_level
        for side, price, size in ops:
            set_level(side, price, size)
            book.best_bid_price
            book.best_ask_price

    def fast_tuples(ops: list[tuple[int, int, int]] = ops) -> None:
        book = L2Book()
        set_level, best_bid, best_ask = book.set_level, book.best_bid, book.best_ask
        for side, price, size in ops:
            set_level(side, price, size)
            best_bid()
            best_ask()

    def naive(ops: list[tuple[int, int, int]] = naive_ops) -> None:
        book = NaiveL2Book()
        for side, price, size in ops:
            book.set_level(side, price, size)
            book.best(1)
            book.best(-1)

    t_fast, t_tuples = best_of(fast, repeat), best_of(fast_tuples, repeat)
    t_naive = best_of(naive, 1)
    l2, naive_rate = n / t_fast, len(naive_ops) / t_naive
    return {
        "l2_ops_per_s": l2,
        "l2_ops_per_s_tuple_reads": n / t_tuples,
        "naive_l2_ops_per_s": naive_rate,
        "l2_over_naive_speed_ratio": (n / t_tuples) / naive_rate,
    }


def _replace_top_figures(n: int, repeat: int, depth: int = 20) -> dict[str, float]:
    """``replace_top`` (Polymarket's book-to-a-depth updates) on a deep book."""
    rng = random.Random(13)
    base = [(MID - 1 - i, rng.randrange(1, 500)) for i in range(LEVELS)]
    updates = []
    for _ in range(n):
        top = MID - 1 + rng.randrange(-3, 4)
        prices = sorted(rng.sample(range(top - 2 * depth, top + 1), depth), reverse=True)
        updates.append([(p, rng.randrange(1, 500)) for p in prices])

    def fast(updates: list[list[tuple[int, int]]] = updates) -> None:
        book = L2Book()
        book.apply_snapshot(base, [])
        for levels in updates:
            book.replace_top(1, levels, depth)
            book.best_bid()

    naive_updates = updates[: max(1, n // 10)]

    def naive(updates: list[list[tuple[int, int]]] = naive_updates) -> None:
        book = NaiveL2Book()
        book.snapshot(base, [])
        for levels in updates:
            book.replace_top(1, levels, depth)
            book.best(1)

    rate = n / best_of(fast, repeat)
    naive_rate = len(naive_updates) / best_of(naive, 1)
    return {
        f"l2_replace_top_{depth}_per_s": rate,
        f"naive_l2_replace_top_{depth}_per_s": naive_rate,
        "l2_replace_top_over_naive_speed_ratio": rate / naive_rate,
    }


def run(quick: bool = False) -> dict[str, float]:
    n = 20_000 if quick else 100_000
    repeat = 2 if quick else 11
    initial, ops = l3_workload(n)
    times = _l3_times(initial, ops, repeat)
    naive_ops = ops[: max(1, n // 40)]
    t_naive = _drive_l3_tuples(_fresh(NaiveL3Book, initial), naive_ops)
    attr_ns, call_ns = _read_ns(_fresh(L3Book, initial), 20_000 if quick else 500_000)
    naive_book = _fresh(NaiveL3Book, initial)
    start = time.perf_counter()
    for _ in range(200):
        naive_book.best_bid()
    naive_read_ns = (time.perf_counter() - start) / 200 * 1e9
    tuples, naive = n / times["tuples"], len(naive_ops) / t_naive
    figures = {
        "compiled_modules": compiled_modules(),
        "l3_ops_per_s": n / times["attr"],
        "l3_ops_per_s_tuple_reads": tuples,
        "naive_l3_ops_per_s": naive,
        "l3_over_naive_speed_ratio": tuples / naive,
        "heap_l3_ops_per_s_tuple_reads": n / times["heap_tuples"],
        "l3_over_heap_speed_ratio": times["heap_tuples"] / times["tuples"],
        "empty_book_ops_per_s": n / times["empty_attr"],
        "empty_book_ops_per_s_tuple_reads": n / times["empty_tuples"],
        "call_floor_share_of_l3_time_ratio": times["empty_attr"] / times["attr"],
        "best_read_ns": attr_ns,
        "best_bid_call_ns": call_ns,
        "naive_best_read_ns": naive_read_ns,
        "naive_over_fast_best_call_ratio": naive_read_ns / call_ns,
    }
    figures.update(_l2_figures(n, repeat))
    figures.update(_replace_top_figures(n // 20, repeat))
    return figures
