"""Integer positions and PnL (FIFO), checked by hand and against a naive model."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.model.events import Side
from framework.model.positions import Position, PositionBook

K = ("s", "v", "X")


def test_round_trip_long_realises_fifo_pnl_and_keeps_fees_apart() -> None:
    book = PositionBook()
    book.apply_fill(*K, Side.BUY, 100, 5, 1)
    book.apply_fill(*K, Side.BUY, 110, 5, 1)
    assert book.avg_entry(*K) == Fraction(105)
    pos = book.apply_fill(*K, Side.SELL, 120, 7, 2)
    # FIFO: 5 closed from 100 (+100), 2 from 110 (+20).
    assert pos == Position(qty=3, cost=330, realized=120, fees=4)
    assert book.unrealized(*K, 100) == 300 - 330
    assert pos.net(100) == 120 - 4 - 30


def test_flip_from_long_to_short_opens_the_excess_at_the_fill_price() -> None:
    book = PositionBook()
    book.apply_fill(*K, Side.BUY, 50, 2)
    pos = book.apply_fill(*K, Side.SELL, 40, 5)
    assert (pos.qty, pos.realized, pos.cost) == (-3, -20, -120)
    assert pos.avg_entry == 40
    assert pos.unrealized(30) == 30  # short 3 from 40, mark 30
    pos = book.apply_fill(*K, Side.BUY, 35, 3)
    assert pos == Position(0, 0, -20 + 15, 0)
    assert pos.avg_entry is None


def test_keys_are_separate_and_net_position_sums_strategies() -> None:
    book = PositionBook()
    book.apply_fill("a", "v", "X", Side.BUY, 10, 4)
    book.apply_fill("b", "v", "X", Side.SELL, 10, 1)
    book.apply_fill("a", "v", "Y", Side.SELL, 10, 9)
    assert book.position("a", "v", "X") == 4
    assert book.net_position("v", "X") == 3
    assert len(book) == 3 and dict(book.items())[("a", "v", "Y")].qty == -9


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((Side.BUY, 10.0, 1, 0), TypeError),
        ((Side.BUY, 10, 0, 0), ValueError),
        ((0, 10, 1, 0), ValueError),
        ((Side.BUY, 10, 1, 0.5), TypeError),
    ],
)
def test_bad_fills_raise_and_change_nothing(args: tuple, error: type) -> None:
    book = PositionBook()
    with pytest.raises(error):
        book.apply_fill(*K, *args)
    assert book.get(*K) == Position()


fills_st = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 200), st.integers(1, 20), st.integers(-3, 3)),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(fills_st, st.integers(1, 200))
def test_total_pnl_matches_a_naive_cash_model(fills: list[tuple[Side, int, int, int]], mark: int) -> None:
    """Whatever the accounting method, realised + unrealised - fees must equal
    the cash flow plus the marked value of what is held."""
    book = PositionBook()
    cash = qty = fees = 0
    for side, price, size, fee in fills:
        pos = book.apply_fill(*K, side, price, size, fee)
        cash -= int(side) * price * size
        qty += int(side) * size
        fees += fee
        assert pos.qty == qty and pos.fees == fees
    pos = book.get(*K)
    assert pos.net(mark) == cash + qty * mark - fees
    # Open lots are all on the position's side: |cost| is at most max price x |qty|.
    assert abs(pos.cost) <= 200 * abs(pos.qty)
