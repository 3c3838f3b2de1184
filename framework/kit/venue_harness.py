"""What a venue contract case runs with: the :class:`VenueHarness` a plugin
author writes, the :class:`Case` record and the :class:`CaseRun` a case body gets
(see :mod:`framework.kit.venue`)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from framework.kit.eventlog import EventLog
from framework.kit.sender import KitGate
from framework.model.events import Level, OrderAccepted, Side, StreamState, StreamStatus
from framework.model.orders import SubmitOrder
from framework.plugin.venue import VenueContext

__all__ = ["Case", "CaseRun", "VenueCounts", "VenueHarness", "has_driver"]


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


def has_driver(harness: VenueHarness, driver: str) -> bool:
    """True when ``harness`` implements ``driver`` (overrides the base's placeholder)."""
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
