"""The transport over loopback against the real simulator: the venue's streams
kept open by the core (kill, silence, stall, token expiry, no slot, a lost
resume point, a malformed update), the gRPC status mapping of stream opens,
order entry's errors; and the pieces without a network (policy, mapping)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from pm_support import adapter_for, live, order, roomy_symbol, until  # type: ignore[import-not-found]

from framework.model.errors import (
    Denied,
    VenueAuthError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import (
    DenyReason,
    OrderAccepted,
    OrderFilled,
    Side,
    StreamState,
    StreamStatus,
)
from framework.plugin.venue import CountingGate
from plugins.polymarket.codec import MarketDataCodec
from plugins.polymarket.events import OrderUnresolved
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.settings import settings_from
from plugins.polymarket.transport import MarketDataStream, stream_failure, stream_policy

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("drop_copy", [True, False])
async def test_stream_kill_resyncs_book_and_orders_without_losing_fills(sim, drop_copy):
    ad, rec = adapter_for(sim, sim.symbols[:6], reconnect_initial_s=0.4, drop_copy=drop_copy)
    await ad.start()
    try:
        sym = roomy_symbol(sim, ad)
        sc, engine = ad.scales[sym], sim.engines[sym]
        px = ad.book(sym).best_bid()[0] + 1  # alone at the top of the bids
        await ad.submit(order(sym, "a", Side.BUY, px, 500))
        await ad.submit(order(sym, "b", Side.SELL, px + 2, 300))  # alone at the top of the asks
        await until(lambda: len(ad.orders.open_orders) == 2, what="orders open")
        assert sim.faults.kill_streams() == len(ad.streams)
        # While we are disconnected: a partial fill of "a", a complete fill of
        # "b" and a book change.
        sim.exchange.insert_flow(sym, E.SIDE_SELL, sc.to_wire_px(px), 200)
        sim.exchange.insert_flow(sym, E.SIDE_BUY, sc.to_wire_px(px + 2), 300)
        sim.exchange.insert_flow(sym, E.SIDE_BUY, sc.to_wire_px(px - 2), 700)
        await until(lambda: all(live(s) and s.reconnects for s in ad.streams), what="resync")
        for name in [s.source.name for s in ad.streams]:
            seq = [e.state for e in rec.of(StreamStatus) if e.stream == name]
            assert seq[-3:] == [StreamState.DOWN, StreamState.RESYNCING, StreamState.LIVE], (name, seq)
        if drop_copy:
            await until(lambda: len(rec.of(OrderFilled)) == 2, what="missed fills replayed")
        [missed] = [f for f in rec.of(OrderFilled) if f.client_order_id == "a"]
        assert (missed.size, missed.price, missed.filled, missed.remaining) == (200, px, 200, 300)
        assert missed.execution_id.startswith("resync:") is not drop_copy  # synthesized only without drop copy
        assert ad.orders.open_orders[missed.venue_order_id].filled == 200
        b_fills = [f for f in rec.of(OrderFilled) if f.client_order_id == "b"]
        if drop_copy:
            assert [(f.size, f.remaining) for f in b_fills] == [(300, 0)]
        else:
            assert b_fills == [] and [u.client_order_id for u in rec.of(OrderUnresolved)] == ["b"]
        want = [(sc.to_ticks(p), q) for p, q in engine.top(E.SIDE_BUY, 5)]
        assert ad.book(sym).depth(Side.BUY, 5) == want
        # After the resync fills arrive normally, counted once on top of the missed one.
        sim.exchange.insert_flow(sym, E.SIDE_SELL, sc.to_wire_px(px), 100)
        await until(lambda: len([f for f in rec.of(OrderFilled) if f.client_order_id == "a"]) == 2, what="live fill")
        await asyncio.sleep(0.1)
        total = sum(f.size for f in rec.of(OrderFilled) if f.client_order_id == "a")
        [venue_order] = [o for o in engine.orders.values() if o.clord_id == "a"]
        assert total == venue_order.cum == 300
        ids = [f.execution_id for f in rec.of(OrderFilled)]
        assert len(ids) == len(set(ids))
    finally:
        await ad.stop()


async def test_token_expiring_mid_run_is_renewed_without_dropping_streams(make_sim):
    async with make_sim(token_ttl_s=1.0) as sim:
        ad, rec = adapter_for(sim, sim.symbols[:2], token_renew_before_s=0.4)
        await ad.start()
        try:
            await asyncio.sleep(1.6)  # past the first token's expiry
            assert ad.tokens.mints >= 2
            assert all(s.reconnects == 0 and live(s) for s in ad.streams)
            sym = sim.symbols[0]
            sim.faults.expire_tokens()  # ended early: REST gets 401, re-mints, retries
            await ad.submit(order(sym, "t1", Side.BUY, ad.book(sym).best_bid()[0], 100))
            await until(lambda: rec.of(OrderAccepted), what="accepted after re-auth")
            assert all(s.reconnects == 0 for s in ad.streams)
        finally:
            await ad.stop()


async def test_silent_stream_goes_stale_and_reconnects(sim):
    ad, rec = adapter_for(sim, sim.symbols[:2], stale_after_s=0.4)
    await ad.start()
    try:
        sim.faults.silence_streams("md")
        await until(lambda: any(e.state is StreamState.STALE for e in rec.of(StreamStatus)), what="stale")
        await until(lambda: all(live(s) for s in ad.streams) and ad.stream("md0").reconnects >= 1, what="back live")
    finally:
        await ad.stop()


async def test_stalled_consumer_is_disconnected_and_resyncs(make_sim):
    async with make_sim(max_queue=50, flow_rate_per_s=2000.0) as sim:
        ad, rec = adapter_for(sim, sim.symbols)
        await ad.start()
        try:
            sim.faults.stall_streams("md")
            md0 = ad.stream("md0")
            await until(lambda: md0.reconnects >= 1 and live(md0), timeout=10, what="slow-consumer resync")
            assert any("slow consumer" in e.reason for e in rec.of(StreamStatus))
        finally:
            await ad.stop()


async def test_grpc_order_entry_errors_are_mapped(sim):
    ad, rec = adapter_for(sim, sim.symbols[:1], order_entry="grpc")
    await ad.start()
    try:
        sym = sim.symbols[0]
        with pytest.raises(VenueRejected, match="clord_id"):
            await ad.entry.insert_order(ad.requests.insert(order(sym, "", Side.BUY, 1, 100)))
        sim.faults.expire_tokens()  # UNAUTHENTICATED: re-mint and retry once
        await ad.submit(order(sym, "g1", Side.BUY, 1, 100))
        await until(lambda: rec.of(OrderAccepted), what="accepted after re-auth")
    finally:
        await ad.stop()


async def test_grpc_order_entry_gives_up_on_a_call_with_no_answer(sim):
    """A call the venue never answers ends at the entry's timeout as an
    unknown outcome (VenueUnavailable), and the next order goes through."""
    ad, rec = adapter_for(sim, sim.symbols[:1], order_entry="grpc", http_timeout_s=0.3)
    await ad.start()
    try:
        sym = sim.symbols[0]
        sim.faults.hang_requests(1)
        async with asyncio.timeout(5):  # the 0.3 s timeout must end it, not the test's patience
            with pytest.raises(VenueUnavailable, match="InsertOrder: Deadline Exceeded"):
                await ad.entry.insert_order(ad.requests.insert(order(sym, "h1", Side.BUY, 1, 100)))
        await ad.submit(order(sym, "h2", Side.BUY, 1, 100))
        await until(lambda: rec.of(OrderAccepted), what="the next order accepted")
        assert [e.client_order_id for e in rec.of(OrderAccepted)] == ["h2"]
    finally:
        await ad.stop()


async def test_http_5xx_is_venue_unavailable(sim):
    ad, _ = adapter_for(sim, sim.symbols[:1])
    await ad.start()
    try:
        sim.faults.fail_http(1, 503)
        sym = sim.symbols[0]
        with pytest.raises(VenueUnavailable):
            await ad.submit(order(sym, "x1", Side.BUY, ad.book(sym).best_bid()[0], 100))
    finally:
        await ad.stop()


async def test_no_stream_slot_fails_start_at_once(sim):
    class NoSlots(CountingGate):
        async def open_stream(self, key):
            raise Denied(DenyReason.STREAM_CAP, f"no slot for {key}")

    ad, rec = adapter_for(sim, sim.symbols[:1], gate=NoSlots(), start_timeout_s=30)
    t0 = time.monotonic()
    with pytest.raises(Denied, match="no slot"):
        await ad.start()
    assert time.monotonic() - t0 < 5
    assert rec.of(StreamStatus)[-1].state is StreamState.DOWN


async def test_lost_drop_copy_resume_point_is_reported_and_recovered(make_sim):
    async with make_sim(dropcopy_retain=2) as sim:
        ad, rec = adapter_for(sim, sim.symbols[:1], reconnect_initial_s=0.2)
        await ad.start()
        try:
            sym = sim.symbols[0]
            await ad.submit(order(sym, "r1", Side.BUY, 1, 100))
            await until(lambda: ad.resume_token, what="a resume point")
            sim.faults.kill_streams("dropcopy")
            for i in range(3):  # while away, more executions than the venue retains
                await ad.submit(order(sym, f"r{i + 2}", Side.BUY, 1, 100))
            dc_stream = ad.stream("dropcopy")
            await until(lambda: live(dc_stream) and dc_stream.reconnects >= 1, what="drop copy back")
            assert any("resume point no longer retained" in e.reason for e in rec.of(StreamStatus) if e.stream == "dropcopy")
        finally:
            await ad.stop()


async def test_malformed_update_is_counted_skipped_and_resynced(make_sim):
    async with make_sim(flow_rate_per_s=100.0, instruments=2) as sim:
        ad, _ = adapter_for(sim, sim.symbols)
        await ad.start()
        try:
            sym = sim.symbols[0]
            assert sim.faults.send_malformed(sym) == 1
            codec = ad.md_codecs[0]
            await until(lambda: codec.errors == 1, what="counted")
            assert "best first" in codec.last_error
            await until(lambda: sym not in codec.pending, what="resynced from the next update")
            await asyncio.sleep(0.05)
            eng, sc = sim.engines[sym], ad.scales[sym]
            await until(lambda: ad.book(sym).depth(Side.BUY, 5) == [(sc.to_ticks(p), q) for p, q in eng.top(E.SIDE_BUY, 5)],
                        what="book equals the venue's")
        finally:
            await ad.stop()


def test_the_stream_policy_follows_the_venues_advice_from_the_settings():
    p = stream_policy(settings_from({}))
    assert (p.reconnect_min_ms, p.reconnect_max_ms, p.jitter) == (1_000, 30_000, 0.5)  # 1 s doubling to 30 s
    assert (p.stale_after_ms, p.reconnect_after_stale_ms) == (180_000, 0)  # a stale stream is reopened at once
    assert p.stable_after_ms == 10_000  # the backoff restarts only after 10 s LIVE
    p = stream_policy(settings_from({"reconnect_initial_s": 2.0, "reconnect_max_s": 1.0, "stale_after_s": 0.0005,
                                     "reconnect_stable_s": 2.5}))
    assert (p.reconnect_min_ms, p.reconnect_max_ms, p.stale_after_ms, p.stable_after_ms) == (2_000, 2_000, 1, 2_500)


@pytest.mark.parametrize(("code", "raised"), [
    (grpc.StatusCode.RESOURCE_EXHAUSTED, VenueThrottled),
    (grpc.StatusCode.INVALID_ARGUMENT, VenueRejected),
    (grpc.StatusCode.PERMISSION_DENIED, VenueRejected),
    (grpc.StatusCode.NOT_FOUND, VenueRejected),
    (grpc.StatusCode.UNIMPLEMENTED, VenueRejected),
    (grpc.StatusCode.UNAUTHENTICATED, VenueAuthError),
    (grpc.StatusCode.UNAVAILABLE, VenueUnavailable),
    (grpc.StatusCode.OUT_OF_RANGE, VenueUnavailable),
    (grpc.StatusCode.INTERNAL, VenueUnavailable),
])
def test_a_streams_grpc_status_is_what_the_core_acts_on(code, raised):
    exc = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="why")
    mapped = stream_failure("pm", exc, "a note")
    assert type(mapped) is raised and mapped.status == code.name and "why; a note" in str(mapped)


async def test_a_stream_opened_with_a_refused_token_invalidates_it_and_reopens_with_a_new_one(sim):
    ad, rec = adapter_for(sim, sim.symbols[:2])
    await ad.start()
    try:
        mints = ad.tokens.mints
        sim.faults.expire_tokens()
        sim.faults.kill_streams()  # every reopen first shows the venue the expired token
        await until(lambda: all(live(s) and s.reconnects for s in ad.streams), what="back live")
        assert ad.tokens.mints > mints
        assert any("UNAUTHENTICATED" in e.reason for e in rec.of(StreamStatus))
        assert all(s.error is None for s in ad.streams)
    finally:
        await ad.stop()


async def test_a_subscription_the_venue_refuses_for_good_gives_up_at_once(sim):
    ad, rec = adapter_for(sim, sim.symbols[:1], drop_copy=False)
    await ad.start()
    try:
        t = ad.transport
        bogus = MarketDataStream(ad.venue, "md-bogus", t.channel, t.tokens, MarketDataCodec(ad.venue, {}, 5), ["no-such"],
                                 ad.settings, ad.ctx.clock.now_ns)  # fmt: skip
        t0 = time.monotonic()
        with pytest.raises(VenueRejected, match="unknown symbols"):
            await t.supervise(bogus)  # INVALID_ARGUMENT: not reopened
        assert time.monotonic() - t0 < 5
        stream = ad.stream("md-bogus")
        assert stream.opens == 1 and stream.state is StreamState.DOWN and isinstance(stream.error, VenueRejected)
        assert live(ad.stream("md0")) and live(ad.stream("orders"))  # the others are not affected
    finally:
        await ad.stop()

