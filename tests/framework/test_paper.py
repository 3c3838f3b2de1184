"""The paper exchange on scripted books: walking levels, no double use of
liquidity, queue position, fills on prints and trade-through, fees, latency."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.books.l2book import L2Book
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    HandlerFailed,
    Liquidity,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    Side,
    Trade,
)
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.paper import PaperExchange, PaperSettings, fee
from framework.paper.queue import PaperOrder, allocate_print
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_MS, SimClock

V, S = "simv", "BTC-USD"


class Harness:
    """A venue book, a bus, a sim clock and a paper exchange wired together."""

    def __init__(self, **paper: Any) -> None:
        self.clock = SimClock()
        self.bus = Bus(self.clock)
        self.book = L2Book(V, S)
        self.ex = PaperExchange(V, self.bus, self.clock, self._book_of, PaperSettings(**paper), id_prefix="p")
        self.ex.attach()
        self.events: list[OrderEvent] = []
        self.bus.subscribe(self.events.append, OrderEvent)
        self._n = 0

    def _book_of(self, symbol: str) -> L2Book:
        if symbol != S:
            raise KeyError(symbol)
        return self.book

    def snapshot(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> None:
        self.book.apply_snapshot(bids, asks)
        self.bus.publish(BookSnapshot(V, S, 0, self.clock.now_ns(), tuple(bids), tuple(asks)))

    def delta(self, side: Side, price: int, size: int) -> None:
        self.book.set_level(side, price, size)
        self.bus.publish(BookDelta(V, S, 0, self.clock.now_ns(), ((int(side), price, size),)))

    def trade(self, price: int, size: int, aggressor: Side | None) -> None:
        self.bus.publish(Trade(V, S, 0, self.clock.now_ns(), price, size, aggressor, "t"))

    async def submit(self, side: Side, price: int, size: int, *, settle: bool = True, **kw: Any) -> str:
        self._n += 1
        cid = kw.pop("cid", f"c{self._n}")
        await self.ex.submit(SubmitOrder("strat", kw.pop("venue", V), kw.pop("symbol", S), cid, side, price, size, **kw))
        if settle:
            self.clock.advance(0)
        return cid

    def of(self, cid: str, kind: type | None = None) -> list[Any]:
        return [e for e in self.events if e.client_order_id == cid and (kind is None or isinstance(e, kind))]

    def fills(self, cid: str) -> list[tuple[int, int]]:
        return [(e.price, e.size) for e in self.of(cid, OrderFilled)]

    def order(self, cid: str) -> PaperOrder:
        return next(o for o in self.ex.open_orders() if o.client_order_id == cid)


# -- marketable orders -------------------------------------------------------


async def test_marketable_order_walks_levels_best_first_and_cancels_ioc_rest() -> None:
    h = Harness()
    h.snapshot([(99, 10)], [(100, 5), (101, 5), (102, 10)])
    cid = await h.submit(Side.BUY, 101, 12, tif=TimeInForce.IOC)
    assert h.fills(cid) == [(100, 5), (101, 5)]
    kinds = [type(e) for e in h.of(cid)]
    assert kinds == [OrderAccepted, OrderFilled, OrderFilled, OrderCanceled]
    last_fill = h.of(cid, OrderFilled)[-1]
    assert (last_fill.filled, last_fill.remaining, last_fill.liquidity) == (10, 2, Liquidity.TAKER)
    assert h.ex.open_orders() == []


async def test_sell_walks_bids_down_to_its_limit_and_rests_the_rest() -> None:
    h = Harness()
    h.snapshot([(99, 4), (98, 6), (97, 50)], [(101, 5)])
    cid = await h.submit(Side.SELL, 98, 15)
    assert h.fills(cid) == [(99, 4), (98, 6)]
    order = h.order(cid)
    assert (order.remaining, order.price, order.queue_ahead) == (5, 98, 0)


async def test_two_orders_in_one_book_state_never_take_the_same_lots() -> None:
    h = Harness()
    h.snapshot([(99, 10)], [(100, 10), (101, 3)])
    a = await h.submit(Side.BUY, 100, 8, tif=TimeInForce.IOC)
    b = await h.submit(Side.BUY, 101, 8, tif=TimeInForce.IOC)
    assert h.fills(a) == [(100, 8)]
    assert h.fills(b) == [(100, 2), (101, 3)]  # only what a left, then the next level
    c = await h.submit(Side.BUY, 101, 5, tif=TimeInForce.IOC)
    assert h.fills(c) == []  # the state is used up
    # A new book state brings fresh displayed size.
    h.snapshot([(99, 10)], [(100, 10), (101, 3)])
    d = await h.submit(Side.BUY, 100, 4, tif=TimeInForce.IOC)
    assert h.fills(d) == [(100, 4)]


async def test_fok_fills_all_or_cancels_untouched() -> None:
    h = Harness()
    h.snapshot([], [(100, 5), (101, 5)])
    short = await h.submit(Side.BUY, 101, 11, tif=TimeInForce.FOK)
    assert h.fills(short) == []
    assert isinstance(h.of(short)[-1], OrderCanceled)
    ok = await h.submit(Side.BUY, 101, 10, tif=TimeInForce.FOK)
    assert h.fills(ok) == [(100, 5), (101, 5)]


async def test_market_order_never_rests() -> None:
    h = Harness()
    h.snapshot([], [(100, 5)])
    cid = await h.submit(Side.BUY, 105, 8, order_type=OrderType.MARKET)
    assert h.fills(cid) == [(100, 5)]
    assert isinstance(h.of(cid)[-1], OrderCanceled)
    assert h.ex.open_orders() == []


async def test_post_only_that_would_cross_is_rejected_and_one_that_does_not_rests() -> None:
    h = Harness()
    h.snapshot([(99, 7)], [(100, 5)])
    bad = await h.submit(Side.BUY, 100, 1, post_only=True)
    assert [type(e) for e in h.of(bad)] == [OrderRejected]
    assert "cross" in h.of(bad)[0].reason
    good = await h.submit(Side.BUY, 99, 1, post_only=True)
    assert [type(e) for e in h.of(good)] == [OrderAccepted]
    assert h.order(good).queue_ahead == 7


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"symbol": "NOPE"}, "unknown symbol"),
        ({"size": 0}, "size"),
        ({"price": 0}, "price"),
        ({"venue": "other"}, "venue"),
    ],
)
async def test_invalid_orders_are_rejected_with_a_reason(kw: dict[str, Any], reason: str) -> None:
    h = Harness()
    h.snapshot([(99, 1)], [(100, 1)])
    args = {"side": Side.BUY, "price": 99, "size": 1} | kw
    cid = await h.submit(args.pop("side"), args.pop("price"), args.pop("size"), **args)
    (event,) = h.of(cid)
    assert isinstance(event, OrderRejected) and reason in event.reason


async def test_duplicate_client_order_id_is_rejected() -> None:
    h = Harness()
    h.snapshot([(99, 1)], [(100, 1)])
    await h.submit(Side.BUY, 98, 1, cid="same")
    await h.submit(Side.BUY, 97, 1, cid="same")
    assert [type(e) for e in h.of("same")] == [OrderAccepted, OrderRejected]
    assert h.order("same").price == 98


# -- resting orders: queue position ------------------------------------------


async def test_queue_position_moves_with_prints_and_shrinks_then_fills_the_excess() -> None:
    h = Harness()
    h.snapshot([(100, 30)], [(102, 10)])
    cid = await h.submit(Side.BUY, 100, 10)
    assert h.order(cid).queue_ahead == 30  # the whole displayed level is ahead
    h.trade(100, 20, Side.SELL)
    assert h.order(cid).queue_ahead == 10 and h.fills(cid) == []
    h.trade(100, 50, Side.BUY)  # buyers lifting asks never reach our bid
    assert h.order(cid).queue_ahead == 10
    h.delta(Side.BUY, 100, 4)  # orders ahead cancelled
    assert h.order(cid).queue_ahead == 4
    h.delta(Side.BUY, 100, 9)  # size joining behind us does not push us back
    assert h.order(cid).queue_ahead == 4
    h.trade(100, 7, None)  # unknown aggressor: could have hit us
    assert h.fills(cid) == [(100, 3)]
    fill = h.of(cid, OrderFilled)[0]
    assert (fill.liquidity, fill.remaining) == (Liquidity.MAKER, 7)
    h.trade(100, 100, Side.SELL)
    assert h.fills(cid) == [(100, 3), (100, 7)]
    assert h.ex.open_orders() == []


async def test_our_orders_share_one_print_in_price_then_time_priority() -> None:
    h = Harness()
    h.snapshot([(99, 0)], [(105, 1)])
    first = await h.submit(Side.BUY, 100, 4)
    second = await h.submit(Side.BUY, 100, 4)
    better = await h.submit(Side.BUY, 101, 3)
    h.trade(100, 6, Side.SELL)  # through 101, at 100
    assert h.fills(better) == [(101, 3)]
    assert h.fills(first) == [(100, 3)]
    assert h.fills(second) == []  # 6 lots printed, 6 given out


async def test_book_trading_through_a_resting_order_fills_it_as_maker_at_its_price() -> None:
    h = Harness()
    h.snapshot([(100, 30)], [(102, 10)])
    cid = await h.submit(Side.BUY, 100, 10)
    h.trade(99, 4, Side.SELL)  # a print through our bid: the level ahead is gone
    assert h.fills(cid) == [(100, 4)]
    assert h.order(cid).queue_ahead == 0
    h.snapshot([(98, 5)], [(99, 2), (100, 3), (101, 50)])  # asks now at and through our bid
    assert h.fills(cid) == [(100, 4), (100, 5)]
    assert all(f.liquidity is Liquidity.MAKER for f in h.of(cid, OrderFilled))
    assert h.order(cid).remaining == 1
    # Liquidity we took in this state is not offered again ...
    taker = await h.submit(Side.BUY, 100, 5, tif=TimeInForce.IOC)
    assert h.fills(taker) == []
    # ... and a new state offers it afresh.
    h.delta(Side.SELL, 101, 49)
    assert h.fills(cid)[-1] == (100, 1)


# -- partial fills off: all-or-none -------------------------------------------


async def test_without_partial_fills_orders_fill_all_or_nothing() -> None:
    h = Harness(partial_fills=False)
    h.snapshot([(99, 10)], [(100, 5), (101, 5)])
    ioc = await h.submit(Side.BUY, 101, 12, tif=TimeInForce.IOC)
    assert h.fills(ioc) == []
    gtc = await h.submit(Side.SELL, 101, 6)
    assert h.order(gtc).queue_ahead == 5
    h.trade(101, 9, Side.BUY)  # 4 past the queue: not enough for 6
    assert h.fills(gtc) == []
    h.trade(101, 6, Side.BUY)
    assert h.fills(gtc) == [(101, 6)]


# -- fees ----------------------------------------------------------------------


def test_fee_rounds_up_in_the_venues_favour() -> None:
    assert fee(100, 3, 7) == 1  # 0.21 charged as 1
    assert fee(100, 3, -2) == 0  # a 0.06 rebate pays 0
    assert fee(1000, 30, -2) == -6  # exact rebate
    assert fee(123, 45, 0) == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**9), st.integers(1, 10**9), st.integers(-10_000, 10_000))
def test_fee_is_the_exact_ceiling(price: int, size: int, bps: int) -> None:
    exact = Fraction(price * size * bps, 10_000)
    assert fee(price, size, bps) - 1 < exact <= fee(price, size, bps)


async def test_fills_carry_maker_and_taker_fees() -> None:
    h = Harness(maker_fee_bps=-2, taker_fee_bps=7)
    h.snapshot([(1000, 10)], [(1001, 10)])
    taker = await h.submit(Side.BUY, 1001, 10)
    maker = await h.submit(Side.SELL, 1002, 30)
    h.trade(1002, 40, Side.BUY)
    (t,) = h.of(taker, OrderFilled)
    (m,) = h.of(maker, OrderFilled)
    assert t.fee == 8  # 1001 * 10 * 7 / 10000 = 7.007 -> 8
    assert m.fee == -6  # 1002 * 30 * -2 / 10000 = -6.012 -> -6


# -- latency, cancel, replace, expiry ------------------------------------------------


async def test_orders_take_effect_after_latency_against_the_book_then() -> None:
    h = Harness(latency_ms=5)
    h.snapshot([(99, 10)], [(100, 5)])
    cid = await h.submit(Side.BUY, 100, 5, settle=False)
    h.clock.advance(4 * NS_PER_MS)
    assert h.of(cid) == []
    h.snapshot([(99, 10)], [(101, 5)])  # the ask moved away while we were in flight
    h.clock.advance(1 * NS_PER_MS)
    accepted = h.of(cid, OrderAccepted)
    assert len(accepted) == 1 and accepted[0].ts_recv == 5 * NS_PER_MS
    assert h.fills(cid) == []
    assert h.order(cid).queue_ahead == 0


async def test_latency_jitter_is_seeded_and_keeps_send_order() -> None:
    arrivals: list[list[tuple[str, int]]] = []
    for _ in range(2):
        h = Harness(latency_ms=1, latency_jitter_ms=10, seed=42)
        h.snapshot([(99, 10)], [(200, 5)])
        for i in range(10):
            await h.submit(Side.BUY, 90 + i, 1, cid=f"o{i}", settle=False)
        h.clock.run_until_idle()
        arrivals.append([(e.client_order_id, e.ts_recv) for e in h.events])
    assert arrivals[0] == arrivals[1]
    assert [cid for cid, _ in arrivals[0]] == [f"o{i}" for i in range(10)]
    times = [t for _, t in arrivals[0]]
    assert times == sorted(times) and times[0] >= NS_PER_MS and len(set(times)) > 1


async def test_cancel_arrives_after_its_order_and_unknown_cancels_are_rejected() -> None:
    h = Harness(latency_ms=2)
    h.snapshot([(99, 10)], [(100, 5)])
    cid = await h.submit(Side.BUY, 98, 5, settle=False)
    await h.ex.cancel(CancelOrder("strat", V, S, cid))
    await h.ex.cancel(CancelOrder("strat", V, S, "ghost"))
    h.clock.advance(2 * NS_PER_MS)
    assert [type(e) for e in h.of(cid)] == [OrderAccepted, OrderCanceled]
    assert [type(e) for e in h.of("ghost")] == [CancelRejected]
    assert h.ex.open_orders() == []


async def test_replace_keeps_queue_only_on_a_size_decrease_at_the_same_price() -> None:
    h = Harness()
    h.snapshot([(100, 20), (99, 8)], [(105, 10)])
    cid = await h.submit(Side.BUY, 100, 10)
    h.trade(100, 5, Side.SELL)
    assert h.order(cid).queue_ahead == 15
    await h.ex.replace(ReplaceOrder("strat", V, S, cid, price=0, size=6))
    h.clock.advance(0)
    assert (h.order(cid).size, h.order(cid).queue_ahead) == (6, 15)
    await h.ex.replace(ReplaceOrder("strat", V, S, cid, price=99, size=0))
    h.clock.advance(0)
    assert (h.order(cid).price, h.order(cid).queue_ahead) == (99, 8)
    accepted = h.of(cid, OrderAccepted) + h.of(cid, OrderReplaced)
    assert [(a.price, a.size) for a in accepted] == [(100, 10), (100, 6), (99, 6)]


async def test_replace_to_a_crossing_price_takes_and_below_filled_is_refused() -> None:
    h = Harness()
    h.snapshot([(99, 10)], [(101, 3)])
    cid = await h.submit(Side.BUY, 100, 10)
    await h.ex.replace(ReplaceOrder("strat", V, S, cid, price=101, size=0))
    h.clock.advance(0)
    assert h.fills(cid) == [(101, 3)]
    assert h.order(cid).remaining == 7
    await h.ex.replace(ReplaceOrder("strat", V, S, cid, price=0, size=3))
    h.clock.advance(0)
    assert isinstance(h.of(cid)[-1], CancelRejected)
    assert h.order(cid).size == 10


async def test_gtt_orders_expire_and_expired_ones_are_rejected() -> None:
    h = Harness()
    h.snapshot([(99, 10)], [(101, 3)])
    wall = h.clock.wall_ns()
    cid = await h.submit(Side.BUY, 98, 1, tif=TimeInForce.GTT, expire_ns=wall + 10 * NS_PER_MS)
    late = await h.submit(Side.BUY, 98, 1, tif=TimeInForce.GTT, expire_ns=wall)
    assert isinstance(h.of(late)[0], OrderRejected)
    h.clock.advance(9 * NS_PER_MS)
    assert h.ex.open_orders() != []
    h.clock.advance(1 * NS_PER_MS)
    assert h.of(cid)[-1] == OrderExpired(V, S, h.clock.wall_ns(), h.clock.now_ns(), cid, "strat", h.of(cid)[0].venue_order_id, "expired")
    assert h.ex.open_orders() == []


async def test_execution_ids_are_unique_and_close_drops_messages_in_flight() -> None:
    h = Harness(latency_ms=1)
    h.snapshot([(99, 50)], [(100, 50)])
    for _ in range(5):
        await h.submit(Side.BUY, 100, 3, settle=False)
    h.clock.advance(NS_PER_MS)
    ids = [e.execution_id for e in h.events if isinstance(e, OrderFilled)]
    assert len(ids) == 5 and len(set(ids)) == 5
    await h.submit(Side.BUY, 100, 3, settle=False)
    await h.ex.stop()
    h.clock.advance(NS_PER_MS)
    assert len([e for e in h.events if isinstance(e, OrderFilled)]) == 5
    h.snapshot([(99, 50)], [(98, 50)])  # unsubscribed: no more matching
    assert len(h.events) == 10


async def test_restored_orders_rest_and_take_their_queue_from_the_next_book_state() -> None:
    h = Harness()
    restored = [
        PaperOrder("r1", "strat", "v1", S, Side.BUY, 100, 10, filled=4),
        PaperOrder("r2", "strat", "v2", S, Side.SELL, 105, 5, filled=5),  # nothing left
    ]
    assert h.ex.restore(restored) == 1
    h.trade(100, 50, Side.SELL)  # place unknown: an at-price print is not guessed at
    assert h.fills("r1") == []
    h.snapshot([(100, 12)], [(105, 1)])
    assert h.order("r1").queue_ahead == 12
    h.trade(100, 14, Side.SELL)
    assert h.fills("r1") == [(100, 2)]
    fill = h.of("r1", OrderFilled)[0]
    assert (fill.filled, fill.remaining) == (6, 4)


# -- properties against naive models --------------------------------------------------

levels_st = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 20)), min_size=0, max_size=5)
orders_st = st.lists(st.tuples(st.integers(0, 8), st.integers(1, 40)), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None)
@given(levels_st, orders_st)
async def test_takers_in_one_state_match_a_naive_shrinking_book(
    gaps: list[tuple[int, int]], orders: list[tuple[int, int]]
) -> None:
    asks: list[list[int]] = []
    price = 100
    for gap, size in gaps:
        price += gap
        asks.append([price, size])
    h = Harness()
    h.snapshot([(99, 1)], [(p, s) for p, s in asks])
    naive = [lvl[:] for lvl in asks]  # the naive model: a book we really decrement
    for i, (reach, size) in enumerate(orders):
        limit = 100 + reach * 3
        cid = await h.submit(Side.BUY, limit, size, tif=TimeInForce.IOC, cid=f"q{i}")
        expected = []
        left = size
        for lvl in naive:
            if lvl[0] > limit or not left:
                break
            take = min(left, lvl[1])
            if take:
                expected.append((lvl[0], take))
                lvl[1] -= take
                left -= take
        assert h.fills(cid) == expected
    taken = sum(e.size for e in h.events if isinstance(e, OrderFilled))
    assert taken <= sum(s for _, s in asks)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(98, 102), st.integers(1, 10), st.integers(0, 30)), min_size=1, max_size=6),
    st.integers(97, 103),
    st.integers(1, 60),
    st.booleans(),
)
def test_a_print_never_gives_out_more_than_it_traded(
    specs: list[tuple[int, int, int]], price: int, size: int, partial: bool
) -> None:
    orders = []
    for seq, (p, s, ahead) in enumerate(specs):
        o = PaperOrder(f"o{seq}", "s", "", S, Side.BUY, p, s, seq=seq)
        o.queue_ahead = ahead
        orders.append(o)
    orders.sort(key=lambda o: (-o.price, o.seq))
    before = {o.client_order_id: o.queue_ahead for o in orders}
    fills = allocate_print(orders, price, size, partial)
    assert sum(lots for _, lots in fills) <= size
    for order, lots in fills:
        assert 0 < lots <= order.remaining
        assert partial or lots == order.remaining
        if order.price == price:  # at its level it only gets what passed the queue
            assert lots <= size - before[order.client_order_id]
    for o in orders:
        if o.price < price:
            assert o.queue_ahead == before[o.client_order_id]  # untouched above the print


# -- invariants over random sessions ------------------------------------------------

op_st = st.one_of(
    st.tuples(
        st.just("book"),
        st.integers(97, 103),
        st.lists(st.integers(0, 15), min_size=3, max_size=3),
        st.lists(st.integers(0, 15), min_size=3, max_size=3),
    ),
    st.tuples(st.just("trade"), st.integers(95, 105), st.integers(1, 20), st.sampled_from([Side.BUY, Side.SELL, None])),
    st.tuples(
        st.just("submit"),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(95, 105),
        st.integers(1, 12),
        st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
        st.booleans(),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("replace"), st.integers(0, 30), st.integers(95, 105), st.integers(1, 12)),
    st.tuples(st.just("advance"), st.integers(0, 3)),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(op_st, max_size=40), st.integers(0, 2), st.booleans())
async def test_random_sessions_keep_every_invariant(ops: list[tuple[Any, ...]], latency: int, partial: bool) -> None:
    h = Harness(latency_ms=latency, partial_fills=partial, maker_fee_bps=-1, taker_fee_bps=3)
    h.snapshot([(99, 10)], [(101, 10)])
    displayed = {Side.BUY: {99: 10}, Side.SELL: {101: 10}}  # bids / asks of the current state
    used: dict[tuple[Side, int], int] = {}  # book liquidity our fills used in this state
    trade_left: dict[Side, int] = {}
    sent: list[SubmitOrder] = []
    current = "book"

    limits: dict[str, int] = {}
    replaced: set[str] = set()

    def on_accept(e: OrderAccepted | OrderReplaced) -> None:
        if e.client_order_id in limits:
            replaced.add(e.client_order_id)
        limits[e.client_order_id] = e.price

    def on_fill(e: OrderFilled) -> None:
        limit = limits[e.client_order_id]
        assert (e.price <= limit) if e.side is Side.BUY else (e.price >= limit), ("worse than limit", e)
        if current == "trade":
            trade_left[e.side] -= e.size
            assert trade_left[e.side] >= 0, "a print gave out more than it traded"
            return
        book_side = e.side.opposite
        used[(book_side, e.price)] = used.get((book_side, e.price), 0) + e.size
        if e.liquidity is Liquidity.TAKER:
            assert used[(book_side, e.price)] <= displayed[book_side].get(e.price, 0), "level used twice"
        side_used = sum(v for (side, _), v in used.items() if side is book_side)
        assert side_used <= sum(displayed[book_side].values()), "book liquidity used twice"

    failures: list[HandlerFailed] = []  # the bus isolates handlers: collect their asserts
    h.bus.subscribe(failures.append, HandlerFailed)
    h.bus.subscribe(on_accept, (OrderAccepted, OrderReplaced))
    h.bus.subscribe(on_fill, OrderFilled)
    for op in ops:
        current = op[0]
        if op[0] == "book":
            mid, bid_sizes, ask_sizes = op[1], op[2], op[3]
            bids = [(mid - 1 - i, s) for i, s in enumerate(bid_sizes) if s]
            asks = [(mid + 1 + i, s) for i, s in enumerate(ask_sizes) if s]
            displayed = {Side.BUY: dict(bids), Side.SELL: dict(asks)}
            used = {}
            h.snapshot(bids, asks)
        elif op[0] == "trade":
            trade_left = {Side.BUY: op[2], Side.SELL: op[2]}
            h.trade(op[1], op[2], op[3])
        elif op[0] == "submit":
            _, side, price, size, tif, post_only = op
            if post_only and tif is not TimeInForce.GTC:
                continue
            cid = f"o{len(sent)}"
            sent.append(SubmitOrder("strat", V, S, cid, side, price, size, tif=tif, post_only=post_only))
            await h.ex.submit(sent[-1])
        elif op[0] == "cancel" and sent:
            await h.ex.cancel(CancelOrder("strat", V, S, sent[op[1] % len(sent)].client_order_id))
        elif op[0] == "replace" and sent:
            await h.ex.replace(ReplaceOrder("strat", V, S, sent[op[1] % len(sent)].client_order_id, op[2], op[3]))
        h.clock.advance(op[1] * NS_PER_MS if op[0] == "advance" else 0)
    current = "advance"
    h.clock.run_until_idle()

    assert not failures, failures[0].traceback
    ids = [e.execution_id for e in h.events if isinstance(e, OrderFilled)]
    assert len(ids) == len(set(ids))
    open_ids = {o.client_order_id for o in h.ex.open_orders()}
    for order in sent:
        events = h.of(order.client_order_id)
        fills = [e for e in events if isinstance(e, OrderFilled)]
        total = sum(f.size for f in fills)
        assert [f.filled for f in fills] == list(itertools.accumulate(f.size for f in fills))
        ends = [e for e in events if isinstance(e, (OrderCanceled, OrderRejected))]
        done = bool(fills) and fills[-1].remaining == 0
        assert len(ends) + done + (order.client_order_id in open_ids) == 1, events
        if order.tif is not TimeInForce.GTC:
            assert order.client_order_id not in open_ids
        if order.tif is TimeInForce.FOK:
            assert total in (0, order.size)
        if not partial and fills and order.client_order_id not in replaced:
            assert fills[-1].remaining == 0  # all or none
        for f in fills:
            rate = 3 if f.liquidity is Liquidity.TAKER else -1
            assert f.fee == fee(f.price, f.size, rate)


async def test_restored_gtt_orders_keep_their_expiry_or_expire_at_once() -> None:
    from framework.journal import OpenOrder

    h = Harness()
    wall = h.clock.wall_ns()
    gtt: dict[str, Any] = {"tif": TimeInForce.GTT, "venue_order_id": "v"}
    restored = [
        OpenOrder("live", "strat", V, S, Side.BUY, 100, 5, expire_ns=wall + 3 * NS_PER_MS, **gtt),
        OpenOrder("gone", "strat", V, S, Side.BUY, 100, 5, expire_ns=wall, **gtt),
    ]
    assert h.ex.restore(restored) == 1
    assert [(type(e), e.reason) for e in h.of("gone")] == [(OrderExpired, "expired")]
    h.clock.advance(3 * NS_PER_MS)
    assert [(type(e), e.reason) for e in h.of("live")] == [(OrderExpired, "expired")]
    assert h.ex.open_orders() == []
