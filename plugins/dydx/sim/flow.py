"""Synthetic L3 order flow for the fake node: makers, takers, cancels, replaces.

:class:`SyntheticFlow` drives a :class:`~plugins.dydx.sim.engine.FakeEngine`
with a seeded random generator, so a run is repeatable. Each :meth:`tick`
(one flush interval) performs a few actions around a drifting mid price;
:meth:`block` commits a block. Prices and sizes stay on each pair's grid.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from plugins.dydx.sim.engine import FakeEngine
from plugins.dydx.sim.model import (
    BUY,
    GTT,
    IOC,
    LONG_TERM,
    POST_ONLY,
    SELL,
    SHORT_TERM,
    Order,
)
from plugins.dydx.units import ClobParams

__all__ = ["OWNERS", "SyntheticFlow"]

OWNERS = tuple(f"dydx1fake{i:02d}" + "q" * 29 for i in range(6))


class SyntheticFlow:
    """Random order flow on ``params`` pairs; ``mids`` are start mids in ticks."""

    def __init__(
        self,
        engine: FakeEngine,
        params: Mapping[int, ClobParams],
        *,
        seed: int = 1,
        mids: Mapping[int, int] | None = None,
        actions_per_tick: int = 4,
    ) -> None:
        self.engine = engine
        self.params = dict(params)
        self.rng = random.Random(seed)
        self.mid = {pair: (mids or {}).get(pair, 100_000) for pair in self.params}
        self.actions_per_tick = actions_per_tick
        self._client_id = 0
        self._mine: list[Order] = []  # short-term orders this flow placed (may be gone)

    def tick(self) -> None:
        """One flush interval of activity."""
        for _ in range(self.rng.randint(1, self.actions_per_tick)):
            self.action()

    def block(self) -> list:
        """Drift the mids and oracle prices, then commit a block (returns the mode 7 responses)."""
        for pair in self.mid:
            self.mid[pair] = max(self.mid[pair] + self.rng.randint(-2, 2), 100)
            self.engine.oracle[pair] = (self.mid[pair] * self.params[pair].subticks_per_tick, -5)
        return self.engine.commit_block()

    def action(self) -> None:
        r = self.rng.random()
        if r < 0.40:
            self._maker()
        elif r < 0.55:
            self._cancel()
        elif r < 0.65:
            self._replace()
        elif r < 0.80:
            self._taker(IOC)
        elif r < 0.88:
            self._taker(GTT)
        elif r < 0.94:
            self._taker(POST_ONLY)
        else:
            self._maker(long_term=True)

    # --- actions ---------------------------------------------------------------

    def _order(self, pair: int, side: int, ticks: int, lots: int, tif: int = GTT, long_term: bool = False) -> Order:
        p = self.params[pair]
        self._client_id += 1
        owner = self.rng.choice(OWNERS)
        key = (owner, self.rng.randint(0, 1), self._client_id, LONG_TERM if long_term else SHORT_TERM, pair)
        height = self.engine.height
        return Order(
            key, side, lots * p.step_base_quantums, ticks * p.subticks_per_tick,
            gtb=0 if long_term else height + self.rng.randint(1, 12),
            gtbt=1_900_000_000 if long_term else 0, tif=tif,
        )

    def _maker(self, long_term: bool = False) -> None:
        pair = self.rng.choice(list(self.params))
        side = self.rng.choice((BUY, SELL))
        offset = self.rng.randint(1, 8)
        ticks = self.mid[pair] - offset if side == BUY else self.mid[pair] + offset
        order = self._order(pair, side, ticks, self.rng.randint(1, 10), long_term=long_term)
        self.engine.place(order)
        if not long_term:
            self._mine.append(order)

    def _taker(self, tif: int) -> None:
        pair = self.rng.choice(list(self.params))
        side = self.rng.choice((BUY, SELL))
        through = self.rng.randint(-1, 4)
        ticks = self.mid[pair] + through if side == BUY else self.mid[pair] - through
        order = self._order(pair, side, ticks, self.rng.randint(1, 15), tif)
        self.engine.place(order)
        self._mine.append(order)

    def _live(self) -> list[Order]:
        self._mine = [o for o in self._mine if o.key in self.engine.resting or o.gtb > self.engine.height]
        return [o for o in self._mine if o.key in self.engine.resting]

    def _cancel(self) -> None:
        live = self._live()
        if live:
            self.engine.cancel(self.rng.choice(live).key)

    def _replace(self) -> None:
        live = self._live()
        if not live:
            return
        old = self.engine.resting[self.rng.choice(live).key]
        p = self.params[old.pair]
        ticks = old.subticks // p.subticks_per_tick + self.rng.randint(-2, 2)
        new = old.but(
            subticks=max(ticks, 1) * p.subticks_per_tick,
            quantums=self.rng.randint(1, 10) * p.step_base_quantums,
            gtb=old.gtb + self.rng.randint(1, 5),
        )
        self.engine.replace(new)
        self._mine.append(new)
