"""End to end against a standalone simulator process: a live market maker is
SIGKILLed mid-run and resumed with its run id; nothing is orphaned, no client id
is reused, no order overfills, and a second process with the run id is refused.

Everything is a real process on 127.0.0.1: ``backplane simulate polymarket``,
``backplane run`` (twice, plus the refused one), and the test's own adapter,
which asks the venue for its open orders (GetOpenOrders) like an operator would.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framework.execution import GatedSender
from framework.model.events import Side
from framework.model.orders import SubmitOrder
from framework.plugin.venue import CountingGate, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.settings import settings_from

pytestmark = pytest.mark.timeout(90)

OPEN_STATES = ("pending", "accepted", "partially_filled")
CONFIG = """\
run: {{name: resume-e2e, mode: live}}
venues:
  pm:
    plugin: polymarket
    settings:
      grpc_target: "{grpc}"
      rest_base: "{rest}"
      token_url: "{token}"
      client_id: "{client_id}"
      private_key_path: "{key}"
      participant_id: "{participant}"
      account: "{account}"
      tls: false
strategies:
  mm:
    plugin: market_maker
    venue: pm
    symbols: {symbols}
    params: {{size: 5, half_spread_ticks: 3, min_budget: 0, min_requote_ms: 20}}
journal: {{path: "{runs}"}}
"""


def backplane(*args: str) -> list[str]:
    return [sys.executable, "-m", "framework.tools.cli", *args]


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``backplane simulate polymarket`` in its own process; yields what it printed."""
    key = tmp_path / "key.pem"
    proc = subprocess.Popen(
        backplane("simulate", "polymarket", "--instruments", "4", "--flow-rate", "40", "--key-out", str(key)),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        first, second, third = proc.stdout.readline(), proc.stdout.readline(), proc.stdout.readline()
        m1 = re.search(r"grpc (\S+)\s+rest (\S+)\s+token (\S+)", first)
        m2 = re.search(r"client_id (\S+)\s+participant (\S+)\s+account (\S+)", second)
        m3 = re.search(r"e\.g\. (\S+), (\S+),", third)  # its instruments (real or synthetic, as the data folder has)
        assert m1 and m2 and m3, (first, second, third)
        yield {"grpc": m1[1], "rest": m1[2], "token": m1[3], "client_id": m2[1], "participant": m2[2],
               "account": m2[3], "key": str(key), "symbol0": m3[1], "symbol1": m3[2]}  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()


def journal_rows(journal: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
            return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def symbols_of(sim: dict[str, str]) -> list[str]:
    return [sim["symbol0"], sim["symbol1"]]


class Venue:
    """The test's own adapter: asks the venue, and places an order no journal knows."""

    def __init__(self, sim: dict[str, str]) -> None:
        settings = settings_from({
            "grpc_target": sim["grpc"], "rest_base": sim["rest"], "token_url": sim["token"],
            "client_id": sim["client_id"], "private_key_path": sim["key"], "participant_id": sim["participant"],
            "account": sim["account"], "tls": False, "drop_copy": False,
        })  # fmt: skip
        clock = LiveClock()
        self.symbols = symbols_of(sim)
        self.adapter = PolymarketAdapter(VenueContext("pm", Bus(clock), clock, GatedSender(CountingGate()), self.symbols), settings)

    async def __aenter__(self) -> Venue:
        await self.adapter.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.adapter.stop()

    async def resting(self) -> dict[str, dict[str, Any]]:
        """clord_id -> order, for every order working at the venue (GetOpenOrders)."""
        return {o["clordId"]: o for o in await self.adapter.open_orders(self.symbols)}

    async def place_stray(self, clord_id: str) -> None:
        book = self.adapter.book(self.symbols[0])
        price = max((book.best_bid_price or 20) - 10, 1)
        order = SubmitOrder("mm", "pm", self.symbols[0], clord_id, Side.BUY, price, 1)
        assert self.adapter.entry is not None
        await self.adapter.entry.insert_order(self.adapter.requests.insert(order))


async def test_sigkill_then_resume_leaves_no_orphans_no_reused_ids_no_overfills(
    tmp_path: Path, simulator: dict[str, str]
) -> None:
    started = time.monotonic()
    config = tmp_path / "live.yaml"
    config.write_text(CONFIG.format(runs=tmp_path / "runs", symbols=symbols_of(simulator), **simulator))
    journal = tmp_path / "runs" / "r1" / "journal.sqlite"
    run = backplane("run", str(config), "--run-id", "r1", "--quiet")
    first = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        wait_for(lambda: len(journal_rows(journal, "SELECT 1 FROM orders WHERE state = 'accepted'")) >= 2, 30,
                 "the first session to have working quotes")  # fmt: skip

        # -- a second process with the same run id is refused, naming the holder
        t0 = time.monotonic()
        second = subprocess.run(run, capture_output=True, text=True, timeout=30, env=dict(os.environ))
        assert second.returncode == 6, second.stderr[-2000:]
        assert f"run 'r1' is already running (pid {first.pid} on host" in second.stderr
        assert "Traceback" not in second.stderr and second.stdout == ""
        refused_s = time.monotonic() - t0
        assert first.poll() is None  # the holder runs on

        first.send_signal(signal.SIGKILL)  # mid-run: quotes stay at the venue, "open" in the journal
        first.wait(10)
    finally:
        first.kill()
        first.wait(10)

    async with Venue(simulator) as venue:
        left_by_kill = set(await venue.resting())
        await venue.place_stray("mm-zzzzzzzz9-1")  # at the venue, in no journal: the resume must cancel it
    assert left_by_kill, "the killed session left no order resting: nothing was tested"

    resumed = subprocess.run([*run, "--duration", "3"], capture_output=True, text=True, timeout=40,
                             env=dict(os.environ))  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "reconciled at resume:" in resumed.stdout

    async with Venue(simulator) as venue:
        resting = await venue.resting()
    states = dict(journal_rows(journal, "SELECT client_order_id, state FROM orders"))
    orphans = [cid for cid in resting if states.get(cid) not in OPEN_STATES]
    assert orphans == []
    assert "mm-zzzzzzzz9-1" not in resting and states["mm-zzzzzzzz9-1"] == "cancelled"
    assert not left_by_kill & set(resting)  # the killed session's quotes were cancelled at the clean stop
    # no client id submitted twice, across both sessions
    assert journal_rows(journal, "SELECT client_order_id FROM order_events WHERE kind = 'submit'"
                                 " GROUP BY client_order_id HAVING count(*) > 1") == []  # fmt: skip
    assert journal_rows(journal, "SELECT client_order_id FROM orders WHERE filled > size") == []
    # the two sessions' ids carry different tags
    tags = {cid.rsplit("-", 2)[1] for (cid,) in journal_rows(journal, "SELECT client_order_id FROM orders")
            if cid.startswith("mm-") and cid != "mm-zzzzzzzz9-1"}  # fmt: skip
    assert len(tags) == 2, tags
    kinds = {k for (k,) in journal_rows(journal, "SELECT kind FROM differences")}
    assert "unknown_to_us" in kinds  # the stray order, found and journalled
    assert refused_s < 10 and time.monotonic() - started < 60
