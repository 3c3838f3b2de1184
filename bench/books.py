"""Apply rate of the L3 and L2 books, beside deliberately naive references.

The L3 workload is a realistic dYdX-like mix around a drifting mid: 45% place,
45% remove, 10% fill update, with about 1,000 resting orders over about 200
levels per side (see :mod:`bench._books_workload`). Every operation is followed by a
read of the best bid and best ask, as a strategy reacting to each change would
do. The naive references (:class:`NaiveL3Book`, :class:`NaiveL2Book`: dicts
of lists, every view recomputed from scratch) are what the property tests
check the books against; here they are the baseline. :class:`HeapL3Book`, a
conventional fast design (heaps with lazy deletion), gives scale (all three in
:mod:`bench._books_naive`).

Figures: operations per second for each book, with the best read after each
operation (``*_tuple_reads``: ``best_bid()``/``best_ask()`` calls rather than
the ``best_*_price`` attributes); the same driver over an empty book whose
methods do nothing (the floor any book with this API reaches from Python);
the cost of one best-price read (attribute) and of one ``best_bid()`` call;
the ratios. L2: ``set_level`` changes with the best read after each, and
``replace_top`` updates of 20 levels on a 250-level side.
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench._books_naive import HeapL3Book, NaiveL2Book, NaiveL3Book
from bench._books_workload import LEVELS, MID, Op, l3_workload
from bench._timing import best_of
from framework.books.l2book import L2Book
from framework.books.l3book import L3Book
from framework.tools.native import compiled_modules

__all__ = ["HeapL3Book", "NaiveL2Book", "NaiveL3Book", "l3_workload", "run"]


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
