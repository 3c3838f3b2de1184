"""The ``backplane new strategy NAME`` templates."""

from __future__ import annotations

SUMMARY = "A backplane strategy: $module."

USAGE = '''\
Use it in a run config:

```yaml
run:
  name: try-$name
  mode: paper
venues:
  sim:
    plugin: scripted
strategies:
  mine:
    plugin: $module
    venue: sim
    symbols: [X]
    params:
      size: 1
```
'''

FILES = {
    "$module/__init__.py": '''\
"""$summary

Registered with backplane by the ``backplane`` entry point in pyproject.toml.
"""

from __future__ import annotations

from framework import StrategySpec, hookimpl

from $module.strategy import $Class, ${Class}Params

__all__ = ["$Class", "${Class}Params"]


@hookimpl
def backplane_strategies() -> list[StrategySpec]:
    return [
        StrategySpec(
            "$module",
            $Class,
            ${Class}Params,
            "one passive bid under the best bid",
        ),
    ]
''',
    "$module/strategy.py": '''\
"""$Class: keeps one passive bid ``offset_ticks`` under the best bid.

Replace the logic with your own; keep the habits: integer ticks and lots,
act on market data (not on order events, which can loop), stop quoting once
the run stops.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from framework import BookDelta, BookSnapshot, Side, Strategy

__all__ = ["$Class", "${Class}Params"]


class ${Class}Params(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Parameters under ``strategies.<name>.params``."""

    size: Annotated[int, msgspec.Meta(gt=0, description="lots per order")] = 1
    offset_ticks: Annotated[int, msgspec.Meta(ge=0, description="how far under the best bid")] = 1


class $Class(Strategy[${Class}Params]):
    """One passive bid that follows the best bid."""

    def on_start(self) -> None:
        self.stopped = False
        self.working: dict[str, str] = {}  # symbol -> client order id

    def on_stop(self) -> None:
        self.stopped = True

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        if self.stopped:
            return
        book = self.ctx.book(event.symbol)
        if book is None or book.best_bid_price is None:
            return
        price = book.best_bid_price - self.params.offset_ticks
        cid = self.working.get(event.symbol)
        order = self.ctx.order(cid) if cid else None
        if order is not None and order.is_open:
            if order.price != price and price >= 1:
                self.ctx.replace(cid, price, self.params.size)
        elif price >= 1:
            size = self.params.size
            self.working[event.symbol] = self.ctx.submit_limit(event.symbol, Side.BUY, price, size, post_only=True)
''',
    "tests/test_$module.py": '''\
"""$Class passes the backplane strategy contract, and quotes where it should."""

from __future__ import annotations

import pytest
from framework import Side
from framework.kit.strategy import StrategyCase, StrategyContract, feed, sides

from $module import $Class, ${Class}Params


@pytest.fixture
def strategy_case() -> StrategyCase:
    return StrategyCase(
        $Class,
        ${Class}Params(size=2, offset_ticks=1),
        symbols=("X",),
    )


class Test${Class}Contract(StrategyContract):
    """Every check of the kit's strategy contract."""


def test_quotes_one_bid_under_the_best_and_follows_it(strategy_harness) -> None:  # noqa: ANN001
    params = ${Class}Params(size=2, offset_ticks=1)
    h = strategy_harness($Class, params, symbols=["X"])
    caused = feed(h, "X", [([(100, 5)], [(104, 5)]), ([(102, 5)], [(104, 5)])])
    assert sides(caused[0]) == [(Side.BUY, 99)]
    assert [(r.price, r.size) for r in h.replaces()] == [(101, 2)]
''',
}
