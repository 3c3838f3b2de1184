"""dYdX-specific events, published beside the framework's own.

All are :class:`framework.model.events.Event` subclasses (frozen msgspec structs);
none is conflatable: they are informational records a consumer may count on.
Order keys travel as :data:`plugins.dydx.ids.OrderKey` tuples.
"""

from __future__ import annotations

from typing import NamedTuple

from framework.model.events import Event, Side, Trade

__all__ = ["DydxTrade", "OptimisticFill", "OraclePrice", "SubaccountUpdate", "TakerFields", "TakerOrderResult"]


class DydxTrade(Trade, frozen=True, gc=False):
    """A confirmed fill of a maker: consensus, from the finalize batch (exec mode 7).

    A :class:`~framework.model.events.Trade`, so every consumer of prints (paper
    fills, strategies) sees each execution once. ``trade_id`` is stable
    across reconnects: ``height:taker:maker:index``.
    """

    exec_mode: int = 7
    block_height: int = 0
    taker: tuple = ()
    maker: tuple = ()
    maker_filled: int = 0  # the maker's cumulative filled lots after this fill


class OptimisticFill(Event, frozen=True, gc=False):
    """A fill this node matched optimistically (exec mode 0, or first seen at 102).

    Not a :class:`~framework.model.events.Trade`: it may never be confirmed, or be
    confirmed against another maker, and its confirmation arrives as a
    :class:`DydxTrade`. A replay of an optimistic fill already published is
    not published again. Off with the codec's ``confirmed_only``.
    """

    price: int = 0
    size: int = 0
    aggressor: Side | None = None
    exec_mode: int = 0
    block_height: int = 0
    taker: tuple = ()
    maker: tuple = ()
    maker_filled: int = 0


class TakerFields(NamedTuple):
    """The decoded content of a :class:`TakerOrderResult` (price in ticks, sizes in lots)."""

    order: tuple
    side: Side
    price: int
    size: int
    status: int
    remaining: int
    optimistically_filled: int
    liquidation: bool


class TakerOrderResult(Event, frozen=True, gc=False):
    """A ``taker_order`` message: what matching did with an incoming order.

    Informational: the book does not change; status 0 does not mean the order
    rests (only a following place does). About a quarter of the stream's
    updates are taker messages and few consumers read them, so the event keeps
    the message bytes (``raw``) and decodes them when a field is read
    (:meth:`decode`, or the properties named like :class:`TakerFields`).
    """

    exec_mode: int = 0
    block_height: int = 0
    subticks_per_tick: int = 1
    step_base_quantums: int = 1
    raw: bytes = b""

    def decode(self) -> TakerFields:
        """All fields at once (each property call decodes again)."""
        from v4_proto.dydxprotocol.clob.query_pb2 import StreamTakerOrder

        msg = StreamTakerOrder.FromString(self.raw)
        spt, step = self.subticks_per_tick, self.step_base_quantums
        st = msg.taker_order_status
        if msg.WhichOneof("taker_order") == "liquidation_order":
            lo = msg.liquidation_order
            sub = lo.liquidation_info.subaccount_id
            key: tuple = ("liquidation", sub.owner, sub.number, lo.liquidation_info.perpetual_id)
            side, subticks, quantums, liquidation = (Side.BUY if lo.is_buy else Side.SELL), lo.subticks, lo.quantums, True
        else:
            o = msg.order
            oid = o.order_id
            key = (oid.subaccount_id.owner, oid.subaccount_id.number, oid.client_id, oid.order_flags, oid.clob_pair_id)
            side, subticks, quantums, liquidation = (Side.BUY if o.side == 1 else Side.SELL), o.subticks, o.quantums, False
        return TakerFields(key, side, subticks // spt, quantums // step, st.order_status,
                           st.remaining_quantums // step, st.optimistically_filled_quantums // step, liquidation)

    @property
    def order(self) -> tuple:
        return self.decode().order

    @property
    def side(self) -> Side:
        return self.decode().side

    @property
    def price(self) -> int:
        return self.decode().price

    @property
    def size(self) -> int:
        return self.decode().size

    @property
    def status(self) -> int:
        return self.decode().status

    @property
    def remaining(self) -> int:
        return self.decode().remaining

    @property
    def optimistically_filled(self) -> int:
        return self.decode().optimistically_filled

    @property
    def liquidation(self) -> bool:
        return self.decode().liquidation


class SubaccountUpdate(Event, frozen=True, gc=False):
    """Positions of a subaccount changed (mode 7) or their snapshot.

    ``perpetual_positions`` holds ``(perpetual_id, quantums)`` (signed),
    ``asset_positions`` ``(asset_id, quantums)``, raw chain integers.
    """

    owner: str = ""
    number: int = 0
    perpetual_positions: tuple[tuple[int, int], ...] = ()
    asset_positions: tuple[tuple[int, int], ...] = ()
    snapshot: bool = False
    block_height: int = 0


class OraclePrice(Event, frozen=True, gc=False):
    """An oracle price: human price = ``price`` x 10^``exponent``."""

    market_id: int = 0
    price: int = 0
    exponent: int = 0
    snapshot: bool = False
    block_height: int = 0
