"""Scripted scenarios for tests: exact event sequences on a :class:`FakeEngine`.

Each scenario takes an engine (on clob pair 0) and returns the orders it used,
so a test can check the resulting books order by order.
"""

from __future__ import annotations

from plugins.dydx.sim.engine import FakeEngine, Match
from plugins.dydx.sim.model import BUY, IOC, SELL, Order

__all__ = ["ALICE", "BOB", "finalize_differs_from_optimistic", "replace_then_confirm_original"]

ALICE = "dydx1alice" + "q" * 33
BOB = "dydx1bob" + "q" * 35


def replace_then_confirm_original(engine: FakeEngine, *, spt: int = 1, step: int = 1) -> dict[str, Order]:
    """The reference's book-rules example, on pair 0.

    Place a bid 100x1, replace it (same id) with 99x2, send an IOC ask at 100
    (nothing to match on this node any more), then commit a block whose
    proposer matched that ask against the *original* 100x1 bid. The book ends
    with the bid at 99, size 2, filled 1 (remaining 1).
    """
    h = engine.height
    original = Order((ALICE, 0, 7, 0, 0), BUY, 1 * step, 100 * spt, gtb=h + 5)
    replacement = original.but(subticks=99 * spt, quantums=2 * step, gtb=h + 6)
    ask = Order((BOB, 0, 8, 0, 0), SELL, 1 * step, 100 * spt, gtb=h + 5, tif=IOC)
    engine.place(original)
    engine.replace(replacement)
    engine.place(ask)
    engine.commit_block([Match(ask, [(original, 1 * step)])])
    return {"original": original, "replacement": replacement, "ask": ask}


def finalize_differs_from_optimistic(engine: FakeEngine, *, spt: int = 1, step: int = 1) -> dict[str, Order]:
    """An optimistic fill the block does not confirm as seen, on pair 0.

    Asks A (100x2, first in queue) and B (100x2) rest; an IOC bid for 2 at 100
    fills A optimistically (mode 0). The proposer's block matched the bid
    against B instead: mode 7 resets A to its committed fill (0) and confirms
    the fill of B; at PrepareCheckState the bid is fully filled and not replayed.
    The book ends with A 100x2 untouched and B gone (committed full, purged).
    """
    h = engine.height
    a = Order((ALICE, 0, 21, 0, 0), SELL, 2 * step, 100 * spt, gtb=h + 5)
    b = Order((ALICE, 1, 22, 0, 0), SELL, 2 * step, 100 * spt, gtb=h + 5)
    bid = Order((BOB, 0, 23, 0, 0), BUY, 2 * step, 100 * spt, gtb=h + 5, tif=IOC)
    engine.place(a)
    engine.place(b)
    engine.place(bid)
    engine.commit_block([Match(bid, [(b, 2 * step)])])
    return {"a": a, "b": b, "bid": bid}
