"""The simulator's matching engine, driven directly (no servers)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.sim.engine import Engine, RejectError, SimOrder

B, S = E.SIDE_BUY, E.SIDE_SELL


class Harness:
    def __init__(self, tick_wire: int = 1) -> None:
        self.reports: list[tuple] = []
        ids = itertools.count(1)
        self.engine = Engine("X", 1000, 100, tick_wire, self.report, lambda: f"T{next(ids)}")
        self._oid = itertools.count(1)

    def report(self, o, kind, px, qty, aggressor, trade_id, text, reason):
        self.reports.append((o.id, kind, px, qty, aggressor, o.cum, text))

    def order(self, side, px, qty, **kw) -> SimOrder:
        o = SimOrder(f"O{next(self._oid)}", f"c{next(self._oid)}", "acct", "X", side, px, qty, **kw)
        self.engine.submit(o)
        return o

    def kinds(self, oid):
        return [r[1] for r in self.reports if r[0] == oid]


def test_price_time_priority_and_partial_fills():
    h = Harness()
    a = h.order(S, 500, 10)
    b = h.order(S, 500, 10)
    c = h.order(S, 490, 5)
    t = h.order(B, 500, 18)
    fills = [(r[0], r[2], r[3]) for r in h.reports if r[1] in (E.EXECUTION_TYPE_FILL, E.EXECUTION_TYPE_PARTIAL_FILL) and not r[4]]
    assert fills == [(c.id, 490, 5), (a.id, 500, 10), (b.id, 500, 3)]  # better price first, then time
    assert t.cum == 18 and t.state == E.ORDER_STATE_FILLED
    assert b.leaves == 7 and h.engine.top(S, 5) == [(500, 7)]


def test_ioc_fok_post_only_and_market_to_limit():
    h = Harness()
    h.order(S, 500, 10)
    ioc = h.order(B, 500, 15, tif=E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL)
    assert ioc.cum == 10 and h.kinds(ioc.id)[-1] == E.EXECUTION_TYPE_CANCELED and not h.engine.top(B, 1)
    h.order(S, 510, 10)
    fok = h.order(B, 510, 11, tif=E.TIME_IN_FORCE_FILL_OR_KILL)
    assert fok.cum == 0 and h.kinds(fok.id) == [E.EXECUTION_TYPE_NEW, E.EXECUTION_TYPE_CANCELED]
    post = h.order(B, 510, 1, post_only=True)
    assert h.kinds(post.id) == [E.EXECUTION_TYPE_REJECTED]
    mtl = h.order(B, 0, 12, type=E.ORDER_TYPE_MARKET_TO_LIMIT)
    assert mtl.cum == 10 and mtl.price == 510 and h.engine.top(B, 1) == [(510, 2)]  # remainder rests at the fill price
    empty = Harness().order(B, 0, 1, type=E.ORDER_TYPE_MARKET_TO_LIMIT)
    assert empty.state == E.ORDER_STATE_REJECTED


def test_rejects_bad_orders():
    h = Harness(tick_wire=10)
    assert h.order(B, 505, 1).state == E.ORDER_STATE_REJECTED  # off tick
    assert h.order(B, 1000, 1).state == E.ORDER_STATE_REJECTED  # $1 is out of (0, 1)
    assert h.order(B, 500, 0).state == E.ORDER_STATE_REJECTED
    assert h.order(B, 500, 1, tif=E.TIME_IN_FORCE_GOOD_TILL_TIME).state == E.ORDER_STATE_REJECTED
    h.engine.state = E.INSTRUMENT_STATE_HALTED
    assert h.order(B, 500, 1).state == E.ORDER_STATE_REJECTED


def test_replace_keeps_priority_only_when_shrinking_at_same_price():
    h = Harness()
    a = h.order(S, 500, 10)
    b = h.order(S, 500, 10)
    h.engine.replace(a.id, 500, 8)  # shrink: keeps its place
    h.order(B, 500, 1)
    assert a.cum == 1 and b.cum == 0
    h.engine.replace(a.id, 500, 20)  # grow: to the back
    h.order(B, 500, 1)
    assert b.cum == 1
    h.engine.replace(b.id, 490, 0)  # new price: may trade? no bids; rests at 490
    assert h.engine.best(S) == 490
    with pytest.raises(RejectError):
        h.engine.replace(b.id, 0, 1)  # not above filled
    with pytest.raises(RejectError):
        h.engine.cancel("nope")


def test_gtt_expiry_and_cancel():
    h = Harness()
    g = h.order(B, 400, 5, tif=E.TIME_IN_FORCE_GOOD_TILL_TIME, expire_ns=100)
    d = h.order(B, 390, 5)
    assert h.engine.expire(99) == 0 and h.engine.expire(100) == 1
    assert h.kinds(g.id)[-1] == E.EXECUTION_TYPE_EXPIRED
    h.engine.cancel(d.id)
    assert not h.engine.orders and h.engine.top(B, 5) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([B, S]), st.integers(1, 9), st.integers(1, 5)), max_size=40))
def test_book_matches_a_naive_model(ops):
    """Naive model: a list of resting orders in arrival order; match by scanning."""
    h = Harness()
    resting: list[list[int]] = []  # [side, px, leaves]
    for side, px, qty in ops:
        px *= 100
        h.order(side, px, qty)
        left = qty
        while left:
            opp = [r for r in resting if r[0] != side and (r[1] <= px if side == B else r[1] >= px)]
            if not opp:
                break
            best = min(opp, key=lambda r: r[1]) if side == B else max(opp, key=lambda r: r[1])
            n = min(left, best[2])
            best[2] -= n
            left -= n
            if not best[2]:
                resting.remove(best)
        if left:
            resting.append([side, px, left])
        for sd in (B, S):
            levels: dict[int, int] = {}
            for r in resting:
                if r[0] == sd:
                    levels[r[1]] = levels.get(r[1], 0) + r[2]
            want = sorted(levels.items(), reverse=sd == B)
            assert h.engine.top(sd, 100) == want
