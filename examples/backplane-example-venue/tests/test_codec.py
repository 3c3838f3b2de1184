"""The sans-IO codec alone: no socket, no event loop."""

from __future__ import annotations

import pytest
from framework import BookDelta, BookSnapshot, OrderFilled, Side, SubmitOrder

from example_venue.codec import Desync, MarketCodec, OrderCodec, encode


def test_snapshot_then_deltas_build_the_book() -> None:
    codec = MarketCodec("ex")
    snap = codec.receive(encode({"t": "snap", "sym": "A", "seq": 4, "bids": [[100, 5]], "asks": [[104, 7]]}), 1)
    delta = codec.receive(encode({"t": "lvl", "sym": "A", "seq": 5, "side": 1, "px": 101, "sz": 2}), 2)
    assert isinstance(snap[0], BookSnapshot) and isinstance(delta[0], BookDelta)
    assert codec.book("A").levels(Side.BUY) == [(101, 2), (100, 5)]
    assert codec.receive(encode({"t": "hb"}), 3) == []


@pytest.mark.parametrize(
    "line",
    [
        encode({"t": "lvl", "sym": "A", "seq": 7, "side": 1, "px": 101, "sz": 2}),  # gap: 5 expected
        encode({"t": "lvl", "sym": "B", "seq": 1, "side": 1, "px": 101, "sz": 2}),  # no snapshot yet
        b"{not json\n",
        encode({"t": "snap", "sym": "A"}),  # missing fields
    ],
)
def test_gaps_and_bad_lines_demand_a_resync(line: bytes) -> None:
    codec = MarketCodec("ex")
    codec.receive(encode({"t": "snap", "sym": "A", "seq": 4, "bids": [], "asks": []}), 1)
    with pytest.raises(Desync):
        codec.receive(line, 2)
    assert codec.desyncs == 1


def test_an_execution_is_passed_on_once_and_bad_lines_are_counted() -> None:
    codec = OrderCodec("ex")
    codec.new(SubmitOrder("s1", "ex", "A", "c1", Side.BUY, 101, 5))
    fill = encode({"t": "fill", "cid": "c1", "oid": "o1", "sym": "A", "exec": "e1", "side": 1, "px": 101,
                   "sz": 2, "filled": 2, "left": 3})  # fmt: skip
    first = codec.receive(fill, 1)
    assert [type(e) for e in first] == [OrderFilled] and first[0].strategy == "s1"
    assert codec.receive(fill, 2) == [] and codec.duplicates == 1
    assert codec.receive(b"garbage\n", 3) == [] and codec.malformed == 1
