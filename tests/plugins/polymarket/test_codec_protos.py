"""The checked-in generated code matches the .proto sources."""

from __future__ import annotations

from pathlib import Path

from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2
from plugins.polymarket.protogen import GEN_DIR, generate


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    written = generate(tmp_path)
    assert written, "protoc produced nothing"
    for fresh in written:
        checked_in = GEN_DIR / fresh.name
        assert checked_in.exists(), f"{fresh.name} is not checked in: run python -m plugins.polymarket.protogen"
        assert checked_in.read_text() == fresh.read_text(), (
            f"{fresh.name} is stale: run python -m plugins.polymarket.protogen"
        )
    stray = {p.name for p in GEN_DIR.glob("*_pb2*.py*")} - {p.name for p in written}
    assert not stray, f"generated files without a .proto: {sorted(stray)}"


def test_published_market_data_field_numbers() -> None:
    fields = {f.name: f.number for f in md.MarketDataUpdate.DESCRIPTOR.fields}
    assert fields == {
        "symbol": 1, "bids": 2, "offers": 3, "state": 4, "stats": 5,
        "transact_time": 6, "book_hidden": 7, "price_scale": 8, "quantity_scale": 9,
    }
    req = {f.name: f.number for f in md.CreateMarketDataSubscriptionRequest.DESCRIPTOR.fields}
    assert req == {"symbols": 1, "unaggregated": 2, "depth": 3, "snapshot_only": 4,
                   "slow_consumer_skip_to_head": 5}
    assert md.InstrumentStats.DESCRIPTOR.fields_by_name["last_trade_qty"].number == 14


def test_every_proto_says_whose_numbers() -> None:
    root = GEN_DIR.parents[2] / "protos" / "polymarket" / "v1"
    for proto in root.glob("*.proto"):
        head = proto.read_text()[:1200]
        assert "field numbers ours until the official bundle replaces them" in head or (
            "PUBLISHED" in head or "published" in head
        ), proto.name


def test_order_reserves_context_35() -> None:
    assert 35 not in {f.number for f in trading_pb2.Order.DESCRIPTOR.fields}
