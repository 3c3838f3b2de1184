"""Synthetic order flow and the instruments it trades.

Starting mids and spreads come from the real Polymarket best bid/ask sample
(``polymarket_bbo_quotes/*.parquet`` under the shared real-data folder) when
that folder and ``pyarrow`` are present; otherwise from a seeded draw in the
prediction-market range. Flow is seeded: the same seed gives the same actions.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

from framework.runtime.clock import NS_PER_S, Clock
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import refdata_pb2 as rd
from plugins.polymarket.sim.exchange import Exchange
from plugins.polymarket.sim.settings import SimSettings

__all__ = ["Flow", "find_data_dir", "load_quotes", "make_instruments"]

# (price_scale, tick_size, fractional_qty_scale) cycled over the instruments so
# every scale combination the reference mentions is exercised.
_SCALES = ((1000, "0.001", 100), (100, "0.01", 1), (1000, "0.01", 100))


def find_data_dir(configured: str = "") -> Path | None:
    """The real-data folder: ``configured`` or ``../shared/data/real`` from the
    working directory or the repository; None when absent."""
    candidates = [Path(configured)] if configured else []
    repo = Path(__file__).resolve().parents[3]
    candidates += [Path.cwd().parent / "shared/data/real", repo.parent / "shared/data/real"]
    for c in candidates:
        if (c / "polymarket_bbo_quotes").is_dir():
            return c
    return None


@functools.lru_cache(maxsize=4)
def load_quotes(data_dir: str) -> tuple[tuple[str, float, float], ...]:
    """(slug, bid, ask) per market from the last sane quote in the sample;
    empty when pyarrow or the files are missing."""
    try:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        return ()
    files = sorted(Path(data_dir, "polymarket_bbo_quotes").glob("quotes_*.parquet"))
    if not files:
        return ()
    table = pq.read_table(files[0], columns=["slug", "bid", "ask"])
    ok = pc.and_(pc.and_(pc.is_valid(table["bid"]), pc.is_valid(table["ask"])),
                 pc.and_(pc.greater(table["bid"], 0), pc.and_(pc.less(table["bid"], table["ask"]), pc.less(table["ask"], 1))))
    last = table.filter(ok).group_by("slug", use_threads=False).aggregate([("bid", "last"), ("ask", "last")])
    rows = zip(last["slug"].to_pylist(), last["bid_last"].to_pylist(), last["ask_last"].to_pylist(), strict=True)
    return tuple(sorted(rows))


def make_instruments(settings: SimSettings) -> tuple[list[rd.Instrument], dict[str, tuple[int, int]]]:
    """The listed instruments and each one's starting (bid, ask) in wire units."""
    rng = random.Random(settings.seed)
    data_dir = find_data_dir(settings.data_dir)
    quotes = list(load_quotes(str(data_dir))) if data_dir else []
    rng.shuffle(quotes)
    n = len(settings.symbols) or settings.instruments
    instruments, touch = [], {}
    for i in range(n):
        ps, tick, qs = _SCALES[i % len(_SCALES)]
        tw = round(float(tick) * ps)
        if i < len(quotes):
            slug, bid, ask = quotes[i]
        else:
            slug, mid = f"pm-sim-{i:05d}", rng.uniform(0.05, 0.95)
            half = rng.choice((0.005, 0.01, 0.02, 0.05))
            bid, ask = mid - half, mid + half
        symbol = settings.symbols[i] if settings.symbols else slug
        b = min(max(round(bid * ps / tw) * tw, tw), ps - 2 * tw)
        a = min(max(round(ask * ps / tw) * tw, b + tw), ps - tw)
        touch[symbol] = (b, a)
        instruments.append(rd.Instrument(
            symbol=symbol, tick_size=float(tick), base_currency="USD", multiplier=1.0, minimum_trade_qty=1,
            description=f"simulated market {symbol}", price_scale=ps, fractional_qty_scale=qs,
            state=E.INSTRUMENT_STATE_OPEN, price_limit=rd.PriceLimit(low=tw, high=ps - tw, low_set=True, high_set=True),
        ))
    return instruments, touch


class Flow:
    """Seeded passive, cancel and aggressive flow across every instrument."""

    def __init__(self, exchange: Exchange, touch: dict[str, tuple[int, int]], settings: SimSettings, clock: Clock) -> None:
        self.exchange = exchange
        self.touch = touch
        self.rate = settings.flow_rate_per_s
        self.clock = clock
        self.rng = random.Random(settings.seed + 1)
        self.symbols = sorted(touch)
        self.actions = 0
        self._mine: dict[str, list[str]] = {s: [] for s in self.symbols}
        self._levels = settings.flow_levels

    def seed_books(self) -> None:
        """Rest ``flow_levels`` levels per side around each starting touch."""
        for sym in self.symbols:
            bid, ask = self.touch[sym]
            engine = self.exchange.engines[sym]
            tw = engine.tick_wire
            for k in range(self._levels):
                if bid - k * tw > 0:
                    self._rest(sym, E.SIDE_BUY, bid - k * tw)
                if ask + k * tw < engine.price_scale:
                    self._rest(sym, E.SIDE_SELL, ask + k * tw)

    def _size(self, sym: str) -> int:
        return self.rng.randint(1, 50) * self.exchange.engines[sym].qty_scale

    def _rest(self, sym: str, side: int, px: int) -> None:
        o = self.exchange.insert_flow(sym, side, px, self._size(sym))
        if o.leaves:
            self._mine[sym].append(o.id)

    def step(self) -> None:
        """One action on one random instrument."""
        rng = self.rng
        sym = rng.choice(self.symbols)
        engine = self.exchange.engines[sym]
        if engine.state != E.INSTRUMENT_STATE_OPEN:
            return
        self.actions += 1
        tw, ps = engine.tick_wire, engine.price_scale
        roll = rng.random()
        mine = self._mine[sym]
        if roll < 0.3 and mine:
            oid = mine.pop(rng.randrange(len(mine)))
            self.exchange.cancel_flow(sym, oid)
            return
        side = rng.choice((E.SIDE_BUY, E.SIDE_SELL))
        bid0, ask0 = self.touch[sym]
        if roll < 0.75:  # passive, a few ticks behind the touch (or the start touch)
            ref = engine.best(side) or (bid0 if side == E.SIDE_BUY else ask0)
            px = ref - rng.randint(0, 2) * tw if side == E.SIDE_BUY else ref + rng.randint(0, 2) * tw
            opp = engine.best(E.SIDE_SELL if side == E.SIDE_BUY else E.SIDE_BUY)
            if opp is not None and (px >= opp if side == E.SIDE_BUY else px <= opp):
                px = opp - tw if side == E.SIDE_BUY else opp + tw
            if tw <= px <= ps - tw:
                self._rest(sym, side, px)
        else:  # aggressive IOC at the opposite touch: a trade
            opp = engine.best(E.SIDE_SELL if side == E.SIDE_BUY else E.SIDE_BUY)
            if opp is not None:
                size = max(engine.qty_scale, self._size(sym) // 4)
                self.exchange.insert_flow(sym, side, opp, size, E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL)
        if len(mine) > 4 * self._levels:
            live = self.exchange.engines[sym].orders
            mine[:] = [o for o in mine if o in live]

    async def run(self) -> None:
        """Act at ``rate`` per second until cancelled (batches every 10 ms)."""
        if self.rate <= 0:
            return
        tick_ns = 10_000_000
        owed = 0.0
        while True:
            await self.clock.sleep_ns(tick_ns)
            owed += self.rate * tick_ns / NS_PER_S
            while owed >= 1:
                owed -= 1
                self.step()
