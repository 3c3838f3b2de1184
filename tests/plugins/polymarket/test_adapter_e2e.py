"""End to end over loopback: the adapter against the real simulator servers."""

from __future__ import annotations

import asyncio

import pytest
from pm_support import adapter_for, order, roomy_symbol, until  # type: ignore[import-not-found]

from framework.model.errors import ConfigError
from framework.model.events import (
    BookSnapshot,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    Side,
    VenueCheckpoint,
)
from framework.model.orders import CancelOrder, ReplaceOrder, TimeInForce
from framework.plugin.venue import CountingGate
from plugins.polymarket.events import OrderReplaced
from plugins.polymarket.gen import enums_pb2 as E

pytestmark = pytest.mark.timeout(60)


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
            md = [s for s in ad.streams if s.source.name.startswith("md")]
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
