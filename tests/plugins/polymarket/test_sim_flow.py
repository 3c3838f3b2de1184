"""Simulator instruments and synthetic flow: real starting quotes when the
shared data is present, seeded defaults when it is not."""

from __future__ import annotations

import pytest

from framework.runtime.clock import SimClock
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.sim.exchange import Exchange
from plugins.polymarket.sim.flow import (
    Flow,
    find_data_dir,
    load_quotes,
    make_instruments,
)
from plugins.polymarket.sim.settings import SimSettings


def test_defaults_without_shared_data(monkeypatch):
    import plugins.polymarket.sim.flow as flow_mod

    monkeypatch.setattr(flow_mod, "find_data_dir", lambda configured="": None)  # as if ../shared were absent
    insts, touch = make_instruments(SimSettings(instruments=9))
    assert [i.symbol for i in insts] == [f"pm-sim-{i:05d}" for i in range(9)]
    for inst in insts:
        bid, ask = touch[inst.symbol]
        tw = round(inst.tick_size * inst.price_scale)
        assert 0 < bid < ask < inst.price_scale and bid % tw == 0 and ask % tw == 0
    assert {(i.price_scale, i.fractional_qty_scale) for i in insts} == {(1000, 100), (100, 1)}


def test_flow_is_seeded_and_keeps_books_sane():
    def run(seed: int) -> list[tuple]:
        settings = SimSettings(instruments=6, seed=seed)
        insts, touch = make_instruments(settings)
        x = Exchange(settings, SimClock(), insts)
        flow = Flow(x, touch, settings, SimClock())
        flow.seed_books()
        for _ in range(2000):
            flow.step()
        out = []
        for sym, eng in sorted(x.engines.items()):
            b, a = eng.best(E.SIDE_BUY), eng.best(E.SIDE_SELL)
            assert b is None or a is None or b < a  # never crossed
            assert all(0 < p < eng.price_scale for p, _ in eng.top(E.SIDE_BUY, 50) + eng.top(E.SIDE_SELL, 50))
            out.append((sym, tuple(eng.top(E.SIDE_BUY, 3)), tuple(eng.top(E.SIDE_SELL, 3)), eng.trades))
        assert sum(o[3] for o in out) > 0
        return out

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_starting_quotes_come_from_the_real_bbo_sample():
    data = find_data_dir()
    if data is None:
        pytest.skip("../shared/data/real is not present")
    pytest.importorskip("pyarrow")
    quotes = load_quotes(str(data))
    assert len(quotes) > 1000
    assert all(0 < bid < ask < 1 for _, bid, ask in quotes)
    insts, _ = make_instruments(SimSettings(instruments=20))
    slugs = {q[0] for q in quotes}
    assert all(i.symbol in slugs for i in insts)
