"""L3 book: dYdX operations, queue positions, and every messy-feed case."""

from __future__ import annotations

from fractions import Fraction

import pytest

from framework.books.l3book import L3Book, RestingOrder
from framework.model.events import Side

OWNER = "dydx1owner"


def oid(n: int) -> tuple[str, int, int, int, int]:
    """A dYdX-shaped id: (owner, number, client_id, flags, clob_pair)."""
    return (OWNER, 0, n, 64, 0)


@pytest.fixture
def book() -> L3Book:
    b = L3Book("dydx", "BTC-USD")
    b.place(oid(1), Side.BUY, 100, 10)
    b.place(oid(2), Side.BUY, 100, 5)
    b.place(oid(3), 1, 99, 7)
    b.place(oid(4), Side.SELL, 102, 4)
    b.place(oid(5), -1, 103, 6)
    return b


def test_best_levels_and_l2_view(book: L3Book) -> None:
    assert book.best_bid() == (100, 15)
    assert book.best_ask() == (102, 4)
    assert (book.best_bid_price, book.best_ask_price) == (100, 102)
    assert book.spread() == 2
    assert book.mid_x2() == 202
    assert book.mid() == Fraction(101)
    assert book.levels(Side.BUY) == [(100, 15), (99, 7)]
    assert book.levels(Side.SELL) == [(102, 4), (103, 6)]
    assert book.depth(1, 1) == [(100, 15)]
    assert book.cumulative_size(Side.BUY, 99) == 22
    assert book.cumulative_size(Side.SELL, 102) == 4
    assert book.size_at(Side.BUY, 99) == 7
    assert len(book) == 5
    assert oid(3) in book
    assert not book.is_crossed


def test_place_appends_at_the_back_and_queue_position(book: L3Book) -> None:
    book.place(oid(6), Side.BUY, 100, 3)
    assert book.level_orders(Side.BUY, 100) == [oid(1), oid(2), oid(6)]
    assert book.queue_position(oid(1)) == 0
    assert book.queue_position(oid(2)) == 10
    assert book.queue_position(oid(6)) == 15
    book.remove(oid(1))
    assert book.queue_position(oid(6)) == 5
    assert book.queue_position(oid(99)) is None
    assert list(book.orders_in_queue_order(Side.BUY)) == [oid(2), oid(6), oid(3)]
    assert list(book.orders_in_queue_order(Side.SELL)) == [oid(4), oid(5)]


def test_update_sets_absolute_filled(book: L3Book) -> None:
    assert book.update(oid(1), 4)
    assert book.order(oid(1)) == RestingOrder(oid(1), Side.BUY, 100, 10, 4, 6)
    assert book.best_bid() == (100, 11)
    assert book.update(oid(1), 6)  # absolute, not +6
    assert book.order(oid(1)).remaining == 4  # type: ignore[union-attr]
    assert book.queue_position(oid(2)) == 4


def test_remaining_zero_keeps_queue_place_but_not_level(book: L3Book) -> None:
    book.update(oid(1), 10)
    assert oid(1) in book
    assert book.queue_position(oid(2)) == 0
    assert book.level_orders(Side.BUY, 100) == [oid(1), oid(2)]
    book.update(oid(2), 5)
    # the level holds only fully filled orders: not part of the L2 view
    assert book.best_bid() == (99, 7)
    assert book.levels(Side.BUY) == [(99, 7)]
    assert book.size_at(Side.BUY, 100) == 0
    # a place there makes it visible again, behind the filled orders
    book.place(oid(7), Side.BUY, 100, 2)
    assert book.best_bid() == (100, 2)
    assert book.queue_position(oid(7)) == 0
    assert book.level_orders(Side.BUY, 100) == [oid(1), oid(2), oid(7)]
    book.remove(oid(1))
    book.remove(oid(2))
    book.remove(oid(7))
    assert book.level_orders(Side.BUY, 100) == []
    assert book.best_bid() == (99, 7)


def test_best_recomputed_when_best_level_goes(book: L3Book) -> None:
    book.remove(oid(1))
    assert book.best_bid() == (100, 5)
    book.remove(oid(2))
    assert book.best_bid() == (99, 7)
    book.remove(oid(3))
    assert book.best_bid() is None and book.best_bid_price is None
    assert book.spread() is None and book.mid() is None and book.mid_x2() is None
    book.remove(oid(4))
    assert book.best_ask() == (103, 6)


# --- messy feeds: never raise, count by kind --------------------------------------


def test_update_for_unknown_id_is_ignored_and_counted(book: L3Book) -> None:
    assert book.update(oid(42), 3) is False
    assert book.stats["unknown_update"] == 1
    assert len(book) == 5 and book.best_bid() == (100, 15)


def test_remove_unknown_is_ignored_and_counted(book: L3Book) -> None:
    assert book.remove(oid(42)) is False
    book.remove(oid(4))
    assert book.remove(oid(4)) is False
    assert book.stats["unknown_remove"] == 2
    assert len(book) == 4


def test_duplicate_place_keeps_the_resting_order(book: L3Book) -> None:
    assert book.place(oid(1), Side.SELL, 105, 99) is False
    assert book.stats["duplicate_place"] == 1
    assert book.order(oid(1)) == RestingOrder(oid(1), Side.BUY, 100, 10, 0, 10)
    assert book.queue_position(oid(1)) == 0
    assert book.levels(Side.SELL) == [(102, 4), (103, 6)]


def test_fill_decrease_is_applied_and_counted(book: L3Book) -> None:
    book.update(oid(1), 8)
    assert book.update(oid(1), 3) is True  # dYdX block sync reset
    assert book.stats["fill_decreased"] == 1
    assert book.order(oid(1)).remaining == 7  # type: ignore[union-attr]
    assert book.best_bid() == (100, 12)
    book.update(oid(2), 5)
    book.update(oid(1), 10)
    assert book.best_bid() == (99, 7)
    book.update(oid(1), 0)  # pruning resets to 0: the level comes back
    assert book.best_bid() == (100, 10)
    assert book.stats["fill_decreased"] == 2


def test_overfill_clamps_remaining_and_counts(book: L3Book) -> None:
    assert book.update(oid(4), 9) is True
    assert book.stats["overfill"] == 1
    assert book.order(oid(4)) == RestingOrder(oid(4), Side.SELL, 102, 4, 9, 0)
    assert book.best_ask() == (103, 6)
    book.place(oid(8), Side.SELL, 101, 3, filled=5)
    assert book.stats["overfill"] == 2
    assert book.best_ask() == (103, 6)
    assert oid(8) in book


def test_crossed_book_is_flagged_and_counted_not_raised(book: L3Book) -> None:
    assert book.place(oid(9), Side.BUY, 102, 1)
    assert book.is_crossed
    assert book.stats["crossed"] == 1
    assert book.spread() == 0
    book.place(oid(10), Side.BUY, 103, 1)  # still crossed: not a new crossing
    assert book.stats["crossed"] == 1
    book.remove(oid(9))
    book.remove(oid(10))
    assert not book.is_crossed
    book.place(oid(11), Side.SELL, 99, 1)
    assert book.is_crossed and book.stats["crossed"] == 2


def test_bad_values_raise_and_change_nothing(book: L3Book) -> None:
    before = book.levels(1), book.levels(-1), len(book)
    with pytest.raises(ValueError):
        book.place(oid(20), 0, 100, 1)
    with pytest.raises(TypeError):
        book.place(oid(20), 1, 100.0, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        book.place(oid(20), 1, 100, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        book.place(oid(20), 1, 100, -1)
    with pytest.raises(TypeError):
        book.update(oid(1), 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        book.update(oid(1), -1)
    assert (book.levels(1), book.levels(-1), len(book)) == before
    assert oid(20) not in book


# --- snapshots ---------------------------------------------------------------------


def test_snapshot_replaces_everything_in_given_fifo_order(book: L3Book) -> None:
    book.apply_snapshot(
        [
            (oid(30), Side.BUY, 90, 5, 1),
            (oid(31), Side.BUY, 90, 6, 0),
            (oid(32), Side.SELL, 95, 2, 0),
        ]
    )
    assert len(book) == 3 and oid(1) not in book
    assert book.level_orders(Side.BUY, 90) == [oid(30), oid(31)]
    assert book.queue_position(oid(31)) == 4
    assert book.best_bid() == (90, 10) and book.best_ask() == (95, 2)
    assert book.stats["snapshots"] == 1


def test_snapshot_is_atomic_on_bad_input(book: L3Book) -> None:
    before = book.levels(1), book.levels(-1), len(book)
    with pytest.raises(ValueError):
        book.apply_snapshot([(oid(30), Side.BUY, 90, 5, 0), (oid(31), 7, 90, 5, 0)])
    assert (book.levels(1), book.levels(-1), len(book)) == before


def test_snapshot_counts_duplicates_first_wins() -> None:
    book = L3Book()
    book.apply_snapshot([(oid(1), 1, 90, 5, 0), (oid(1), -1, 95, 5, 0)])
    assert book.levels(1) == [(90, 5)] and book.levels(-1) == []
    assert book.stats["duplicate_place"] == 1


def test_clear_keeps_stats(book: L3Book) -> None:
    book.remove(oid(77))
    book.clear()
    assert len(book) == 0 and book.best_bid() is None and book.best_ask() is None
    assert book.stats["unknown_remove"] == 1
    assert book.stats.as_dict()["duplicate_place"] == 0


def test_best_answer_follows_every_change_at_and_off_the_best(book: L3Book) -> None:
    book.place(oid(12), Side.BUY, 101, 2)  # a new best bid
    assert book.best_bid() == (101, 2)
    book.update(oid(1), 3)  # the old best level changes: not the best any more
    book.place(oid(13), Side.BUY, 100, 9)
    book.remove(oid(2))
    assert book.best_bid() == (101, 2)
    book.place(oid(14), Side.BUY, 101, 4)  # the best level changes
    assert book.best_bid() == (101, 6)
    book.update(oid(12), 1)
    assert book.best_bid() == (101, 5)
    book.remove(oid(14))
    assert book.best_bid() == (101, 1)
    book.remove(oid(12))  # back to the old level, with its current size
    assert book.best_bid() == (100, 7 + 9)
    book.update(oid(13), 4)
    assert book.best_bid() == (100, 12)
    book.update(oid(5), 6)  # the deeper ask fills entirely: best ask unchanged
    assert book.best_ask() == (102, 4)
    book.update(oid(4), 4)  # the best ask fills: nothing left to show
    assert book.best_ask() is None and book.best_ask_price is None
    book.update(oid(5), 1)  # a fill reset brings the deeper level back as best
    assert book.best_ask() == (103, 5)
