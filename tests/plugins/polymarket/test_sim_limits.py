"""The simulator enforces the venue's documented limits and counts every violation;
its token endpoint verifies client assertions. Raw clients, no adapter."""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc
import httpx
import jwt
import pytest

from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import marketdatasubscription_pb2_grpc as md_grpc
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.gen import trading_pb2_grpc as tr_grpc
from plugins.polymarket.sim import demo_keypair
from plugins.polymarket.sim.limits import LimitSettings
from plugins.polymarket.sim.tokens import ASSERTION_TYPE

pytestmark = pytest.mark.timeout(60)


def assertion(sim, key=None, **claims) -> str:
    now = int(time.time())
    body = {"iss": sim.client_id, "sub": sim.client_id, "aud": sim.token_url, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    body.update(claims)
    return jwt.encode(body, key or sim.private_key_pem, algorithm="RS256")


async def token_request(http, sim, a: str, **over):
    body = {"client_id": sim.client_id, "client_assertion_type": ASSERTION_TYPE, "client_assertion": a,
            "audience": sim.audience, "grant_type": "client_credentials", **over}
    return await http.post(sim.token_url, json=body)


async def token(http, sim) -> str:
    r = await token_request(http, sim, assertion(sim))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


async def test_token_endpoint_verifies_assertions(sim):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    async with httpx.AsyncClient() as http:
        good = await token_request(http, sim, assertion(sim))
        assert good.status_code == 200 and good.json()["expires_in"] == 180
        wrong_key = await token_request(http, sim, assertion(sim, key=other))
        assert wrong_key.status_code == 401 and wrong_key.json()["error"] == "invalid_client"
        wrong_aud = await token_request(http, sim, assertion(sim, aud=sim.audience))
        assert wrong_aud.json()["error"] == "invalid_client_assertion"
        too_long = await token_request(http, sim, assertion(sim, exp=int(time.time()) + 3600))
        assert too_long.json()["error"] == "invalid_client_assertion"
        a = assertion(sim)
        assert (await token_request(http, sim, a)).status_code == 200
        assert (await token_request(http, sim, a)).json()["error"] == "invalid_client_assertion"  # jti replay
        hs = jwt.encode({"iss": sim.client_id, "sub": sim.client_id, "aud": sim.token_url, "jti": "x",
                         "iat": int(time.time()), "exp": int(time.time()) + 60}, "secret-key-of-32-bytes-or-more!!", algorithm="HS256")
        assert (await token_request(http, sim, hs)).json()["error"] == "invalid_client_assertion"
        # Issued tokens work until they expire (here: expired early by the fault switch).
        tok = good.json()["access_token"]
        hdr = {"authorization": f"Bearer {tok}", "x-participant-id": sim.participant_id}
        assert (await http.get(f"{sim.rest_base}/v1/trading/orders/open", headers=hdr)).status_code == 200
        sim.faults.expire_tokens()
        r = await http.get(f"{sim.rest_base}/v1/trading/orders/open", headers=hdr)
        assert r.status_code == 401 and r.json()["code"] == 16
    assert demo_keypair()[1] in (c.public_key_pem for c in sim.exchange.clients.values())


async def test_21st_stream_and_1001_symbols_are_refused_and_counted(make_sim):
    async with make_sim(instruments=1001) as sim:
        async with httpx.AsyncClient() as http:
            tok = await token(http, sim)
        meta = (("authorization", f"Bearer {tok}"),)
        async with grpc.aio.insecure_channel(sim.grpc_target) as ch:
            mds, orders = md_grpc.MarketDataSubscriptionAPIStub(ch), tr_grpc.OrderEntryAPIStub(ch)
            calls = [orders.CreateOrderSubscription(tr.CreateOrderSubscriptionRequest(), metadata=meta)]
            calls += [mds.CreateMarketDataSubscription(md.CreateMarketDataSubscriptionRequest(symbols=sim.symbols[:1]), metadata=meta)
                      for _ in range(19)]
            for c in calls:
                await c.read()  # each is open and delivering
            assert sim.exchange.limits.streams["firms/sim-demo"] == 20
            extra = mds.CreateMarketDataSubscription(md.CreateMarketDataSubscriptionRequest(symbols=sim.symbols[:1]), metadata=meta)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await extra.read()
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            calls[-1].cancel()
            await asyncio.sleep(0.1)
            too_many = mds.CreateMarketDataSubscription(md.CreateMarketDataSubscriptionRequest(symbols=sim.symbols[:1001]), metadata=meta)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await too_many.read()
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "1000" in err.value.details()
            unauth = mds.CreateMarketDataSubscription(md.CreateMarketDataSubscriptionRequest(symbols=sim.symbols[:1]))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await unauth.read()
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
            for c in calls:
                c.cancel()
        assert sim.violations == {"streams": 1, "symbols": 1}


async def test_ingress_window_and_method_buckets_give_429(make_sim):
    limits = LimitSettings(ingress_rate_per_s=20, ingress_window_s=2.0, tier=1)
    async with make_sim(limits=limits) as sim:
        async with httpx.AsyncClient() as http:
            tok = await token(http, sim)
            hdr = {"authorization": f"Bearer {tok}", "x-participant-id": sim.participant_id}
            codes = [(await http.get(f"{sim.rest_base}/v1/trading/orders/open", headers=hdr)).status_code for _ in range(45)]
            assert codes[:40] == [200] * 40 and codes[40:] == [429] * 5  # 20/s x 2 s, burst allowed
            r = await http.get(f"{sim.rest_base}/v1/trading/orders/open", headers=hdr)
            assert r.json()["code"] == 8
        assert sim.violations == {"ingress": 6}
    big = LimitSettings(ingress_rate_per_s=1000, ingress_window_s=1.0, tier=1)
    async with make_sim(limits=big) as sim:
        async with httpx.AsyncClient() as http:
            tok = await token(http, sim)
            hdr = {"authorization": f"Bearer {tok}", "x-participant-id": sim.participant_id}
            body = {"orderId": "none", "symbol": sim.symbols[0]}
            t0 = time.monotonic()
            rs = await asyncio.gather(*(http.post(f"{sim.rest_base}/v1/trading/orders/replace", headers=hdr, json=body) for _ in range(45)))
            elapsed = time.monotonic() - t0
        codes = [r.status_code for r in rs]
        # Tier 1: 30/s with a bucket of 30; refill during the burst is at most 30/s x elapsed.
        assert 30 <= codes.count(200) <= 30 + 30 * elapsed + 1 and codes.count(429) == 45 - codes.count(200)
        assert sim.violations.get("bucket:CancelReplaceOrder", 0) == codes.count(429)


async def test_drop_copy_resumes_from_token_within_the_retained_window(make_sim):
    from plugins.polymarket.gen import dropcopy_pb2 as dc
    from plugins.polymarket.gen import dropcopy_pb2_grpc as dc_grpc
    from plugins.polymarket.gen import enums_pb2 as E

    async with make_sim(dropcopy_retain=4) as sim:
        async with httpx.AsyncClient() as http:
            tok = await token(http, sim)
            hdr = {"authorization": f"Bearer {tok}", "x-participant-id": sim.participant_id}
            for i in range(3):  # 3 orders -> 3 NEW executions
                body = {"type": "ORDER_TYPE_LIMIT", "side": "SIDE_BUY", "orderQty": "100", "symbol": sim.symbols[0],
                        "price": "1", "timeInForce": "TIME_IN_FORCE_GOOD_TILL_CANCEL", "clordId": f"d{i}"}
                assert (await http.post(f"{sim.rest_base}/v1/trading/orders", json=body, headers=hdr)).status_code == 200
        meta = (("authorization", f"Bearer {tok}"),)
        async with grpc.aio.insecure_channel(sim.grpc_target) as ch:
            stub = dc_grpc.DropCopyAPIStub(ch)
            call = stub.CreateDropCopySubscription(dc.CreateDropCopySubscriptionRequest(resume_token=(1).to_bytes(8, "big")), metadata=meta)
            first = await call.read()
            assert first.HasField("heartbeat")
            replay = [await call.read(), await call.read()]
            assert [m.execution.order.clord_id for m in replay] == ["d1", "d2"]
            assert all(m.execution.type == E.EXECUTION_TYPE_NEW for m in replay)
            assert int.from_bytes(replay[-1].resume_token, "big") == 3
            call.cancel()
            async with httpx.AsyncClient() as http:
                for i in range(3):  # 3 CANCELED executions
                    body = {"clordId": f"d{i}", "symbol": sim.symbols[0]}
                    assert (await http.post(f"{sim.rest_base}/v1/trading/orders/cancel", json=body, headers=hdr)).status_code == 200
            assert sim.exchange.exec_base == 2  # retains 4 of 6
            old = stub.CreateDropCopySubscription(dc.CreateDropCopySubscriptionRequest(resume_token=(1).to_bytes(8, "big")), metadata=meta)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await old.read()
            assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE
