"""The order lifecycle table, and the execution core against a reference venue.

The stateful test drives the real router, tracker and resolver against a small
venue model whose every answer the test decides: acknowledged, refused, or
lost (processed or not), stream events delayed and delivered twice, fills of
any size. After any interleaving, once everything in flight is answered and
delivered, what the run believes must be what the venue holds.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections import Counter, deque
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from framework.execution.lifecycle import (
    OPEN,
    TABLE,
    TERMINAL,
    OrderStatus,
    Trigger,
    next_status,
)
from framework.execution.resolver import ExecutionSettings, UnknownResolver
from framework.execution.router import RunRouter
from framework.execution.tracker import OrderTracker
from framework.journal import Journal
from framework.journal import OpenOrder as JournalOrder
from framework.journal.reconcile import settle
from framework.model.errors import VenueRejected, VenueUnavailable
from framework.model.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderReplaced,
    OrderResolved,
    Side,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.venue import VenueOrder
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock

V, S, ST = "v", "X", "s"

# -- the table itself ------------------------------------------------------------------


def test_every_status_is_reachable_from_new_and_every_open_one_can_end() -> None:
    reached, todo = {OrderStatus.NEW}, [OrderStatus.NEW]
    while todo:
        for after in TABLE[todo.pop()].values():
            if after not in reached:
                reached.add(after)
                todo.append(after)
    assert reached == set(OrderStatus)
    for status in OPEN - {OrderStatus.NEW}:
        assert set(TABLE[status].values()) & TERMINAL, f"{status} has no way to end"


def test_terminal_statuses_only_move_to_filled_or_stay() -> None:
    for status in TERMINAL - {OrderStatus.REJECTED}:
        assert set(TABLE[status].values()) <= {status, OrderStatus.FILLED}, status
    # ...but a rejected order the venue shows working after all is pulled at once
    assert set(TABLE[OrderStatus.REJECTED].values()) == {OrderStatus.REJECTED, OrderStatus.FILLED, OrderStatus.PENDING_CANCEL}


def test_working_means_partially_filled_once_anything_filled() -> None:
    assert next_status(OrderStatus.PENDING_CANCEL, Trigger.REFUSED, filled=0) is OrderStatus.ACCEPTED
    assert next_status(OrderStatus.PENDING_CANCEL, Trigger.REFUSED, filled=3) is OrderStatus.PARTIALLY_FILLED
    assert next_status(OrderStatus.FILLED, Trigger.ACCEPT) is None


# -- a venue the test answers for --------------------------------------------------------


class ModelVenue:
    """What the venue holds, and its answers held until the test releases them."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.resting: dict[str, list[int]] = {}  # client id -> [size, filled]
        self.filled: dict[str, int] = {}  # every fill the venue made, by order
        self.ever: set[str] = set()  # orders the venue ever held
        self.pending: list[tuple[Any, asyncio.Future[str]]] = []  # requests awaiting the test's answer
        self.stream: deque[OrderEvent] = deque()  # order-stream events not yet delivered
        self.delivered_fills: list[OrderFilled] = []
        self.late: list[Any] = []  # requests whose answer was lost, still to be processed
        self._exec = itertools.count(1)

    # the route the router calls
    async def _request(self, intent: Any) -> None:
        answer = asyncio.get_running_loop().create_future()
        self.pending.append((intent, answer))
        outcome = await answer
        if outcome == "refused":
            raise VenueRejected(V, "refused")
        if outcome.startswith("lost"):
            raise VenueUnavailable(V, "answer lost")

    submit = cancel = replace = _request

    async def find_orders(self, orders: Sequence[Any]) -> dict[str, VenueOrder]:
        return {o.client_order_id: VenueOrder(o.client_order_id, f"V-{o.client_order_id}", self.resting[o.client_order_id][1])
                for o in orders if o.client_order_id in self.resting}  # fmt: skip

    # what the venue does with a request it processes
    def process(self, intent: Any) -> None:
        coid = intent.client_order_id
        head = (V, S, 0, 0, coid, ST, f"V-{coid}")
        if isinstance(intent, SubmitOrder):
            self.resting[coid] = [intent.size, 0]
            self.ever.add(coid)
            self.stream.append(OrderAccepted(*head, intent.side, intent.price, intent.size))
        elif coid not in self.resting:
            self.stream.append(CancelRejected(V, S, 0, 0, coid, ST, "", "unknown order"))
        elif isinstance(intent, CancelOrder):
            del self.resting[coid]
            self.stream.append(OrderCanceled(*head, "cancelled"))
        elif intent.size > self.resting[coid][1]:
            rest = self.resting[coid]
            rest[0] = intent.size
            self.stream.append(OrderReplaced(*head, intent.price, intent.size, intent.size - rest[1]))
        else:
            self.stream.append(CancelRejected(*head, "size not above filled"))

    def fill(self, coid: str, lots: int) -> None:
        size, filled = self.resting[coid]
        lots = min(lots, size - filled)
        self.resting[coid][1] = filled + lots
        self.filled[coid] = self.filled.get(coid, 0) + lots
        remaining = size - filled - lots
        if remaining == 0:
            del self.resting[coid]
        self.stream.append(OrderFilled(V, S, 0, 0, coid, ST, f"V-{coid}", f"x{next(self._exec)}", Side.BUY, 100,
                                       lots, filled + lots, remaining))  # fmt: skip

    def deliver(self) -> None:
        event = self.stream.popleft()
        if isinstance(event, OrderFilled):
            self.delivered_fills.append(event)
        self.bus.publish(event)


# lost_late: the answer is lost and the venue processes the request later (a
# timed-out request still in a queue) -- possibly after the run asked about it.
OUTCOMES = ("ok", "refused", "lost_processed", "lost_unprocessed", "lost_late")


class ExecutionCore(RuleBasedStateMachine):
    """Random interleavings of requests, answers, stream events, fills, lookups
    and restarts (the process dies; the next session resumes from the journal)."""

    @initialize()
    def start(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.clock = SimClock()
        self.venue = ModelVenue(Bus(self.clock))
        self.ids = itertools.count(1)
        self.sent: list[str] = []
        self.seen: set[OrderStatus] = set()
        self._new_session()

    def _new_session(self) -> None:
        """The run's execution core, as assembly builds it: tracker first on the
        bus, then the journal (SQLite, written synchronously here)."""
        self.loop = asyncio.new_event_loop()
        self.bus = self.venue.bus = Bus(self.clock)
        self.tracker = OrderTracker()
        self.journal = Journal(self.dir.name, "r", clock=self.clock)
        resumed = self.journal.start(mode="live", config_text="")
        self.bus.subscribe(self.tracker.on_event, OrderEvent)
        self.bus.subscribe(self.journal.on_event, OrderEvent)
        self.router = RunRouter(self.bus, self.clock, self.tracker)
        self.router.on_intent = self.journal.record_intent
        self.router.add_route(V, self.venue, None)
        self.resolver = UnknownResolver(self.bus, self.clock, self.tracker, ExecutionSettings(resolve_after=1, resolve_within=10**15))
        self.resolver.add_venue(V, self.venue.find_orders)
        self.resolver.attach()
        if resumed:
            self._run(self._resume)

    def _resume(self) -> None:
        """What a resumed run does before trading: rebuild from the journal, then
        reconcile with what the venue holds (policy: cancel what we do not know)."""
        restored = self.journal.restore()
        self.tracker.restore(restored.book, restored.open_orders, restored.execution_keys)
        self.tracker.recall = self.journal.order_record
        at_venue = [JournalOrder(c, ST, V, S, Side.BUY, 100, size, filled, f"V-{c}") for c, (size, filled) in self.venue.resting.items()]
        found = settle(restored.open_orders, at_venue, policy="cancel")
        for o in found.close:  # ours, no longer at the venue
            self.bus.publish(OrderResolved(V, S, 0, 0, o.client_order_id, o.strategy, o.venue_order_id,
                                           "gone" if o.venue_order_id else "not_found"))  # fmt: skip
        for o in found.cancel:  # the venue's, unknown to the journal
            self.tracker.adopt(o)
            self.router.send(CancelOrder(ST, V, S, o.client_order_id, o.venue_order_id))
        self.resolver.check(V)

    def _end_session(self) -> None:
        """The process dies: its tasks and every answer still owed with it."""
        async def die() -> None:
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.resolver.close()

        self.loop.run_until_complete(die())
        self.journal.close(clean=False)
        self.loop.close()

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            try:
                self.settle()
                self.check_agreement()
            finally:
                self._end_session()
                self.dir.cleanup()

    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        for intent, _ in self.venue.pending:  # sent; the venue may still act on it after the crash
            if data.draw(st.booleans(), label="processed after the crash"):
                self.venue.late.append(intent)
        self.venue.pending.clear()
        self._end_session()
        self._new_session()

    def _run(self, fn: Any = None) -> None:
        async def step() -> None:
            if fn is not None:
                fn()
            for _ in range(6):
                await asyncio.sleep(0)

        self.loop.run_until_complete(step())
        for order in self.tracker._orders.values():
            self.seen.add(order.state)

    # -- what strategies do
    @rule(size=st.integers(1, 5))
    def submit(self, size: int) -> None:
        coid = f"c{next(self.ids)}"
        self.sent.append(coid)
        self._run(lambda: self.router.send(SubmitOrder(ST, V, S, coid, Side.BUY, 100, size)))

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        coid = data.draw(st.sampled_from(self.sent))
        self._run(lambda: self.router.send(CancelOrder(ST, V, S, coid)))

    @precondition(lambda self: self.sent)
    @rule(data=st.data(), size=st.integers(1, 8))
    def replace(self, data: st.DataObject, size: int) -> None:
        coid = data.draw(st.sampled_from(self.sent))
        if self.tracker.order(coid) is not None and self.tracker.order(coid).is_open:
            self._run(lambda: self.router.send(ReplaceOrder(ST, V, S, coid, "", 100, size)))

    # -- what the venue does
    @precondition(lambda self: self.venue.pending)
    @rule(data=st.data(), outcome=st.sampled_from(OUTCOMES))
    def answer(self, data: st.DataObject, outcome: str) -> None:
        i = data.draw(st.integers(0, len(self.venue.pending) - 1))
        intent, answer = self.venue.pending.pop(i)
        if outcome in ("ok", "lost_processed"):
            self.venue.process(intent)
        elif outcome == "lost_late":
            self.venue.late.append(intent)
        self._run(lambda: answer.set_result(outcome))

    @precondition(lambda self: self.venue.late)
    @rule()
    def process_late(self) -> None:
        self.venue.process(self.venue.late.pop(0))

    @precondition(lambda self: self.venue.stream)
    @rule()
    def deliver(self) -> None:
        self._run(self.venue.deliver)

    @precondition(lambda self: self.venue.delivered_fills)
    @rule()
    def redeliver_a_fill(self) -> None:  # a reconnect replays an execution
        fill = self.venue.delivered_fills[-1]
        self._run(lambda: self.bus.publish(fill))

    @precondition(lambda self: self.venue.resting)
    @rule(data=st.data(), lots=st.integers(1, 5))
    def fill(self, data: st.DataObject, lots: int) -> None:
        self.venue.fill(data.draw(st.sampled_from(sorted(self.venue.resting))), lots)

    @rule()
    def ask_the_venue(self) -> None:
        self._run(lambda: self.clock.advance(2))  # (the resolver's own timers fire inside the loop)
        self.loop.run_until_complete(self.resolver.round(V))

    # -- invariants
    @invariant()
    def fills_are_applied_once_and_never_exceed_size(self) -> None:
        if not hasattr(self, "tracker"):
            return
        booked = sum(f.size for f in {f.execution_id: f for f in self.venue.delivered_fills}.values())
        assert self.tracker.position(ST, V, S) == booked
        assert not self.tracker.violations - Counter({"working at the venue after it was closed here": 10**9})
        for order in self.tracker._orders.values():
            assert order.filled <= order.size

    def settle(self) -> None:
        """Answer everything in flight, deliver every event, ask about every doubt."""
        for _ in range(2000):
            if self.venue.late:
                self.process_late()
            elif self.venue.pending:
                intent, answer = self.venue.pending.pop(0)
                self.venue.process(intent)
                self._run(lambda answer=answer: answer.set_result("ok"))
            elif self.venue.stream:
                self._run(self.venue.deliver)
            elif self.tracker.unknown_orders() or self.router.in_flight:
                self.ask_the_venue()
                self._run()
            else:
                return
        raise AssertionError("did not settle")

    def check_agreement(self) -> None:
        believed_open = {o.client_order_id for o in self.tracker.open_orders()}
        assert set(self.venue.resting) == believed_open, "orphans or ghosts after settling"
        rows = {r[0]: (r[1], r[2], r[3]) for r in self.journal.query("SELECT client_order_id, state, filled, size FROM orders")}
        for coid in self.sent:
            state, filled, size = rows[coid]
            assert filled == self.venue.filled.get(coid, 0) and filled <= size, (coid, rows[coid])
            order = self.tracker.order(coid)  # None: over before the last restart
            assert order is not None or not OrderStatus(state).is_open
            if order is not None:
                # (the statuses themselves may differ after a restart: a venue order the
                # journal closed earlier is taken over by the tracker at reconcile)
                assert order.filled == filled, (order, rows[coid])
            if coid not in self.venue.ever:
                assert state in ("rejected", "cancelled", "denied"), (coid, state)


TestExecutionCore = ExecutionCore.TestCase
TestExecutionCore.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


def test_the_stateful_run_reaches_every_status_it_can() -> None:
    """The model's run above visits the statuses the table has (DENIED and
    EXPIRED come from the risk layer and the venue's clock, covered elsewhere)."""
    machine = ExecutionCore()
    machine.start()
    machine.submit(2)  # NEW -> PENDING_NEW
    intent, answer = machine.venue.pending.pop()
    machine._run(lambda: answer.set_result("lost_unprocessed"))  # UNKNOWN
    machine.ask_the_venue()  # REJECTED (never reached the venue)
    machine.submit(3)
    intent, answer = machine.venue.pending.pop()
    machine.venue.process(intent)
    machine._run(lambda: answer.set_result("ok"))
    machine.deliver()  # ACCEPTED
    machine.venue.fill("c2", 1)
    machine.deliver()  # PARTIALLY_FILLED
    machine._run(lambda: machine.router.send(ReplaceOrder(ST, V, S, "c2", "", 100, 4)))  # PENDING_REPLACE
    intent, answer = machine.venue.pending.pop()
    machine.venue.process(intent)
    machine._run(lambda: answer.set_result("ok"))
    machine.deliver()
    machine._run(lambda: machine.router.send(CancelOrder(ST, V, S, "c2")))  # PENDING_CANCEL
    intent, answer = machine.venue.pending.pop()
    machine.venue.process(intent)
    machine._run(lambda: answer.set_result("ok"))
    machine.deliver()  # CANCELLED
    machine.submit(1)
    intent, answer = machine.venue.pending.pop()
    machine.venue.process(intent)
    machine._run(lambda: answer.set_result("ok"))
    machine.venue.fill("c3", 1)
    machine.deliver()
    machine.deliver()  # FILLED
    expected = set(OrderStatus) - {OrderStatus.DENIED, OrderStatus.EXPIRED}
    assert machine.seen >= expected - {OrderStatus.NEW}
    machine.teardown()


@pytest.mark.parametrize("venue_had_it", [True, False])
def test_an_order_in_doubt_is_resolved_both_ways(venue_had_it: bool) -> None:
    machine = ExecutionCore()
    machine.start()
    machine.submit(2)
    intent, answer = machine.venue.pending.pop()
    if venue_had_it:
        machine.venue.process(intent)
        machine.venue.stream.clear()  # its acknowledgement is lost too: only asking can tell
    machine._run(lambda: answer.set_result("lost"))
    assert machine.tracker.order("c1").state is OrderStatus.UNKNOWN
    machine.ask_the_venue()
    machine._run()
    want = OrderStatus.ACCEPTED if venue_had_it else OrderStatus.REJECTED
    assert machine.tracker.order("c1").state is want
    assert machine.resolver.resolved["found" if venue_had_it else "not_found"] == 1
    machine.teardown()


def test_a_replace_of_an_order_in_doubt_is_denied_here_and_a_cancel_still_goes() -> None:
    machine = ExecutionCore()
    machine.start()
    machine.submit(2)
    intent, answer = machine.venue.pending.pop()
    machine._run(lambda: answer.set_result("lost"))
    assert machine.tracker.order("c1").state is OrderStatus.UNKNOWN
    denied: list[Any] = []
    machine.bus.subscribe(denied.append, OrderDenied)
    machine._run(lambda: machine.router.send(ReplaceOrder(ST, V, S, "c1", "", 100, 4)))
    assert [d.request for d in denied] == ["replace"] and "in doubt" in denied[0].message
    assert not machine.venue.pending  # nothing left for the venue
    assert machine.tracker.order("c1").state is OrderStatus.UNKNOWN and not machine.tracker.violations
    machine._run(lambda: machine.router.send(CancelOrder(ST, V, S, "c1")))
    assert [type(i) for i, _ in machine.venue.pending] == [CancelOrder]
    machine.teardown()


def test_the_running_guide_shows_the_table_as_it_is() -> None:
    from pathlib import Path

    from framework.execution.lifecycle import as_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "running.md").read_text()
    shown = doc.split("<!-- lifecycle:start", 1)[1].split("-->", 1)[1].split("<!-- lifecycle:end -->", 1)[0]
    assert shown.strip() == as_markdown().strip(), "docs/running.md's lifecycle table is stale"
