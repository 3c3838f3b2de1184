"""The market maker on scripted books."""

from __future__ import annotations

from framework.model.events import Side
from framework.tools.testing import StrategyHarness
from strategies.market_maker import MarketMaker, MarketMakerParams


def quotes(h: StrategyHarness) -> dict[Side, int]:
    return {o.side: o.price for o in h.tracker.open_orders("s1")}


def test_quotes_both_sides_around_mid() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(size=5, half_spread_ticks=2))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    sent = h.submitted()
    assert [(o.side, o.price, o.size, o.post_only) for o in sent] == [
        (Side.BUY, 98, 5, True),
        (Side.SELL, 102, 5, True),
    ]


def test_odd_mid_rounds_quotes_away_from_fair() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(half_spread_ticks=1))
    h.book("X", bids=[(100, 1)], asks=[(101, 1)])  # mid 100.5
    assert quotes(h) == {Side.BUY: 99, Side.SELL: 102}


def test_does_not_requote_within_threshold_and_moves_beyond_it() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(half_spread_ticks=2, requote_ticks=2))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    h.clear()
    h.book("X", bids=[(99, 10)], asks=[(103, 10)])  # mid moved 1 tick
    assert h.replaces() == []
    h.book("X", bids=[(101, 10)], asks=[(105, 10)])  # 3 ticks from the quotes
    assert sorted((r.price for r in h.replaces())) == [101, 105]
    assert quotes(h) == {Side.BUY: 101, Side.SELL: 105}


def test_inventory_skews_quotes_down_when_long() -> None:
    params = MarketMakerParams(size=10, half_spread_ticks=2, skew_ticks_per_lot=10)  # 0.1 tick per lot
    h = StrategyHarness(MarketMaker, params)
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    bid = next(o for o in h.tracker.open_orders("s1") if o.side is Side.BUY)
    h.fill(bid.client_order_id, 10)  # long 10 lots: fair moves 1 tick down
    assert h.ctx.position("X") == 10
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    assert quotes(h) == {Side.BUY: 97, Side.SELL: 101}


def test_stops_buying_at_max_inventory() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(size=5, max_inventory=5))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    bid = next(o for o in h.tracker.open_orders("s1") if o.side is Side.BUY)
    h.fill(bid.client_order_id, 5)
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    assert set(quotes(h)) == {Side.SELL}


def test_requotes_less_when_the_ingress_budget_is_short() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(half_spread_ticks=2, min_budget=10))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    h.clear()
    h.router.budget_left = 5
    h.book("X", bids=[(110, 10)], asks=[(114, 10)])
    assert h.router.intents == []  # quotes stay stale rather than spend the last budget
    h.router.budget_left = 50
    h.book("X", bids=[(110, 10)], asks=[(114, 10)])
    assert len(h.replaces()) == 2


def test_no_quotes_without_a_two_sided_book() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams())
    h.book("X", bids=[(98, 10)], asks=[])
    assert h.submitted() == []


def test_own_quotes_do_not_move_the_fair_price() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(size=5, half_spread_ticks=1))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])  # quotes 99 / 101
    assert quotes(h) == {Side.BUY: 99, Side.SELL: 101}
    h.clear()
    # the venue now shows our own quotes as the touch: nothing should move
    h.book("X", bids=[(99, 5), (98, 10)], asks=[(101, 5), (102, 10)])
    assert h.router.intents == []
    # someone else joins our bid: external touch 99 / 102, fair 100.5, so the
    # bid stays at 99 and the ask moves out to 102
    h.book("X", bids=[(99, 8), (98, 10)], asks=[(101, 5), (102, 10)])
    assert [(r.price) for r in h.replaces()] == [102]


def test_a_quote_moves_at_most_once_per_min_requote_interval() -> None:
    h = StrategyHarness(MarketMaker, MarketMakerParams(half_spread_ticks=1, min_requote_ms=100))
    h.book("X", bids=[(98, 10)], asks=[(102, 10)])
    h.clear()
    h.book("X", bids=[(100, 10)], asks=[(104, 10)])
    h.book("X", bids=[(102, 10)], asks=[(106, 10)])  # same instant: no second move
    assert sorted(r.price for r in h.replaces()) == [101, 103]
    h.advance_ms(100)
    h.book("X", bids=[(102, 10)], asks=[(106, 10)])
    assert sorted(r.price for r in h.replaces()) == [101, 103, 103, 105]
