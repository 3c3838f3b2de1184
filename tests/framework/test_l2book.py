"""L2 book: snapshots, level changes, replace-top-N, reads."""

from __future__ import annotations

from fractions import Fraction

import pytest

from framework.books.l2book import L2Book
from framework.model.events import Side


@pytest.fixture
def book() -> L2Book:
    b = L2Book("polymarket", "TOKEN")
    b.apply_snapshot(bids=[(48, 10), (50, 5), (49, 7)], asks=[(52, 3), (53, 8), (55, 1)])
    return b


def test_snapshot_sorts_and_reads(book: L2Book) -> None:
    assert book.best_bid() == (50, 5) and book.best_ask() == (52, 3)
    assert (book.best_bid_price, book.best_ask_price) == (50, 52)
    assert book.spread() == 2
    assert book.mid_x2() == 102 and book.mid() == Fraction(51)
    assert book.depth(Side.BUY, 2) == [(50, 5), (49, 7)]
    assert book.depth(Side.SELL, 10) == [(52, 3), (53, 8), (55, 1)]
    assert book.depth(Side.SELL, 0) == []
    assert book.cumulative_size(Side.BUY, 49) == 12
    assert book.cumulative_size(Side.SELL, 54) == 11
    assert book.cumulative_size(Side.SELL, 51) == 0
    assert book.size_at(Side.BUY, 48) == 10 and book.size_at(Side.BUY, 47) == 0
    assert not book.is_crossed
    assert book.stats["snapshots"] == 1


def test_mid_is_exact_when_odd() -> None:
    b = L2Book()
    b.apply_snapshot([(50, 1)], [(53, 1)])
    assert b.mid() == Fraction(103, 2) and b.mid_x2() == 103


def test_set_level_adds_changes_and_deletes(book: L2Book) -> None:
    book.set_level(Side.BUY, 51, 2)
    assert book.best_bid() == (51, 2)
    book.set_level(1, 51, 9)
    assert book.best_bid() == (51, 9)
    book.set_level(1, 51, 0)
    assert book.best_bid() == (50, 5)
    book.set_level(Side.SELL, 52, 0)
    assert book.best_ask() == (53, 8)
    assert book.levels(Side.SELL) == [(53, 8), (55, 1)]


def test_delete_of_absent_level_is_counted(book: L2Book) -> None:
    book.set_level(Side.BUY, 10, 0)
    assert book.stats["delete_absent"] == 1
    assert book.levels(Side.BUY) == [(50, 5), (49, 7), (48, 10)]


def test_emptying_a_side(book: L2Book) -> None:
    for p in (48, 49, 50):
        book.set_level(Side.BUY, p, 0)
    assert book.best_bid() is None and book.best_bid_price is None
    assert book.spread() is None and book.mid() is None


def test_crossed_is_flagged_and_counted(book: L2Book) -> None:
    book.set_level(Side.BUY, 52, 1)
    assert book.is_crossed and book.stats["crossed"] == 1
    book.set_level(Side.SELL, 51, 1)  # deeper into the cross: same episode
    assert book.stats["crossed"] == 1
    book.set_level(Side.BUY, 52, 0)
    book.set_level(Side.SELL, 51, 0)
    assert not book.is_crossed
    book.apply_snapshot([(60, 1)], [(59, 1)])
    assert book.is_crossed and book.stats["crossed"] == 2


def test_bad_values_raise_and_change_nothing(book: L2Book) -> None:
    before = book.levels(1), book.levels(-1)
    with pytest.raises(ValueError):
        book.set_level(Side.BUY, 51, -1)
    with pytest.raises(ValueError):
        book.set_level(0, 51, 1)
    with pytest.raises(TypeError):
        book.set_level(1, 51.0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        book.apply_snapshot([(1, 1), (1, 2)], [])
    with pytest.raises(TypeError):
        book.apply_snapshot([(1, 1.5)], [])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        book.replace_top(Side.BUY, [(49, 1), (50, 1)], 3)  # not best first
    with pytest.raises(ValueError):
        book.replace_top(Side.BUY, [(50, 1), (49, 1)], 1)  # more than depth
    with pytest.raises(ValueError):
        book.replace_top(Side.BUY, [], 0)
    assert (book.levels(1), book.levels(-1)) == before


def test_clear(book: L2Book) -> None:
    book.clear()
    assert book.levels(1) == [] and book.levels(-1) == [] and book.best_ask() is None


# --- replace_top: the exact rule ----------------------------------------------------


def deep_book() -> L2Book:
    b = L2Book()
    b.apply_snapshot(
        bids=[(100, 1), (99, 2), (98, 3), (97, 4), (96, 5), (95, 6)],
        asks=[(101, 1), (102, 2), (103, 3), (104, 4), (105, 5), (106, 6)],
    )
    return b


def test_replace_top_replaces_the_described_range() -> None:
    b = deep_book()
    # top 3 now 100, 98, 97: 99 vanished inside the range, deeper levels stay
    b.replace_top(Side.BUY, [(100, 9), (98, 8), (97, 7)], 3)
    assert b.levels(Side.BUY) == [(100, 9), (98, 8), (97, 7), (96, 5), (95, 6)]


def test_replace_top_drops_old_top_levels_pushed_below_the_new_worst() -> None:
    b = deep_book()
    # old top 3 was 100, 99, 98. New top 3 is better: 98 was inside the old
    # top 3 and is now beyond the new worst (99), so it goes; 97 and deeper were
    # never described and stay.
    b.replace_top(Side.BUY, [(101, 1), (100, 1), (99, 1)], 3)
    assert b.levels(Side.BUY) == [(101, 1), (100, 1), (99, 1), (97, 4), (96, 5), (95, 6)]


def test_replace_top_asks_mirror() -> None:
    b = deep_book()
    b.replace_top(Side.SELL, [(99, 5), (101, 1)], 2)
    # old top 2 (101, 102): 102 is worse than the new worst 101 and goes
    assert b.levels(Side.SELL) == [(99, 5), (101, 1), (103, 3), (104, 4), (105, 5), (106, 6)]
    assert b.is_crossed and b.stats["crossed"] == 1


def test_replace_top_thinner_than_depth_replaces_whole_side() -> None:
    b = deep_book()
    b.replace_top(Side.SELL, [(102, 7), (110, 1)], 5)
    assert b.levels(Side.SELL) == [(102, 7), (110, 1)]
    b.replace_top(Side.SELL, [], 5)
    assert b.levels(Side.SELL) == [] and b.best_ask() is None
    assert b.levels(Side.BUY)[0] == (100, 1)  # the other side untouched


def test_replace_top_zero_size_entry_describes_an_empty_level() -> None:
    b = deep_book()
    b.replace_top(Side.BUY, [(100, 3), (99, 0), (98, 1)], 3)
    assert b.levels(Side.BUY) == [(100, 3), (98, 1), (97, 4), (96, 5), (95, 6)]
    assert b.best_bid() == (100, 3)


def test_replace_top_on_empty_side() -> None:
    b = L2Book()
    b.replace_top(Side.BUY, [(10, 1), (9, 2)], 2)
    assert b.best_bid() == (10, 1) and b.levels(Side.BUY) == [(10, 1), (9, 2)]
