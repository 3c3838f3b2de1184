"""The adapter as composition: what start() resolves before streaming, and what it refuses."""

from __future__ import annotations

import pytest

from framework.execution import GatedSender
from framework.model.errors import VenueRejected
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.settings import DydxSettings
from plugins.dydx.sim.server import FakeNodeSettings, fake_node
from plugins.dydx.transport import CLOB_PAIR_METHOD, PERPETUAL_METHOD, STREAM_METHOD
from plugins.dydx.units import GENESIS
from tests.plugins.dydx.node_helpers import adapter_on


async def test_symbols_the_settings_do_not_name_are_refused_before_anything_reaches_the_node():
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, gate, _statuses = adapter_on(node)
        adapter.ctx.symbols = ["BTC-USD", "SOL-USD"]
        with pytest.raises(VenueRejected, match=r"\['SOL-USD'\] are not configured"):
            await adapter.start()
        await adapter.stop()
        assert node.requests == 0 and not gate.by_method


async def test_configured_instruments_are_not_queried_and_the_others_come_from_the_node():
    async with fake_node(FakeNodeSettings(auto=False)) as node:
        adapter, gate, _statuses = adapter_on(node, instruments={"BTC-USD": GENESIS["BTC-USD"][1]})
        await adapter.start()
        try:
            assert gate.by_method[CLOB_PAIR_METHOD] == gate.by_method[PERPETUAL_METHOD] == 1  # ETH-USD only
            assert gate.by_method[STREAM_METHOD] == 1
            assert adapter.params == {0: GENESIS["BTC-USD"][1], 1: node.params[1]}
            assert set(adapter.instruments) == {"BTC-USD", "ETH-USD"}
            assert adapter.oracle_symbols == {0: "BTC-USD", 1: "ETH-USD"}  # the node's market ids
            assert adapter.book("ETH-USD") is adapter.codec.book(1)
            with pytest.raises(KeyError):
                adapter.book("SOL-USD")
        finally:
            await adapter.stop()


async def test_order_entry_is_refused_and_there_is_no_book_before_start():
    ctx = VenueContext("dydx", Bus(), SimClock(), GatedSender(CountingGate()), ["BTC-USD"])
    adapter = DydxAdapter(ctx, DydxSettings(markets={"BTC-USD": 0}))
    for request in (adapter.submit, adapter.cancel, adapter.replace):
        with pytest.raises(VenueRejected, match="order entry is not available"):
            await request(None)
    with pytest.raises(KeyError):
        adapter.book("BTC-USD")
