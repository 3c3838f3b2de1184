"""The venue-adapter contract suite: one set of cases for every adapter.

A plugin author describes how to run their adapter offline with a
:class:`VenueHarness` -- start the simulator (or a recorded stream), build the
adapter against it, and, for the cases that need one, drive a scenario at the
venue (``set_level``, ``make_trade``, ``kill_stream``, ``stop_heartbeats``, ``send_malformed``,
``duplicate_execution`` ...). Then one test class runs every case::

    import pytest
    from framework.kit import VenueContract

    @pytest.fixture
    def venue_harness():
        return MyVenueHarness()

    class TestMyVenue(VenueContract):
        pass

Each case has an id and a one-line statement (:data:`CASES`). A case whose
driver the harness does not implement, or which the harness lists in
``unsupported`` (its capability declaration), is reported as *unsupported*
(a skip with the reason) and never as a failure. The ``backplane`` pytest
plugin prints the capability matrix at the end of the run.

Cases run on the live clock against a real simulator, each under its own
timeout, with a :class:`~framework.kit.sender.KitSender` as the risk layer. After
every case the kit also checks that the adapter released every stream slot at
``stop()`` and published only under its own venue name.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest

from framework.kit.eventlog import EventLog
from framework.kit.sender import KitGate, KitSender
from framework.model.errors import Denied, VenueRejected
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    Event,
    Level,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    Side,
    StreamState,
    StreamStatus,
)
from framework.model.orders import CancelOrder, SubmitOrder
from framework.plugin.venue import MessageKind, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import LiveClock

__all__ = ["CASES", "Case", "CaseRun", "VenueContract", "VenueCounts", "VenueHarness", "run_case", "support"]


class VenueCounts(NamedTuple):
    """What the venue side sees: client-to-venue messages received since it
    started, and client streams (connections) open now."""

    messages: int
    streams: int


class VenueHarness:
    """How the kit runs one adapter offline. Subclass it per adapter.

    Required: :attr:`name`, :attr:`symbols` and :meth:`session`. Everything
    else is a *driver*: implement the ones your simulator can do; the cases
    that need a missing driver are reported unsupported. ``unsupported``
    maps a case id to why the adapter does not support it (shown in the
    matrix).

    The kit assumes the simulator lists every symbol with a two-sided book
    whose spread is at least three ticks, so a passive order can improve the
    best price and be first in its queue.
    """

    name: str = "venue"
    symbols: Sequence[str] = ()
    unsupported: Mapping[str, str] = {}
    timeout_s: float = 5.0  # how long a case waits for one expected event

    def session(self, ctx: VenueContext) -> contextlib.AbstractAsyncContextManager[Any]:
        """Start the simulator, build the adapter with ``ctx`` (not started) and
        yield it; stop the simulator on exit. The kit calls ``start``/``stop``.
        A harness that learns its symbols from the running simulator sets
        ``self.symbols`` and ``ctx.symbols`` here, before building the adapter."""
        raise NotImplementedError

    # -- drivers: optional --------------------------------------------------

    def venue_book(self, symbol: str) -> tuple[list[Level], list[Level]]:
        """The venue's own book of ``symbol``: (bids best first, asks best first)."""
        raise NotImplementedError

    async def set_level(self, symbol: str, side: Side, price: int, size: int) -> None:
        """Change one level at the venue (size 0 removes it); the venue publishes the change."""
        raise NotImplementedError

    async def make_trade(self, symbol: str, side: Side, price: int, size: int) -> None:
        """A counterparty ``side`` order of ``size`` lots at ``price`` trades
        against the resting book (our improving order first)."""
        raise NotImplementedError

    async def kill_stream(self) -> None:
        """Drop the adapter's market-data stream(s) from the venue side."""
        raise NotImplementedError

    async def send_malformed(self) -> None:
        """Send the adapter's market-data stream(s) a message it cannot decode."""
        raise NotImplementedError

    async def stop_heartbeats(self) -> None:
        """Keep the market-data stream(s) open but send nothing more on them."""
        raise NotImplementedError

    async def duplicate_execution(self) -> None:
        """Deliver the last execution report again (as a venue does after a reconnect)."""
        raise NotImplementedError

    def rejected_order(self, symbol: str) -> tuple[Side, int, int]:
        """(side, price, size) of an order the venue refuses."""
        raise NotImplementedError

    def venue_counts(self) -> VenueCounts:
        """Messages the simulator received since it started, and streams open at it now."""
        raise NotImplementedError

    def passive_price(self, symbol: str, side: Side, book: Any) -> int:
        """A price that improves the best ``side`` price without crossing."""
        bid, ask = book.best_bid_price, book.best_ask_price
        assert bid is not None and ask is not None, f"{symbol}: the kit needs a two-sided book, got {book!r}"
        if ask - bid < 3:
            raise AssertionError(f"{symbol}: the kit needs a spread of at least 3 ticks, got {bid}..{ask}")
        return bid + 1 if side is Side.BUY else ask - 1


def _has(harness: VenueHarness, driver: str) -> bool:
    return getattr(type(harness), driver) is not getattr(VenueHarness, driver)


@dataclass(frozen=True)
class Case:
    """One contract case: an id, the statement it proves, the drivers it needs."""

    id: str
    statement: str
    body: Callable[[CaseRun], Awaitable[None]]
    needs: tuple[str, ...] = ()
    start: bool = True  # start the adapter (and wait for it to be LIVE) before the body
    prepare_gate: Callable[[KitGate, Any], None] | None = None  # (the sender's gate, adapter) before start


class CaseRun:
    """What a case body works with: the harness, the adapter, the gate behind
    the adapter's sender, the events."""

    def __init__(self, harness: VenueHarness, adapter: Any, ctx: VenueContext, gate: KitGate, log: EventLog) -> None:
        self.harness = harness
        self.adapter = adapter
        self.ctx = ctx
        self.gate = gate
        self.log = log
        self.symbol = harness.symbols[0]
        self._ids = itertools.count(1)

    def wait_for(self, kind: type, what: str, *, since: int = 0, **fields: Any) -> Awaitable[Any]:
        return self.log.wait_for(kind, what, self.harness.timeout_s, since=since, **fields)

    def wait_until(self, condition: Callable[[], Any], what: str) -> Awaitable[Any]:
        return self.log.wait_until(condition, what, self.harness.timeout_s)

    def order(self, side: Side, price: int, size: int) -> SubmitOrder:
        return SubmitOrder("kit", self.ctx.name, self.symbol, f"kit-{next(self._ids)}", side, price, size)

    async def working_order(self, side: Side = Side.BUY, size: int = 5) -> tuple[SubmitOrder, OrderAccepted]:
        """Submit a passive limit order and wait until the venue accepts it."""
        price = self.harness.passive_price(self.symbol, side, self.adapter.book(self.symbol))
        order = self.order(side, price, size)
        await self.adapter.submit(order)
        accepted = await self.wait_for(OrderAccepted, f"OrderAccepted for {order.client_order_id}", client_order_id=order.client_order_id)
        return order, accepted

    def book_matches_venue(self) -> bool:
        book = self.adapter.book(self.symbol)
        bids, asks = self.harness.venue_book(self.symbol)
        return book.levels(Side.BUY) == list(bids) and book.levels(Side.SELL) == list(asks)

    async def wait_live(self, since: int = 0) -> None:
        await self.wait_for(StreamStatus, "StreamStatus LIVE", since=since, state=StreamState.LIVE)


# -- the cases ------------------------------------------------------------------


async def _snapshot(run: CaseRun) -> None:
    for symbol in run.harness.symbols:
        await run.wait_for(BookSnapshot, f"a BookSnapshot of {symbol}", symbol=symbol)
    await run.wait_until(run.book_matches_venue, "the adapter's book to equal the venue's")


async def _deltas(run: CaseRun) -> None:
    bids, _ = run.harness.venue_book(run.symbol)
    price, size = bids[0]
    since = run.log.mark()
    await run.harness.set_level(run.symbol, Side.BUY, price, size + 7)
    await run.wait_for(BookDelta, "a BookDelta after the level change", since=since, symbol=run.symbol)
    await run.wait_until(lambda: run.adapter.book(run.symbol).size_at(Side.BUY, price) == size + 7, f"bid {price} to hold {size + 7} lots")
    assert run.book_matches_venue(), "book differs from the venue's after the delta"


async def _stale(run: CaseRun) -> None:
    since = run.log.mark()
    await run.harness.stop_heartbeats()
    await run.wait_for(StreamStatus, "StreamStatus STALE after the venue went silent", since=since, state=StreamState.STALE)


async def _reconnect_resync(run: CaseRun) -> None:
    since = run.log.mark()
    await run.harness.kill_stream()
    down = await run.wait_until(
        lambda: [e for e in run.log.of(StreamStatus, since) if e.state is not StreamState.LIVE],
        "a non-LIVE StreamStatus after the stream dropped",
    )
    after_down = run.log.events.index(down[0], since) + 1
    bids, _ = run.harness.venue_book(run.symbol)
    price, size = bids[0]
    await run.harness.set_level(run.symbol, Side.BUY, price, size + 3)  # changed while we were away
    await run.wait_live(since=after_down)
    await run.wait_until(run.book_matches_venue, "the resynced book to equal the venue's")


async def _malformed_message(run: CaseRun) -> None:
    since = run.log.mark()
    await run.harness.send_malformed()
    down = await run.wait_until(
        lambda: [e for e in run.log.of(StreamStatus, since) if e.state is not StreamState.LIVE],
        "a non-LIVE StreamStatus (resyncing) after the malformed message",
    )
    after_down = run.log.events.index(down[0], since) + 1
    bids, _ = run.harness.venue_book(run.symbol)
    price, size = bids[0]
    await run.harness.set_level(run.symbol, Side.BUY, price, size + 5)
    await run.wait_live(since=after_down)
    await run.wait_until(
        lambda: run.book_matches_venue() and run.adapter.book(run.symbol).size_at(Side.BUY, price) == size + 5,
        "the resynced book to equal the venue's, change after the bad message included",
    )


async def _order_accepted(run: CaseRun) -> None:
    order, accepted = await run.working_order()
    assert accepted.venue_order_id, "OrderAccepted carries no venue order id"
    assert (accepted.strategy, accepted.side, accepted.price, accepted.size) == ("kit", order.side, order.price, order.size), accepted


async def _order_partially_filled(run: CaseRun) -> None:
    order, _ = await run.working_order(size=5)
    await run.harness.make_trade(run.symbol, Side.SELL, order.price, 2)
    fill = await run.wait_for(OrderFilled, "an OrderFilled for 2 of 5 lots", client_order_id=order.client_order_id)
    assert (fill.size, fill.filled, fill.remaining, fill.price) == (2, 2, 3, order.price), fill
    assert fill.execution_id and fill.strategy == "kit", fill


async def _order_filled(run: CaseRun) -> None:
    order, _ = await run.working_order(size=5)
    await run.harness.make_trade(run.symbol, Side.SELL, order.price, 2)
    await run.harness.make_trade(run.symbol, Side.SELL, order.price, 3)
    last = await run.wait_for(OrderFilled, "the final OrderFilled", client_order_id=order.client_order_id, remaining=0)
    fills = run.log.of(OrderFilled, client_order_id=order.client_order_id)
    assert [f.size for f in fills] == [2, 3] and last.filled == 5, fills


async def _order_cancelled(run: CaseRun) -> None:
    order, accepted = await run.working_order()
    await run.adapter.cancel(CancelOrder("kit", run.ctx.name, run.symbol, order.client_order_id, accepted.venue_order_id))
    await run.wait_for(OrderCanceled, "OrderCanceled after the cancel", client_order_id=order.client_order_id)


async def _order_rejected(run: CaseRun) -> None:
    side, price, size = run.harness.rejected_order(run.symbol)
    order = run.order(side, price, size)
    try:
        await run.adapter.submit(order)
    except VenueRejected:
        return
    await run.wait_for(OrderRejected, "OrderRejected", client_order_id=order.client_order_id)
    assert not run.log.of(OrderAccepted, client_order_id=order.client_order_id), "a rejected order was also accepted"


async def _cancel_unknown(run: CaseRun) -> None:
    cancel = CancelOrder("kit", run.ctx.name, run.symbol, "kit-never-sent", "no-such-order")
    try:
        await run.adapter.cancel(cancel)
    except VenueRejected:
        pass
    else:
        await run.wait_for(CancelRejected, "CancelRejected for the unknown order", client_order_id="kit-never-sent")
    assert not run.log.of(OrderCanceled, client_order_id="kit-never-sent"), "an unknown order was reported cancelled"


async def _duplicate_execution(run: CaseRun) -> None:
    order, _ = await run.working_order(size=5)
    await run.harness.make_trade(run.symbol, Side.SELL, order.price, 2)
    await run.wait_for(OrderFilled, "the first fill", client_order_id=order.client_order_id)
    await run.harness.duplicate_execution()
    # A second real fill behind the duplicate: once it arrives, the duplicate has been processed.
    await run.harness.make_trade(run.symbol, Side.SELL, order.price, 1)
    await run.wait_for(OrderFilled, "the second fill", client_order_id=order.client_order_id, filled=3)
    fills = run.log.of(OrderFilled, client_order_id=order.client_order_id)
    assert [(f.size, f.filled) for f in fills] == [(2, 2), (1, 3)], f"fills delivered: {fills}"
    assert len({f.execution_id for f in fills}) == 2, fills


def _assert_gated(run: CaseRun, when: str) -> None:
    seen = run.harness.venue_counts()
    assert seen.messages <= run.gate.total, f"{when}: the venue received {seen.messages} messages, the gate admitted {run.gate.total}"
    held = len(run.gate.open_streams)
    assert seen.streams <= held, f"{when}: {seen.streams} streams open at the venue, {held} stream slots held"


async def _gated_messages(run: CaseRun) -> None:
    _assert_gated(run, "after start()")
    if "order_accepted" in run.harness.unsupported:
        return  # a market-data-only adapter: its subscriptions and streams are what it sends
    order, accepted = await run.working_order()
    await run.adapter.cancel(CancelOrder("kit", run.ctx.name, run.symbol, order.client_order_id, accepted.venue_order_id))
    await run.wait_for(OrderCanceled, "OrderCanceled", client_order_id=order.client_order_id)
    _assert_gated(run, "after a submit and a cancel")
    kinds = run.gate.admitted
    assert kinds[MessageKind.NEW_ORDER] >= 1 and kinds[MessageKind.CANCEL] >= 1, f"submit or cancel bypassed the gate: {dict(kinds)}"


async def _stream_cap(run: CaseRun) -> None:
    cap = run.gate.max_streams
    assert cap is None or run.gate.peak_streams <= cap, f"{run.gate.peak_streams} streams open at once, cap {cap}"
    assert run.gate.streams_opened >= 1, "the adapter opened its streams without asking the gate"


def _cap_at_venue_limit(gate: KitGate, adapter: Any) -> None:
    gate.max_streams = adapter.limits.max_streams or None


def _no_slots(gate: KitGate, adapter: Any) -> None:
    gate.max_streams = 0


async def _no_slot_no_stream(run: CaseRun) -> None:
    try:
        await run.adapter.start()
    except Denied:
        pass
    else:
        raise AssertionError("start() succeeded although the gate granted no stream slot")
    finally:
        await run.adapter.stop()
    seen = run.harness.venue_counts()
    assert seen.streams == 0, f"{seen.streams} streams open at the venue without a slot"
    # Queries before the first stream (instruments, a token) are fine if they were admitted.
    assert seen.messages <= run.gate.total, f"the venue received {seen.messages} messages, the gate admitted {run.gate.total}"


async def _ingress_limit(run: CaseRun) -> None:
    before = run.harness.venue_counts().messages
    run.gate.budget = 2
    price = run.harness.passive_price(run.symbol, Side.BUY, run.adapter.book(run.symbol))
    outcomes: list[str] = []
    for _ in range(4):
        try:
            await run.adapter.submit(run.order(Side.BUY, price, 1))
            outcomes.append("sent")
        except Denied:
            outcomes.append("denied")
    assert outcomes == ["sent", "sent", "denied", "denied"], outcomes
    await run.wait_until(lambda: len(run.log.of(OrderAccepted)) == 2, "the two admitted orders to be accepted")
    sent = run.harness.venue_counts().messages - before
    assert sent == 2, f"{sent} messages reached the venue with a budget of 2"


CASES: tuple[Case, ...] = (
    Case("snapshot", "subscribe and receive a snapshot: LIVE, a BookSnapshot per symbol, book equals the venue's", _snapshot, ("venue_book",)),
    Case("deltas", "apply deltas: a level change at the venue reaches the book as a BookDelta", _deltas, ("venue_book", "set_level")),
    Case("stale", "stale stream detected: a silent venue stream is published as STALE", _stale, ("stop_heartbeats",)),
    Case("reconnect_resync", "reconnect resyncs the book: after a dropped stream, LIVE again with the venue's current book", _reconnect_resync, ("venue_book", "set_level", "kill_stream")),
    Case("malformed_message", "a malformed venue message is skipped and the book resynced: LIVE again with the venue's book", _malformed_message, ("venue_book", "set_level", "send_malformed")),
    Case("order_accepted", "order accepted: a passive limit order yields OrderAccepted with a venue order id", _order_accepted),
    Case("order_partially_filled", "order partially filled: a trade for 2 of 5 lots yields OrderFilled with 3 remaining", _order_partially_filled, ("make_trade",)),
    Case("order_filled", "order filled: trades for the rest yield a final OrderFilled with remaining 0", _order_filled, ("make_trade",)),
    Case("order_cancelled", "order cancelled: cancelling a working order yields OrderCanceled", _order_cancelled),
    Case("order_rejected", "order rejected: an order the venue refuses yields OrderRejected (or VenueRejected)", _order_rejected, ("rejected_order",)),
    Case("cancel_unknown", "cancel of an unknown order: CancelRejected (or VenueRejected), never OrderCanceled", _cancel_unknown),
    Case("duplicate_execution", "duplicate execution delivered once: a re-sent execution report yields no second OrderFilled", _duplicate_execution, ("make_trade", "duplicate_execution")),
    Case("gated_messages", "every outbound message passed through the risk layer: the venue saw no more than the gate admitted (orders too, unless order entry is unsupported)", _gated_messages, ("venue_counts",)),
    Case("stream_cap", "the stream cap is respected: never more streams open than the venue's max_streams", _stream_cap, prepare_gate=_cap_at_venue_limit),
    Case("no_slot_no_stream", "no slot, no stream: with no stream slot granted, start() raises Denied and the venue sees no stream", _no_slot_no_stream, ("venue_counts",), start=False, prepare_gate=_no_slots),
    Case("ingress_limit", "the ingress limit is respected: orders beyond the gate's budget raise Denied and never reach the venue", _ingress_limit, ("venue_counts",)),
)  # fmt: skip

CASES_BY_ID = {c.id: c for c in CASES}


def support(harness: VenueHarness, case: Case) -> str:
    """Why ``harness`` cannot run ``case`` ('' when it can)."""
    if case.id in harness.unsupported:
        return f"declared unsupported: {harness.unsupported[case.id]}"
    missing = [d for d in case.needs if not _has(harness, d)]
    return f"no driver: {', '.join(missing)}" if missing else ""


async def run_case(harness: VenueHarness, case: Case) -> None:
    """Run one case against ``harness``; raises ``AssertionError`` on a broken contract."""
    clock = LiveClock()
    bus = Bus(clock)
    sender = KitSender()
    gate = sender.gate
    ctx = VenueContext(harness.name, bus, clock, sender, list(harness.symbols))
    log = EventLog(bus)
    budget_s = harness.timeout_s * 6
    async with asyncio.timeout(budget_s):
        async with harness.session(ctx) as adapter:
            run = CaseRun(harness, adapter, ctx, gate, log)
            if case.prepare_gate is not None:
                case.prepare_gate(gate, adapter)
            if case.start:
                async with _started(adapter):
                    await run.wait_live()
                    await _snapshots_in(run)
                    await case.body(run)
            else:
                await case.body(run)
    assert not gate.open_streams, f"stream slots still held after stop(): {sorted(gate.open_streams)}"
    foreign = {e.venue for e in log.events if isinstance(e, Event)} - {ctx.name}
    assert not foreign, f"events published under venue names {sorted(foreign)}, expected {ctx.name!r}"


async def _snapshots_in(run: CaseRun) -> None:
    def has_book(symbol: str) -> Callable[[], bool]:
        return lambda: run.adapter.book(symbol).best_bid_price is not None

    for symbol in run.harness.symbols:
        await run.wait_until(has_book(symbol), f"a book for {symbol}")


@contextlib.asynccontextmanager
async def _started(adapter: Any) -> AsyncIterator[None]:
    try:
        await adapter.start()
        yield
    finally:
        await adapter.stop()  # also after a failed start: what it took must be released


class VenueContract:
    """The contract suite as a test class: subclass it as ``Test...`` and
    provide a ``venue_harness`` fixture returning a fresh :class:`VenueHarness`."""

    @pytest.mark.parametrize("venue_case", CASES, ids=[c.id for c in CASES])
    def test_contract(self, venue_case: Case, venue_harness: VenueHarness, request: pytest.FixtureRequest) -> None:
        why = support(venue_harness, venue_case)
        request.node.user_properties.append(("backplane_case", (venue_harness.name, venue_case.id)))
        if why:
            pytest.skip(f"unsupported by {venue_harness.name}: {why}")
        asyncio.run(run_case(venue_harness, venue_case))
