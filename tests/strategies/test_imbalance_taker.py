"""The imbalance taker on scripted books."""

from __future__ import annotations

from framework.model.events import Side
from framework.model.orders import OrderType, TimeInForce
from framework.tools.testing import StrategyHarness
from strategies.imbalance_taker import ImbalanceTaker, ImbalanceTakerParams


def harness(**kw: int) -> StrategyHarness:
    params = ImbalanceTakerParams(**{"size": 2, "levels": 2, "threshold_pct": 50, "cooldown_ms": 100, **kw})
    return StrategyHarness(ImbalanceTaker, params)


def test_buys_a_bid_heavy_book_at_the_ask() -> None:
    h = harness(slippage_ticks=1)
    h.book("X", bids=[(99, 30), (98, 30)], asks=[(101, 5), (102, 5)])  # (60-10)/70 = 71%
    [order] = h.submitted()
    assert (order.side, order.price, order.size) == (Side.BUY, 102, 2)
    assert (order.order_type, order.tif) == (OrderType.MARKET, TimeInForce.IOC)


def test_sells_an_ask_heavy_book_at_the_bid() -> None:
    h = harness()
    h.book("X", bids=[(99, 5)], asks=[(101, 50)])
    [order] = h.submitted()
    assert (order.side, order.price) == (Side.SELL, 99)


def test_balanced_book_does_nothing_and_threshold_is_inclusive() -> None:
    h = harness()
    h.book("X", bids=[(99, 10)], asks=[(101, 10)])
    assert h.submitted() == []
    h.book("X", bids=[(99, 30)], asks=[(101, 10)])  # exactly 50%
    assert len(h.submitted()) == 1


def test_only_the_top_levels_count() -> None:
    h = harness(levels=1)
    h.book("X", bids=[(99, 10), (98, 1000)], asks=[(101, 10)])
    assert h.submitted() == []


def test_cooldown_and_one_order_at_a_time() -> None:
    h = harness()
    lopsided = ([(99, 100)], [(101, 1)])
    h.book("X", *lopsided)
    [first] = h.submitted()
    h.book("X", *lopsided)  # the first order is still working
    assert len(h.submitted()) == 1
    h.fill(first.client_order_id, 2)
    h.book("X", *lopsided)  # filled, but inside the cooldown
    assert len(h.submitted()) == 1
    h.advance_ms(100)
    h.book("X", *lopsided)
    assert len(h.submitted()) == 2


def test_position_limit_is_respected() -> None:
    h = harness(max_position=2, cooldown_ms=0)
    h.book("X", bids=[(99, 100)], asks=[(101, 1)])
    h.fill(h.submitted()[0].client_order_id, 2)
    h.book("X", bids=[(99, 100)], asks=[(101, 1)])
    assert len(h.submitted()) == 1  # long 2 = max: no more buying
    h.book("X", bids=[(99, 1)], asks=[(101, 100)])
    assert h.submitted()[-1].side is Side.SELL
