"""The strategy kit: scripted books in, the orders a strategy sends out.

Two ways to use it:

- write your own tests with :class:`~framework.tools.testing.StrategyHarness` (the
  ``strategy_harness`` fixture builds one), :func:`walk_books` for a
  repeatable market and :func:`feed` to see what each book made the strategy
  send;
- subclass :class:`StrategyContract` and provide a ``strategy_case`` fixture
  (a :class:`StrategyCase`): every strategy should pass its checks, whatever
  it trades on -- well-formed orders only, nothing before data, no order storm,
  odd books and denials survived, fills taken into the position, a clean stop.

::

    @pytest.fixture
    def strategy_case():
        return StrategyCase(MyStrategy, MyParams(size=2), symbols=("X",))

    class TestMyStrategy(StrategyContract):
        pass
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from framework.model.events import Level, Side
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.tools.testing import StrategyHarness

__all__ = ["LOOP_LIMIT", "STRATEGY_CHECKS", "Book", "OrderLoop", "StrategyCase", "StrategyCheck", "StrategyContract", "feed", "sides", "walk_books"]

Book = tuple[Sequence[Level], Sequence[Level]]
"""A scripted book: (bids best first, asks best first)."""


def walk_books(mid: int = 1_000, *, steps: int = 60, spread: int = 4, depth: int = 5, seed: int = 7) -> list[Book]:
    """A repeatable random-walk market: ``steps`` books around ``mid`` (ticks),
    ``depth`` levels a side, the spread ``spread`` ticks or wider, sizes 1..20 lots."""
    rng = random.Random(seed)
    books: list[Book] = []
    for _ in range(steps):
        mid = max(mid + rng.choice((-2, -1, 0, 0, 1, 2)), spread + depth + 1)
        half = spread // 2 + rng.choice((0, 0, 1))
        bids = [(mid - half - i, rng.randint(1, 20)) for i in range(depth)]
        asks = [(mid + half + i, rng.randint(1, 20)) for i in range(depth)]
        books.append((bids, asks))
    return books


LOOP_LIMIT = 1_000
"""Intents one book update may cause before :func:`feed` calls it an order loop."""


class OrderLoop(AssertionError):
    """A strategy answered one event with an unbounded stream of intents."""


def feed(harness: StrategyHarness, symbol: str, books: Sequence[Book]) -> list[list[Intent]]:
    """Show ``books`` to the strategy one by one; returns the intents each one caused.

    Raises :class:`OrderLoop` when one book causes more than :data:`LOOP_LIMIT`
    intents (e.g. resubmitting on every denial), instead of hanging.
    """
    router = harness.router
    send = router.send
    caused: list[list[Intent]] = []
    budget = [LOOP_LIMIT]

    def guarded(intent: Any) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise OrderLoop(f"one book update caused more than {LOOP_LIMIT} intents: an order loop")
        send(intent)

    router.send = guarded  # type: ignore[method-assign]
    try:
        for bids, asks in books:
            before = len(router.intents)
            budget[0] = LOOP_LIMIT
            harness.book(symbol, bids, asks)
            if budget[0] < 0:  # the bus caught the OrderLoop inside the strategy's handler
                raise OrderLoop(f"one book update caused more than {LOOP_LIMIT} intents: an order loop")
            caused.append(list(router.intents[before:]))
    finally:
        router.send = send  # type: ignore[method-assign]
    return caused


@dataclass(frozen=True)
class StrategyCase:
    """A strategy under test: its class, parameters, symbols and market.

    ``max_intents_per_event`` bounds what one book update may cause (an order
    storm is a bug); ``unsupported`` maps a check id to why it does not apply.
    """

    strategy: type
    params: msgspec.Struct
    symbols: Sequence[str] = ("X",)
    books: Sequence[Book] = field(default_factory=walk_books)
    max_intents_per_event: int = 4
    unsupported: Mapping[str, str] = field(default_factory=dict)

    def harness(self) -> StrategyHarness:
        return StrategyHarness(self.strategy, self.params, symbols=self.symbols)


@dataclass(frozen=True)
class StrategyCheck:
    id: str
    statement: str
    body: Callable[[StrategyCase], None]


def _quiet_without_data(case: StrategyCase) -> None:
    h = case.harness()
    h.advance_ms(1_000)
    assert not h.router.intents, f"sent {h.router.intents} before seeing any market data"


def _well_formed(case: StrategyCase) -> None:
    h = case.harness()
    for symbol in case.symbols:
        feed(h, symbol, case.books)
    for intent in h.router.intents:
        assert (intent.venue, intent.strategy) == (h.venue, h.ctx.name), intent
        assert intent.symbol in case.symbols, f"order for {intent.symbol!r}, not a subscribed symbol: {intent}"
        if isinstance(intent, SubmitOrder | ReplaceOrder):
            assert type(intent.price) is int and intent.price >= 1, f"price must be whole ticks >= 1: {intent}"
            assert type(intent.size) is int and intent.size >= 1, f"size must be whole lots >= 1: {intent}"
        if isinstance(intent, CancelOrder | ReplaceOrder):
            assert h.tracker.order(intent.client_order_id) is not None, f"{type(intent).__name__} of an order it never sent: {intent}"


def _no_storm(case: StrategyCase) -> None:
    h = case.harness()
    caused = feed(h, case.symbols[0], case.books)
    worst = max((len(c) for c in caused), default=0)
    assert worst <= case.max_intents_per_event, f"one book update caused {worst} intents (max {case.max_intents_per_event})"


def _odd_books(case: StrategyCase) -> None:
    h = case.harness()
    symbol = case.symbols[0]
    bids, asks = case.books[0]
    feed(h, symbol, [((), ()), (bids, ()), ((), asks), ([bids[0]], [asks[0]]), ((), ()), (bids, asks)])


def _denials(case: StrategyCase) -> None:
    h = case.harness()
    h.router.deny_all = True
    caused = feed(h, case.symbols[0], case.books)
    worst = max((len(c) for c in caused), default=0)
    assert worst <= case.max_intents_per_event, f"after denials one book update caused {worst} intents"


def _fills(case: StrategyCase) -> None:
    h = case.harness()
    symbol = case.symbols[0]
    expected = 0
    for book in case.books:
        feed(h, symbol, [book])
        for order in h.ctx.open_orders(symbol):
            expected += int(order.side) * order.remaining
            h.fill(order.client_order_id, order.remaining)
    assert h.ctx.position(symbol) == expected, f"position {h.ctx.position(symbol)} after fills worth {expected}"


def _clean_stop(case: StrategyCase) -> None:
    h = case.harness()
    feed(h, case.symbols[0], case.books[:10])
    h.strategy.on_stop()
    h.ctx.cancel_timers()
    h.ctx.cancel_all()
    assert not h.ctx.open_orders(), f"orders still open after stop and cancel_all: {h.ctx.open_orders()}"


STRATEGY_CHECKS: tuple[StrategyCheck, ...] = (
    StrategyCheck("quiet_without_data", "sends nothing before it has seen market data", _quiet_without_data),
    StrategyCheck("well_formed_orders", "every intent is on its venue and symbols, whole ticks and lots, for its own orders", _well_formed),
    StrategyCheck("no_order_storm", "one book update causes at most max_intents_per_event intents", _no_storm),
    StrategyCheck("odd_books", "empty, one-sided and one-level books raise nothing", _odd_books),
    StrategyCheck("denials", "denied orders raise nothing and cause no retry storm", _denials),
    StrategyCheck("fills", "fills of its orders reach its position exactly", _fills),
    StrategyCheck("clean_stop", "on_stop raises nothing and cancel_all leaves no order open", _clean_stop),
)  # fmt: skip


class StrategyContract:
    """Every strategy check as a test: subclass as ``Test...``, provide ``strategy_case``."""

    @pytest.mark.parametrize("strategy_check", STRATEGY_CHECKS, ids=[c.id for c in STRATEGY_CHECKS])
    def test_strategy_contract(self, strategy_check: StrategyCheck, strategy_case: StrategyCase) -> None:
        if strategy_check.id in strategy_case.unsupported:
            pytest.skip(f"declared not applicable: {strategy_case.unsupported[strategy_check.id]}")
        strategy_check.body(strategy_case)


def sides(intents: Sequence[Intent]) -> list[tuple[Side, int]]:
    """(side, price) of the new orders among ``intents``: a compact thing to assert on."""
    return [(i.side, i.price) for i in intents if isinstance(i, SubmitOrder)]

