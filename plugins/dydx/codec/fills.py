"""Fills: the book's only signal of a partial maker fill, and the prints.

Functions of the codec's state (:class:`~plugins.dydx.codec.state.CodecState`).
A ``StreamOrderbookFill`` zips ``orders`` with ``fill_amounts`` -- cumulative
amounts -- and sets ``filled`` of every order on the book, whatever the exec
mode. Prints come from the match, one per maker fill at the maker's price:
a :class:`~plugins.dydx.events.DydxTrade` (a ``Trade``) for each fill of the
finalize batch (mode 7), an :class:`~plugins.dydx.events.OptimisticFill` for
the others unless ``confirmed_only`` (a replay at mode 102 of one already
published is not published again); :class:`~framework.model.events.OrderFilled` for
orders of the codec's own subaccounts, from finalize only.
"""

from __future__ import annotations

from typing import Any, Final

from v4_proto.dydxprotocol.clob.matches_pb2 import MatchPerpetualLiquidation

from framework.books.wire import Malformed, iter_fields, skip_field, varint
from framework.model.events import Event, Liquidity, OrderFilled, Side
from plugins.dydx.codec.state import SIDE_ENUM, SIDES, CodecState, PairState
from plugins.dydx.codec.stats import (
    FILL_MAKER_MISSING,
    FILLS,
    FINALIZE,
    OFF_GRID,
    PRE_SNAPSHOT_FILLS,
    REPLAYED_FILLS,
    UNKNOWN_FILL_ORDER,
)
from plugins.dydx.events import DydxTrade, OptimisticFill
from plugins.dydx.ids import OrderKey, format_key, key_from_pb

__all__ = ["apply_fill", "execution_id"]

_REPLAY_MEMORY = 50_000  # limits: not Final, so a test may lower them
_FILL_MEMORY = 20_000
_NOT_A_TRADE: Final = ((), None, ())  # the reading of a deleveraging match


def apply_fill(c: CodecState, buf: bytes, pos: int, end: int, mode: int, height: int, out: list[Event]) -> None:
    """A ``StreamOrderbookFill``: ``orders`` zipped with the cumulative ``fill_amounts``
    set the book; the match makes the prints."""
    c.stats[FILLS] += 1
    # A fill comes again at other exec modes (optimistic, replay, finalize)
    # with the same bytes: it is read once and kept by them.
    body = buf[pos:end]
    fill = c.fill_memo.get(body)
    if fill is None:
        fill = _parse_fill(c, buf, pos, end)
        if len(c.fill_memo) >= _FILL_MEMORY:
            c.fill_memo.clear()
        c.fill_memo[body] = fill
    orders, amounts = fill[0], fill[1]
    for key, amount in zip(orders, amounts):
        st = c.states.get(key[4])
        if st is None or not st.ready:
            if (st is not None or not c.any_pair) and not c.skipped:
                c.stats[PRE_SNAPSHOT_FILLS] += 1  # once per fill message
                c.skipped = True
            continue
        where = c.where.get(key)
        if where is None:
            c.stats[UNKNOWN_FILL_ORDER] += 1
            continue
        if amount % st.step:
            c.stats[OFF_GRID] += 1
        st.book.update(key, amount // st.step)
        c.touch(st, where)
    if fill[3]:
        _prints(c, fill, mode, height, out)


def _parse_fill(c: CodecState, buf: bytes, pos: int, end: int) -> list[Any]:
    """``[order keys, amounts, {key: (v4 side, quantums, subticks, amount)}, encoded
    ClobMatch, its reading (None until read)]`` of a ``StreamOrderbookFill``."""
    orders: list[tuple[OrderKey, int, int, int]] = []
    amounts: list[int] = []
    match = b""
    while pos < end:
        tag = buf[pos]
        if tag == 0x0A or tag == 0x12:  # 1 clob_match, 2 orders
            n, s = varint(buf, pos + 1)
            pos = s + n
            if tag == 0x0A:
                match = buf[s:pos]
            else:
                orders.append(c.order_fields(buf, s, pos))
        elif tag == 0x1A:  # 3 fill_amounts, packed
            n, s = varint(buf, pos + 1)
            pos = s + n
            while s < pos:
                value, s = varint(buf, s)
                amounts.append(value)
        elif tag == 0x18:  # 3 fill_amounts, one by one
            value, pos = varint(buf, pos + 1)
            amounts.append(value)
        else:
            pos = skip_field(buf, pos)
    if pos != end:
        raise Malformed("fill overruns its length")
    by_key: dict[tuple, tuple[int, int, int, int]] = {}
    for (key, v4side, quantums, subticks), amount in zip(orders, amounts):
        by_key[key] = (v4side, quantums, subticks, amount)
    return [tuple(o[0] for o in orders), tuple(amounts), by_key, match, None]


def _match(c: CodecState, buf: bytes, pos: int, end: int, by_key: dict) -> tuple | None:
    """``(taker, aggressor, [(maker, amount)])`` of a ``ClobMatch``; None for deleveraging."""
    for tag, span in iter_fields(buf, pos, end):
        if tag == 0x0A:  # MatchOrders {1 taker_order_id, 2 fills: MakerFill {1 amount, 2 maker id}}
            taker: tuple = c.order_key(b"")
            makers = []
            p, e = span
            while p < e:
                t = buf[p]
                n, q = varint(buf, p + 1)
                if t == 0x0A:
                    taker = c.order_key(buf[q : q + n])
                    p = q + n
                elif t == 0x12:
                    p = q + n
                    amount, maker = 0, None
                    while q < p:
                        t2 = buf[q]
                        if t2 == 0x08:
                            amount, q = varint(buf, q + 1)
                        elif t2 == 0x12:
                            m, r = varint(buf, q + 1)
                            maker = c.order_key(buf[r : r + m])
                            q = r + m
                        else:
                            q = skip_field(buf, q)
                    makers.append((maker if maker is not None else c.order_key(b""), amount))
                else:
                    p = skip_field(buf, p)
            entry = by_key.get(taker)
            side = SIDES.get(entry[0]) if entry is not None else None
            return taker, None if side is None else SIDE_ENUM[side], tuple(makers)
        if tag == 0x12:  # MatchPerpetualLiquidation: rare, read by v4-proto
            liq = MatchPerpetualLiquidation.FromString(buf[span[0] : span[1]])
            taker = ("liquidation", liq.liquidated.owner, liq.liquidated.number, liq.perpetual_id)
            fills = tuple([(key_from_pb(mf.maker_order_id), mf.fill_amount) for mf in liq.fills])
            return taker, Side.BUY if liq.is_buy else Side.SELL, fills
    return None  # deleveraging: not a book trade


def _prints(c: CodecState, fill: list[Any], mode: int, height: int, out: list[Event]) -> None:
    confirmed = mode == FINALIZE
    if not confirmed and c.confirmed_only:
        return
    by_key, amounts = fill[2], fill[1]
    match = fill[4]
    if match is None:
        raw = fill[3]
        match = fill[4] = _match(c, raw, 0, len(raw), by_key) or _NOT_A_TRADE
    if match is _NOT_A_TRADE:
        return
    taker, aggressor, makers = match
    if not confirmed:
        # A replay (mode 102) repeats an optimistic fill exactly, cumulative amounts included.
        seen = (taker, makers, amounts)
        if seen in c.printed:
            c.stats[REPLAYED_FILLS] += 1
            return
        c.printed[seen] = None
        if len(c.printed) > _REPLAY_MEMORY:
            del c.printed[next(iter(c.printed))]
    for i, (maker, amount) in enumerate(makers):
        entry = by_key.get(maker)
        st = c.states.get(maker[4])
        if entry is None or st is None:
            c.stats[FILL_MAKER_MISSING] += 1
            continue
        _side, _quantums, subticks, cum = entry
        spt, step = st.spt, st.step
        price, size = subticks // spt, amount // step
        if not confirmed:
            out.append(OptimisticFill(c.venue, st.symbol, 0, c.ts_recv, price, size, aggressor,
                                      mode, height, taker, maker, cum // step))
            continue
        # A confirmed fill is an execution: its id is stable across reconnects.
        exec_id = execution_id(height, taker, maker, i)
        out.append(
            DydxTrade(c.venue, st.symbol, 0, c.ts_recv, price, size, aggressor, exec_id,
                      mode, height, taker, maker, cum // step)
        )
        if c.own:
            _own_fill(c, st, maker, entry, price, size, exec_id, Liquidity.MAKER, out)
            tentry = by_key.get(taker)
            if tentry is not None:
                _own_fill(c, st, taker, tentry, price, size, exec_id, Liquidity.TAKER, out)


def _own_fill(c: CodecState, st: PairState, key: tuple, entry: tuple[int, int, int, int], price: int, size: int,
              exec_id: str, liquidity: Liquidity, out: list[Event]) -> None:
    v4side, quantums, _subticks, cum = entry
    if (key[0], key[1]) not in c.own or v4side not in SIDES:
        return
    step = st.step
    out.append(
        OrderFilled(c.venue, st.symbol, 0, c.ts_recv, "", "", format_key(key),
                    f"{exec_id}:{'m' if liquidity is Liquidity.MAKER else 't'}",
                    SIDE_ENUM[SIDES[v4side]], price, size, cum // step, (quantums - cum) // step, liquidity)
    )


def execution_id(height: int, taker: tuple, maker: tuple, index: int) -> str:
    """``height:taker:maker:index``, ids shown as in :func:`~plugins.dydx.ids.format_key`."""
    return f"{height}:{format_key(taker)}:{format_key(maker)}:{index}"
