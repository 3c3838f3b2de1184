"""Wire integers <-> integer ticks and lots for one Polymarket instrument.

The venue sends every price and quantity as an int64: ``price = wire /
price_scale`` dollars and ``contracts = wire / fractional_quantity_scale``.
The scales are **divisors** (100, 1000, 1), not decimal places (reference §7).

A tick is the instrument's ``tick_size``, i.e. ``tick_wire = tick_size *
price_scale`` wire units (1 when the venue gives no tick size, or when the
tick equals one wire unit -- the common case, which costs no division). A lot
is one wire quantity unit (``1 / fractional_quantity_scale`` contracts), so
lots and wire quantities are the same integers.
"""

from __future__ import annotations

from decimal import Decimal

from framework.model.events import Instrument

__all__ = ["Scales"]


class Scales:
    """The conversion of one instrument. Raises ``ValueError`` for bad scales."""

    __slots__ = ("price_scale", "qty_scale", "symbol", "tick_wire")

    def __init__(self, symbol: str, price_scale: int, qty_scale: int = 0, tick_size: float | str = 0) -> None:
        if price_scale <= 0:
            raise ValueError(f"{symbol}: price_scale must be > 0, not {price_scale}")
        if qty_scale < 0:
            raise ValueError(f"{symbol}: fractional_quantity_scale must be >= 0, not {qty_scale}")
        self.symbol = symbol
        self.price_scale = int(price_scale)
        self.qty_scale = int(qty_scale) or 1  # absent = 1 (reference §7)
        self.tick_wire = _tick_wire(symbol, self.price_scale, tick_size)

    def __repr__(self) -> str:
        return f"Scales({self.symbol!r}, price_scale={self.price_scale}, qty_scale={self.qty_scale}, tick_wire={self.tick_wire})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scales) and (
            self.price_scale, self.qty_scale, self.tick_wire
        ) == (other.price_scale, other.qty_scale, other.tick_wire)

    __hash__ = None  # type: ignore[assignment]

    def to_ticks(self, wire_px: int) -> int:
        """Ticks of a wire price; ``ValueError`` when it is off the tick grid."""
        tw = self.tick_wire
        if tw == 1:
            return wire_px
        ticks, rest = divmod(wire_px, tw)
        if rest:
            raise ValueError(f"{self.symbol}: wire price {wire_px} is not a multiple of tick {tw}")
        return ticks

    def to_wire_px(self, ticks: int) -> int:
        """Wire price of ``ticks``."""
        return ticks * self.tick_wire

    def fee_units(self, wire_notional: int) -> int:
        """A commission in tick x lot units (wire / tick_wire), rounded up."""
        return -(-wire_notional // self.tick_wire)

    @property
    def max_ticks(self) -> int:
        """The highest valid price in ticks: one tick under $1."""
        return self.price_scale // self.tick_wire - 1

    def instrument(self, venue: str) -> Instrument:
        """The framework :class:`Instrument` of these scales (prices in (0, 1))."""
        return Instrument(
            venue,
            self.symbol,
            tick_size=Decimal(self.tick_wire) / Decimal(self.price_scale),
            lot_size=Decimal(1) / Decimal(self.qty_scale),
            min_price=1,
            max_price=self.max_ticks,
        )


def _tick_wire(symbol: str, price_scale: int, tick_size: float | str) -> int:
    # The venue sends tick_size as a double; go through its shortest repr so
    # 0.001 is exactly Decimal("0.001"), never 0.001000000000000000020816...
    tick = Decimal(repr(tick_size) if isinstance(tick_size, float) else str(tick_size or 0))
    if tick == 0:
        return 1
    wire = tick * price_scale
    if tick < 0 or wire != wire.to_integral_value() or wire < 1:
        raise ValueError(f"{symbol}: tick_size {tick} is not a whole number of 1/{price_scale} units")
    return int(wire)
