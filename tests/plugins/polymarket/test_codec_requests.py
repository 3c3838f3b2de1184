"""The outbound codec: order-entry requests in both wire forms, subscriptions, packing."""

from __future__ import annotations

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.model.events import Side
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from plugins.polymarket.codec import (
    JsonRequests,
    OrderOwners,
    ProtoRequests,
    pack_symbols,
)
from plugins.polymarket.codec.requests import (
    dropcopy_subscription,
    md_subscription,
    order_subscription,
)
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.scales import Scales

SCALES = {"S": Scales("S", 1000, 100, "0.01")}
ACCOUNT = "firms/f/accounts/a"


def both(owners: OrderOwners | None = None) -> tuple[JsonRequests, ProtoRequests]:
    owners = owners or OrderOwners()
    return JsonRequests(SCALES, ACCOUNT, owners), ProtoRequests(SCALES, ACCOUNT, owners)


@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from([Side.BUY, Side.SELL]),
    price=st.integers(1, 99),
    size=st.integers(1, 10**9),
    tif=st.sampled_from(list(TimeInForce)),
    otype=st.sampled_from(list(OrderType)),
    post_only=st.booleans(),
    expire_ns=st.integers(1, 2**62),
)
def test_proto_and_json_inserts_agree(side, price, size, tif, otype, post_only, expire_ns):
    js, pb = both()
    o = SubmitOrder("s", "pm", "S", "clord-1", side, price, size, otype, tif, post_only, False, expire_ns)
    from_json = json_format.ParseDict(js.insert(o), tr.InsertOrderRequest())
    assert from_json == pb.insert(o)
    assert from_json.price == price * 10  # 0.01 tick at price_scale 1000


@settings(max_examples=60, deadline=None)
@given(
    price=st.integers(0, 99),
    size=st.integers(0, 10**9),
    known=st.booleans(),
    given_id=st.sampled_from(["", "O-given"]),
)
def test_proto_and_json_cancels_and_replaces_agree(price, size, known, given_id):
    owners = OrderOwners()
    if known:
        owners.order_id["c1"] = "O-known"
    js, pb = both(owners)
    cancel = CancelOrder("s", "pm", "S", "c1", given_id)
    replace = ReplaceOrder("s", "pm", "S", "c1", given_id, price=price, size=size)
    assert json_format.ParseDict(js.cancel(cancel), tr.CancelOrderRequest()) == pb.cancel(cancel)
    assert json_format.ParseDict(js.replace(replace), tr.CancelReplaceOrderRequest()) == pb.replace(replace)
    assert pb.cancel(cancel).order_id == (given_id or ("O-known" if known else ""))


def test_market_order_is_ioc_limit_at_protective_price():
    js, _ = both()
    body = js.insert(SubmitOrder("s", "pm", "S", "m1", Side.SELL, 40, 5, OrderType.MARKET, TimeInForce.GTC))
    assert body == {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_SELL", "orderQty": "5", "symbol": "S", "price": "400",
                    "timeInForce": "TIME_IN_FORCE_IMMEDIATE_OR_CANCEL", "clordId": "m1", "account": ACCOUNT}


def test_gtt_expiry_in_rfc3339_with_nanoseconds():
    js, pb = both()
    o = SubmitOrder("s", "pm", "S", "g1", Side.BUY, 40, 5, OrderType.LIMIT, TimeInForce.GTT, expire_ns=1_700_000_000_123_456_789)
    assert js.insert(o)["goodTillTime"] == "2023-11-14T22:13:20.123456789Z"
    assert (pb.insert(o).good_till_time.seconds, pb.insert(o).good_till_time.nanos) == (1_700_000_000, 123_456_789)


def test_subscriptions():
    assert list(md_subscription(["a", "b"], 5, True).symbols) == ["a", "b"]
    assert md_subscription(["a"], 5, True).slow_consumer_skip_to_head
    assert list(order_subscription(ACCOUNT).accounts) == [ACCOUNT] and not order_subscription("").accounts
    req = dropcopy_subscription(ACCOUNT, b"\x07")
    assert (list(req.accounts), req.resume_token) == ([ACCOUNT], b"\x07")


def test_pack_symbols():
    syms = [f"s{i}" for i in range(2500)]
    packed = pack_symbols(syms + syms[:10])
    assert [len(p) for p in packed] == [1000, 1000, 500] and [s for p in packed for s in p] == syms
    assert pack_symbols([]) == []
