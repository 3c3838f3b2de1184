"""End to end over loopback: the adapter against the real simulator servers."""

from __future__ import annotations

import asyncio
import time

import pytest
from pm_support import adapter_for  # type: ignore[import-not-found]

from framework.model.errors import ConfigError, VenueUnavailable
from framework.model.events import (
    BookSnapshot,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    Side,
    StreamState,
    StreamStatus,
    VenueCheckpoint,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder, TimeInForce
from framework.plugin.venue import CountingGate
from plugins.polymarket.events import OrderReplaced, OrderUnresolved
from plugins.polymarket.gen import enums_pb2 as E

pytestmark = pytest.mark.timeout(60)


async def until(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def order(sym: str, clord: str, side: Side, price: int, size: int, **kw) -> SubmitOrder:
    return SubmitOrder("strat", "polymarket", sym, clord, side, price, size, **kw)


def fill_ids(rec) -> list[str]:
    return [e.execution_id for e in rec.of(OrderFilled)]


@pytest.mark.parametrize("entry", ["rest", "grpc"])
async def test_place_cancel_replace_fill_each_execution_once(sim, entry):
    syms = sim.symbols[:4]
    gate = CountingGate()
    ad, rec = adapter_for(sim, syms, gate, order_entry=entry)
    await ad.start()
    try:
        sim.faults.duplicate(1000)  # every execution batch is delivered with a duplicate
        sym = syms[0]
        book = ad.book(sym)
        bid, (ask, ask_size) = book.best_bid()[0], book.best_ask()
        await ad.submit(order(sym, "rest1", Side.BUY, bid, 100))
        await ad.submit(order(sym, "take1", Side.BUY, ask, ask_size + 50, tif=TimeInForce.IOC))
        await until(lambda: rec.of(OrderCanceled), what="IOC remainder or fill")
        assert ad.book(sym).best_ask()[0] > bid + 1  # the wide real spread leaves room inside
        await ad.replace(ReplaceOrder("strat", "polymarket", sym, "rest1", price=bid + 1, size=300))
        await until(lambda: rec.of(OrderReplaced), what="replace")
        await until(lambda: ad.book(sym).best_bid() == (bid + 1, 300), what="our bid on the book")
        # A sim-side seller hits our (now best) bid: a maker fill.
        sim.exchange.insert_flow(sym, E.SIDE_SELL, ad.scales[sym].to_wire_px(bid + 1), 120)
        await until(lambda: any(f.client_order_id == "rest1" for f in rec.of(OrderFilled)), what="maker fill")
        await ad.cancel(CancelOrder("strat", "polymarket", sym, "rest1"))
        await until(lambda: any(c.client_order_id == "rest1" for c in rec.of(OrderCanceled)), what="cancel")
        ids = fill_ids(rec)
        assert len(ids) == len(set(ids)) >= 2
        assert ad.orders.duplicates > 0  # duplicates did arrive and were dropped
        accepted = {e.client_order_id for e in rec.of(OrderAccepted)}
        assert accepted == {"rest1", "take1"}
        maker = [f for f in rec.of(OrderFilled) if f.client_order_id == "rest1"]
        assert [(f.size, f.filled, f.remaining, f.strategy) for f in maker] == [(120, 120, 180, "strat")]
        assert not ad.orders.open_orders
        assert sim.violations == {}
        assert gate.by_method["InsertOrder"] == 2 and gate.by_method["CancelOrder"] == 1
    finally:
        await ad.stop()
    assert not gate.open_streams  # leases released


async def test_1500_symbols_on_two_streams(make_sim):
    async with make_sim(instruments=1500, flow_levels=1, flow_rate_per_s=200.0) as sim:
        gate = CountingGate()
        ad, rec = adapter_for(sim, sim.symbols, gate, depth=3)
        await ad.start()
        try:
            md = [s for s in ad.streams if s.name.startswith("md")]
            assert len(md) == 2
            assert gate.open_streams == {"polymarket:dropcopy", "polymarket:orders", "polymarket:md0", "polymarket:md1"}
            assert len({e.symbol for e in rec.of(BookSnapshot)}) == 1500
            assert [len(c.books) for c in ad.md_codecs] == [1000, 500]
            await until(lambda: sim.flow.actions > 50, what="flow")
            await asyncio.sleep(0.2)
            # Every adapter book equals the engine's top 3 after the flow settles.
            for sym in sim.symbols[::50]:
                eng, sc = sim.engines[sym], ad.scales[sym]
                want = [(sc.to_ticks(p), q) for p, q in eng.top(E.SIDE_BUY, 3)]
                assert ad.book(sym).depth(Side.BUY, 3) == want
            assert sim.violations == {}
        finally:
            await ad.stop()


@pytest.mark.parametrize("entry", ["rest", "grpc"])
async def test_batch_forms_and_open_orders(sim, entry):
    gate = CountingGate()
    ad, rec = adapter_for(sim, sim.symbols[:2], gate, order_entry=entry)
    await ad.start()
    try:
        sym = sim.symbols[0]
        bid = ad.book(sym).best_bid()[0]
        orders = [order(sym, f"batch{i}", Side.BUY, bid - 1 - i % 3, 100) for i in range(25)]
        await ad.submit_many(orders)  # two InsertOrderList requests: 20 + 5
        await until(lambda: len(ad.orders.open_orders) == 25, what="25 accepted")
        venue_open = await ad.open_orders([sym])
        assert {o["clordId"] for o in venue_open} == {o.client_order_id for o in orders}
        await ad.replace_many([ReplaceOrder("strat", "polymarket", sym, f"batch{i}", size=50) for i in range(3)])
        await until(lambda: len(rec.of(OrderReplaced)) == 3, what="replaced")
        await ad.cancel_many([CancelOrder("strat", "polymarket", sym, o.client_order_id) for o in orders])
        await until(lambda: not ad.orders.open_orders, what="all cancelled")
        assert gate.by_method["InsertOrderList"] == 2 and gate.by_method["CancelOrderList"] == 2
        assert await ad.open_orders([sym]) == []
        assert sim.violations == {}
    finally:
        await ad.stop()


def roomy_symbol(sim, ad) -> str:
    """A symbol whose spread leaves room for a bid of our own inside it."""
    for sym in ad.symbols:
        b, a = ad.book(sym).best_bid(), ad.book(sym).best_ask()
        if b and a and a[0] - b[0] >= 3:
            return sym
    raise AssertionError("no symbol with a wide enough spread")


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
        await until(lambda: all(s.live and s.reconnects for s in ad.streams), what="resync")
        for name in [s.name for s in ad.streams]:
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
            assert all(s.reconnects == 0 and s.live for s in ad.streams)
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
        await until(lambda: all(s.live for s in ad.streams) and ad.stream("md0").reconnects >= 1, what="back live")
    finally:
        await ad.stop()


async def test_stalled_consumer_is_disconnected_and_resyncs(make_sim):
    async with make_sim(max_queue=50, flow_rate_per_s=2000.0) as sim:
        ad, rec = adapter_for(sim, sim.symbols)
        await ad.start()
        try:
            sim.faults.stall_streams("md")
            md0 = ad.stream("md0")
            await until(lambda: md0.reconnects >= 1 and md0.live, timeout=10, what="slow-consumer resync")
            assert any("slow consumer" in e.reason for e in rec.of(StreamStatus))
        finally:
            await ad.stop()


async def test_grpc_order_entry_errors_are_mapped(sim):
    from framework.model.errors import VenueRejected
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


def test_plaintext_to_non_loopback_is_refused(sim):
    with pytest.raises(ConfigError, match="loopback"):
        adapter_for(sim, [], grpc_target="grpc-api.prod.polymarketexchange.com:443", tls=False)
    for ok in ("127.0.0.1:5000", "localhost:1", "[::1]:7"):
        adapter_for(sim, [], grpc_target=ok, tls=False)


def test_bad_private_key_is_a_clear_startup_error(sim):
    with pytest.raises(ConfigError, match="private_key_pem: not a valid"):
        adapter_for(sim, [], private_key_pem="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="no private key"):
        adapter_for(sim, [], private_key_pem="")


async def test_time_in_force_variants_end_to_end(sim):
    from framework.model.events import OrderRejected
    from framework.model.orders import OrderType

    ad, rec = adapter_for(sim, sim.symbols[:6])
    await ad.start()
    try:
        sym = roomy_symbol(sim, ad)
        bid, ask = ad.book(sym).best_bid()[0], ad.book(sym).best_ask()[0]
        await ad.submit(order(sym, "mkt", Side.SELL, 1, 100, order_type=OrderType.MARKET))  # sells into the bids
        await until(lambda: rec.of(OrderFilled), what="market order filled")
        wall = ad.ctx.clock.wall_ns()
        await ad.submit(order(sym, "gtt", Side.BUY, bid + 1, 100, tif=TimeInForce.GTT, expire_ns=wall + 300_000_000))
        await ad.submit(order(sym, "post", Side.BUY, ask, 100, post_only=True))  # would cross
        await ad.submit(order(sym, "fok", Side.BUY, ask, 10**9, tif=TimeInForce.FOK))  # more than the book holds
        done = {"gtt", "post", "fok", "mkt"}
        ended = (OrderCanceled, OrderExpired, OrderRejected)
        await until(lambda: done <= {e.client_order_id for e in rec.of(ended) + rec.of(OrderFilled)},
                    what="every order finished")
        by_id = {e.client_order_id: e for e in rec.of(ended)}
        assert isinstance(by_id["gtt"], OrderExpired) and by_id["gtt"].reason.startswith("EXECUTION_TYPE_EXPIRED")
        assert isinstance(by_id["post"], OrderRejected) and "post-only" in by_id["post"].reason
        assert by_id["fok"].reason.startswith("EXECUTION_TYPE_CANCELED") and not [
            f for f in rec.of(OrderFilled) if f.client_order_id == "fok"]
        assert [f.size for f in rec.of(OrderFilled) if f.client_order_id == "mkt"] == [100]
        assert not ad.orders.open_orders
    finally:
        await ad.stop()


async def test_no_stream_slot_fails_start_at_once(sim):
    from framework.model.errors import Denied
    from framework.model.events import DenyReason
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
            await until(lambda: dc_stream.live and dc_stream.reconnects >= 1, what="drop copy back")
            assert any("resume point no longer retained" in e.reason for e in rec.of(StreamStatus) if e.stream == "dropcopy")
        finally:
            await ad.stop()


async def test_a_resumed_run_replays_what_it_missed_from_its_drop_copy_checkpoint(sim):
    syms = sim.symbols[:6]
    ad, rec = adapter_for(sim, syms)
    await ad.start()
    try:
        sym = roomy_symbol(sim, ad)
        sc = ad.scales[sym]
        px = ad.book(sym).best_bid()[0] + 1  # alone at the top of the bids
        await ad.submit(order(sym, "a", Side.BUY, px, 500))
        sim.exchange.insert_flow(sym, E.SIDE_SELL, sc.to_wire_px(px), 100)  # seen live
        await until(lambda: rec.of(OrderFilled), what="the first fill")
        await until(lambda: rec.of(VenueCheckpoint) and rec.of(VenueCheckpoint)[-1].value == ad.resume_token,
                    what="a checkpoint covering it")  # fmt: skip
    finally:
        await ad.stop()
    first = rec.of(OrderFilled)
    checkpoint = rec.of(VenueCheckpoint)[-1]
    assert checkpoint.key == "dropcopy.resume_token" and rec.events.index(checkpoint) > rec.events.index(first[-1])
    # While the run is down, "a" fills twice more.
    sim.exchange.insert_flow(sym, E.SIDE_SELL, sc.to_wire_px(px), 150)
    sim.exchange.insert_flow(sym, E.SIDE_SELL, sc.to_wire_px(px), 50)
    # The resumed run: what its journal kept -- the checkpoint, and whose order "a" is.
    restored = {"checkpoints": {checkpoint.key: checkpoint.value}, "open_orders": {"a": "strat"}}
    ad2, rec2 = adapter_for(sim, syms, restored=restored)
    await ad2.start()
    try:
        await until(lambda: len(rec2.of(OrderFilled)) == 2, what="the missed fills replayed")
        await asyncio.sleep(0.1)  # nothing more arrives: the fill seen before the stop is not replayed
        missed = rec2.of(OrderFilled)
        assert [(f.client_order_id, f.strategy, f.size, f.price) for f in missed] == [("a", "strat", 150, px), ("a", "strat", 50, px)]
        ids = [f.execution_id for f in first + missed]
        assert len(ids) == len(set(ids)) == 3
        assert rec2.of(VenueCheckpoint)[-1].value == ad2.resume_token != checkpoint.value
    finally:
        await ad2.stop()


async def test_finished_orders_are_forgotten(sim):
    ad, rec = adapter_for(sim, sim.symbols[:1])
    await ad.start()
    try:
        sym = sim.symbols[0]
        await ad.submit(order(sym, "f1", Side.BUY, 1, 100))
        await ad.submit(order(sym, "f2", Side.BUY, 1, 100))
        await until(lambda: len(ad.orders.open_orders) == 2, what="open")
        await ad.cancel(CancelOrder("strat", "polymarket", sym, "f1"))
        await until(lambda: "f1" not in ad.owners.order_id, what="f1 forgotten")
        assert set(ad.owners.order_id) == set(ad.owners.strategy) == {"f2"}
        [c] = rec.of(OrderCanceled)
        assert c.strategy == "strat"  # the event still names its strategy
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
