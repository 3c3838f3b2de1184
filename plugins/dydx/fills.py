"""Fills: the book's only signal of a partial maker fill, and the prints.

:class:`FillsMixin` is part of :class:`~plugins.dydx.codec.DydxCodec`. A
``StreamOrderbookFill`` zips ``orders`` with ``fill_amounts`` -- cumulative
amounts -- and sets ``filled`` of every order on the book, whatever the exec
mode. Prints come from the match, one per maker fill at the maker's price:
a :class:`~plugins.dydx.events.DydxTrade` (a ``Trade``) for each fill of the
finalize batch (mode 7), an :class:`~plugins.dydx.events.OptimisticFill` for
the others unless ``confirmed_only`` (a replay at mode 102 of one already
published is not published again); :class:`~framework.model.events.OrderFilled` for
orders of the codec's own subaccounts, from finalize only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from v4_proto.dydxprotocol.clob.matches_pb2 import MatchPerpetualLiquidation

from framework.books.wire import Malformed, iter_fields, skip_field, varint
from framework.model.events import Event, Liquidity, OrderFilled, Side
from plugins.dydx.events import DydxTrade, OptimisticFill
from plugins.dydx.ids import OrderKey, format_key, key_from_pb
from plugins.dydx.orderread import OrderReader
from plugins.dydx.stats import (
    FILL_MAKER_MISSING,
    FILLS,
    FINALIZE,
    OFF_GRID,
    PRE_SNAPSHOT_FILLS,
    REPLAYED_FILLS,
    UNKNOWN_FILL_ORDER,
)

if TYPE_CHECKING:  # a cycle at run time: the codec imports this module
    from plugins.dydx.codec import PairState

__all__ = ["FillsMixin", "execution_id"]

# Final: the compiled build (setup.py) keeps these in C statics, not module globals.
SIDES: Final = {1: 1, 2: -1}  # v4 Side -> framework side
SIDE_ENUM: Final = {1: Side.BUY, -1: Side.SELL}
_REPLAY_MEMORY = 50_000  # limits: not Final, so a test may lower them
_FILL_MEMORY = 20_000
_NOT_A_TRADE: Final = ((), None, ())  # the reading of a deleveraging match


class FillsMixin(OrderReader):
    """Fill handling of :class:`~plugins.dydx.codec.DydxCodec` (see the module docs)."""

    # Provided by DydxCodec.
    venue: str
    states: dict[int, PairState]  # typed, so compiled code reads PairState slots directly
    stats: Any
    own: frozenset[tuple[str, int]]
    confirmed_only: bool
    any_pair: bool
    _where: dict[OrderKey, tuple[int, int]]
    _dirty: list[PairState]
    _printed: dict[tuple[Any, ...], None]
    _fills: dict[bytes, list[Any]]
    _skipped: bool
    _ts_recv: int

    def _fill(self, buf: bytes, pos: int, end: int, mode: int, height: int, out: list[Event]) -> None:
        """A ``StreamOrderbookFill``: ``orders`` zipped with the cumulative ``fill_amounts``
        set the book; the match makes the prints."""
        self.stats[FILLS] += 1
        # A fill comes again at other exec modes (optimistic, replay, finalize)
        # with the same bytes: it is read once and kept by them.
        body = buf[pos:end]
        fill = self._fills.get(body)
        if fill is None:
            fill = self._parse_fill(buf, pos, end)
            if len(self._fills) >= _FILL_MEMORY:
                self._fills.clear()
            self._fills[body] = fill
        orders, amounts = fill[0], fill[1]
        for key, amount in zip(orders, amounts):
            st = self.states.get(key[4])
            if st is None or not st.ready:
                if (st is not None or not self.any_pair) and not self._skipped:
                    self.stats[PRE_SNAPSHOT_FILLS] += 1  # once per fill message
                    self._skipped = True
                continue
            where = self._where.get(key)
            if where is None:
                self.stats[UNKNOWN_FILL_ORDER] += 1
                continue
            if amount % st.step:
                self.stats[OFF_GRID] += 1
            st.book.update(key, amount // st.step)
            if not st.touched:
                self._dirty.append(st)
            st.touched.add(where)
        if fill[3]:
            self._prints(fill, mode, height, out)

    def _parse_fill(self, buf: bytes, pos: int, end: int) -> list[Any]:
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
                    orders.append(self._order_fields(buf, s, pos))
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

    def _match(self, buf: bytes, pos: int, end: int, by_key: dict) -> tuple | None:
        """``(taker, aggressor, [(maker, amount)])`` of a ``ClobMatch``; None for deleveraging."""
        for tag, span in iter_fields(buf, pos, end):
            if tag == 0x0A:  # MatchOrders {1 taker_order_id, 2 fills: MakerFill {1 amount, 2 maker id}}
                taker: tuple = self._id(b"")
                makers = []
                p, e = span
                while p < e:
                    t = buf[p]
                    n, q = varint(buf, p + 1)
                    if t == 0x0A:
                        taker = self._id(buf[q : q + n])
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
                                maker = self._id(buf[r : r + m])
                                q = r + m
                            else:
                                q = skip_field(buf, q)
                        makers.append((maker if maker is not None else self._id(b""), amount))
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

    def _prints(self, fill: list[Any], mode: int, height: int, out: list[Event]) -> None:
        confirmed = mode == FINALIZE
        if not confirmed and self.confirmed_only:
            return
        by_key, amounts = fill[2], fill[1]
        match = fill[4]
        if match is None:
            raw = fill[3]
            match = fill[4] = self._match(raw, 0, len(raw), by_key) or _NOT_A_TRADE
        if match is _NOT_A_TRADE:
            return
        taker, aggressor, makers = match
        if not confirmed:
            # A replay (mode 102) repeats an optimistic fill exactly, cumulative amounts included.
            seen = (taker, makers, amounts)
            if seen in self._printed:
                self.stats[REPLAYED_FILLS] += 1
                return
            self._printed[seen] = None
            if len(self._printed) > _REPLAY_MEMORY:
                del self._printed[next(iter(self._printed))]
        for i, (maker, amount) in enumerate(makers):
            entry = by_key.get(maker)
            st = self.states.get(maker[4])
            if entry is None or st is None:
                self.stats[FILL_MAKER_MISSING] += 1
                continue
            _side, _quantums, subticks, cum = entry
            spt, step = st.spt, st.step
            price, size = subticks // spt, amount // step
            if not confirmed:
                out.append(OptimisticFill(self.venue, st.symbol, 0, self._ts_recv, price, size, aggressor,
                                          mode, height, taker, maker, cum // step))
                continue
            # A confirmed fill is an execution: its id is stable across reconnects.
            exec_id = execution_id(height, taker, maker, i)
            out.append(
                DydxTrade(self.venue, st.symbol, 0, self._ts_recv, price, size, aggressor, exec_id,
                          mode, height, taker, maker, cum // step)
            )
            if self.own:
                self._own_fill(st, maker, entry, price, size, exec_id, Liquidity.MAKER, out)
                tentry = by_key.get(taker)
                if tentry is not None:
                    self._own_fill(st, taker, tentry, price, size, exec_id, Liquidity.TAKER, out)

    def _own_fill(self, st: PairState, key: tuple, entry: tuple[int, int, int, int], price: int, size: int,
                  exec_id: str, liquidity: Liquidity, out: list[Event]) -> None:
        v4side, quantums, _subticks, cum = entry
        if (key[0], key[1]) not in self.own or v4side not in SIDES:
            return
        step = st.step
        out.append(
            OrderFilled(self.venue, st.symbol, 0, self._ts_recv, "", "", format_key(key),
                        f"{exec_id}:{'m' if liquidity is Liquidity.MAKER else 't'}",
                        SIDE_ENUM[SIDES[v4side]], price, size, cum // step, (quantums - cum) // step, liquidity)
        )


def execution_id(height: int, taker: tuple, maker: tuple, index: int) -> str:
    """``height:taker:maker:index``, ids shown as in :func:`~plugins.dydx.ids.format_key`."""
    return f"{height}:{format_key(taker)}:{format_key(maker)}:{index}"
