"""Property: over random simulator runs, the codec's L3 book equals the fake node's own book
after every block, order by order (ids, queue order, remaining size)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.dydx.codec import DydxCodec
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.flow import SyntheticFlow
from plugins.dydx.sim.messages import Response
from plugins.dydx.units import GENESIS
from tests.plugins.dydx.helpers import engine_rows, rows

PARAMS = {0: GENESIS["BTC-USD"][1], 1: GENESIS["ETH-USD"][1]}


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    confirm=st.sampled_from([1.0, 0.7, 0.0]),
    diverge=st.sampled_from([0.0, 0.3]),
    subscribe_after=st.integers(0, 3),
)
def test_codec_book_equals_node_book_after_every_block(seed, confirm, diverge, subscribe_after):
    engine = FakeEngine([0, 1], confirm_prob=confirm, diverge_prob=diverge, seed=seed)
    flow = SyntheticFlow(engine, PARAMS, seed=seed)
    codec = DydxCodec("dydx", {0: ("BTC-USD", PARAMS[0]), 1: ("ETH-USD", PARAMS[1])})
    for block in range(30):
        for _ in range(10):
            flow.tick()
            r = engine.take_response()
            if r is not None and block >= subscribe_after:
                codec.feed(r.SerializeToString())
        for r in flow.block():
            if block >= subscribe_after:
                codec.feed(r.SerializeToString())
        r = engine.take_response()
        if r is not None and block >= subscribe_after:
            codec.feed(r.SerializeToString())
        if block == subscribe_after:  # the snapshot after the first PrepareCheckState
            codec.feed(Response(updates=engine.snapshot([0, 1])).SerializeToString())
        for pair in (0, 1) if block >= subscribe_after else ():
            p = PARAMS[pair]
            assert rows(codec, pair) == engine_rows(engine, pair, p.subticks_per_tick, p.step_base_quantums)
    assert not codec.needs_resync
    assert codec.stats["malformed"] == 0 and codec.stats["off_grid"] == 0


def test_bounded_id_and_operation_caches_do_not_change_the_book(monkeypatch):
    import plugins.dydx.codec.ops as ops_module
    import plugins.dydx.codec.orderread as orderread_module

    monkeypatch.setattr(orderread_module, "_ID_CACHE_LIMIT", 7)
    monkeypatch.setattr(ops_module, "OP_MEMORY", 5)
    engine = FakeEngine([0, 1], confirm_prob=0.8, diverge_prob=0.2, seed=5)
    flow = SyntheticFlow(engine, PARAMS, seed=5)
    codec = DydxCodec("dydx", {0: ("BTC-USD", PARAMS[0]), 1: ("ETH-USD", PARAMS[1])})
    codec.feed(Response(updates=engine.snapshot([0, 1])).SerializeToString())
    for _ in range(8):
        for _ in range(10):
            flow.tick()
            r = engine.take_response()
            if r is not None:
                codec.feed(r.SerializeToString())
        for r in flow.block():
            codec.feed(r.SerializeToString())
        r = engine.take_response()
        if r is not None:
            codec.feed(r.SerializeToString())
        for pair in (0, 1):
            p = PARAMS[pair]
            assert rows(codec, pair) == engine_rows(engine, pair, p.subticks_per_tick, p.step_base_quantums)
    assert len(codec.ids) <= 7 and len(codec.op_memo) <= 5
