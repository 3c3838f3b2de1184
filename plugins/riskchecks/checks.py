"""The built-in pre-trade checks. Each reads only the order and the :class:`RiskState`.

Sizes are lots, prices ticks; notional and percentages are exact decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from framework import Denial, DenyReason, ReplaceOrder, RiskState, Side, SubmitOrder

__all__ = [
    "MaxNotional",
    "MaxNotionalSettings",
    "MaxOpenOrders",
    "MaxOpenOrdersSettings",
    "MaxOrderSize",
    "MaxOrderSizeSettings",
    "MaxPosition",
    "MaxPositionSettings",
    "PriceBand",
    "PriceBandSettings",
]

Order = SubmitOrder | ReplaceOrder


class MaxOrderSizeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_size: Annotated[int, msgspec.Meta(ge=1, description="largest order, in lots")]


class MaxOrderSize:
    """No single order (or replace) larger than ``max_size`` lots."""

    name = "max_order_size"

    def __init__(self, settings: MaxOrderSizeSettings) -> None:
        self.max_size = settings.max_size

    def check(self, order: Order, state: RiskState) -> Denial | None:
        if order.size > self.max_size:
            return Denial(DenyReason.MAX_ORDER_SIZE,
                          f"size {order.size} lots is over the max order size of {self.max_size}")  # fmt: skip
        return None


class MaxNotionalSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_notional: Annotated[Decimal, msgspec.Meta(description="largest price x size of one order, quote currency")]

    def __post_init__(self) -> None:
        if not self.max_notional.is_finite() or self.max_notional <= 0:
            raise ValueError(f"max_notional must be a positive amount, not {self.max_notional}")


class MaxNotional:
    """No single order worth more than ``max_notional`` at its limit (or worst) price."""

    name = "max_notional"

    def __init__(self, settings: MaxNotionalSettings) -> None:
        self.max_notional = settings.max_notional

    def check(self, order: Order, state: RiskState) -> Denial | None:
        inst = state.instrument(order.venue, order.symbol)
        if inst is None:
            return Denial(DenyReason.UNKNOWN_INSTRUMENT,
                          f"no instrument {order.symbol} on {order.venue}: cannot value the order")  # fmt: skip
        notional = inst.price(order.price) * inst.size(order.size)
        if notional > self.max_notional:
            return Denial(DenyReason.MAX_NOTIONAL,
                          f"notional {notional} is over the max of {self.max_notional} per order")  # fmt: skip
        return None


class MaxPositionSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_position: Annotated[int, msgspec.Meta(ge=0, description="largest long or short, in lots")]


class MaxPosition:
    """The strategy's position in the instrument stays within ``max_position`` lots
    long or short even if every open order on that side fills (worst case)."""

    name = "max_position"

    def __init__(self, settings: MaxPositionSettings) -> None:
        self.max_position = settings.max_position

    def check(self, order: Order, state: RiskState) -> Denial | None:
        long_, short = state.exposure_after(order)
        side = state.side_of(order)
        worst = long_ if side is Side.BUY else -short
        if worst > self.max_position:
            direction = "long" if side is Side.BUY else "short"
            return Denial(DenyReason.MAX_POSITION,
                          f"{direction} {worst} lots in {order.symbol} if open orders fill, over the max "
                          f"position of {self.max_position}")  # fmt: skip
        return None


class MaxOpenOrdersSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    per_strategy: Annotated[int, msgspec.Meta(ge=0, description="open orders per strategy (0: no cap)")] = 0
    per_instrument: Annotated[int, msgspec.Meta(ge=0, description="open orders per instrument (0: no cap)")] = 0


class MaxOpenOrders:
    """At most ``per_strategy`` open orders for the strategy and ``per_instrument``
    in one instrument. A replace does not open a new order."""

    name = "max_open_orders"

    def __init__(self, settings: MaxOpenOrdersSettings) -> None:
        self.per_strategy = settings.per_strategy
        self.per_instrument = settings.per_instrument

    def check(self, order: Order, state: RiskState) -> Denial | None:
        if isinstance(order, ReplaceOrder):
            return None
        n = state.open_orders(order.strategy)
        if self.per_strategy and n >= self.per_strategy:
            return Denial(DenyReason.MAX_OPEN_ORDERS,
                          f"{order.strategy} has {n} open orders, the max per strategy is {self.per_strategy}")  # fmt: skip
        n = state.open_orders(order.strategy, order.venue, order.symbol)
        if self.per_instrument and n >= self.per_instrument:
            return Denial(DenyReason.MAX_OPEN_ORDERS,
                          f"{n} open orders in {order.symbol}, the max per instrument is {self.per_instrument}")  # fmt: skip
        return None


class PriceBandSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_ticks: Annotated[int, msgspec.Meta(ge=0, description="furthest from the reference, in ticks (0: off)")] = 0
    max_percent: Annotated[Decimal, msgspec.Meta(description="furthest from the reference, in % (0: off)")] = Decimal(0)
    reference: Annotated[Literal["mid", "last", "mid_or_last"], msgspec.Meta(
        description="price the band is around")] = "mid_or_last"
    without_reference: Annotated[Literal["deny", "allow"], msgspec.Meta(
        description="what to do with no reference price yet")] = "deny"

    def __post_init__(self) -> None:
        if self.max_percent < 0 or not self.max_percent.is_finite():
            raise ValueError(f"max_percent must be >= 0, not {self.max_percent}")
        if not self.max_ticks and not self.max_percent:
            raise ValueError("set max_ticks, max_percent or both")


class PriceBand:
    """The limit price lies within the band around the mid or last price: no
    fat-finger order far through the book. Both bounds apply when both are set."""

    name = "price_band"

    def __init__(self, settings: PriceBandSettings) -> None:
        self.s = settings

    def check(self, order: Order, state: RiskState) -> Denial | None:
        s = self.s
        ref = {"mid": state.mid, "last": state.last, "mid_or_last": state.mark}[s.reference](order.venue, order.symbol)
        if ref is None:
            if s.without_reference == "allow":
                return None
            wanted = "mid or last" if s.reference == "mid_or_last" else s.reference
            return Denial(DenyReason.PRICE_BAND, f"no {wanted} price for {order.symbol} yet")
        off = abs(order.price - ref)
        if s.max_ticks and off > s.max_ticks:
            return Denial(DenyReason.PRICE_BAND,
                          f"price {order.price} is {off} ticks from the {s.reference} {ref}, over {s.max_ticks}")  # fmt: skip
        if s.max_percent and Decimal(off) * 100 > s.max_percent * ref:
            pct = (Decimal(off) * 100 / ref).quantize(Decimal("0.01")) if ref else Decimal("Infinity")
            return Denial(DenyReason.PRICE_BAND,
                          f"price {order.price} is {pct}% from the {s.reference} {ref}, over {s.max_percent}%")  # fmt: skip
        return None
