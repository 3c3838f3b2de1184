"""Protection pulls resting orders: halts (kill switch, schedule), stale feeds
(stream status, book age) -- whole simulated-clock paper runs of the scripted
venue, driven at chosen instants of the run's clock."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.config import load_config
from framework.execution.protection import Protection, growing
from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.model.events import (
    DenyReason,
    OrderAccepted,
    OrderDenied,
    OrderEvent,
    Side,
    StreamState,
    StreamStatus,
)
from framework.model.orders import SubmitOrder
from framework.model.positions import PositionBook
from framework.plugin.manager import load_host
from framework.plugin.venue import MessageKind
from framework.risk import RiskConfig, RiskLayer, TradingState
from framework.risk.gate import RiskGate
from framework.risk.killswitch import write_kill
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import MemorySlotRegistry
from framework.risk.window import BudgetRule
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_MS, NS_PER_S, SimClock
from framework.runtime.run import Run
from framework.runtime.runner import EXIT_OK, run_config

pytestmark = pytest.mark.timeout(60)

CONFIG = """\
run:
  name: protect-test
  mode: paper
  clock: sim
  duration: 30s
venues:
  sim:
    plugin: scripted
    settings: {{interval_ms: 100, seed: 3}}
strategies:
  mm:
    plugin: market_maker
    venue: sim
    symbols: [A, B]
    params: {{size: 5, half_spread_ticks: 3, min_budget: 0}}
{strategy_extra}  other:
    plugin: market_maker
    venue: sim
    symbols: [A]
    params: {{size: 5, half_spread_ticks: 4, min_budget: 0}}
{extra}journal:
  path: {journal}
"""


class Script:
    """Calls ``actions[t](run)`` at ``t`` seconds of the run's clock and keeps
    ``snapshots[t]``: each strategy's open orders and the holds just before.
    ``start`` is the run's ``on_start``: it gets the whole run (a test's look
    inside), not the plugins' view."""

    def __init__(self, actions: dict[float, Any]) -> None:
        self.actions = actions
        self.snapshots: dict[float, dict[str, Any]] = {}
        self.denials: list[OrderDenied] = []

    def start(self, run: Run) -> None:
        run.core.bus.subscribe(self.denials.append, OrderDenied, name="test:denials")
        for t, action in self.actions.items():
            run.clock.call_later(int(t * NS_PER_S), self._at, run, t, action)

    def _at(self, run: Run, t: float, action: Any) -> None:
        self.snapshots[t] = {
            "mm": len(run.tracker.open_orders("mm")),
            "other": len(run.tracker.open_orders("other")),
            "holds": dict(protection(run).holds),
            "sent": run.router.sent,
        }
        if action is not None:
            action(run)


def protection(run: Run) -> Protection:
    assert run.guard is not None
    return run.guard.protection


def run_dir(run: Run) -> Path:
    assert run.session.journal is not None
    return Path(run.session.journal.run_dir)


async def run_script(tmp_path: Path, script: Script, *, extra: str = "", strategy_extra: str = "") -> Any:
    host = load_host()
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG.format(journal=tmp_path / "runs", extra=extra, strategy_extra=strategy_extra))
    runs: list[Any] = []
    code = await run_config(load_config(path, host.config_schema()), host, install_signals=False,
                            run_id="p", on_start=script.start, on_done=runs.append)  # fmt: skip
    assert code == EXIT_OK  # and so nothing was left open at the end
    return runs[0]


async def test_kill_switch_halt_pulls_the_strategys_resting_orders(tmp_path: Path) -> None:
    script = Script({
        5: lambda run: write_kill(run_dir(run), strategy="mm", reason="test"),
        10: None,
    })  # fmt: skip
    run = await run_script(tmp_path, script)
    assert script.snapshots[5]["mm"] > 0  # it was quoting when the kill arrived
    assert script.snapshots[10]["mm"] == 0  # within one poll (500 ms) its quotes were pulled ...
    assert script.snapshots[10]["other"] > 0  # ... and only its own
    assert run.risk.trading_state("mm") is TradingState.HALTED
    assert protection(run).pulled >= script.snapshots[5]["mm"]


async def test_a_run_wide_halt_pulls_every_strategys_orders(tmp_path: Path) -> None:
    script = Script({5: lambda run: write_kill(run_dir(run)), 6: None})
    await run_script(tmp_path, script)
    assert script.snapshots[5]["mm"] > 0 and script.snapshots[5]["other"] > 0
    assert script.snapshots[6]["mm"] == 0 and script.snapshots[6]["other"] == 0


async def test_reducing_keeps_only_orders_that_shrink_the_position(tmp_path: Path) -> None:
    def long_a(run: Run) -> None:
        # as if mm's bid in A had filled: long 5 (the paper book does not trade through mm here)
        run.tracker.positions.apply_fill("mm", "sim", "A", Side.BUY, 500, 5, 0)

    def reducing(run: Run) -> None:
        write_kill(run_dir(run), strategy="mm", state=TradingState.REDUCING)

    seen: dict[float, dict[str, list[Any]]] = {}

    def look(t: float) -> Any:
        def at(run: Run) -> None:
            seen[t] = {s: sorted((o.side, o.remaining) for o in run.tracker.open_orders("mm", s)) for s in ("A", "B")}
            if t == 4.5:
                reducing(run)  # applied at the next poll of the kill file

        return at

    script = Script({4: long_a, 4.5: look(4.5), 6: look(6)})
    await run_script(tmp_path, script)
    both = [(Side.SELL, 5), (Side.BUY, 5)]
    assert seen[4.5] == {"A": both, "B": both}
    assert seen[6] == {"A": [(Side.SELL, 5)], "B": []}  # only A's ask shrinks a position; the rest was pulled


async def test_on_halt_keep_leaves_the_orders_resting(tmp_path: Path) -> None:
    script = Script({5: lambda run: write_kill(run_dir(run), strategy="mm"), 10: None})
    await run_script(tmp_path, script, extra="risk:\n  on_halt: keep\n")
    assert script.snapshots[10]["mm"] > 0  # halted (no new orders) but its quotes stay


async def test_schedule_halt_pulls_through_the_same_path(tmp_path: Path) -> None:
    extra = "schedule:\n  - {name: stop-mm, every: 7s, action: halt, target: mm}\n"
    script = Script({6.5: None, 8: None})
    await run_script(tmp_path, script, extra=extra)
    assert script.snapshots[6.5]["mm"] > 0
    assert script.snapshots[8]["mm"] == 0


def _status(state: StreamState) -> Any:
    def publish(run: Run) -> None:
        now = run.clock.now_ns()
        run.core.bus.publish(StreamStatus("sim", "", now, now, state, "test", "md0"))

    return publish


async def test_a_stale_stream_pulls_and_holds_until_live_again(tmp_path: Path) -> None:
    script = Script({5: _status(StreamState.STALE), 8: None, 10: _status(StreamState.LIVE), 15: None})
    run = await run_script(tmp_path, script, strategy_extra="    stale_after_ms: 1000\n")
    assert script.snapshots[5]["mm"] > 0
    held = script.snapshots[8]
    assert held["mm"] == 0 and "md0 stale" in held["holds"]["mm"]
    assert held["other"] > 0 and "other" not in held["holds"]  # no stale_after_ms: not watched
    # new orders were denied while on hold, and never reached the paper exchange
    on_hold = [d for d in script.denials if d.strategy == "mm" and "on hold" in d.message]
    assert on_hold and all(d.reason is DenyReason.TRADING_HALTED for d in on_hold)
    assert script.snapshots[15]["mm"] > 0 and script.snapshots[15]["holds"] == {}  # live: quoting again
    assert run.risk.trading_state("mm") is TradingState.ACTIVE  # a hold is not a risk state


def _freeze_book(run: Run) -> None:
    run.adapters["sim"]._timer.cancel()


def _thaw_book(run: Run) -> None:
    run.adapters["sim"]._step()


async def test_a_book_without_updates_for_stale_after_ms_pulls_the_orders(tmp_path: Path) -> None:
    script = Script({5: _freeze_book, 5.4: None, 6: None, 10: _thaw_book, 11: None})
    await run_script(tmp_path, script, strategy_extra="    stale_after_ms: 500\n")
    assert script.snapshots[5.4]["mm"] > 0 and script.snapshots[5.4]["holds"] == {}  # not yet 500 ms
    stale = script.snapshots[6]
    assert stale["mm"] == 0 and "no book update" in stale["holds"]["mm"]
    assert script.snapshots[11]["holds"] == {} and script.snapshots[11]["mm"] > 0


class _Order:
    def __init__(self, side: Side, remaining: int, strategy: str = "s") -> None:
        self.strategy, self.venue, self.symbol = strategy, "v", "X"
        self.side, self.remaining = side, remaining


class _Positions:
    def __init__(self, qty: int) -> None:
        self.book = PositionBook()
        if qty:
            self.book.apply_fill("s", "v", "X", Side.BUY if qty > 0 else Side.SELL, 100, abs(qty), 0)

    def position(self, strategy: str, venue: str, symbol: str) -> int:
        return self.book.position(strategy, venue, symbol)


@given(st.integers(-20, 20), st.lists(st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 10)), max_size=12))
def test_what_reducing_keeps_can_only_shrink_the_position(qty: int, specs: list[tuple[Side, int]]) -> None:
    orders = [_Order(side, size) for side, size in specs]
    pulled = growing(orders, _Positions(qty))
    kept = [o for o in orders if o not in pulled]
    total = sum(o.remaining for o in kept)
    # all kept orders filled together shrink the position without flipping it ...
    assert all(o.side == (Side.SELL if qty > 0 else Side.BUY) for o in kept) and total <= abs(qty)
    # ... and a reducing order is pulled only when it would not fit beside them
    assert all(total + o.remaining > abs(qty) for o in pulled if o.side * qty < 0)


def test_reducing_pulls_what_would_grow_the_position() -> None:
    buy, sell3, sell5 = _Order(Side.BUY, 2), _Order(Side.SELL, 3), _Order(Side.SELL, 5)
    # long 6: the buy grows it; sells reduce up to 6 lots, the one past that would flip it
    assert growing([buy, sell3, sell5], _Positions(6)) == [buy, sell5]
    assert growing([buy, sell3], _Positions(0)) == [buy, sell3]  # flat: everything grows
    assert growing([buy, sell3], _Positions(-2)) == [sell3]


class BatchingVenue:
    """A live route that admits each message at the gate and records what it sent:
    ``cancel_many`` is one CANCEL message for up to ``cancel_batch_max`` cancels."""

    cancel_batch_max = 5

    def __init__(self, gate: Any) -> None:
        self.gate = gate
        self.sent: list[tuple[str, int]] = []  # ("submit" | "cancels", how many)

    async def submit(self, order: Any) -> None:
        await self.gate.admit(MessageKind.NEW_ORDER)
        self.sent.append(("submit", 1))

    async def cancel(self, cancel: Any) -> None:
        await self.gate.admit(MessageKind.CANCEL)
        self.sent.append(("cancels", 1))

    async def cancel_many(self, cancels: Any) -> None:
        await self.gate.admit(MessageKind.CANCEL)
        self.sent.append(("cancels", len(cancels)))

    async def replace(self, replace: Any) -> None:
        raise NotImplementedError


async def test_protective_cancels_leave_ahead_of_queued_new_orders() -> None:
    """The window is spent and 20 new orders wait for it; the 12 cancels a pull
    sends (3 batch messages) go out first when it frees, then the new orders."""
    clock = SimClock()
    bus = Bus(clock)
    tracker = OrderTracker()
    bus.subscribe(tracker.on_event, OrderEvent)
    rule = BudgetRule(cap=4, window_ns=NS_PER_S, granularity_ns=10 * NS_PER_MS)
    gate = RiskGate("v", IngressLimiter(rule, clock), MemorySlotRegistry(0), clock, new_order_wait_ns=30 * NS_PER_S)
    venue = BatchingVenue(gate)
    router = RunRouter(bus, clock, tracker)
    router.add_route("v", venue, gate)
    config = RiskConfig()
    protection = Protection(config, bus=bus, clock=clock, tracker=tracker, router=router,
                            risk=RiskLayer(config, {}, clock), venues={"v": venue}, gates={"v": gate})  # fmt: skip
    for i in range(12):  # resting and acknowledged (their inserts went out earlier)
        tracker.on_intent(SubmitOrder("s", "v", "X", f"old{i}", Side.BUY, 50, 1))
        bus.publish(OrderAccepted("v", "X", 0, 0, f"old{i}", "s", f"v{i}"))
    for i in range(24):  # 4 spend the window, 20 wait for it
        router.send(SubmitOrder("s", "v", "X", f"new{i}", Side.BUY, 50, 1))
    for _ in range(4):
        await asyncio.sleep(0)
    assert venue.sent == [("submit", 1)] * 4 and gate.limiter.waiting == 20
    # the new orders are not acknowledged: their cancels would go one by one,
    # so this pull leaves them out (as the stop does) and batches the 12
    assert protection.pull(tracker.open_orders(), unacked="skip") == 12
    for _ in range(10_000):  # each step: let the tasks run, then fire the next timer
        if not router.in_flight:
            break
        await asyncio.sleep(0)
        clock.advance_to(clock.next_timer_ns() or clock.now_ns())
    after_window = venue.sent[4:]
    assert after_window[:3] == [("cancels", 5), ("cancels", 5), ("cancels", 2)]
    assert after_window[3:] == [("submit", 1)] * 20


async def test_a_simulated_run_stops_flat_when_its_cancels_wait_for_budget(tmp_path: Path) -> None:
    """The window is spent just before the stop: its cancels wait at the limiter
    for timers of the simulated clock, which the stop moves (nothing else does)."""

    def spend_the_window(run: Run) -> None:
        limiter = run.gates["sim"].limiter
        while limiter.try_acquire(MessageKind.QUERY):
            pass

    extra = "risk:\n  cancel_reserve: 0\n  venues:\n    sim: {rate_per_s: 100, window_s: 2, margin: 1}\n"
    script = Script({29.9: spend_the_window})
    run = await run_script(tmp_path, script, extra=extra)  # EXIT_OK: nothing open at the end
    assert script.snapshots[29.9]["mm"] > 0
    assert run.outcome.left_open == [] and run.clock.now_ns() > 30 * NS_PER_S  # the stop moved the clock
