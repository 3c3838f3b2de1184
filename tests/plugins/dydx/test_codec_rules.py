"""Every book rule of the venue reference (section 4), one test each, named after it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from framework.model.events import BookDelta, BookSnapshot, OrderFilled, Side, Trade
from plugins.dydx.codec import DydxCodec
from plugins.dydx.events import (
    DydxTrade,
    OptimisticFill,
    OraclePrice,
    SubaccountUpdate,
    TakerOrderResult,
)
from plugins.dydx.ids import format_key
from plugins.dydx.sim import messages as msg
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.model import BUY, IOC, POST_ONLY, SELL
from plugins.dydx.sim.scenarios import replace_then_confirm_original
from plugins.dydx.units import NATIVE, ClobParams
from tests.plugins.dydx.helpers import (
    A,
    B,
    engine_rows,
    feed_engine,
    key,
    ob,
    order,
    resp,
    rows,
    snapshot,
)


def _codec(**kw) -> DydxCodec:
    return DydxCodec("dydx", {0: ("BTC-USD", NATIVE)}, **kw)


def _live_codec(*orders, **kw) -> DydxCodec:
    c = _codec(**kw)
    c.feed(resp(snapshot(*orders)))
    return c


def test_pre_snapshot_updates_and_fills_are_discarded_and_counted():
    c = _codec()
    bid = order(1, BUY, 5, 100)
    c.feed(resp(ob(msg.place(bid), msg.update(bid.key, 0))))
    c.feed(resp(msg.fill(10, 0, order(2, SELL, 1, 100, owner=B), [(bid, 1, 1)], 1)))
    assert not c.ready(0) and len(c.book(0)) == 0
    assert c.stats["pre_snapshot_updates"] == 2 and c.stats["pre_snapshot_messages"] == 2
    assert c.stats["pre_snapshot_fills"] == 1
    c.feed(resp(snapshot()))
    assert c.ready(0) and rows(c) == []


def test_snapshot_replaces_the_book_with_fill_amounts_and_fifo_order():
    o1, o2, o3 = order(1, BUY, 5, 100), order(2, BUY, 4, 100), order(3, SELL, 3, 101)
    c = _live_codec((o1, 2), (o2, 0), (o3, 1))
    assert rows(c) == [(o1.key, 1, 100, 3), (o2.key, 1, 100, 4), (o3.key, -1, 101, 2)]
    events = c.feed(resp(snapshot((o2, 0))))
    assert rows(c) == [(o2.key, 1, 100, 4)]
    assert c.stats["snapshots"] == 2 and c.stats["snapshot_divergence"] == 2
    assert any(isinstance(e, BookSnapshot) and e.bids == ((100, 4),) for e in events)


def test_snapshot_with_absent_pair_leaves_that_pair_empty():
    c = DydxCodec("dydx", {0: ("BTC-USD", NATIVE), 1: ("ETH-USD", NATIVE)})
    c.feed(resp(snapshot((order(1, BUY, 5, 100), 0))))
    assert c.ready(1) and len(c.book(1)) == 0 and len(c.book(0)) == 1


def test_place_appends_at_the_tail_of_its_level():
    o1, o2 = order(1, BUY, 5, 100), order(2, BUY, 4, 100)
    c = _live_codec((o1, 0))
    events = c.feed(resp(ob(msg.place(o2), msg.update(o2.key, 0))))
    assert c.book(0).level_orders(1, 100) == [o1.key, o2.key]
    assert [e.changes for e in events if isinstance(e, BookDelta)] == [((1, 100, 9),)]


def test_update_sets_the_absolute_filled_amount_and_may_go_down():
    o1 = order(1, BUY, 5, 100)
    c = _live_codec((o1, 0))
    c.feed(resp(ob(msg.update(o1.key, 3))))
    assert c.book(0).order(o1.key).remaining == 2
    c.feed(resp(ob(msg.update(o1.key, 1))))  # block sync resets to the committed amount
    assert c.book(0).order(o1.key).remaining == 4
    c.feed(resp(ob(msg.update(o1.key, 0))))  # pruning
    assert c.book(0).order(o1.key).remaining == 5


def test_update_before_place_is_tolerated_and_counted():
    c = _live_codec()
    c.feed(resp(ob(msg.update(key(9), 0))))
    assert c.stats["unknown_update"] == 1 and len(c.book(0)) == 0


def test_remove_deletes_and_unknown_remove_is_tolerated():
    o1 = order(1, BUY, 5, 100)
    c = _live_codec((o1, 0))
    c.feed(resp(ob(msg.remove(o1.key), msg.remove(key(77)))))
    assert rows(c) == [] and c.stats["unknown_remove"] == 1


def test_fill_amounts_zip_with_orders_and_are_cumulative():
    maker = order(1, SELL, 10, 101, owner=B)
    c = _live_codec((maker, 0))
    taker = order(2, BUY, 3, 101)
    c.feed(resp(msg.fill(10, 0, taker, [(maker, 3, 3)], 3)))
    assert c.book(0).order(maker.key).remaining == 7
    c.feed(resp(msg.fill(10, 0, order(3, BUY, 2, 101), [(maker, 2, 5)], 2)))
    assert c.book(0).order(maker.key).remaining == 5  # cumulative 5, not 3 + 2 + ...


def test_partial_maker_fill_is_signalled_only_by_the_fill():
    e = FakeEngine([0])
    c = _live_codec()
    e.place(order(1, SELL, 10, 101, owner=B))
    e.place(order(2, BUY, 4, 105))  # IOC-like GTT that fully fills against the maker
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == [(key(1, B), -1, 101, 6)]


def test_maker_fully_filled_is_removed_before_the_fill():
    e = FakeEngine([0])
    c = _live_codec()
    e.place(order(1, SELL, 4, 101, owner=B))
    e.place(order(2, BUY, 6, 102))  # takes the maker, rests 2 at 102
    kinds = [u.WhichOneof("update_message") for u in e.pending]
    assert kinds.index("order_fill") > 3  # remove(maker) came first
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == [(key(2), 1, 102, 2)]


def test_post_only_that_would_cross_is_never_placed():
    e = FakeEngine([0])
    c = _live_codec()
    e.place(order(1, SELL, 4, 101, owner=B))
    e.place(order(2, BUY, 1, 101).but(tif=POST_ONLY))
    events = c.feed(e.take_response().SerializeToString())
    assert rows(c) == engine_rows(e) == [(key(1, B), -1, 101, 4)]
    assert [ev.status for ev in events if isinstance(ev, TakerOrderResult)][-1] == 9


def test_ioc_remainder_does_not_rest():
    e = FakeEngine([0])
    c = _live_codec()
    e.place(order(1, SELL, 2, 101, owner=B))
    e.place(order(2, BUY, 5, 101).but(tif=IOC))
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == []


def test_cancel_and_replace_remove_then_place():
    e = FakeEngine([0])
    c = _live_codec()
    first = order(1, BUY, 2, 100, gtb=1005)
    e.place(first)
    e.place(order(2, BUY, 2, 100))
    e.replace(first.but(subticks=99, gtb=1006))
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == [(key(2), 1, 100, 2), (key(1), 1, 99, 2)]
    e.cancel(key(2))
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == [(key(1), 1, 99, 2)]


def test_short_term_expiry_at_prepare_check_state():
    e = FakeEngine([0], start_height=1000)
    c = _live_codec()
    e.place(order(1, BUY, 2, 100, gtb=1001))
    e.place(order(2, BUY, 2, 100, gtb=1003))
    feed_engine(e, c)
    for r in e.commit_block():
        c.feed(r.SerializeToString())
    feed_engine(e, c)
    assert rows(c) == engine_rows(e) == [(key(2), 1, 100, 2)]


def test_reference_scenario_replace_then_confirm_original_book_is_exact():
    e = FakeEngine([0])
    c = _live_codec()
    fed = []
    real_commit = e.commit_block

    def commit(proposal=None):
        out = real_commit(proposal)
        fed.extend(out)
        return out

    e.commit_block = commit  # type: ignore[method-assign]
    used = replace_then_confirm_original(e)
    for r in fed:
        c.feed(r.SerializeToString())
    c.feed(e.take_response().SerializeToString())
    bid = c.book(0).order(used["original"].key)
    assert (bid.price, bid.size, bid.filled, bid.remaining) == (99, 2, 1, 1)
    assert rows(c) == engine_rows(e)


def test_confirmed_fill_prints_at_maker_price_and_optimistic_replay_is_not_published_twice():
    maker = order(1, SELL, 10, 101, owner=B)
    taker = order(2, BUY, 3, 105)
    c = _live_codec((maker, 0))
    first = c.feed(resp(msg.fill(10, 0, taker, [(maker, 3, 3)], 3)))
    again = c.feed(resp(msg.fill(11, 102, taker, [(maker, 3, 3)], 3)))
    final = c.feed(resp(msg.fill(11, 7, taker, [(maker, 3, 3)], 3)))
    assert [(type(e), e.price, e.size, e.exec_mode) for e in first if not isinstance(e, BookDelta)] == [
        (OptimisticFill, 101, 3, 0)
    ]
    assert not [e for e in again if isinstance(e, (OptimisticFill, DydxTrade))]
    assert c.stats["replayed_fills"] == 1
    trades = [e for e in final if isinstance(e, Trade)]
    assert [(type(t), t.price, t.size, t.exec_mode, t.aggressor) for t in trades] == [(DydxTrade, 101, 3, 7, Side.BUY)]
    assert trades[0].trade_id == f"11:{format_key(taker.key)}:{format_key(maker.key)}:0"


def test_confirmed_only_publishes_no_optimistic_fills_but_the_book_applies_them():
    maker = order(1, SELL, 10, 101, owner=B)
    taker = order(2, BUY, 3, 105)
    c = _live_codec((maker, 0), confirmed_only=True)
    assert not [e for e in c.feed(resp(msg.fill(10, 0, taker, [(maker, 3, 3)], 3))) if isinstance(e, OptimisticFill)]
    assert c.book(0).order(maker.key).remaining == 7  # the book still applies every mode
    assert [type(e) for e in c.feed(resp(msg.fill(11, 7, taker, [(maker, 3, 3)], 3))) if isinstance(e, Trade)] == [DydxTrade]


def test_own_fills_from_finalize_become_order_filled():
    maker = order(1, SELL, 10, 101, owner=B)
    taker = order(2, BUY, 3, 105)
    c = _live_codec((maker, 0), own_subaccounts=[(B, 0)])
    assert not [e for e in c.feed(resp(msg.fill(10, 0, taker, [(maker, 3, 3)], 3))) if isinstance(e, OrderFilled)]
    fills = [e for e in c.feed(resp(msg.fill(11, 7, taker, [(maker, 3, 3)], 3))) if isinstance(e, OrderFilled)]
    assert [(f.price, f.size, f.filled, f.remaining, f.side.name) for f in fills] == [(101, 3, 3, 7, "SELL")]


def test_subaccount_price_and_taker_messages_become_events_and_leave_the_book():
    c = _live_codec()
    events = c.feed(resp(
        msg.subaccount(10, A, 0, {0: -5}, 100, False),
        msg.price(10, 0, 10033200000, -5, False),
        msg.taker(10, 0, order(3, BUY, 2, 100), 0, 2, 0),
    ))
    kinds = {type(e) for e in events}
    assert kinds == {SubaccountUpdate, OraclePrice, TakerOrderResult} and rows(c) == []
    sub = next(e for e in events if isinstance(e, SubaccountUpdate))
    assert sub.perpetual_positions == ((0, -5),)


def test_malformed_response_is_counted_skipped_and_asks_for_resync():
    c = _live_codec()
    good = resp(ob(msg.place(order(1, BUY, 5, 100)), msg.update(key(1), 0)))
    c.feed(good[:-7])
    assert c.stats["malformed"] == 1 and c.needs_resync
    c.reset()
    assert not c.ready(0) and not c.needs_resync


def test_crossed_book_asks_for_resync():
    c = _live_codec((order(1, BUY, 5, 102), 0))
    c.feed(resp(ob(msg.place(order(2, SELL, 5, 101, owner=B)), msg.update(key(2, B), 0))))
    assert c.stats["crossed"] == 1 and c.needs_resync


def test_units_scale_subticks_and_quantums_to_ticks_and_lots():
    p = ClobParams(-10, -9, 100_000, 1_000_000)
    c = DydxCodec("dydx", {0: ("BTC-USD", p)})
    o = order(1, BUY, 839_000_000, 10_033_200_000)
    c.feed(resp(snapshot((o, 1_000_000))))
    assert c.book(0).best_bid() == (100_332, 838)
    assert c.stats["off_grid"] == 0


def test_other_pairs_are_ignored_and_counted():
    c = _live_codec()
    c.feed(resp(ob(msg.place(order(1, BUY, 5, 100, pair=3)), msg.update(key(1, pair=3), 0))))
    assert c.stats["other_pair"] == 2 and rows(c) == []


def test_block_commit_is_one_finalize_response_in_the_reference_order():
    e = FakeEngine([0], confirm_prob=1.0)
    e.place(order(1, SELL, 4, 101, owner=B))
    e.place(order(2, BUY, 1, 101, gtb=1001))  # fills 1 of the maker
    e.oracle[0] = (10_100_000, -5)
    mode0, finalize = e.commit_block()
    kinds = [u.WhichOneof("update_message") for u in finalize.updates]
    assert {u.exec_mode for u in finalize.updates} == {7}
    # sync updates, confirmed fill, pruning (none yet), subaccounts, price
    assert kinds == ["orderbook_update", "order_fill", "subaccount_update", "subaccount_update", "price_update"]
    assert all(u.exec_mode == 0 for u in mode0.updates)
    assert all(u.exec_mode == 102 for u in e.pending)


def test_order_replace_message_removes_the_old_id_and_places_the_new_order():
    from v4_proto.dydxprotocol.indexer.off_chain_updates import (
        off_chain_updates_pb2 as oc,
    )

    old = order(1, BUY, 5, 100)
    c = _live_codec((old, 0), (order(2, BUY, 1, 99), 0))
    new = order(3, BUY, 2, 99)
    replace = oc.OffChainUpdateV1(
        order_replace=oc.OrderReplaceV1(old_order_id=msg.indexer_id(old.key), order=msg.indexer_order(new))
    )
    c.feed(resp(ob(replace)))
    assert rows(c) == [(key(2), 1, 99, 1), (key(3), 1, 99, 2)]
    assert c.stats["replaces"] == 1


def test_finalize_that_differs_from_the_optimistic_match_resets_and_confirms_the_other_maker():
    from plugins.dydx.sim.scenarios import finalize_differs_from_optimistic

    e = FakeEngine([0])
    c = _live_codec()
    fed = []
    real_commit = e.commit_block
    e.commit_block = lambda proposal=None: fed.extend(real_commit(proposal)) or fed  # type: ignore[method-assign]
    used = finalize_differs_from_optimistic(e)
    events = []
    for r in fed:
        events += c.feed(r.SerializeToString())
    events += c.feed(e.take_response().SerializeToString())
    fills = [(type(t), t.maker) for t in events if isinstance(t, (DydxTrade, OptimisticFill))]
    assert fills == [(OptimisticFill, used["a"].key), (DydxTrade, used["b"].key)]
    assert rows(c) == engine_rows(e) == [(used["a"].key, -1, 100, 2)]


def test_liquidation_fill_sets_makers_and_prints_with_the_liquidation_as_taker():
    from v4_proto.dydxprotocol.clob import matches_pb2, query_pb2
    from v4_proto.dydxprotocol.subaccounts import subaccount_pb2

    maker = order(1, BUY, 10, 100, owner=B)
    c = _live_codec((maker, 0))
    liq = matches_pb2.MatchPerpetualLiquidation(
        liquidated=subaccount_pb2.SubaccountId(owner=A, number=0), clob_pair_id=0, perpetual_id=0,
        total_size=4, is_buy=False, fills=[matches_pb2.MakerFill(fill_amount=4, maker_order_id=msg.clob_id(maker.key))],
    )
    update = msg.StreamUpdate(
        block_height=11, exec_mode=7,
        order_fill=query_pb2.StreamOrderbookFill(
            clob_match=matches_pb2.ClobMatch(match_perpetual_liquidation=liq),
            orders=[msg.clob_order(maker)], fill_amounts=[4],  # makers only: no taker order
        ),
    )
    trades = [e for e in c.feed(resp(update)) if isinstance(e, DydxTrade)]
    assert c.book(0).order(maker.key).remaining == 6
    assert [(t.price, t.size, t.aggressor.name, t.taker[0], t.exec_mode) for t in trades] == [
        (100, 4, "SELL", "liquidation", 7)
    ]


def test_place_with_unspecified_side_is_malformed_and_asks_for_resync():
    c = _live_codec()
    c.feed(resp(ob(msg.place(order(1, 0, 5, 100)), msg.update(key(1), 0))))
    assert c.stats["bad_side"] == 1 and c.stats["malformed"] == 1 and c.needs_resync
    assert rows(c) == []


_EVERY_KIND = resp(
    ob(msg.place(order(1, BUY, 5, 100)), msg.update(key(1), 0)),
    msg.subaccount(10, A, 0, {0: -5}, 100, False),
    msg.price(10, 0, 10033200000, -5, False),
    msg.taker(10, 0, order(3, BUY, 2, 100), 0, 2, 0),
)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(_EVERY_KIND) * 8 - 1))
def test_any_bit_flip_is_counted_or_decoded_never_raised(bit):
    """A damaged frame (a flipped bit anywhere, in the book updates or in the
    taker, subaccount and price messages the codec hands to protobuf) is either
    still a valid response or counted as malformed and resynced; it never raises."""
    data = bytearray(_EVERY_KIND)
    data[bit // 8] ^= 1 << (bit % 8)
    c = _live_codec()
    c.feed(bytes(data))
    assert c.stats["messages"] == 2
    if c.stats["malformed"]:
        assert c.needs_resync
