"""Messages that leave the book alone: taker orders, subaccount and price updates.

Functions of the codec's state (:class:`~plugins.dydx.codec.state.CodecState`).
A taker message only has its order's clob pair read (for the symbol); the
:class:`~plugins.dydx.events.TakerOrderResult` keeps the bytes and decodes the
rest when read. Subaccount and price updates are rare and decoded by v4-proto.
"""

from __future__ import annotations

from v4_proto.dydxprotocol.clob.query_pb2 import StreamTakerOrder
from v4_proto.dydxprotocol.prices.streaming_pb2 import StreamPriceUpdate
from v4_proto.dydxprotocol.subaccounts.streaming_pb2 import StreamSubaccountUpdate

from framework.books.wire import varint
from framework.model.events import Event
from plugins.dydx.codec.state import CodecState
from plugins.dydx.events import OraclePrice, SubaccountUpdate, TakerOrderResult

__all__ = ["price_update", "subaccount_update", "taker_order"]


def taker_order(c: CodecState, buf: bytes, pos: int, end: int, mode: int, height: int, out: list[Event]) -> None:
    """A ``StreamTakerOrder``: only the order's clob pair is read now (for the
    symbol); the event decodes the rest when a consumer reads it."""
    pair = -1
    if buf[pos] == 0x0A:  # 1 order { 1 order_id ... }: the usual case
        _n, q = varint(buf, pos + 1)
        if buf[q] == 0x0A and buf[q + 1] < 0x80:
            pair = c.order_key(buf[q + 2 : q + 2 + buf[q + 1]])[4]
    if pair < 0:
        pair = _taker_pair(buf[pos:end])
    st = c.states.get(pair)
    if st is None:
        return
    out.append(TakerOrderResult(c.venue, st.symbol, 0, c.ts_recv, mode, height, st.spt, st.step, buf[pos:end]))


def _taker_pair(body: bytes) -> int:
    msg = StreamTakerOrder.FromString(body)
    if msg.WhichOneof("taker_order") == "liquidation_order":
        return msg.liquidation_order.clob_pair_id
    return msg.order.order_id.clob_pair_id


def subaccount_update(c: CodecState, body: bytes, height: int, out: list[Event]) -> None:
    """A ``StreamSubaccountUpdate`` -> :class:`~plugins.dydx.events.SubaccountUpdate`."""
    msg = StreamSubaccountUpdate.FromString(body)
    out.append(
        SubaccountUpdate(
            c.venue, "", 0, c.ts_recv, msg.subaccount_id.owner, msg.subaccount_id.number,
            tuple((p.perpetual_id, p.quantums) for p in msg.updated_perpetual_positions),
            tuple((a.asset_id, a.quantums) for a in msg.updated_asset_positions),
            msg.snapshot, height,
        )
    )  # fmt: skip


def price_update(c: CodecState, body: bytes, height: int, out: list[Event]) -> None:
    """A ``StreamPriceUpdate`` -> :class:`~plugins.dydx.events.OraclePrice`."""
    msg = StreamPriceUpdate.FromString(body)
    out.append(
        OraclePrice(c.venue, c.markets.get(msg.market_id, ""), 0, c.ts_recv,
                    msg.market_id, msg.price.price, msg.price.exponent, msg.snapshot, height)
    )  # fmt: skip
