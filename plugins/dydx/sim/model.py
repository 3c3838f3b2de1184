"""The fake node's order record (chain units: subticks, quantums)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from plugins.dydx.ids import OrderKey

__all__ = ["BUY", "GTT", "IOC", "LONG_TERM", "POST_ONLY", "SELL", "SHORT_TERM", "Order"]

BUY, SELL = 1, 2  # v4 Side
GTT, IOC, POST_ONLY = 0, 1, 2  # v4 TimeInForce
SHORT_TERM, LONG_TERM = 0, 64  # order_flags


@dataclass(frozen=True)
class Order:
    """One order as placed: ``key`` is ``(owner, number, client_id, flags, clob_pair)``."""

    key: OrderKey
    side: int
    quantums: int
    subticks: int
    gtb: int = 0
    gtbt: int = 0
    tif: int = GTT

    @property
    def pair(self) -> int:
        return self.key[4]

    @property
    def short_term(self) -> bool:
        return self.key[3] == SHORT_TERM

    def crosses(self, price: int) -> bool:
        """Whether this order would trade against a resting order at ``price``."""
        return price <= self.subticks if self.side == BUY else price >= self.subticks

    def but(self, **changes: int) -> Order:
        return replace(self, **changes)  # type: ignore[arg-type]
