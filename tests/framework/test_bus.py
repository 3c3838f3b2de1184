"""The event bus: routing, ordering, conflation for laggards, isolation."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Event,
    HandlerFailed,
    OrderEvent,
    OrderFilled,
    SubscriberLagged,
    Trade,
)
from framework.runtime.bus import Bus, ErrorPolicy
from framework.runtime.clock import SimClock


def book(venue: str, symbol: str, n: int) -> BookDelta:
    return BookDelta(venue, symbol, n, n, ((1, 100, n),))


def fill(venue: str, symbol: str, n: int) -> OrderFilled:
    return OrderFilled(venue, symbol, n, n, f"c{n}", "s", "", f"x{n}", size=1)


def test_filters_by_kind_venue_and_symbol_with_wildcards() -> None:
    bus = Bus()
    got: dict[str, list] = defaultdict(list)
    bus.subscribe(got["all"].append)
    bus.subscribe(got["books"].append, BookDelta)
    bus.subscribe(got["pm"].append, venue="pm")
    bus.subscribe(got["pm_a_fills"].append, OrderFilled, "pm", "A")
    bus.subscribe(got["orders"].append, OrderEvent)  # a base class matches its subclasses
    events = [book("pm", "A", 1), fill("pm", "A", 2), fill("pm", "B", 3), book("dy", "A", 4)]
    for e in events:
        bus.publish(e)
    assert got["all"] == events
    assert got["books"] == [events[0], events[3]]
    assert got["pm"] == events[:3]
    assert got["pm_a_fills"] == [events[1]]
    assert got["orders"] == [events[1], events[2]]


def test_unsubscribe_stops_delivery() -> None:
    bus = Bus()
    got: list = []
    sub = bus.subscribe(got.append)
    bus.publish(book("v", "s", 1))
    bus.unsubscribe(sub)
    bus.publish(book("v", "s", 2))
    assert [e.ts_event for e in got] == [1]
    assert not sub.active


def test_event_published_from_a_handler_is_delivered_after_the_current_one() -> None:
    bus = Bus()
    first: list[int] = []
    second: list[int] = []

    def reacting(e: BookDelta) -> None:
        first.append(e.ts_event)
        if e.ts_event == 1:
            bus.publish(book("v", "s", 2))

    bus.subscribe(reacting)
    bus.subscribe(lambda e: second.append(e.ts_event))
    bus.publish(book("v", "s", 1))
    # without the re-entrancy queue the second subscriber would see 2 before 1
    assert first == [1, 2]
    assert second == [1, 2]


def test_a_raising_handler_is_isolated_reported_and_stopped() -> None:
    bus = Bus(SimClock(start_ns=7))
    good: list = []
    failures: list[HandlerFailed] = []

    def bad(e: object) -> None:
        raise RuntimeError("boom")

    sub = bus.subscribe(bad, BookDelta, name="bad")
    bus.subscribe(good.append, BookDelta)
    bus.subscribe(failures.append, HandlerFailed)
    bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 2))
    assert len(good) == 2
    assert len(failures) == 1
    assert failures[0].subscriber == "bad" and failures[0].stopped
    assert "boom" in failures[0].error and "RuntimeError" in failures[0].traceback
    assert failures[0].ts_recv == 7
    assert not sub.active and sub.errors == 1


def test_continue_policy_keeps_delivering_and_counts() -> None:
    bus = Bus()
    calls: list[int] = []

    def flaky(e: BookDelta) -> None:
        calls.append(e.ts_event)
        raise ValueError("again")

    sub = bus.subscribe(flaky, BookDelta, policy=ErrorPolicy.CONTINUE)
    for n in range(3):
        bus.publish(book("v", "s", n))
    assert calls == [0, 1, 2]
    assert sub.errors == 3 and sub.active
    assert bus.handler_errors == 3


def test_failure_of_a_failure_handler_does_not_loop() -> None:
    bus = Bus()

    def bad(e: object) -> None:
        raise RuntimeError("x")

    bus.subscribe(bad, policy=ErrorPolicy.CONTINUE)  # also receives HandlerFailed
    bus.publish(book("v", "s", 1))
    assert bus.handler_errors == 2  # the book event, then its HandlerFailed; no more


def test_same_handler_twice_counts_errors_on_the_right_subscription() -> None:
    bus = Bus()
    seen: list = []

    def handler(e: object) -> None:
        seen.append(e)
        if isinstance(e, Trade):
            raise RuntimeError("trade")

    books = bus.subscribe(handler, BookDelta, policy=ErrorPolicy.CONTINUE)
    trades = bus.subscribe(handler, Trade, policy=ErrorPolicy.CONTINUE)
    bus.publish(Trade("v", "s", 0, 0))
    assert trades.errors == 1 and books.errors == 0


def test_queued_subscriber_conflates_only_book_events_and_is_told() -> None:
    bus = Bus()
    got: list = []
    sub = bus.subscribe(got.append, queued=True, book_backlog=2)
    assert sub.inbox is not None
    events = [book("v", "A", 1), fill("v", "A", 2), book("v", "A", 3), book("v", "A", 4), book("v", "B", 5)]
    for e in events:
        bus.publish(e)
    assert got == []  # nothing delivered until the consumer drains
    sub.inbox.drain()
    kinds = [(type(e).__name__, e.ts_event) for e in got]
    # book 3 was superseded by book 4 (the bound of 2 was reached); book 5 is
    # another symbol and stays. The notice comes first: the lag happened before
    # the consumer drained anything.
    assert kinds == [
        ("SubscriberLagged", 0),
        ("BookDelta", 1),
        ("OrderFilled", 2),
        ("BookDelta", 4),
        ("BookDelta", 5),
    ]
    assert sub.inbox.conflated == 1
    lag = got[0]
    assert isinstance(lag, SubscriberLagged) and lag.conflated == 1


def test_queued_subscriber_never_conflates_execution_events() -> None:
    bus = Bus()
    got: list = []
    sub = bus.subscribe(got.append, queued=True, book_backlog=1)
    for n in range(500):
        bus.publish(fill("v", "A", n))
    assert sub.inbox is not None and sub.inbox.drain() == 500
    assert [e.ts_event for e in got] == list(range(500))


async def test_inbox_wait_wakes_the_consumer() -> None:
    import asyncio

    bus = Bus()
    got: list = []
    sub = bus.subscribe(got.append, queued=True)
    assert sub.inbox is not None

    async def consumer() -> None:
        await sub.inbox.wait()
        sub.inbox.drain()

    task = asyncio.create_task(consumer())
    await asyncio.sleep(0)
    bus.publish(book("v", "s", 1))
    await asyncio.wait_for(task, 1)
    assert len(got) == 1


# -- property test against a reference model ---------------------------------


class ReferenceInbox:
    """A deliberately naive model of a queued subscriber: a list, searched."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.items: list = []
        self.conflated = 0

    def push(self, e) -> None:
        books = [x for x in self.items if x.conflatable]
        if e.conflatable and len(books) >= self.bound:
            older = [x for x in books if (x.venue, x.symbol) == (e.venue, e.symbol)]
            if older:
                self.items.remove(older[-1])
                self.conflated += 1
        self.items.append(e)


_venues = st.sampled_from(["pm", "dy"])
_symbols = st.sampled_from(["A", "B", "C"])
_kinds = st.sampled_from(["book", "snapshot", "fill", "trade"])
_op = st.one_of(
    st.tuples(st.just("publish"), _kinds, _venues, _symbols),
    st.tuples(st.just("drain"), st.integers(0, 2), st.integers(0, 4)),
    st.tuples(st.just("subscribe"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("unsubscribe"), st.integers(0, 2)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_op, min_size=1, max_size=120))
def test_bus_matches_reference_model(ops: list) -> None:
    bus = Bus()
    subs: list = []  # (subscription, delivered list, reference, reference-delivered)
    n = 0
    for op in ops:
        if op[0] == "publish":
            _, kind, venue, symbol = op
            n += 1
            e = {
                "book": lambda: book(venue, symbol, n),
                "snapshot": lambda: BookSnapshot(venue, symbol, n, n, ((99, 1),), ()),
                "fill": lambda: fill(venue, symbol, n),
                "trade": lambda: Trade(venue, symbol, n, n, 100, 1),
            }[kind]()
            published_to = [s for s in subs if s[0].active]
            bus.publish(e)
            for s in published_to:
                s[2].push(e)
        elif op[0] == "drain" and subs:
            sub, got, ref, ref_got = subs[op[1] % len(subs)]
            limit = op[2]
            before = len([g for g in got if not isinstance(g, SubscriberLagged)])
            sub.inbox.drain(limit)
            delivered = len([g for g in got if not isinstance(g, SubscriberLagged)]) - before
            ref_got.extend(ref.items[:delivered])
            del ref.items[:delivered]
        elif op[0] == "subscribe":
            got: list = []
            sub = bus.subscribe(got.append, queued=True, book_backlog=op[1])
            subs.append((sub, got, ReferenceInbox(op[1]), []))
        elif op[0] == "unsubscribe" and subs:
            bus.unsubscribe(subs[op[1] % len(subs)][0])
    for sub, got, ref, ref_got in subs:
        if sub.active:
            sub.inbox.drain()
            ref_got.extend(ref.items)
        delivered = [g for g in got if not isinstance(g, SubscriberLagged)]
        assert delivered == ref_got
        assert sub.inbox.conflated == ref.conflated
        assert sum(g.conflated for g in got if isinstance(g, SubscriberLagged)) <= ref.conflated
        # order per (venue, symbol) is the publish order
        last: dict = {}
        for g in delivered:
            key = (g.venue, g.symbol)
            assert g.ts_event > last.get(key, 0)
            last[key] = g.ts_event


@pytest.mark.parametrize("n_subs", [1, 10])
def test_every_direct_subscriber_sees_everything_in_order(n_subs: int) -> None:
    bus = Bus()
    got = [[] for _ in range(n_subs)]
    for g in got:
        bus.subscribe(g.append)
    events = [book("v", f"S{i % 3}", i) for i in range(100)]
    for e in events:
        bus.publish(e)
    assert all(g == events for g in got)


# -- the route cache: subscription changes, also during a delivery -------------


@pytest.mark.parametrize("others", [0, 2])  # a lone subscriber, and a fan-out
def test_a_subscription_made_during_a_delivery_gets_what_is_published_after_it(others: int) -> None:
    bus = Bus()
    late: list[int] = []

    def subscribing(e: BookDelta) -> None:
        if e.ts_event == 1:
            bus.subscribe(lambda e: late.append(e.ts_event), BookDelta)
            bus.publish(book("v", "s", 2))  # queued: delivered after event 1

    bus.subscribe(subscribing, BookDelta)
    for _ in range(others):
        bus.subscribe(lambda e: None, BookDelta)
    bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 3))
    assert late == [2, 3]


def test_a_subscription_removed_during_a_fan_out_misses_the_rest_of_it() -> None:
    bus = Bus()
    got: dict[str, list[int]] = defaultdict(list)
    subs = {}

    def remover(e: BookDelta) -> None:
        got["remover"].append(e.ts_event)
        if e.ts_event == 1:
            # a subscribe first drops the route cache the running loop came from
            bus.subscribe(got["new"].append)
            bus.unsubscribe(subs["later"])
            bus.publish(book("v", "s", 2))

    bus.subscribe(remover, BookDelta)
    subs["later"] = bus.subscribe(lambda e: got["later"].append(e.ts_event), BookDelta)
    bus.subscribe(lambda e: got["last"].append(e.ts_event), BookDelta)
    bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 3))
    assert got["later"] == []  # removed before its turn for event 1
    assert got["remover"] == got["last"] == [1, 2, 3]  # the entries after it still ran
    assert [e.ts_event for e in got["new"]] == [2, 3]
    assert not subs["later"].active


def test_removing_one_of_two_subscriptions_of_the_same_handler_mid_fan_out() -> None:
    bus = Bus()
    seen: list[int] = []
    subs = {}

    def handler(e: BookDelta) -> None:
        seen.append(e.ts_event)

    def remover(e: BookDelta) -> None:
        bus.unsubscribe(subs["second"])

    subs["first"] = bus.subscribe(handler, BookDelta)
    bus.subscribe(remover, BookDelta)
    subs["second"] = bus.subscribe(handler, BookDelta)
    bus.publish(book("v", "s", 1))
    assert seen == [1]  # the first ran before the removal, the second was skipped
    assert subs["first"].active and not subs["second"].active


def test_a_lone_subscriber_removing_itself_gets_nothing_more() -> None:
    bus = Bus()
    got: list[int] = []
    subs = {}

    def once(e: BookDelta) -> None:
        got.append(e.ts_event)
        bus.unsubscribe(subs["once"])
        bus.publish(book("v", "s", e.ts_event + 1))

    subs["once"] = bus.subscribe(once, BookDelta)
    bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 5))
    assert got == [1]


def test_wildcard_subscriptions_reach_keys_already_routed() -> None:
    bus = Bus()
    got: dict[str, list] = defaultdict(list)
    bus.subscribe(got["a"].append, BookDelta, "pm", "A")
    first = [book("pm", "A", 1), fill("pm", "A", 2), book("dy", "B", 3)]
    for e in first:  # every key routed (and cached) once
        bus.publish(e)
    bus.subscribe(got["any"].append)
    bus.subscribe(got["pm"].append, venue="pm")
    bus.subscribe(got["sym_a"].append, symbol="A")
    bus.subscribe(got["events"].append, Event)  # the base class of every kind
    again = [book("pm", "A", 4), fill("pm", "A", 5), book("dy", "B", 6)]
    for e in again:
        bus.publish(e)
    assert got["a"] == [first[0], again[0]]
    assert got["any"] == got["events"] == again
    assert got["pm"] == got["sym_a"] == again[:2]


def test_a_lone_subscriber_that_raises_is_stopped_and_reported() -> None:
    bus = Bus()
    calls: list[int] = []
    failures: list[HandlerFailed] = []

    def bad(e: BookDelta) -> None:
        calls.append(e.ts_event)
        raise KeyError("lookup inside the handler")  # not mistaken for a route miss

    sub = bus.subscribe(bad, BookDelta, name="bad")
    bus.subscribe(failures.append, HandlerFailed)
    bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 2))
    assert calls == [1]
    assert not sub.active and sub.errors == 1
    assert [f.subscriber for f in failures] == ["bad"] and failures[0].stopped


def test_a_stopped_subscriber_in_a_fan_out_does_not_disturb_the_others() -> None:
    bus = Bus()
    got: dict[str, list[int]] = defaultdict(list)

    def bad(e: BookDelta) -> None:
        got["bad"].append(e.ts_event)
        raise RuntimeError("boom")

    bus.subscribe(lambda e: got["before"].append(e.ts_event), BookDelta)
    bus.subscribe(bad, BookDelta)
    bus.subscribe(lambda e: got["after"].append(e.ts_event), BookDelta)
    for n in (1, 2):
        bus.publish(book("v", "s", n))
    assert got == {"before": [1, 2], "bad": [1], "after": [1, 2]}
    assert bus.handler_errors == 1


def test_an_exception_that_is_not_an_error_leaves_the_bus_working() -> None:
    bus = Bus()
    got: list[int] = []

    def interrupted(e: BookDelta) -> None:
        if e.ts_event == 1:
            raise KeyboardInterrupt
        got.append(e.ts_event)

    bus.subscribe(interrupted, BookDelta)
    with pytest.raises(KeyboardInterrupt):
        bus.publish(book("v", "s", 1))
    bus.publish(book("v", "s", 2))  # not queued behind a delivery that never ended
    assert got == [2]


_kind_filters = st.sampled_from([None, BookDelta, OrderFilled, OrderEvent, Event, (BookDelta, Trade)])
_venue_filters = st.sampled_from([None, "pm", "dy"])
_symbol_filters = st.sampled_from([None, "A", "B"])
_direct_op = st.one_of(
    st.tuples(st.just("publish"), _kinds, _venues, _symbols),
    st.tuples(st.just("subscribe"), _kind_filters, _venue_filters, _symbol_filters),
    st.tuples(st.just("unsubscribe"), st.integers(0, 5)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_direct_op, min_size=1, max_size=80))
def test_routes_match_filtering_every_subscription_afresh(ops: list) -> None:
    """The cached routes, however subscriptions come and go, deliver exactly
    what checking every live subscription's filter on every event would."""
    bus = Bus()
    subs: list = []  # (subscription, delivered, expected)
    n = 0
    for op in ops:
        if op[0] == "publish":
            _, kind, venue, symbol = op
            n += 1
            e = {
                "book": lambda: book(venue, symbol, n),
                "snapshot": lambda: BookSnapshot(venue, symbol, n, n, ((99, 1),), ()),
                "fill": lambda: fill(venue, symbol, n),
                "trade": lambda: Trade(venue, symbol, n, n, 100, 1),
            }[kind]()
            bus.publish(e)
            for sub, _, expected in subs:
                kinds = sub.kinds
                if (
                    sub.active
                    and (kinds is None or isinstance(e, kinds))
                    and sub.venue in (None, e.venue)
                    and sub.symbol in (None, e.symbol)
                ):
                    expected.append(e)
        elif op[0] == "subscribe":
            got: list = []
            subs.append((bus.subscribe(got.append, op[1], op[2], op[3]), got, []))
        elif subs:
            bus.unsubscribe(subs[op[1] % len(subs)][0])
    for _, got, expected in subs:
        assert got == expected
