"""The codec's state: one record per clob pair, and what every part of the codec shares.

:class:`CodecState` is the base of :class:`~plugins.dydx.codec.decoder.DydxCodec`
and the one argument of the codec's parts (:mod:`~plugins.dydx.codec.ops`,
:mod:`~plugins.dydx.codec.snapshot`, :mod:`~plugins.dydx.codec.fills`,
:mod:`~plugins.dydx.codec.notices`): they are plain functions of it, so the
modules import one way (state <- parts <- decoder) and mypyc still compiles
every access to it as a native attribute read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from framework.books.l3book import L3Book
from framework.model.events import Event, Side
from plugins.dydx.codec.orderread import OrderReader
from plugins.dydx.codec.stats import (
    BAD_SIDE,
    MALFORMED,
    OTHER_PAIR,
    PRE_SNAPSHOT_UPDATES,
    CodecStats,
)
from plugins.dydx.ids import OrderKey, format_key
from plugins.dydx.units import NATIVE, ClobParams

__all__ = ["SIDES", "SIDE_ENUM", "CodecState", "PairState"]

# Final: the compiled build keeps these in C statics, not module globals.
SIDES: Final = {1: 1, 2: -1}  # v4 Side -> framework side
SIDE_ENUM: Final = {1: Side.BUY, -1: Side.SELL}


class PairState:
    """One clob pair: its book, unit grids, symbol and snapshot state."""

    __slots__ = ("book", "pair", "params", "ready", "spt", "step", "symbol", "touched")

    def __init__(self, venue: str, pair: int, symbol: str, params: ClobParams) -> None:
        self.pair = pair
        self.symbol = symbol
        self.book = L3Book(venue, symbol)
        self.params = params
        self.spt = params.subticks_per_tick
        self.step = params.step_base_quantums
        self.ready = False
        self.touched: set[tuple[int, int]] = set()  # (side, price) levels changed by this response


class CodecState(OrderReader):
    """The books and the bookkeeping of one stream (see :class:`~plugins.dydx.codec.decoder.DydxCodec`).

    ``pairs`` maps clob pair id -> ``(symbol, ClobParams)``; ``None`` accepts
    every pair in native units (ticks = subticks, lots = quantums) under the
    symbol ``str(pair)`` -- what book inspection uses.
    """

    def __init__(
        self,
        venue: str = "dydx",
        pairs: Mapping[int, tuple[str, ClobParams]] | None = None,
        *,
        confirmed_only: bool = False,
        own_subaccounts: Iterable[tuple[str, int]] = (),
        markets: Mapping[int, str] | None = None,
        resync_on_crossed: bool = True,
    ) -> None:
        super().__init__()
        self.venue = venue
        self.confirmed_only = confirmed_only
        self.own = frozenset(own_subaccounts)
        self.markets = dict(markets or {})  # oracle market id -> symbol
        self.resync_on_crossed = resync_on_crossed
        self.stats = CodecStats()
        self.any_pair = pairs is None
        self.states: dict[int, PairState] = {}
        for pair, (symbol, params) in (pairs or {}).items():
            self.states[pair] = PairState(venue, pair, symbol, params)
        self.block_height = 0
        self.needs_resync = False
        self.resync_reason = ""
        self.snapshot_seen = False
        self.live_pairs: dict[int, PairState] = {}  # pairs whose updates apply now
        self.where: dict[OrderKey, tuple[int, int]] = {}  # id -> (side, price) on a book
        self.dirty: list[PairState] = []  # pairs touched by the response being read
        # The response being read: its receive time, its events, whether it
        # held something for a pair still waiting for its snapshot.
        self.ts_recv = 0
        self.out: list[Event] = []
        self.skipped = False
        # Memories of repeated bytes (the node sends the same bodies again and again).
        self.op_memo: dict[bytes, tuple] = {}  # encoded OffChainUpdateV1 -> operation (ops.py)
        self.body_memo: dict[bytes, tuple] = {}  # encoded StreamOrderbookUpdate -> its operations
        self.fill_memo: dict[bytes, list[Any]] = {}  # encoded fill -> its reading (fills.py)
        self.printed: dict[tuple[Any, ...], None] = {}  # optimistic fills already printed

    # --- public API ----------------------------------------------------------

    def book(self, pair: int) -> L3Book:
        """The book of clob pair ``pair`` (KeyError if not configured or seen)."""
        return self.states[pair].book

    def ready(self, pair: int) -> bool:
        """True once a snapshot has covered ``pair`` since the last reset."""
        st = self.states.get(pair)
        return st is not None and st.ready

    @property
    def all_ready(self) -> bool:
        """True once a snapshot has covered every pair since the last reset."""
        return self.snapshot_seen and all(st.ready for st in self.states.values())

    def reset(self) -> None:
        """A new subscription: every pair waits for the next snapshot.

        Books keep their orders until that snapshot replaces them; counters
        are kept. (``snapshot_divergence`` counts differences only for a
        snapshot that arrives while the pair is live: after a gap they are
        expected.)
        """
        for st in self.states.values():
            st.ready = False
        self.live_pairs.clear()
        self.snapshot_seen = False
        self.needs_resync = False
        self.resync_reason = ""

    # --- shared by the parts ---------------------------------------------------

    def live(self, key: OrderKey) -> PairState | None:
        """The pair state of ``key`` if its updates apply now, else count why not."""
        st = self.states.get(key[4])
        if st is None:
            if self.any_pair:
                st = self.new_pair(key[4])
            else:
                self.stats[OTHER_PAIR] += 1
                return None
        if not st.ready:
            self.stats[PRE_SNAPSHOT_UPDATES] += 1
            self.skipped = True
            return None
        return st

    def new_pair(self, pair: int) -> PairState:
        """A pair first seen in any-pair mode, in native units."""
        st = self.states[pair] = PairState(self.venue, pair, str(pair), NATIVE)
        # In any-pair mode a pair first seen after a snapshot was empty in it.
        st.ready = self.snapshot_seen
        if st.ready:
            self.live_pairs[pair] = st
        return st

    def touch(self, st: PairState, at: tuple[int, int]) -> None:
        """Level ``at`` of ``st`` changed: it goes into this response's delta."""
        if not st.touched:
            self.dirty.append(st)
        st.touched.add(at)

    def bad_side(self, key: OrderKey, v4side: int) -> None:
        """An order we cannot place: later updates of it would be misread, so
        the book is rebuilt from a fresh snapshot."""
        self.stats[BAD_SIDE] += 1
        self.stats[MALFORMED] += 1
        self.request_resync(f"order {format_key(key)} has side {v4side}")

    def request_resync(self, reason: str) -> None:
        """Ask the transport for a new subscription (the first reason is kept)."""
        if not self.needs_resync:
            self.needs_resync = True
            self.resync_reason = reason
