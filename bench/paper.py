"""Marketable orders per second through :class:`framework.paper.PaperExchange`.

Beside it, in the same run: a naive walk of a copied list of levels that it
decrements (the floor: matching with no events, ledger or timers).
"""

from __future__ import annotations

import asyncio
import time

from framework.books.l2book import L2Book
from framework.model.events import BookSnapshot, OrderFilled, Side
from framework.model.orders import SubmitOrder, TimeInForce
from framework.paper import PaperExchange
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock

ASKS = [(100 + i, 50) for i in range(20)]
BIDS = [(99 - i, 50) for i in range(20)]


def _paper(n: int) -> tuple[float, int]:
    clock = SimClock()
    bus = Bus(clock)
    book = L2Book("v", "S")
    ex = PaperExchange("v", bus, clock, lambda s: book, id_prefix="b")
    ex.attach()
    fills: list[OrderFilled] = []
    bus.subscribe(fills.append, OrderFilled)
    orders = [SubmitOrder("mm", "v", "S", f"c{i}", Side.BUY, 103, 30, tif=TimeInForce.IOC) for i in range(n)]

    async def go() -> None:
        for i, order in enumerate(orders):
            if i % 5 == 0:  # a new book state every five orders
                book.apply_snapshot(BIDS, ASKS)
                bus.publish(BookSnapshot("v", "S", 0, 0, tuple(BIDS), tuple(ASKS)))
            await ex.submit(order)
            clock.advance(0)

    start = time.perf_counter()
    asyncio.run(go())
    return n / (time.perf_counter() - start), len(fills)


def _naive(n: int) -> float:
    start = time.perf_counter()
    levels: list[list[int]] = []
    for i in range(n):
        if i % 5 == 0:
            levels = [list(lvl) for lvl in ASKS]
        left = 30
        for lvl in levels:
            if lvl[0] > 103 or not left:
                break
            take = min(left, lvl[1])
            lvl[1] -= take
            left -= take
    return n / (time.perf_counter() - start)


def run(quick: bool = False) -> dict[str, float]:
    n = 2000 if quick else 20000
    paper_rate, fills = _paper(n)
    naive_rate = _naive(n)
    return {
        "paper_taker_orders_per_s": paper_rate,
        "paper_fills_per_order_ratio": fills / n,
        "naive_walk_orders_per_s": naive_rate,
        "paper_vs_naive_ratio": paper_rate / naive_rate,
    }
