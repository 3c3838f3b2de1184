"""Fills per second journalled by :class:`framework.journal.Journal`.

Beside it, in the same run: a bare SQLite insert-and-commit per row in WAL
mode with ``synchronous=FULL`` (what the durability choice costs by itself)
and with ``NORMAL`` (what it would cost without an fsync per commit), and the
journal with 100 fills per :meth:`Journal.batch`.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framework.journal import Journal
from framework.model.events import Liquidity, OrderFilled, Side
from framework.runtime.clock import SimClock


def _fills(n: int, tag: str) -> list[OrderFilled]:
    return [
        OrderFilled("v", "S", i, i, f"c{i}", "mm", "", f"{tag}{i}", Side.BUY if i % 2 else Side.SELL,
                    100 + i % 7, 1 + i % 3, 1, 0, Liquidity.TAKER, 1)
        for i in range(n)
    ]


def _rate(n: int, fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def _raw(path: Path, sync: str, n: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync}")
    db.execute("CREATE TABLE t (id TEXT UNIQUE, price INTEGER, size INTEGER)")

    def go() -> None:
        for i in range(n):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO t VALUES (?, ?, ?)", (f"x{i}", i, i))
            db.execute("COMMIT")

    rate = _rate(n, go)
    db.close()
    return rate


def run(quick: bool = False) -> dict[str, float]:
    n = 200 if quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw_full = _raw(root / "full.sqlite", "FULL", n)
        raw_normal = _raw(root / "normal.sqlite", "NORMAL", n)
        journal = Journal(root / "j", "bench", clock=SimClock())
        fills = _fills(n, "a")
        per_event = _rate(n, lambda: [journal.record_fill(f) for f in fills])
        dupes = _rate(n, lambda: [journal.record_fill(f) for f in fills])
        batched_fills = _fills(n, "b")

        def batched() -> None:
            for i in range(0, n, 100):
                with journal.batch():
                    for f in batched_fills[i : i + 100]:
                        journal.record_fill(f)

        batch_rate = _rate(n, batched)
        journal.close()
    return {
        "journal_fills_per_s": per_event,
        "journal_duplicate_fills_per_s": dupes,
        "journal_batched_fills_per_s": batch_rate,
        "sqlite_full_commits_per_s": raw_full,
        "sqlite_normal_commits_per_s": raw_normal,
        "journal_vs_bare_full_ratio": per_event / raw_full,
    }
