"""The strategy kit: the built-in strategies pass it, broken ones fail the right check."""

from __future__ import annotations

import msgspec
import pytest

from framework.kit.strategy import (
    STRATEGY_CHECKS,
    OrderLoop,
    StrategyCase,
    StrategyContract,
    feed,
    sides,
    walk_books,
)
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    OrderDenied,
    OrderEvent,
    Side,
)
from framework.plugin.strategy import Strategy
from strategies.imbalance_taker import ImbalanceTaker, ImbalanceTakerParams
from strategies.market_maker import MarketMaker, MarketMakerParams


class TestMarketMaker(StrategyContract):
    """The reference market maker passes every check (the kit found its denial
    loop and its requoting at stop; both are fixed)."""

    @pytest.fixture
    def strategy_case(self) -> StrategyCase:
        return StrategyCase(MarketMaker, MarketMakerParams(size=3, half_spread_ticks=1))


class TestImbalanceTaker(StrategyContract):
    """The reference taker passes every check."""

    @pytest.fixture
    def strategy_case(self) -> StrategyCase:
        return StrategyCase(ImbalanceTaker, ImbalanceTakerParams(threshold_pct=10, cooldown_ms=0))


class Params(msgspec.Struct):
    pass


class Storm(Strategy[Params]):
    """Sends ten orders per book."""

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        book = self.ctx.book(event.symbol)
        if book.best_bid_price is not None:
            for _ in range(10):
                self.ctx.submit_limit(event.symbol, Side.BUY, book.best_bid_price, 1)


class Eager(Strategy[Params]):
    """Sends an order for a symbol it does not trade, before any data."""

    def on_start(self) -> None:
        self.ctx.submit_limit("OTHER", Side.BUY, 0, 0)


def check(check_id: str):
    return next(c for c in STRATEGY_CHECKS if c.id == check_id)


def test_an_order_storm_fails_no_order_storm() -> None:
    with pytest.raises(AssertionError, match="caused 10 intents"):
        check("no_order_storm").body(StrategyCase(Storm, Params()))


def test_orders_before_data_and_off_symbol_fail() -> None:
    case = StrategyCase(Eager, Params())
    with pytest.raises(AssertionError, match="before seeing any market data"):
        check("quiet_without_data").body(case)
    with pytest.raises(AssertionError, match="not a subscribed symbol"):
        check("well_formed_orders").body(case)


def test_walk_books_is_repeatable_two_sided_and_wide() -> None:
    books = walk_books(steps=200)
    assert books == walk_books(steps=200)
    for bids, asks in books:
        assert bids[0][0] < asks[0][0] and asks[0][0] - bids[0][0] >= 4
        assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)


def test_feed_reports_what_each_book_caused(strategy_harness) -> None:
    h = strategy_harness(MarketMaker, MarketMakerParams(size=5, half_spread_ticks=2), symbols=["X"])
    caused = feed(h, "X", [([(99, 10)], [(101, 10)]), ([(99, 10)], [(101, 10)])])
    assert sides(caused[0]) == [(Side.BUY, 98), (Side.SELL, 102)]
    assert caused[1] == []  # same book: no churn


class Looper(Strategy[Params]):
    """Answers every denial with a new order: an order loop."""

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        if not self.ctx.open_orders(event.symbol):
            self.ctx.submit_limit(event.symbol, Side.BUY, 1, 1)

    def on_order(self, event: OrderEvent) -> None:
        if isinstance(event, OrderDenied):
            self.ctx.submit_limit(event.symbol, Side.BUY, 1, 1)


def test_an_order_loop_is_reported_instead_of_hanging() -> None:
    with pytest.raises(OrderLoop, match="an order loop"):
        check("denials").body(StrategyCase(Looper, Params()))
