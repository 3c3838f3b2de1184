"""The run journal: exactly-once executions, the order lifecycle, restore after
SIGKILL, reconciliation."""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.books.l2book import L2Book
from framework.journal import (
    Difference,
    DifferenceKind,
    Journal,
    JournalError,
    OpenOrder,
    OrderState,
    reconcile,
    reconcile_positions,
    run_dir_for,
)
from framework.model.events import (
    CancelRejected,
    DenyReason,
    HandlerFailed,
    Liquidity,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    Side,
    VenueCheckpoint,
)
from framework.model.orders import CancelOrder, SubmitOrder, TimeInForce
from framework.model.positions import Position, PositionBook
from framework.paper import PaperExchange
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock

V, S, ST = "simv", "BTC-USD", "mm"


def submit(cid: str, side: Side = Side.BUY, price: int = 100, size: int = 10) -> SubmitOrder:
    return SubmitOrder(ST, V, S, cid, side, price, size)


def accepted(cid: str, side: Side = Side.BUY, price: int = 100, size: int = 10) -> OrderAccepted:
    return OrderAccepted(V, S, 1, 1, cid, ST, f"v-{cid}", side, price, size)


def filled(cid: str, exec_id: str, size: int, cum: int, total: int = 10, side: Side = Side.BUY, price: int = 100, fee: int = 1) -> OrderFilled:
    return OrderFilled(V, S, 1, 1, cid, ST, f"v-{cid}", exec_id, side, price, size, cum, total - cum, Liquidity.MAKER, fee)


def canceled(cid: str) -> OrderCanceled:
    return OrderCanceled(V, S, 1, 1, cid, ST, f"v-{cid}", "canceled")


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    j = Journal(tmp_path / "r1", "r1", clock=SimClock())
    j.start(mode="paper", config_text="venues: {}\n", meta={"who": "test"})
    yield j
    j.close()


def count(j: Journal, table: str) -> int:
    return j.query(f"SELECT count(*) FROM {table}")[0][0]


# -- exactly once ---------------------------------------------------------------


def test_duplicated_and_interleaved_fills_are_booked_exactly_once(journal: Journal) -> None:
    journal.record_submit(submit("a"))
    journal.record_submit(submit("b", Side.SELL, 105, 6))
    fills = [
        filled("a", "x1", 4, 4),
        filled("b", "x2", 6, 6, total=6, side=Side.SELL, price=105),
        filled("a", "x3", 6, 10),
    ]
    deliveries = fills + [fills[1], fills[0]] + fills[::-1] + [fills[2]]
    results = [journal.record_fill(f) for f in deliveries]
    assert results == [True, True, True] + [False] * 6
    assert count(journal, "executions") == 3
    assert count(journal, "positions") == 3
    assert journal.positions.get(ST, V, S) == Position(qty=4, cost=400, realized=30, fees=3)
    assert journal.query("SELECT filled FROM orders ORDER BY client_order_id")[0][0] == 10
    assert journal.order_state("a") is OrderState.FILLED
    assert journal.order_state("b") is OrderState.FILLED


def test_same_execution_id_at_another_venue_is_another_execution(journal: Journal) -> None:
    f = filled("a", "x1", 1, 1)
    assert journal.record_fill(f)
    import msgspec

    assert journal.record_fill(msgspec.structs.replace(f, venue="other"))
    assert count(journal, "executions") == 2


def test_a_fill_without_execution_id_is_booked_once_and_reported(journal: Journal) -> None:
    f = filled("a", "", 3, 3)
    assert journal.record_fill(f) and not journal.record_fill(f)
    assert journal.positions.position(ST, V, S) == 3
    (err,) = journal.query("SELECT message FROM errors")
    assert "without execution id" in err[0]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_redelivery_order_gives_the_positions_of_the_unique_fills(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8))
    unique = [
        filled(f"o{i}", f"x{i}", data.draw(st.integers(1, 9)), 1, side=data.draw(st.sampled_from(list(Side))),
               price=data.draw(st.integers(90, 110)), fee=data.draw(st.integers(-2, 2)))
        for i in range(n)
    ]
    deliveries = data.draw(st.lists(st.sampled_from(unique), max_size=20)) + unique
    deliveries = data.draw(st.permutations(deliveries))
    with tempfile.TemporaryDirectory() as tmp:
        j = Journal(Path(tmp), "prop", clock=SimClock())
        with j.batch():
            booked = sum(j.record_fill(f) for f in deliveries)
        assert booked == n
        cash = sum(-int(f.side) * f.price * f.size for f in unique)
        qty = sum(int(f.side) * f.size for f in unique)
        fees = sum(f.fee for f in unique)
        assert j.positions.position(ST, V, S) == qty
        assert j.positions.get(ST, V, S).net(100) == cash + qty * 100 - fees
        j.close()


# -- order lifecycle --------------------------------------------------------------


def test_order_lifecycle_is_journalled_state_by_state(journal: Journal) -> None:
    journal.record_submit(submit("a"))
    assert journal.order_state("a") is OrderState.PENDING_NEW
    journal.on_event(accepted("a"))
    journal.on_event(filled("a", "x1", 3, 3))
    assert journal.order_state("a") is OrderState.PARTIALLY_FILLED
    journal.record_request(CancelOrder(ST, V, S, "a"))
    journal.on_event(CancelRejected(V, S, 1, 1, "a", ST, "v-a", "busy"))
    assert journal.order_state("a") is OrderState.PARTIALLY_FILLED
    journal.on_event(canceled("a"))
    assert journal.order_state("a") is OrderState.CANCELLED
    rows = journal.query("SELECT kind, state_before, state_after, ignored FROM order_events ORDER BY seq")
    assert [tuple(r) for r in rows] == [
        ("admit", "new", "pending_new", 0),
        ("accept", "pending_new", "accepted", 0),
        ("fill", "accepted", "partially_filled", 0),
        ("request_cancel", "partially_filled", "pending_cancel", 0),
        ("refused", "pending_cancel", "partially_filled", 0),
        ("cancelled", "partially_filled", "cancelled", 0),
    ]
    (order,) = journal.query("SELECT venue_order_id, filled, reason FROM orders")
    assert tuple(order) == ("v-a", 3, "canceled")


def test_out_of_order_deliveries_keep_a_sane_state_and_are_marked(journal: Journal) -> None:
    journal.record_submit(submit("a"))
    journal.on_event(filled("a", "x1", 10, 10))  # the fill beats the acknowledgement
    journal.on_event(accepted("a"))
    assert journal.order_state("a") is OrderState.FILLED
    (ignored,) = journal.query("SELECT kind FROM order_events WHERE ignored = 1")
    assert ignored[0] == "accept"  # an ack of an order with fills, nowhere to go from filled
    # A fill racing a cancel still counts, and completes the order.
    journal.record_submit(submit("b"))
    journal.on_event(accepted("b"))
    journal.on_event(canceled("b"))
    journal.on_event(filled("b", "x2", 10, 10))
    assert journal.order_state("b") is OrderState.FILLED
    assert journal.positions.position(ST, V, S) == 20


def test_rejections_denials_and_handler_failures_are_journalled(journal: Journal) -> None:
    journal.record_submit(submit("a"))
    journal.on_event(OrderRejected(V, S, 1, 1, "a", ST, "", "post-only order would cross"))
    journal.record_submit(submit("b"))
    journal.on_event(OrderDenied(V, S, 1, 1, "b", ST, "", DenyReason.RATE_LIMITED, "budget"))
    journal.on_event(OrderDenied(V, S, 1, 1, "c", ST, "", DenyReason.MAX_POSITION, "too long"))
    journal.on_event(HandlerFailed(V, S, 1, 1, ST, "Trade", "ZeroDivisionError()", "Traceback ...", True))
    assert journal.order_state("a") is OrderState.REJECTED
    assert journal.order_state("b") is OrderState.DENIED
    assert journal.order_state("c") is OrderState.DENIED  # never submitted through us, still recorded
    reasons = sorted(r[0] for r in journal.query("SELECT reason FROM denials"))
    assert reasons == ["max_position", "rate_limited"]
    (err,) = journal.query("SELECT strategy, event_kind, message FROM errors")
    assert tuple(err) == (ST, "Trade", "ZeroDivisionError()")
    assert journal.open_orders() == []


def test_journal_subscribed_as_a_queued_bus_subscriber_keeps_every_event(journal: Journal) -> None:
    bus = Bus(SimClock())
    sub = bus.subscribe(journal.on_event, queued=True, name="journal")
    journal.record_submit(submit("a"))
    for ev in [accepted("a"), filled("a", "x1", 5, 5), filled("a", "x1", 5, 5), filled("a", "x2", 5, 10)]:
        bus.publish(ev)
    assert sub.inbox is not None
    with journal.batch():
        sub.inbox.drain()
    assert bus.handler_errors == 0
    assert count(journal, "executions") == 2
    assert journal.order_state("a") is OrderState.FILLED


def test_a_failed_batch_rolls_back_the_database_and_the_positions(journal: Journal) -> None:
    journal.record_fill(filled("a", "x1", 2, 2))
    with pytest.raises(RuntimeError), journal.batch():
        journal.record_fill(filled("a", "x2", 3, 5))
        assert journal.positions.position(ST, V, S) == 5
        raise RuntimeError("boom")
    assert journal.positions.position(ST, V, S) == 2
    assert count(journal, "executions") == 1
    assert journal.record_fill(filled("a", "x2", 3, 5))  # not a duplicate: it was never committed


# -- the database itself ---------------------------------------------------------


def test_database_is_wal_with_full_sync_and_holds_run_metadata(tmp_path: Path) -> None:
    j = Journal(tmp_path / "r9", "r9", clock=SimClock())
    assert j.start(mode="paper", config_text="token: '***'\n", meta={"strategies": ["mm"]}) is False
    assert j.query("PRAGMA journal_mode")[0][0] == "wal"
    assert j.query("PRAGMA synchronous")[0][0] == 2  # FULL
    (run,) = j.query("SELECT run_id, mode, config_text, meta_json FROM run")
    assert tuple(run) == ("r9", "paper", "token: '***'\n", '{"strategies":["mm"]}')
    j.close()
    assert (tmp_path / "r9" / "journal.sqlite").exists()


def test_wrong_or_bad_run_ids_are_refused(tmp_path: Path) -> None:
    Journal(tmp_path / "a", "a").close()
    with pytest.raises(JournalError, match="journal of run 'a'"):
        Journal(tmp_path / "a", "b")
    for bad in ("", "../x", "a/b", ".hidden", "x" * 200):
        with pytest.raises(JournalError):
            run_dir_for(tmp_path, bad)
    assert run_dir_for("runs", "2026-01-01_mm.1") == Path("runs/2026-01-01_mm.1")


def test_clean_restart_restores_positions_and_open_orders(tmp_path: Path) -> None:
    j = Journal(tmp_path, "r", clock=SimClock())
    j.start(mode="paper", config_text="")
    for cid, side, price in (("a", Side.BUY, 100), ("b", Side.SELL, 110), ("c", Side.BUY, 99)):
        j.record_submit(submit(cid, side, price))
        j.on_event(accepted(cid, side, price))
    j.on_event(filled("a", "x1", 10, 10))
    j.on_event(filled("b", "x2", 4, 4, side=Side.SELL, price=110))
    j.on_event(canceled("c"))
    j.close()
    j = Journal(tmp_path, "r", clock=SimClock())
    state = j.restore()
    assert state.previous_session_clean and state.sessions == 1 and state.executions == 2
    assert state.positions == {(ST, V, S): Position(qty=6, cost=600, realized=40, fees=2)}
    assert state.book is not j.positions and state.book.get(ST, V, S) == j.positions.get(ST, V, S)
    assert state.open_orders == [OpenOrder("b", ST, V, S, Side.SELL, 110, 10, 4, "v-b", "partially_filled")]
    j.record_submit(SubmitOrder(ST, V, S, "g", Side.BUY, 90, 1, tif=TimeInForce.GTT, expire_ns=123, post_only=True))
    (g,) = [o for o in j.open_orders() if o.client_order_id == "g"]
    assert (g.tif, g.expire_ns, g.post_only, g.state) == (TimeInForce.GTT, 123, True, "pending_new")
    assert j.start(mode="paper", config_text="") is True
    assert j.session == 2
    j.close()


def test_venue_checkpoints_keep_the_latest_per_key_and_come_back_on_restore(tmp_path: Path) -> None:
    j = Journal(tmp_path, "r", clock=SimClock())
    j.start(mode="live", config_text="")
    bus = Bus()
    sub = bus.subscribe(j.on_event, (OrderFilled, VenueCheckpoint), queued=True)
    j.record_submit(submit("a"))
    bus.publish(accepted("a"))
    bus.publish(filled("a", "x1", 4, 4))
    for token in (b"\x00\x01", b"\x00\x02"):  # the later one wins
        bus.publish(VenueCheckpoint(V, "", 1, 1, "dropcopy.resume_token", token))
    bus.publish(VenueCheckpoint("other", "", 1, 1, "dropcopy.resume_token", b"\xff"))
    bus.publish(VenueCheckpoint(V, "", 1, 1, "orders.session", b"s1"))
    assert sub.inbox is not None
    with j.batch():
        sub.inbox.drain()
    j.close()
    j = Journal(tmp_path, "r", clock=SimClock())
    state = j.restore()
    assert state.checkpoints == {
        V: {"dropcopy.resume_token": b"\x00\x02", "orders.session": b"s1"},
        "other": {"dropcopy.resume_token": b"\xff"},
    }
    assert state.executions == 1
    j.close()


def test_a_journal_of_the_previous_schema_gains_the_checkpoint_table(tmp_path: Path) -> None:
    j = Journal(tmp_path, "r", clock=SimClock())
    j.start(mode="live", config_text="")
    j.close()
    with sqlite3.connect(tmp_path / "journal.sqlite") as conn:  # as schema 1 left it
        conn.execute("DROP TABLE venue_checkpoints")
        conn.execute("PRAGMA user_version=1")
    conn.close()
    j = Journal(tmp_path, "r", clock=SimClock())
    assert j.restore().checkpoints == {}
    j.on_event(VenueCheckpoint(V, "", 1, 1, "k", b"v"))
    assert j.restore().checkpoints == {V: {"k": b"v"}}
    assert j.query("PRAGMA user_version")[0][0] == 3
    j.close()


# -- SIGKILL mid-run -----------------------------------------------------------------

# The child journals a deterministic script of events, one commit each, and
# prints how many it has journalled; the parent kills it mid-way.
SCRIPT = textwrap.dedent(
    """
    from framework.model.events import Liquidity, OrderAccepted, OrderCanceled, OrderFilled, Side
    from framework.model.orders import SubmitOrder

    def steps(n):
        for i in range(n):
            cid = f"c{i}"
            side = Side.SELL if i % 3 == 2 else Side.BUY
            price = 100 + i % 7
            yield SubmitOrder("mm", "simv", "BTC-USD", cid, side, price, 10)
            yield OrderAccepted("simv", "BTC-USD", i, i, cid, "mm", f"v{i}", side, price, 10)
            cum = 0
            for part in ((), (4,), (10,), (4, 6))[i % 4]:
                cum += part
                yield OrderFilled("simv", "BTC-USD", i, i, cid, "mm", f"v{i}", f"x{i}-{cum}", side,
                                  price, part, cum, 10 - cum, Liquidity.TAKER, 1)
            if i % 5 == 0 and cum < 10:
                yield OrderCanceled("simv", "BTC-USD", i, i, cid, "mm", f"v{i}", "canceled")
    """
)

CHILD = SCRIPT + textwrap.dedent(
    """
    import sys
    from framework.journal import Journal
    from framework.model.orders import SubmitOrder

    journal = Journal(sys.argv[1], "killed")
    journal.start(mode="paper", config_text="")
    for n, item in enumerate(steps(10**6), 1):
        if isinstance(item, SubmitOrder):
            journal.record_submit(item)
        else:
            journal.on_event(item)
        print(n, flush=True)  # after the commit: n events are durable
    """
)


def expected_after(k: int) -> tuple[PositionBook, dict[str, int]]:
    """A naive model of the first ``k`` journalled events: positions and the
    filled size of each order still working."""
    ns: dict[str, Any] = {}
    exec(SCRIPT, ns)
    book = PositionBook()
    working: dict[str, int] = {}
    for item in list(ns["steps"](k // 2 + 1))[:k]:
        kind = type(item).__name__
        if kind == "OrderAccepted":
            working[item.client_order_id] = 0
        elif kind == "OrderFilled":
            book.apply_fill(item.strategy, item.venue, item.symbol, item.side, item.price, item.size, item.fee)
            working[item.client_order_id] += item.size
            if item.remaining == 0:
                del working[item.client_order_id]
        elif kind == "OrderCanceled":
            del working[item.client_order_id]
        elif kind == "SubmitOrder":
            working[item.client_order_id] = 0
    return book, working


def test_a_run_killed_mid_way_restarts_with_its_positions_and_open_orders(tmp_path: Path) -> None:
    run_dir = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    seen = 0
    deadline = time.monotonic() + 8
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            while seen < 120:
                ready, _, _ = select.select([proc.stdout], [], [], max(deadline - time.monotonic(), 0))
                line = proc.stdout.readline() if ready else b""
                if not line:
                    proc.kill()
                    pytest.fail(f"child stopped after {seen} events: {proc.stderr.read().decode()}")
                seen = int(line)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(run_dir / "journal.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    j = Journal(run_dir, "killed")
    state = j.restore()
    k = j.query("SELECT count(*) FROM order_events")[0][0]
    assert k >= seen  # everything reported durable is there (and maybe a little more)
    book, working = expected_after(k)
    assert state.previous_session_clean is False
    assert state.positions == dict(book.items())
    assert {o.client_order_id: o.filled for o in state.open_orders} == working
    assert len(working) > 5 and state.executions > 20

    # A paper run picks its open orders back up.
    clock = SimClock()
    l2 = L2Book(V, S)
    ex = PaperExchange(V, Bus(clock), clock, lambda symbol: l2)
    assert ex.restore(state.open_orders) == len(working)
    assert j.start(mode="paper", config_text="") is True
    j.close()


# -- reconciliation ----------------------------------------------------------------


def test_reconcile_reports_every_kind_of_difference() -> None:
    ours = [
        OpenOrder("a", ST, V, S, Side.BUY, 100, 10, 0, "va"),
        OpenOrder("b", ST, V, S, Side.SELL, 110, 10, 2, "vb"),
        OpenOrder("c", ST, V, S, Side.BUY, 90, 5, 0, "vc"),
        OpenOrder("", ST, V, S, Side.BUY, 95, 5, 0, "vd"),
    ]
    venue = [
        OpenOrder("a", "", V, S, Side.BUY, 100, 10, 0, "va"),
        OpenOrder("b", "", V, S, Side.SELL, 110, 10, 6, "vb"),
        OpenOrder("", "", V, S, Side.BUY, 95, 5, 0, "vd"),
        OpenOrder("z", "", V, S, Side.BUY, 80, 1, 0, "vz"),
    ]
    diffs = reconcile(ours, venue)
    assert diffs == [
        Difference(DifferenceKind.ORDER_MISMATCH, "b", "filled", "2", "6"),
        Difference(DifferenceKind.MISSING_AT_VENUE, "c"),
        Difference(DifferenceKind.UNKNOWN_TO_US, "z"),
    ]
    assert str(diffs[0]) == "order_mismatch b filled: ours=2 venue=6"
    assert reconcile(ours[:1], venue[:1]) == []


def test_reconcile_positions_and_record_the_differences(journal: Journal) -> None:
    diffs = reconcile_positions({(V, S): 5, (V, "ETH"): 0}, {(V, S): 3, (V, "SOL"): -2})
    assert [(d.key, d.ours, d.theirs) for d in diffs] == [("simv/BTC-USD", "5", "3"), ("simv/SOL", "0", "-2")]
    journal.record_differences(diffs)
    assert count(journal, "differences") == 2


def test_random_walk_of_events_never_loses_a_fill(journal: Journal) -> None:
    rng = random.Random(7)
    pending = [filled(f"o{i}", f"x{i}", 1, 1) for i in range(40)]
    delivered: list[OrderFilled] = []
    while pending:
        f = pending.pop(rng.randrange(len(pending)))
        delivered.append(f)
        journal.on_event(f)
        journal.on_event(rng.choice(delivered))  # a stray redelivery
    assert count(journal, "executions") == 40
    assert journal.positions.position(ST, V, S) == 40
