"""The codec reads any valid encoding, not only the canonical one.

The hot path reads fields in the order encoders write them; every other
layout (fields reversed, long length prefixes, unknown fields) must take the
general path and give the same books and events.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor

from plugins.dydx.codec import DydxCodec
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.flow import SyntheticFlow
from plugins.dydx.sim.messages import Response
from plugins.dydx.units import GENESIS
from tests.plugins.dydx.helpers import rows
from tests.protowire import varint

PARAMS = {0: GENESIS["BTC-USD"][1], 1: GENESIS["ETH-USD"][1]}


def _padded_len(n: int) -> bytes:
    """A valid but non-minimal length: always two bytes."""
    return bytes([(n & 0x7F) | 0x80, n >> 7]) if n < 1 << 14 else varint(n)


def reencode(msg, *, pad: bool = True) -> bytes:
    """``msg`` with its fields in reverse order (elements of a repeated field
    keep theirs), nested messages too, two-byte lengths, and an unknown varint
    field 99 added to every message."""
    parts = []
    for fd, value in msg.ListFields():
        values = value if fd.is_repeated else [value]
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            group = b""
            for v in values:
                body = reencode(v, pad=pad)
                group += varint(fd.number << 3 | 2) + (_padded_len(len(body)) if pad else varint(len(body))) + body
            parts.append(group)
        else:
            single = type(msg)()
            if fd.is_repeated:
                getattr(single, fd.name).extend(values)
            else:
                setattr(single, fd.name, value)
            parts.append(single.SerializeToString())
    parts.append(varint(99 << 3) + varint(12345))  # an unknown field
    return b"".join(reversed(parts))


def test_reversed_fields_long_lengths_and_unknown_fields_give_the_same_books():
    engine = FakeEngine([0, 1], confirm_prob=0.7, diverge_prob=0.3, seed=11)
    flow = SyntheticFlow(engine, PARAMS, seed=11)
    pairs = {0: ("BTC-USD", PARAMS[0]), 1: ("ETH-USD", PARAMS[1])}
    canonical, odd = DydxCodec("dydx", pairs), DydxCodec("dydx", pairs)
    responses = []
    for block in range(8):
        for _ in range(6):
            flow.tick()
            r = engine.take_response()
            if r is not None:
                responses.append(r)
        responses += flow.block()
        r = engine.take_response()
        if r is not None:
            responses.append(r)
        if block == 0:
            responses.append(Response(updates=engine.snapshot([0, 1])))
    for r in responses:
        a = canonical.feed(r.SerializeToString())
        b = odd.feed(reencode(r))
        assert [type(e) for e in a] == [type(e) for e in b]
    for pair in (0, 1):
        assert rows(odd, pair) == rows(canonical, pair) and rows(canonical, pair)
    same = ("updates", "unknown_update", "fills", "snapshots", "replayed_fills")
    assert {k: odd.stats[k] for k in same} == {k: canonical.stats[k] for k in same}
    assert odd.stats["malformed"] == 0
