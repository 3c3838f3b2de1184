"""The fake node emits the event sequences of the venue reference (section 7), exactly."""

from __future__ import annotations

from plugins.dydx.sim.engine import FakeEngine, Match
from plugins.dydx.sim.model import BUY, IOC, POST_ONLY, SELL
from tests.plugins.dydx.helpers import B, order


def _shape(updates) -> list[str]:
    """One token per stream update: TK(status), F, or OB[...] with place/update/remove."""
    out = []
    for su in updates:
        kind = su.WhichOneof("update_message")
        if kind == "taker_order":
            out.append(f"TK({su.taker_order.taker_order_status.order_status})")
        elif kind == "order_fill":
            out.append("F")
        elif kind == "orderbook_update":
            names = {"order_place": "PLACE", "order_update": "UPD", "order_remove": "REMOVE"}
            out.append("OB[" + ",".join(names[u.WhichOneof("update_message")] for u in su.orderbook_update.updates) + "]")
        else:
            out.append(kind)
    return out


def _after(engine: FakeEngine, action) -> list[str]:
    engine.pending = []
    action()
    return _shape(engine.pending)


def _engine_with_ask(size: int = 4) -> FakeEngine:
    e = FakeEngine([0])
    e.place(order(1, SELL, size, 101, owner=B))
    return e


def test_resting_place():
    e = FakeEngine([0])
    assert _after(e, lambda: e.place(order(2, BUY, 3, 100))) == ["TK(0)", "OB[UPD]", "OB[PLACE,UPD]"]


def test_taker_partially_fills_a_resting_maker_without_an_update_for_the_maker():
    e = _engine_with_ask(4)
    assert _after(e, lambda: e.place(order(2, BUY, 1, 101).but(tif=IOC))) == ["TK(0)", "OB[UPD]", "F"]
    fill = e.matches[-1]
    assert fill.makers[0][1] == 1


def test_maker_fully_filled_is_removed_before_the_fill_and_taker_remainder_rests():
    e = _engine_with_ask(4)
    assert _after(e, lambda: e.place(order(2, BUY, 6, 101))) == [
        "TK(0)", "OB[UPD]", "OB[REMOVE]", "F", "OB[PLACE,UPD]"
    ]


def test_ioc_with_no_match_and_post_only_that_would_cross():
    e = _engine_with_ask(4)
    assert _after(e, lambda: e.place(order(2, BUY, 1, 100).but(tif=IOC))) == ["TK(0)", "OB[UPD]"]
    assert _after(e, lambda: e.place(order(3, BUY, 1, 101).but(tif=POST_ONLY))) == ["TK(9)", "OB[UPD]"]


def test_cancel_and_replace():
    e = FakeEngine([0])
    first = order(2, BUY, 3, 100, gtb=1005)
    e.place(first)
    assert _after(e, lambda: e.replace(first.but(subticks=99, gtb=1006))) == [
        "TK(0)", "OB[REMOVE]", "OB[UPD]", "OB[PLACE,UPD]"
    ]
    assert _after(e, lambda: e.cancel(first.key)) == ["OB[REMOVE]"]
    assert _after(e, lambda: e.cancel(first.key)) == []  # not on this node's book: nothing


def test_block_commit_then_prepare_check_state_replays_the_same_optimistic_fill():
    e = _engine_with_ask(4)
    taker = order(2, BUY, 1, 101, gtb=1003).but(tif=IOC)
    e.place(taker)
    optimistic = next(su for su in e.pending if su.WhichOneof("update_message") == "order_fill")
    _mode0, finalize = e.commit_block(proposal=[])  # the proposer left our fill out
    assert _shape(finalize.updates) == ["OB[UPD,UPD]"]  # sync: back to committed (0)
    assert all(su.exec_mode == 7 for su in finalize.updates)
    replay = e.pending
    # the operations queue leaves the book, then replays in order: the maker, then the taker
    assert _shape(replay) == ["OB[REMOVE]", "TK(0)", "OB[UPD]", "OB[PLACE,UPD]", "TK(0)", "OB[UPD]", "F"]
    replayed = [su for su in replay if su.WhichOneof("update_message") == "order_fill"]
    assert len(replayed) == 1 and replayed[0].exec_mode == 102
    assert replayed[0].order_fill == optimistic.order_fill  # the same fill again


def test_expiry_at_prepare_check_state_of_the_good_til_block():
    e = FakeEngine([0], start_height=1000)
    e.place(order(2, BUY, 3, 100, gtb=1001))
    e.commit_block(proposal=[Match(order(9, SELL, 1, 1), [])])
    assert "OB[REMOVE]" in _shape(e.pending)
    assert not e.resting
