"""Paper-trading fees in integer tick x lot units.

Rounding rule: ``notional x bps / 10_000`` rounded **up** (towards +infinity),
the venue's favour either way: a fee of 2.3 units charges 3, a rebate of
-2.3 units pays 2. The simulated PnL is therefore never flattered by rounding.
"""

from __future__ import annotations

__all__ = ["BPS_DENOMINATOR", "fee"]

BPS_DENOMINATOR = 10_000


def fee(price: int, size: int, bps: int) -> int:
    """Fee of a fill of ``size`` lots at ``price`` ticks at ``bps`` basis points.

    Negative ``bps`` is a rebate (negative fee).
    """
    numerator = price * size * bps
    return -((-numerator) // BPS_DENOMINATOR)
