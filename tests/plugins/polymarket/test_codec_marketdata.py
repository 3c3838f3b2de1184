"""Market-data codec tests from hand-built protobuf messages and raw wire bytes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.books.l2book import L2Book
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    InstrumentStatus,
    Side,
    StreamState,
    StreamStatus,
    Trade,
    TradingStatus,
)
from plugins.polymarket.codec import MarketDataCodec
from plugins.polymarket.codec.mdwire import read_plain
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.scales import Scales
from tests.protowire import varint

SYM = "tec-nfl-sbw-2026-02-08-kc"


def upd(bids=(), asks=(), symbol=SYM, **kw):
    return md.MarketDataUpdate(
        symbol=symbol,
        bids=[md.BookEntry(px=p, qty=q) for p, q in bids],
        offers=[md.BookEntry(px=p, qty=q) for p, q in asks],
        **kw,
    )


def md_codec(tick_size=0.0, depth=3):
    return MarketDataCodec("pm", {SYM: Scales(SYM, 1000, 100, tick_size)}, depth)


# --- scales ----------------------------------------------------------------


def test_scales_are_divisors_and_tick_grid():
    sc = Scales(SYM, 1000, 100, 0.01)
    assert sc.tick_wire == 10
    assert sc.to_ticks(450) == 45 and sc.to_wire_px(45) == 450
    with pytest.raises(ValueError, match="not a multiple"):
        sc.to_ticks(455)
    inst = sc.instrument("pm")
    assert inst.price(45) == Decimal("0.45") and inst.max_price == 99
    assert inst.size(10000) == 100  # 100 contracts at fractional scale 100


def test_scales_edge_cases():
    assert Scales(SYM, 100).qty_scale == 1  # absent fractional scale = 1
    assert Scales(SYM, 1000, 1, 0.001).tick_wire == 1  # float tick through its repr
    assert Scales(SYM, 100, 1, "0.01").max_ticks == 99
    with pytest.raises(ValueError, match="price_scale"):
        Scales(SYM, 0)
    with pytest.raises(ValueError, match="whole number"):
        Scales(SYM, 100, 1, 0.001)  # finer than the wire can express
    with pytest.raises(ValueError, match="fractional"):
        Scales(SYM, 100, -1)
    assert Scales(SYM, 1000, 1, 0.01).fee_units(-25) == -2  # rebate, rounded toward +inf
    assert Scales(SYM, 1000, 1, 0.01).fee_units(25) == 3


# --- market data -----------------------------------------------------------


def test_first_update_is_snapshot_then_deltas_of_top_n():
    c = md_codec()
    [snap] = c.on_update(upd([(450, 10), (440, 5)], [(460, 7)]), 1)
    assert isinstance(snap, BookSnapshot)
    assert snap.bids == ((450, 10), (440, 5)) and snap.asks == ((460, 7),) and snap.ts_recv == 1
    [delta] = c.on_update(upd([(450, 12), (430, 1)], [(460, 7)]), 2)
    assert isinstance(delta, BookDelta)
    assert sorted(delta.changes) == sorted([(1, 450, 12), (1, 430, 1), (1, 440, 0)])
    assert c.books[SYM].best_bid() == (450, 12)
    assert c.on_update(upd([(450, 12), (430, 1)], [(460, 7)]), 3) == []  # nothing changed


def test_empty_side_clears_it():
    c = md_codec()
    c.on_update(upd([(450, 10)], [(460, 7)]), 1)
    [delta] = c.on_update(upd([(450, 10)], []), 2)
    assert delta.changes == ((-1, 460, 0),)
    assert c.books[SYM].best_ask() is None


def test_tick_conversion_in_book():
    c = md_codec(tick_size=0.01)
    [snap] = c.on_update(upd([(450, 10)], [(470, 3)]), 1)
    assert snap.bids == ((45, 10),) and snap.asks == ((47, 3),)


def test_malformed_update_counted_skipped_and_resynced():
    c = md_codec(tick_size=0.01)
    c.on_update(upd([(450, 10)], [(470, 3)]), 1)
    [off_grid] = c.on_update(upd([(455, 10)], []), 2)  # off the tick grid
    [unordered] = c.on_update(upd([(440, 1), (450, 1)], []), 3)  # not best first
    assert c.on_update(upd([(450, 1)], [], symbol="unknown"), 4) == []
    assert c.errors == 3 and c.books[SYM].best_bid() == (45, 10)
    # the strategy is told the symbol's book is resyncing, then live again
    assert all(isinstance(e, StreamStatus) and e.state is StreamState.RESYNCING and e.symbol == SYM
               for e in (off_grid, unordered))
    snap, live = c.on_update(upd([(420, 2)], [(480, 1)]), 5)
    assert isinstance(snap, BookSnapshot) and snap.bids == ((42, 2),)
    assert isinstance(live, StreamStatus) and live.state is StreamState.LIVE


def test_resync_makes_next_update_a_snapshot():
    c = md_codec()
    c.on_update(upd([(450, 10)], []), 1)
    c.resync([SYM])
    [snap] = c.on_update(upd([(300, 1)], []), 2)
    assert isinstance(snap, BookSnapshot) and c.books[SYM].best_bid() == (300, 1)


def test_state_and_transact_time():
    c = md_codec()
    msg = upd([(450, 10)], [], state=E.INSTRUMENT_STATE_HALTED)
    msg.transact_time.seconds, msg.transact_time.nanos = 1_700_000_000, 5
    snap, status = c.on_update(msg, 9)
    assert isinstance(status, InstrumentStatus)
    assert status.status is TradingStatus.HALTED and status.reason == "INSTRUMENT_STATE_HALTED"
    assert status.ts_event == snap.ts_event == 1_700_000_000_000_000_005
    assert c.on_update(upd([(450, 10)], [], state=E.INSTRUMENT_STATE_HALTED), 10) == []
    [status] = c.on_update(upd([(450, 10)], [], state=E.INSTRUMENT_STATE_CLOSED), 11)
    assert status.status is TradingStatus.CLOSED  # CLOSED = 0 still counts when present


def test_stats_become_trades_when_they_move():
    c = md_codec(tick_size=0.01)
    stats = md.InstrumentStats(last_trade_px=450, last_trade_qty=300, shares_traded=1000)
    assert [type(e) for e in c.on_update(upd([(450, 1)], [], stats=stats), 1)] == [BookSnapshot]
    assert c.on_update(upd([(450, 1)], [], stats=stats), 2) == []
    stats2 = md.InstrumentStats(last_trade_px=460, last_trade_qty=200, shares_traded=1200)
    [trade] = c.on_update(upd([(450, 1)], [], stats=stats2), 3)
    assert isinstance(trade, Trade) and (trade.price, trade.size) == (46, 200)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(1, 999), st.integers(1, 50)), max_size=4, unique_by=lambda x: x[0]),
            st.lists(st.tuples(st.integers(1, 999), st.integers(1, 50)), max_size=4, unique_by=lambda x: x[0]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_deltas_rebuild_the_book_like_a_naive_model(updates):
    """Naive model: each top-N picture IS the book; applying our snapshot and
    deltas to a plain dict must give exactly that picture every time."""
    c = MarketDataCodec("pm", {SYM: Scales(SYM, 1000)}, depth=4)
    model: dict[tuple[int, int], int] = {}
    ref = L2Book("pm", SYM)
    for bids, asks in updates:
        bids = sorted(bids, reverse=True)
        asks = sorted(asks)
        for ev in c.on_update(upd(bids, asks), 0):
            if isinstance(ev, BookSnapshot):
                model = {(1, p): s for p, s in ev.bids} | {(-1, p): s for p, s in ev.asks}
            else:
                for side, p, s in ev.changes:
                    if s:
                        model[(side, p)] = s
                    else:
                        del model[(side, p)]
        assert model == {(1, p): s for p, s in bids} | {(-1, p): s for p, s in asks}
        # ... and so does the L2 book, as replace_top on a reference book would leave it.
        ref.replace_top(Side.BUY, bids, 4)
        ref.replace_top(Side.SELL, asks, 4)
        book = c.books[SYM]
        assert book.levels(Side.BUY) == ref.levels(Side.BUY) and book.levels(Side.SELL) == ref.levels(Side.SELL)


def wire(u: md.MarketDataUpdate) -> bytes:
    return md.CreateMarketDataSubscriptionResponse(update=u).SerializeToString()


_levels = st.lists(st.tuples(st.integers(1, 99), st.integers(0, 3)), max_size=4, unique_by=lambda x: x[0])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            _levels,
            _levels,
            st.sampled_from(["plain", "plain", "plain", "time", "state", "stats", "heartbeat", "resync", "unsorted"]),
            st.integers(0, 2**40),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_raw_bytes_decode_like_the_protobuf_message(steps):
    """The raw path (``on_bytes``) against the protobuf path (``on_update``) as the
    reference: the same events, books and error counts for every sequence of
    plain, timed, state and stats updates, heartbeats, resyncs and bad pictures."""
    ref, raw = md_codec(tick_size=0.01), md_codec(tick_size=0.01)
    trades = 0
    for bids, asks, kind, ns in steps:
        bids = sorted(((p * 10, q) for p, q in bids), reverse=kind != "unsorted")
        asks = sorted((p * 10, q) for p, q in asks)
        if kind == "heartbeat":
            hb = md.CreateMarketDataSubscriptionResponse(heartbeat={}).SerializeToString()
            assert raw.on_bytes(hb, ns) == []
            continue
        if kind == "resync":
            ref.resync([SYM])
            raw.resync([SYM])
            continue
        u = upd(bids, asks)
        if kind == "time":
            u.transact_time.seconds, u.transact_time.nanos = divmod(ns, 10**9)
        elif kind == "state":
            u.state = E.INSTRUMENT_STATE_OPEN if ns % 2 else E.INSTRUMENT_STATE_HALTED
        elif kind == "stats":
            trades += 1
            u.stats.last_trade_px, u.stats.last_trade_qty, u.stats.shares_traded = 450, 1, trades
        assert raw.on_bytes(wire(u), ns) == ref.on_update(u, ns)
        assert (raw.errors, raw.pending) == (ref.errors, ref.pending)
        if SYM in ref.books:
            for side in (Side.BUY, Side.SELL):
                assert raw.books[SYM].levels(side) == ref.books[SYM].levels(side)


def test_raw_bytes_cut_short_are_counted_and_skipped():
    """Bytes that do not parse name no symbol for sure: the update is counted and
    skipped, and the next full picture diffs against the last good one."""
    c = md_codec()
    c.on_bytes(wire(upd([(450, 10)], [(460, 7)])), 1)
    data = wire(upd([(450, 12)], [(460, 7)]))
    assert data[-7:-5] == b"\x1a\x05"  # the offer entry, 5 bytes
    inner_overrun = data[:-6] + b"\x09" + data[-5:]  # ... now claims 9
    for bad in (data[:-3], inner_overrun):
        assert c.on_bytes(bad, 2) == []
    assert c.errors == 2 and c.books[SYM].levels(Side.BUY) == [(450, 10)]  # nothing half-applied
    [delta] = c.on_bytes(data, 3)
    assert delta.changes == ((1, 450, 12),) and c.books[SYM].levels(Side.BUY) == [(450, 12)]


def test_a_bad_picture_in_raw_bytes_resyncs_its_symbol():
    c = md_codec()
    c.on_bytes(wire(upd([(450, 10)], [(460, 7)])), 1)
    [status] = c.on_bytes(wire(upd([(440, 1), (450, 12)], [(460, 7)])), 2)  # bids not best first
    assert isinstance(status, StreamStatus) and status.state is StreamState.RESYNCING
    assert c.errors == 1 and SYM in c.pending and c.books[SYM].levels(Side.BUY) == [(450, 10)]
    snap, live = c.on_bytes(wire(upd([(450, 12)], [(460, 7)])), 3)
    assert isinstance(snap, BookSnapshot) and snap.bids == ((450, 12),)
    assert live.state is StreamState.LIVE and not c.pending


def test_raw_bytes_of_an_unknown_symbol_or_garbage_are_counted():
    c = md_codec()
    assert c.on_bytes(wire(upd([(450, 1)], [], symbol="unknown")), 1) == []
    assert c.on_bytes(b"\x12\x05\xff\xff", 2) == []  # not protobuf at all
    assert c.errors == 2 and SYM not in c.books


# Where varints change length or sign: 1, 2 and 9 bytes, the top bit, ten bytes.
_EDGES = [127, 128, 16_383, 16_384, 2**62, 2**63 - 1, -1, -(2**63)]
_int64s = st.sampled_from(_EDGES) | st.integers(-(2**63), 2**63 - 1)
_entry_st = st.tuples(
    st.integers(1, 99) | _int64s,  # px: mostly on the book
    st.integers(0, 3) | _int64s,  # qty
    st.sampled_from(["", "", "yes"]),  # symbol_sub_type
    st.booleans(),  # an unknown field inside the entry (the raw path hands it to protobuf)
)


def _field(**kw) -> bytes:
    """One ``MarketDataUpdate`` field as it appears on the wire (tag, length, body)."""
    return md.MarketDataUpdate(**kw).SerializeToString()


def _entry_field(name: str, px: int, qty: int, sub: str, unknown: bool) -> bytes:
    body = md.BookEntry(px=px, qty=qty, symbol_sub_type=sub).SerializeToString() + (b"\x48\x01" if unknown else b"")
    return (b"\x12" if name == "bids" else b"\x1a") + varint(len(body)) + body


def _respond(body: bytes) -> bytes:
    return b"\x12" + varint(len(body)) + body


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_entry_st, max_size=3),
    st.lists(_entry_st, max_size=3),
    st.one_of(st.none(), st.tuples(st.integers(-(2**40), 2**40), st.integers(-(10**9) + 1, 10**9 - 1))),
    st.randoms(use_true_random=False),
)
def test_raw_bytes_in_any_field_order_read_like_protobuf(bids, asks, ts, rnd):
    """Protobuf allows fields in any order, negative int64s (ten bytes),
    entries with a sub type and unknown fields: the raw path reads every such
    encoding of an update as protobuf does, or hands it to protobuf."""
    fields = [("symbol", _field(symbol=SYM))]
    fields += [("bids", _entry_field("bids", *e)) for e in bids]
    fields += [("offers", _entry_field("offers", *e)) for e in asks]
    if ts is not None:
        fields.append(("time", _field(transact_time={"seconds": ts[0], "nanos": ts[1]})))
    order = [name for name, _ in fields]
    rnd.shuffle(order)
    queues = {name: [b for n, b in fields if n == name] for name in set(order)}
    data = _respond(b"".join(queues[name].pop(0) for name in order))  # each repeated field keeps its order
    plain = not any(unknown for *_, unknown in bids + asks)
    assert (read_plain(data) is not None) == plain  # only unknown fields go to protobuf
    ref, raw = md_codec(), md_codec()
    for codec in (ref, raw):  # a first picture, so that the update under test is a delta
        codec.on_update(upd([(450, 1)], [(460, 1)]), 0)
    assert raw.on_bytes(data, 7) == ref.on_update(md.CreateMarketDataSubscriptionResponse.FromString(data).update, 7)
    assert (raw.errors, raw.pending) == (ref.errors, ref.pending)
    for side in (Side.BUY, Side.SELL):
        assert raw.books[SYM].levels(side) == ref.books[SYM].levels(side)


def test_a_negative_length_inside_an_entry_is_malformed_not_a_loop():
    """A length is unsigned on the wire; ten bytes that read as a negative
    int64 must not move the reader backwards (it would never finish)."""
    c = md_codec()
    c.on_bytes(wire(upd([(450, 10)], [(460, 7)])), 1)
    # px 450, qty 11, then a sub type whose length (-11) points back at its own tag
    entry = b"\x08\xc2\x03\x10\x0b" + b"\x1a" + varint(2**64 - 11)
    data = _respond(_field(symbol=SYM) + b"\x12" + varint(len(entry)) + entry)
    assert c.on_bytes(data, 2) == [] and c.errors == 1
    assert c.books[SYM].levels(Side.BUY) == [(450, 10)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.integers(0, 79), st.binary(max_size=12))
def test_damaged_bytes_are_skipped_or_read_never_raised(tail, cut, junk):
    """Any bytes -- a real update cut short, spliced with junk, or junk alone --
    give events or a counted error, never an exception or a hang."""
    c = md_codec()
    good = wire(upd([(450, 10), (440, 3)], [(460, 7)]))
    c.on_bytes(good, 1)
    for data in (good[:cut] + junk, junk + good[cut:], tail, b"\x12" + varint(len(tail)) + tail):
        out = c.on_bytes(data, 2)
        assert isinstance(out, list)
    assert c.errors <= 4


def test_the_picture_diff_follows_moved_levels():
    """Prices that keep their rank diff rank by rank; once the prices move, by
    price: a level that slid down a rank is not reported, a new one is."""
    c = md_codec()
    c.on_bytes(wire(upd([(450, 10), (440, 5), (430, 2)], [(460, 7)])), 1)
    [delta] = c.on_bytes(wire(upd([(450, 11), (445, 3), (440, 5)], [(460, 7)])), 2)
    assert delta.changes == ((1, 450, 11), (1, 445, 3), (1, 430, 0))
    assert c.books[SYM].levels(Side.BUY) == [(450, 11), (445, 3), (440, 5)]
    assert c.on_bytes(wire(upd([(450, 11), (445, 3), (440, 5)], [(460, 7)])), 3) == []  # nothing moved


# --- orders ----------------------------------------------------------------
