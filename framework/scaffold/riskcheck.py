"""The ``backplane new risk-check NAME`` templates."""

from __future__ import annotations

SUMMARY = "A backplane pre-trade risk check: $module."

USAGE = '''\
Enable it in a run config, under the `risk` section:

```yaml
risk:
  checks:
    $module:
      max_price: 900
```
'''

FILES = {
    "$module/__init__.py": '''\
"""$summary

Registered with backplane by the ``backplane`` entry point in pyproject.toml.
"""

from __future__ import annotations

from framework import RiskCheckSpec, hookimpl

from $module.check import $Class, ${Class}Settings

__all__ = ["$Class", "${Class}Settings"]


@hookimpl
def backplane_risk_checks() -> list[RiskCheckSpec]:
    return [
        RiskCheckSpec(
            "$module",
            $Class,
            ${Class}Settings,
            "prices within fixed bounds",
        ),
    ]
''',
    "$module/check.py": '''\
"""$Class: no buy above ``max_price`` ticks, no sell below ``min_price``.

A check reads the order and the risk state and returns ``None`` or a
``Denial`` with a reason from the fixed set and a message a person can act
on. It must be fast, do no I/O and never change the state.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from framework import Denial, DenyReason, ReplaceOrder, RiskState, Side, SubmitOrder

__all__ = ["$Class", "${Class}Settings"]


class ${Class}Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Settings under ``risk.checks.$module``."""

    max_price: Annotated[int, msgspec.Meta(ge=1, description="highest buy price, ticks")]
    min_price: Annotated[int, msgspec.Meta(ge=0, description="lowest sell price, ticks")] = 0


class $Class:
    """Keeps prices inside fixed bounds."""

    name = "$module"

    def __init__(self, settings: ${Class}Settings) -> None:
        self.settings = settings

    def check(self, order: SubmitOrder | ReplaceOrder, state: RiskState) -> Denial | None:
        side = state.side_of(order)
        if side is Side.BUY and order.price > self.settings.max_price:
            return Denial(DenyReason.PRICE_BAND, f"buy at {order.price} is above {self.settings.max_price} ticks")
        if side is Side.SELL and order.price < self.settings.min_price:
            return Denial(DenyReason.PRICE_BAND, f"sell at {order.price} is below {self.settings.min_price} ticks")
        return None
''',
    "tests/test_$module.py": '''\
"""$Class passes the backplane risk-check contract."""

from __future__ import annotations

import pytest
from framework import DenyReason, Side
from framework.kit.riskcheck import RiskCheckCase, RiskCheckContract

from $module import $Class, ${Class}Settings


@pytest.fixture
def risk_check_case() -> RiskCheckCase:
    return RiskCheckCase(
        $Class,
        ${Class}Settings(max_price=900, min_price=100),
        passes=lambda h: [h.order(Side.BUY, 900, 1), h.order(Side.SELL, 100, 1)],
        denies=lambda h: [
            (h.order(Side.BUY, 901, 1), DenyReason.PRICE_BAND),
            (h.order(Side.SELL, 99, 1), DenyReason.PRICE_BAND),
        ],
    )


class Test${Class}Contract(RiskCheckContract):
    """Every proof of the kit's risk-check contract."""
''',
}
