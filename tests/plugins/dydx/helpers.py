"""Shared builders for the dYdX tests."""

from __future__ import annotations

from plugins.dydx.codec import DydxCodec
from plugins.dydx.sim import messages as msg
from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.model import Order

A = "dydx1aaaa" + "q" * 34
B = "dydx1bbbb" + "q" * 34


def key(client_id: int, owner: str = A, pair: int = 0, number: int = 0, flags: int = 0) -> tuple:
    return (owner, number, client_id, flags, pair)


def order(client_id: int, side: int, quantums: int, subticks: int, owner: str = A, pair: int = 0, gtb: int = 2000) -> Order:
    return Order(key(client_id, owner, pair), side, quantums, subticks, gtb=gtb)


def resp(*updates) -> bytes:
    return msg.Response(updates=list(updates)).SerializeToString()


def ob(*updates, mode: int = 0, height: int = 10, snapshot: bool = False):
    return msg.orderbook(height, mode, list(updates), snapshot=snapshot)


def snapshot(*orders: tuple[Order, int], height: int = 10):
    ups = []
    for o, filled in orders:
        ups += [msg.place(o), msg.update(o.key, filled)]
    return ob(*ups, mode=102, height=height, snapshot=True)


def rows(codec: DydxCodec, pair: int = 0) -> list[tuple]:
    """(key, side, price, remaining) in queue order, bids then asks."""
    book = codec.book(pair)
    out = []
    for side in (1, -1):
        for k in book.orders_in_queue_order(side):
            o = book.order(k)
            out.append((k, side, o.price, o.remaining))
    return out


def engine_rows(engine: FakeEngine, pair: int = 0, spt: int = 1, step: int = 1) -> list[tuple]:
    return [(k, s, p // spt, max(q - f, 0) // step) for k, s, p, q, f in engine.book_rows(pair)]


def feed_engine(engine: FakeEngine, codec: DydxCodec) -> None:
    r = engine.take_response()
    if r is not None:
        codec.feed(r.SerializeToString())
