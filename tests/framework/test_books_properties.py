"""Property tests: the books against deliberately naive reference models.

Long random operation sequences (valid and messy: unknown ids, duplicate
places, fills going down or past the size, crossed books, snapshots) are
applied to both the fast book and the naive model of :mod:`bench._books_naive`
(dicts of lists, every view recomputed). After **every** operation the best
levels, depth, the whole L2 view, queue positions, queue order and the
irregularity counters must be identical.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench._books_naive import HeapL3Book, NaiveL2Book, NaiveL3Book
from bench._books_workload import l3_workload
from framework.books.l2book import L2Book
from framework.books.l3book import L3Book

STATS = (
    "unknown_update",
    "unknown_remove",
    "duplicate_place",
    "fill_decreased",
    "overfill",
    "crossed",
)

ids = st.integers(0, 15).map(lambda n: ("owner", n, n % 7, 64, 0))
sides = st.sampled_from([1, -1])
prices = st.integers(95, 105)
l2_prices = st.integers(90, 110)
amounts = st.integers(0, 6)
place = st.tuples(st.just("place"), ids, sides, prices, st.integers(1, 5), st.just(0))

# Weighted by repetition: mostly places and fill updates, some removes, messy
# amounts (fills above the size or going down) and rare snapshots.
l3_op = st.one_of(
    place,
    place,
    st.tuples(st.just("place"), ids, sides, prices, st.integers(0, 5), amounts),
    st.tuples(st.just("update"), ids, amounts),
    st.tuples(st.just("update"), ids, amounts),
    st.tuples(st.just("remove"), ids),
    st.tuples(
        st.just("snapshot"),
        st.lists(st.tuples(ids, sides, prices, st.integers(1, 12), amounts), max_size=12),
    ),
)


def naive_crossed(naive: NaiveL3Book) -> bool:
    bid, ask = naive.best_bid(), naive.best_ask()
    return bid is not None and ask is not None and bid[0] >= ask[0]


def apply_l3(book: L3Book, naive: NaiveL3Book, op: tuple[Any, ...]) -> NaiveL3Book:
    """Apply ``op`` to both; the naive side also counts entries into a crossed book."""
    was_crossed = naive_crossed(naive) and op[0] != "snapshot"
    naive = _apply_l3(book, naive, op)
    if not was_crossed and naive_crossed(naive):
        naive.stats["crossed"] = naive.stats.get("crossed", 0) + 1
    return naive


def _apply_l3(book: L3Book, naive: NaiveL3Book, op: tuple[Any, ...]) -> NaiveL3Book:
    kind = op[0]
    if kind == "place":
        assert book.place(*op[1:]) == naive.place(*op[1:])
    elif kind == "remove":
        assert book.remove(op[1]) == naive.remove(op[1])
    elif kind == "update":
        assert book.update(op[1], op[2]) == naive.update(op[1], op[2])
    else:
        book.apply_snapshot(op[1])
        fresh = NaiveL3Book()
        fresh.stats = naive.stats
        for entry in op[1]:
            fresh.place(*entry)
        naive = fresh
    return naive


def assert_same_l3(book: L3Book, naive: NaiveL3Book) -> None:
    assert book.best_bid() == naive.best_bid()
    assert book.best_ask() == naive.best_ask()
    bid, ask = naive.best_bid(), naive.best_ask()
    assert book.best_bid_price == (bid and bid[0])
    assert book.best_ask_price == (ask and ask[0])
    assert book.is_crossed == (bid is not None and ask is not None and bid[0] >= ask[0])
    for side in (1, -1):
        levels = naive.levels(side)
        assert book.levels(side) == levels
        assert book.depth(side, 3) == levels[:3]
        assert list(book.orders_in_queue_order(side)) == naive.order_ids(side)
        for price, size in levels:
            assert book.size_at(side, price) == size
    assert len(book) == len(naive.where)
    for order_id in naive.where:
        assert book.queue_position(order_id) == naive.queue_position(order_id)
    for kind in STATS:
        assert book.stats[kind] == naive.stats.get(kind, 0), kind


@settings(max_examples=150, deadline=None)
@given(st.lists(l3_op, min_size=20, max_size=250))
def test_l3_matches_naive_after_every_operation(ops: list[tuple[Any, ...]]) -> None:
    book, naive = L3Book(), NaiveL3Book()
    for op in ops:
        naive = apply_l3(book, naive, op)
        assert_same_l3(book, naive)


def test_l3_matches_naive_on_a_long_realistic_run() -> None:
    """The bench workload (plus messy noise), checked after every operation.

    The bench's conventional comparator (:class:`HeapL3Book`) rides along, so
    its figures are known to come from a correct book.
    """
    rng = random.Random(3)
    initial, ops = l3_workload(4_000, seed=5)
    book, naive, heap = L3Book(), NaiveL3Book(), HeapL3Book()
    naive = apply_l3(book, naive, ("snapshot", initial))
    for order in initial:
        heap.place(*order)
    known = [o[0] for o in initial]
    for kind, order_id, side, price, amount in ops:
        if kind == 0:
            steps: list[tuple[Any, ...]] = [("place", order_id, side, price, amount, 0)]
            known.append(order_id)
        elif kind == 1:
            steps = [("remove", order_id)]
        else:
            steps = [("update", order_id, amount)]
        noise = rng.random()
        if noise < 0.05:  # an update naming a stale (usually removed) id
            steps.append(("update", rng.choice(known), rng.randrange(0, 600)))
        elif noise < 0.08 and naive.where:  # a fill reset or overfill of a live one
            steps.append(("update", rng.choice(list(naive.where)), rng.randrange(0, 600)))
        for op in steps:
            naive = apply_l3(book, naive, op)
            getattr(heap, op[0])(*op[1:])
            best = (book.best_bid(), book.best_ask())
            assert best == (naive.best_bid(), naive.best_ask())
            assert best == (heap.best_bid(), heap.best_ask())
    assert_same_l3(book, naive)
    assert book.stats["fill_decreased"] > 0 and book.stats["unknown_update"] > 0


# --- L2 ----------------------------------------------------------------------------

l2_level = st.tuples(l2_prices, st.integers(0, 9))


@st.composite
def replace_tops(draw: st.DrawFn) -> tuple[Any, ...]:
    side = draw(sides)
    depth = draw(st.integers(1, 6))
    chosen = draw(st.lists(l2_prices, unique=True, max_size=depth))
    chosen.sort(reverse=side == 1)
    levels = [(p, draw(st.integers(0, 9))) for p in chosen]
    return ("replace_top", side, levels, depth)


l2_op = st.one_of(
    st.tuples(st.just("set"), sides, l2_prices, st.integers(0, 9)),
    st.tuples(st.just("set"), sides, l2_prices, st.integers(0, 9)),
    replace_tops(),
    st.tuples(
        st.just("snapshot"),
        st.lists(l2_level, unique_by=lambda lv: lv[0], max_size=10),
        st.lists(l2_level, unique_by=lambda lv: lv[0], max_size=10),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(l2_op, min_size=1, max_size=200), st.integers(89, 111))
def test_l2_matches_naive_after_every_operation(ops: list[tuple[Any, ...]], probe: int) -> None:
    book, naive = L2Book(), NaiveL2Book()
    for op in ops:
        if op[0] == "set":
            book.set_level(*op[1:])
            naive.set_level(*op[1:])
        elif op[0] == "replace_top":
            book.replace_top(*op[1:])
            naive.replace_top(*op[1:])
        else:
            book.apply_snapshot(op[1], op[2])
            naive.snapshot(op[1], op[2])
        for side in (1, -1):
            levels = naive.levels(side)
            assert book.levels(side) == levels
            assert book.depth(side, 2) == levels[:2]
            better = (lambda p: p >= probe) if side == 1 else (lambda p: p <= probe)
            assert book.cumulative_size(side, probe) == sum(s for p, s in levels if better(p))
        bid, ask = naive.best(1), naive.best(-1)
        assert (book.best_bid(), book.best_ask()) == (bid, ask)
        assert (book.best_bid_price, book.best_ask_price) == (bid and bid[0], ask and ask[0])
        assert book.mid() == naive.mid()
        assert book.is_crossed == (bid is not None and ask is not None and bid[0] >= ask[0])
