"""The simulator's order-entry faults against its real servers on loopback, raw
clients (no adapter): ``lose_answers`` (processed, the answer lost) against
``fail_http`` / ``hang_requests`` (not processed), what the exchange refuses
for order entry, and the counters a run reads (``counters()``, ``/sim/stats``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.runtime.clock import SimClock
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.sim import SimSettings, Simulator
from plugins.polymarket.sim.exchange import Client, Exchange, SimError
from plugins.polymarket.sim.flow import make_instruments
from plugins.polymarket.sim.limits import LimitSettings, SimLimits

pytestmark = pytest.mark.timeout(60)

TIMEOUT_S = 0.3  # the client's own timeout, for the faults that never answer


class Venue:
    """One client of a running simulator, over REST or gRPC, with its order stream."""

    def __init__(self, sim: Simulator, transport: str, http: httpx.AsyncClient, channel: grpc.aio.Channel) -> None:
        self.sim = sim
        self.transport = transport
        self.http = http
        self.stub = tr_grpc.OrderEntryAPIStub(channel)
        token, _ = sim.exchange.issue_token(sim.exchange.clients[sim.client_id])
        self.headers = {"authorization": f"Bearer {token}", "x-participant-id": sim.participant_id}
        self.meta = (("authorization", f"Bearer {token}"),)
        self.symbol = sim.symbols[0]
        self.price = sim.engines[self.symbol].tick_wire  # far below the touch: rests
        self.stream: Any = None

    async def open_stream(self) -> None:
        self.stream = self.stub.CreateOrderSubscription(tr.CreateOrderSubscriptionRequest(), metadata=self.meta)
        assert (await self.stream.read()).HasField("snapshot")

    async def next_update(self) -> tr.OrderUpdate:
        while True:
            msg = await asyncio.wait_for(self.stream.read(), 5)
            if msg.HasField("update"):
                return msg.update

    def insert_req(self, clord_id: str, symbol: str = "") -> tr.InsertOrderRequest:
        return tr.InsertOrderRequest(
            type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=100, symbol=symbol or self.symbol, price=self.price,
            time_in_force=E.TIME_IN_FORCE_GOOD_TILL_CANCEL, clord_id=clord_id,
        )

    async def call(self, method: str, req: Any) -> Any:
        """Send one request; returns the response message, raises what the client sees."""
        if self.transport == "grpc":
            return await getattr(self.stub, method)(req, metadata=self.meta, timeout=TIMEOUT_S)
        r = await self.http.post(f"{self.sim.rest_base}{_PATHS[method]}", headers=self.headers, timeout=TIMEOUT_S,
                                 content=json_format.MessageToJson(req))
        if r.status_code != 200:
            raise HttpError(r.status_code, r.json())
        return r.json()

    async def open_clord_ids(self) -> set[str]:
        """What GetOpenOrders says rests now (the truth a client can ask for)."""
        if self.transport == "grpc":
            resp = await self.stub.GetOpenOrders(tr.GetOpenOrdersRequest(), metadata=self.meta, timeout=5)
            return {o.clord_id for o in resp.orders}
        r = await self.http.get(f"{self.sim.rest_base}/v1/trading/orders/open", headers=self.headers)
        assert r.status_code == 200, r.text
        return {o["clordId"] for o in r.json().get("orders", [])}


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


_PATHS = {
    "InsertOrder": "/v1/trading/orders",
    "InsertOrderList": "/v1/trading/orders/list",
    "CancelOrder": "/v1/trading/orders/cancel",
    "CancelOrderList": "/v1/trading/orders/cancel/list",
    "CancelReplaceOrder": "/v1/trading/orders/replace",
}

# What the client sees when the answer is lost, by (transport, how).
LOST = {
    ("rest", "error"): (HttpError, lambda e: e.status == 503 and e.body["code"] == 14),
    ("rest", "reset"): (httpx.RemoteProtocolError, lambda e: "without sending a response" in str(e)),
    ("rest", "hang"): (httpx.ReadTimeout, lambda e: True),
    ("grpc", "error"): (grpc.aio.AioRpcError, lambda e: e.code() == grpc.StatusCode.UNAVAILABLE),
    ("grpc", "reset"): (grpc.aio.AioRpcError, lambda e: e.code() == grpc.StatusCode.INTERNAL),
    ("grpc", "hang"): (grpc.aio.AioRpcError, lambda e: e.code() == grpc.StatusCode.DEADLINE_EXCEEDED),
}


@asynccontextmanager
async def venue(make_sim: Any, transport: str, **kw: Any) -> AsyncIterator[Venue]:
    async with make_sim(**kw) as sim, httpx.AsyncClient() as http, grpc.aio.insecure_channel(sim.grpc_target) as ch:
        v = Venue(sim, transport, http, ch)
        await v.open_stream()
        try:
            yield v
        finally:
            v.stream.cancel()


async def expect_lost(v: Venue, how: str, method: str, req: Any) -> None:
    kind, check = LOST[(v.transport, how)]
    with pytest.raises(kind) as err:
        await v.call(method, req)
    assert check(err.value), err.value


@pytest.mark.parametrize("how", ["error", "reset", "hang"])
@pytest.mark.parametrize("transport", ["rest", "grpc"])
async def test_lost_answers_are_processed_insert_then_cancel(make_sim, transport, how):
    async with venue(make_sim, transport) as v:
        x = v.sim.exchange
        v.sim.faults.lose_answers(1, how)
        await expect_lost(v, how, "InsertOrder", v.insert_req("lost-1"))
        assert await v.open_clord_ids() == {"lost-1"}  # the exchange holds it
        assert [o.clord_id for o in x.resting_orders()] == ["lost-1"]
        new = await v.next_update()
        assert [(e.type, e.order.clord_id) for e in new.executions] == [(E.EXECUTION_TYPE_NEW, "lost-1")]
        assert [ex.order.clord_id for _, ex in x.exec_log] == ["lost-1"]  # what drop copy serves

        v.sim.faults.lose_answers(1, how)
        await expect_lost(v, how, "CancelOrder", tr.CancelOrderRequest(clord_id="lost-1", symbol=v.symbol))
        assert await v.open_clord_ids() == set()  # ... and no longer holds it
        assert x.resting_orders() == []
        gone = await v.next_update()
        assert [(e.type, e.order.clord_id) for e in gone.executions] == [(E.EXECUTION_TYPE_CANCELED, "lost-1")]

        await v.call("InsertOrder", v.insert_req("after"))  # the fault is used up: answered again
        assert x.faults.injected == {f"lose_answers:{how}": 2}
        assert x.counters()[f"faults:lose_answers:{how}"] == 2


@pytest.mark.parametrize("transport", ["rest", "grpc"])
async def test_lost_answers_cover_replace_and_the_list_methods(make_sim, transport):
    async with venue(make_sim, transport) as v:
        x, sym = v.sim.exchange, v.symbol
        v.sim.faults.lose_answers(3, "error")
        await expect_lost(v, "error", "InsertOrderList", tr.InsertOrderListRequest(requests=[v.insert_req("a"), v.insert_req("b")]))
        assert await v.open_clord_ids() == {"a", "b"}
        bigger = v.price + v.sim.engines[sym].tick_wire
        await expect_lost(v, "error", "CancelReplaceOrder", tr.CancelReplaceOrderRequest(clord_id="a", symbol=sym, price=bigger))
        assert {o.clord_id: o.price for o in x.resting_orders()} == {"a": bigger, "b": v.price}
        await expect_lost(v, "error", "CancelOrderList", tr.CancelOrderListRequest(
            requests=[tr.CancelOrderRequest(clord_id=c, symbol=sym) for c in ("a", "b")]))
        assert await v.open_clord_ids() == set()


@pytest.mark.parametrize(("transport", "fault"), [("rest", "fail_http"), ("rest", "hang"), ("grpc", "hang")])
async def test_failures_before_the_exchange_are_not_processed(make_sim, transport, fault):
    """The opposite case: the client sees the same kind of failure, the exchange holds nothing."""
    async with venue(make_sim, transport) as v:
        if fault == "fail_http":
            v.sim.faults.fail_http(1, 503)
        else:
            v.sim.faults.hang_requests(1)
        with pytest.raises((HttpError, httpx.ReadTimeout, grpc.aio.AioRpcError)):
            await v.call("InsertOrder", v.insert_req("never"))
        assert await v.open_clord_ids() == set()
        assert v.sim.exchange.resting_orders() == []
        assert v.sim.exchange.executions_sent == 0


async def test_a_held_rest_request_does_not_hold_up_the_servers_stop(make_sim):
    """The server's stop releases what a fault still holds (a client with no timeout)."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient() as http:
        async with make_sim() as sim:
            token, _ = sim.exchange.issue_token(sim.exchange.clients[sim.client_id])
            headers = {"authorization": f"Bearer {token}", "x-participant-id": sim.participant_id}
            body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": sim.symbols[0],
                    "price": str(sim.engines[sim.symbols[0]].tick_wire), "clordId": "held"}
            sim.faults.lose_answers(1, "hang")
            call = asyncio.create_task(http.post(f"{sim.rest_base}/v1/trading/orders", headers=headers, json=body, timeout=None))
            while not sim.exchange.resting_orders():
                await asyncio.sleep(0.01)
            t0 = loop.time()
        assert loop.time() - t0 < 5
        with pytest.raises(httpx.RemoteProtocolError):
            await call


@pytest.mark.parametrize("transport", ["rest", "grpc"])
async def test_order_entry_refusals(make_sim, transport):
    """What the venue refuses: a clord_id live anywhere in the account, a cancel
    or replace for an unknown order (a CancelReject on the stream, the call
    itself answered), a batch with a bad member (refused whole)."""
    async with venue(make_sim, transport) as v:
        other = v.sim.symbols[1]
        await v.call("InsertOrder", v.insert_req("dup"))
        await v.next_update()
        with pytest.raises((HttpError, grpc.aio.AioRpcError)) as err:
            await v.call("InsertOrder", v.insert_req("dup", symbol=other))  # live in another symbol
        assert "already live" in str(err.value)
        await v.call("CancelOrder", tr.CancelOrderRequest(clord_id="dup"))
        await v.next_update()
        await v.call("InsertOrder", v.insert_req("dup", symbol=other))  # finished: the id is free again
        await v.next_update()

        for method, req in (("CancelOrder", tr.CancelOrderRequest(clord_id="nosuch", symbol=v.symbol)),
                            ("CancelReplaceOrder", tr.CancelReplaceOrderRequest(order_id="O-none", price=v.price))):
            await v.call(method, req)
            rej = (await v.next_update()).cancel_reject
            assert rej.reject_reason == E.CXL_REJ_REASON_UNKNOWN_ORDER and rej.text == "unknown order"

        batch = tr.InsertOrderListRequest(requests=[v.insert_req("b1"), v.insert_req("dup", symbol=other)])
        with pytest.raises((HttpError, grpc.aio.AioRpcError)):
            await v.call("InsertOrderList", batch)
        twice = tr.InsertOrderListRequest(requests=[v.insert_req("b2"), v.insert_req("b2", symbol=other)])
        with pytest.raises((HttpError, grpc.aio.AioRpcError)):
            await v.call("InsertOrderList", twice)
        cancels = tr.CancelOrderListRequest(requests=[tr.CancelOrderRequest(clord_id="dup"), tr.CancelOrderRequest()])
        with pytest.raises((HttpError, grpc.aio.AioRpcError)):
            await v.call("CancelOrderList", cancels)  # the second names no order
        assert await v.open_clord_ids() == {"dup"}  # none of the refused batches changed anything


@pytest.mark.parametrize("tier", [1, 2, 3, 4])
def test_method_buckets_per_tier(tier):
    """Reference §9: InsertOrder / CancelReplaceOrder 30-100-200-400/s, CancelOrder
    90-300-600-1200/s, each *List 50/s; a bucket holds one second's worth."""
    rates = {"InsertOrder": (30, 100, 200, 400), "CancelReplaceOrder": (30, 100, 200, 400),
             "CancelOrder": (90, 300, 600, 1200), "InsertOrderList": (50,) * 4, "CancelOrderList": (50,) * 4,
             "CancelReplaceOrderList": (50,) * 4}
    clock = SimClock()
    limits = SimLimits(LimitSettings(ingress_rate_per_s=10**6, tier=tier), clock)
    for method, by_tier in rates.items():
        rate = by_tier[tier - 1]
        assert all(limits.ingress("f", method) is None for _ in range(rate)), method
        assert limits.ingress("f", method) == f"rate limit exceeded: {method} {rate}/s"
        clock.advance(-(-(10**9) // rate))
        assert limits.ingress("f", method) is None  # one token back after 1/rate s
    assert limits.ingress("f", "GetOpenOrders") is None  # no bucket of its own
    assert limits.violations == {f"bucket:{m}": 1 for m in rates}


async def test_counters_and_sim_stats(make_sim):
    limits = LimitSettings(ingress_rate_per_s=1, ingress_window_s=5.0)  # 5 messages in any 5 s
    async with venue(make_sim, "rest", limits=limits) as v:
        x = v.sim.exchange
        for i in range(4):
            await v.call("InsertOrder", v.insert_req(f"s{i}"))
        v.sim.faults.fail_http(1)
        with pytest.raises(HttpError):
            await v.call("InsertOrder", v.insert_req("failed"))  # refused before the limits look
        with pytest.raises(HttpError) as err:
            await v.call("InsertOrder", v.insert_req("over"))
        assert err.value.status == 429
        r = await v.http.get(f"{v.sim.rest_base}/sim/stats")  # no token; not hit by the fault
        assert r.status_code == 200
        stats = r.json()
        assert stats == x.counters()
        assert stats["accepted:InsertOrder"] == 4 and stats["accepted:CreateOrderSubscription"] == 1
        assert stats["ingress_total"] == 5  # the stream open and 4 inserts; /sim/stats is not ingress
        assert stats["faults:fail_http"] == 1 and stats["resting_orders"] == 4 and stats["executions_sent"] == 4
        kinds = {k for k in stats if k.startswith("violations:")}
        assert {"violations:streams", "violations:symbols", "violations:ingress", "violations:bucket:CancelOrder",
                "violations:bucket:InsertOrderList"} <= kinds
        assert stats["violations:ingress"] == 1 == stats["violations_total"] == sum(stats[k] for k in kinds)
        o = x.resting_orders(v.sim.account)[0]
        assert (o.clord_id, o.symbol, o.side, o.price, o.leaves) == ("s0", v.symbol, "BUY", v.price, 100)
        assert x.resting_orders("firms/other/accounts/none") == []


# --- the live clord_id index against the books, driven directly ----------------------

ACCOUNTS = ("acct/a", "acct/b")
_ops = st.lists(st.tuples(st.sampled_from(["insert", "cancel", "replace", "cross"]), st.sampled_from(ACCOUNTS),
                          st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 2), st.integers(1, 5)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(_ops)
def test_a_clord_id_is_refused_exactly_while_it_is_live(ops):
    """Whatever inserts, cancels, replaces and fills happen, an insert is refused
    as a duplicate exactly when its (account, clord_id) rests in some book, and
    a cancel by clord_id finds exactly that order."""
    sim_settings = SimSettings(instruments=3)
    instruments, _ = make_instruments(sim_settings)
    x = Exchange(sim_settings, SimClock(), instruments)
    client = Client("c", b"", "firm", "firm/users/u", list(ACCOUNTS))
    symbols = list(x.engines)
    for op, account, clord, sym_i, px in ops:
        sym = symbols[sym_i]
        tick = x.engines[sym].tick_wire
        resting = {(o.account, o.clord_id): o for o in x.resting_orders()}
        if op == "insert":
            req = tr.InsertOrderRequest(type=E.ORDER_TYPE_LIMIT, side=E.SIDE_BUY, order_qty=10, symbol=sym, price=px * tick,
                                        time_in_force=E.TIME_IN_FORCE_GOOD_TILL_CANCEL, clord_id=clord, account=account)
            try:
                x.order_entry(client, "InsertOrder", req)
                assert (account, clord) not in resting
            except SimError:
                assert (account, clord) in resting
        elif op == "cross":  # synthetic flow sells into the bids: fills, some complete
            x.insert_flow(sym, E.SIDE_SELL, tick, 10 * px, E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL)
        elif (account, clord) in resting and account == ACCOUNTS[0]:
            method, req = (("CancelOrder", tr.CancelOrderRequest(clord_id=clord)) if op == "cancel" else
                           ("CancelReplaceOrder", tr.CancelReplaceOrderRequest(clord_id=clord, price=px * tick)))
            x.order_entry(client, method, req)
            after = {(r.account, r.clord_id): r for r in x.resting_orders()}
            assert ((account, clord) in after) == (op == "replace") and all(k in after for k in resting if k != (account, clord))
        assert x._live == {(o.account, o.clord_id): (o.symbol, o.order_id) for o in x.resting_orders()}
