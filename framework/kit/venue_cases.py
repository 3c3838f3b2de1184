"""The venue contract's cases: what every adapter must do, one body per case
(see :mod:`framework.kit.venue` for how they run)."""

from __future__ import annotations

from typing import Any

from framework.kit.sender import KitGate
from framework.kit.venue_harness import Case, CaseRun
from framework.model.errors import Denied, VenueRejected
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    Side,
    StreamState,
    StreamStatus,
)
from framework.model.orders import CancelOrder
from framework.plugin.venue import MessageKind

__all__ = ["CASES", "CASES_BY_ID"]


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
