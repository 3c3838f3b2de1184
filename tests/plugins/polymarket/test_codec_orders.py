"""Order codec tests from hand-built protobuf messages, for every event kind."""

from __future__ import annotations

from framework.model.events import (
    CancelRejected,
    Liquidity,
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderUnknown,
    Side,
    VenueCheckpoint,
)
from plugins.polymarket.codec import (
    RESUME_TOKEN_KEY,
    DropCopyCodec,
    OrderCodec,
    OrderOwners,
)
from plugins.polymarket.events import OrderReplaced, OrderUnresolved
from plugins.polymarket.gen import dropcopy_pb2 as dc
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.scales import Scales

SYM = "tec-nfl-sbw-2026-02-08-kc"


def order(oid="O1", clord="c1", side=E.SIDE_BUY, qty=1000, px=450, cum=0, leaves=None, state=E.ORDER_STATE_NEW, fills=None):
    o = tr.Order(id=oid, clord_id=clord, symbol=SYM, side=side, order_qty=qty, price=px, cum_qty=cum,
                 leaves_qty=qty - cum if leaves is None else leaves, state=state)
    for p, q in (fills or {}).items():
        o.price_to_quantity_filled[p] = q
    return o


def execs(*executions):
    return tr.CreateOrderSubscriptionResponse(update=tr.OrderUpdate(executions=list(executions)))


def ex(eid, typ, o, **kw):
    return tr.Execution(id=eid, type=typ, order=o, **kw)


def o_codec():
    return OrderCodec("pm", {SYM: Scales(SYM, 1000, 100, 0.01)}, strategy_of={"c1": "mm", "c2": "mm"}.get)


def test_order_lifecycle_events():
    c = o_codec()
    [acc] = c.on_response(execs(ex("e1", E.EXECUTION_TYPE_NEW, order())), 1)
    assert isinstance(acc, OrderAccepted)
    assert (acc.client_order_id, acc.strategy, acc.venue_order_id, acc.side, acc.price, acc.size) == ("c1", "mm", "O1", Side.BUY, 45, 1000)
    [fill] = c.on_response(execs(ex("e2", E.EXECUTION_TYPE_PARTIAL_FILL, order(cum=400), last_shares=400, last_px=440,
                                   aggressor=True, commission_notional_collected=20)), 2)
    assert isinstance(fill, OrderFilled)
    assert (fill.execution_id, fill.price, fill.size, fill.filled, fill.remaining, fill.liquidity, fill.fee) == (
        "e2", 44, 400, 400, 600, Liquidity.TAKER, 2)
    [rep] = c.on_response(execs(ex("e3", E.EXECUTION_TYPE_REPLACE, order(px=430, qty=800, cum=400))), 3)
    assert isinstance(rep, OrderReplaced) and (rep.price, rep.size, rep.remaining) == (43, 800, 400)
    [done] = c.on_response(execs(ex("e4", E.EXECUTION_TYPE_FILL, order(px=430, qty=800, cum=800), last_shares=400, last_px=430)), 4)
    assert done.is_full and done.liquidity is Liquidity.MAKER and not c.open_orders


def test_duplicate_execution_delivered_once():
    c = o_codec()
    msg = execs(ex("e1", E.EXECUTION_TYPE_NEW, order()), ex("e2", E.EXECUTION_TYPE_PARTIAL_FILL, order(cum=100), last_shares=100, last_px=450))
    assert len(c.on_response(msg, 1)) == 2
    assert c.on_response(msg, 2) == [] and c.duplicates == 2


def test_cancel_reject_rejected_and_expired():
    c = o_codec()
    c.on_response(execs(ex("e1", E.EXECUTION_TYPE_NEW, order())), 1)
    cr = tr.CreateOrderSubscriptionResponse(update=tr.OrderUpdate(cancel_reject=tr.CancelReject(
        order_id="O1", clord_id="c1", reject_reason=E.CXL_REJ_REASON_TOO_LATE_TO_CANCEL, text="late")))
    [rej] = c.on_response(cr, 2)
    assert isinstance(rej, CancelRejected) and rej.symbol == SYM and rej.reason == "CXL_REJ_REASON_TOO_LATE_TO_CANCEL: late"
    [bad] = c.on_response(execs(ex("e2", E.EXECUTION_TYPE_REJECTED, order("O2", "c2", state=E.ORDER_STATE_REJECTED),
                                  order_reject_reason=E.ORD_REJECT_REASON_PRICE_OUT_OF_BOUNDS)), 3)
    assert isinstance(bad, OrderRejected) and bad.reason == "ORD_REJECT_REASON_PRICE_OUT_OF_BOUNDS"
    [gone] = c.on_response(execs(ex("e3", E.EXECUTION_TYPE_EXPIRED, order(leaves=0))), 4)
    assert isinstance(gone, OrderExpired) and gone.reason.startswith("EXECUTION_TYPE_EXPIRED") and not c.open_orders


def test_resync_synthesizes_missed_fills_exactly_and_drops_late_redelivery():
    c = o_codec()
    c.on_response(execs(ex("e1", E.EXECUTION_TYPE_NEW, order()), ex("e9", E.EXECUTION_TYPE_NEW, order("O9", "c2"))), 1)
    c.on_response(execs(ex("e2", E.EXECUTION_TYPE_PARTIAL_FILL, order(cum=100, fills={450: 100}), last_shares=100, last_px=450)), 2)
    # While we were away: 200 more at 450 and 300 at 440; O9 vanished.
    snap = tr.CreateOrderSubscriptionResponse(snapshot=tr.OrderSnapshot(orders=[order(cum=600, fills={450: 300, 440: 300})]))
    events = c.on_response(snap, 3)
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert [(f.price, f.size, f.filled, f.remaining) for f in fills] == [(44, 300, 400, 600), (45, 200, 600, 400)]
    [lost] = [e for e in events if isinstance(e, OrderUnresolved)]
    assert lost.venue_order_id == "O9" and lost.strategy == "mm"
    # The execution we missed arrives late (at-least-once): already counted.
    late = execs(ex("e3", E.EXECUTION_TYPE_PARTIAL_FILL, order(cum=300, fills={450: 300}), last_shares=200, last_px=450))
    assert c.on_response(late, 4) == []
    assert set(c.open_orders) == {"O1"} and c.open_orders["O1"].filled == 600


def test_heartbeat_and_unknown_symbol():
    c = o_codec()
    assert c.on_response(tr.CreateOrderSubscriptionResponse(heartbeat={}), 1) == []
    o = order()
    o.symbol = "nope"
    assert c.on_response(execs(ex("e1", E.EXECUTION_TYPE_NEW, o)), 2) == [] and c.errors == 1


def test_drop_copy_mode_replays_instead_of_synthesizing():
    c = OrderCodec("pm", {SYM: Scales(SYM, 1000, 100, 0.01)}, strategy_of={"c1": "mm", "c2": "mm"}.get, synthesize=False)
    c.on_response(execs(ex("e1", E.EXECUTION_TYPE_NEW, order()), ex("e9", E.EXECUTION_TYPE_NEW, order("O9", "c2"))), 1)
    # Reconnect: O1 filled 300 while away, O9 ended; the snapshot alone says nothing.
    snap = tr.CreateOrderSubscriptionResponse(snapshot=tr.OrderSnapshot(orders=[order(cum=300, fills={450: 300})]))
    assert c.on_response(snap, 2) == []
    assert c.open_orders["O1"].filled == 0
    # The drop copy replays the venue's executions; the order stream may repeat them.
    missed = ex("e2", E.EXECUTION_TYPE_PARTIAL_FILL, order(cum=300), last_shares=300, last_px=450)
    gone = ex("e3", E.EXECUTION_TYPE_FILL, order("O9", "c2", cum=1000), last_shares=1000, last_px=450)
    events = c.on_copy(missed, 3) + c.on_copy(gone, 3)
    assert [(e.client_order_id, e.size, e.filled) for e in events] == [("c1", 300, 300), ("c2", 1000, 1000)]
    assert c.on_response(execs(missed, gone), 4) == [] and c.duplicates == 2
    assert set(c.open_orders) == {"O1"}


def test_drop_copy_moves_its_resume_point_and_checkpoints_it():
    c = DropCopyCodec("pm", o_codec(), b"\x00\x01")
    new = ex("e1", E.EXECUTION_TYPE_NEW, order())
    out = c.on_response(dc.CreateDropCopySubscriptionResponse(execution=new, resume_token=b"\x00\x02"), 7)
    assert [type(e) for e in out] == [OrderAccepted, VenueCheckpoint]
    assert (out[1].key, out[1].value, out[1].ts_recv) == (RESUME_TOKEN_KEY, b"\x00\x02", 7)
    assert c.resume_token == b"\x00\x02"
    # A heartbeat, or the same position again, says nothing.
    assert c.on_response(dc.CreateDropCopySubscriptionResponse(heartbeat={}), 8) == []
    assert c.on_response(dc.CreateDropCopySubscriptionResponse(execution=new, resume_token=b"\x00\x02"), 9) == []
    assert "resume point no longer retained" in c.resume_lost() and c.resume_token == b""
    assert c.resume_lost() == ""  # nothing to lose: from now was asked


def test_owners_forget_an_order_when_it_is_over_and_not_when_in_doubt():
    owners = OrderOwners({"old": "mm"})
    owners.strategy.update(a="s", b="s", c="s", d="s")
    owners.order_id.update(a="O1", b="O2", c="O3", d="O4")
    head = ("pm", SYM, 0, 0)
    owners.settle([
        OrderFilled(*head, "a", "s", "O1", "x1", Side.BUY, 1, 5, 5, 3, Liquidity.MAKER, 0),  # partly filled: working
        OrderFilled(*head, "b", "s", "O2", "x2", Side.BUY, 1, 5, 5, 0, Liquidity.MAKER, 0),  # filled: over
        OrderExpired(*head, "c", "s", "O3", "expired"),
        OrderUnknown(*head, "d", "s", "O4", "", "in doubt"),  # the run resolves it: kept
    ])
    assert owners.strategy == {"old": "mm", "a": "s", "d": "s"} and set(owners.order_id) == {"a", "d"}
    assert owners.strategy_of("old") == "mm" and owners.strategy_of("b") == ""
