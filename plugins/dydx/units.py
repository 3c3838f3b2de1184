"""Subticks and quantums -> integer ticks and lots, and Decimal at the edges.

A clob pair's parameters (governance sets them; query them at start-up):

- ``atomic_resolution``: size in base units = quantums x 10^atomic_resolution;
- ``quantum_conversion_exponent`` (qce): notional in quote quantums (1e-6 USDC)
  = subticks x quantums x 10^qce;
- ``subticks_per_tick`` and ``step_base_quantums``: the price and size grids.

Hence price = subticks x 10^(qce - atomic_resolution - 6). The framework's
units are **ticks = subticks // subticks_per_tick** and **lots = quantums //
step_base_quantums**: valid orders are always on both grids, so the division
is exact; a value off the grid is counted by the codec (``off_grid``).
:meth:`ClobParams.instrument` gives the :class:`~framework.model.events.Instrument`
whose ``tick_size``/``lot_size`` turn those into Decimal prices and sizes.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from framework.model.events import Instrument

__all__ = ["GENESIS", "NATIVE", "ClobParams"]


class ClobParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One clob pair's unit parameters (all integers, as on chain)."""

    atomic_resolution: int
    quantum_conversion_exponent: int
    subticks_per_tick: int
    step_base_quantums: int

    def __post_init__(self) -> None:
        if self.subticks_per_tick < 1 or self.step_base_quantums < 1:
            raise ValueError("subticks_per_tick and step_base_quantums must be >= 1")

    @property
    def subtick_price(self) -> Decimal:
        """Price of one subtick: 10^(qce - atomic_resolution - 6)."""
        return Decimal(1).scaleb(self.quantum_conversion_exponent - self.atomic_resolution - 6)

    @property
    def quantum_size(self) -> Decimal:
        """Size of one quantum: 10^atomic_resolution."""
        return Decimal(1).scaleb(self.atomic_resolution)

    @property
    def tick_size(self) -> Decimal:
        return self.subticks_per_tick * self.subtick_price

    @property
    def lot_size(self) -> Decimal:
        return self.step_base_quantums * self.quantum_size

    def instrument(self, venue: str, symbol: str) -> Instrument:
        """The instrument that converts this pair's ticks and lots to Decimal."""
        return Instrument(venue, symbol, self.tick_size.normalize(), self.lot_size.normalize())

    def price_of_subticks(self, subticks: int) -> Decimal:
        """Exact Decimal price of a subticks value (on the grid or not)."""
        return (subticks * self.subtick_price).normalize()

    def size_of_quantums(self, quantums: int) -> Decimal:
        """Exact Decimal size of a quantums value."""
        return (quantums * self.quantum_size).normalize()


NATIVE = ClobParams(0, 6, 1, 1)
"""Unit grids of 1: ticks are subticks and lots are quantums (book inspection)."""

GENESIS: dict[str, tuple[int, ClobParams]] = {
    # Mainnet genesis values (the venue reference, unit conversion).
    "BTC-USD": (0, ClobParams(-10, -9, 100_000, 1_000_000)),
    "ETH-USD": (1, ClobParams(-9, -9, 100_000, 1_000_000)),
}
"""Mainnet genesis parameters of the first two markets: ticker -> (clob pair, params)."""
