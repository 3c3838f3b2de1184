"""The simulator's open streams and what goes out on them.

Market data: a top-N picture of a book is pushed to every stream subscribed to
its symbol (built once per depth); the first picture after a subscribe carries
the instrument state and the last trade. Executions: each batch the exchange
flushes goes to the order streams of its accounts as one ``OrderUpdate``, and
to drop copy, which keeps the latest executions in a log it replays from a
resume token. Heartbeats go to every stream.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import grpc

from framework.runtime.clock import NS_PER_S, Clock
from plugins.polymarket.gen import dropcopy_pb2 as dc
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import marketdatasubscription_pb2 as md
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.sim.engine import Engine
from plugins.polymarket.sim.entry import SimError
from plugins.polymarket.sim.settings import SimSettings
from plugins.polymarket.sim.streams import StreamHandle

__all__ = ["HEARTBEAT_DROPCOPY", "HEARTBEAT_MD", "HEARTBEAT_ORDERS", "Fanout", "set_ts"]

HEARTBEAT_MD = md.CreateMarketDataSubscriptionResponse(heartbeat={})
HEARTBEAT_ORDERS = tr.CreateOrderSubscriptionResponse(heartbeat={})
HEARTBEAT_DROPCOPY = dc.CreateDropCopySubscriptionResponse(heartbeat={})
_HEARTBEATS = {"md": HEARTBEAT_MD, "orders": HEARTBEAT_ORDERS, "dropcopy": HEARTBEAT_DROPCOPY}


def set_ts(ts: Any, wall_ns: int) -> None:
    """Set a google.protobuf.Timestamp from ns since the epoch."""
    ts.seconds, ts.nanos = divmod(wall_ns, NS_PER_S)


class Fanout:
    """Every open stream, by what it is subscribed to (see the module docs).

    ``duplicate()`` says whether the next execution batch is delivered twice
    (a fault switch); ``session`` is the exchange's session id.
    """

    def __init__(self, settings: SimSettings, clock: Clock, session: str, duplicate: Callable[[], bool]) -> None:
        self.settings = settings
        self.clock = clock
        self.session = session
        self._duplicate = duplicate
        self.streams: list[StreamHandle] = []
        self.executions_sent = 0
        self._md_subs: dict[str, list[StreamHandle]] = {}
        self._order_subs: list[StreamHandle] = []
        self._dropcopy_subs: list[StreamHandle] = []
        self._last_trades: dict[str, int] = {}
        # The latest executions of client accounts, in order: what drop copy
        # replays. exec_base is the sequence number of exec_log[0].
        self.exec_log: deque[tuple[str, tr.Execution]] = deque(maxlen=settings.dropcopy_retain)
        self.exec_base = 0

    # --- market data ---------------------------------------------------------

    def md_update(self, engine: Engine, depth: int, *, first: bool = False) -> md.CreateMarketDataSubscriptionResponse:
        """The top-``depth`` picture of ``engine``'s book (with its state when ``first``)."""
        sym = engine.symbol
        u = md.MarketDataUpdate(
            symbol=sym,
            bids=[md.BookEntry(px=p, qty=q) for p, q in engine.top(E.SIDE_BUY, depth)],
            offers=[md.BookEntry(px=p, qty=q) for p, q in engine.top(E.SIDE_SELL, depth)],
        )
        set_ts(u.transact_time, self.clock.wall_ns())
        if first:
            u.state = engine.state
        if engine.last_trade is not None and (first or self._last_trades.get(sym) != engine.trades):
            self._last_trades[sym] = engine.trades
            px, qty = engine.last_trade
            u.stats.last_trade_px, u.stats.last_trade_qty, u.stats.shares_traded = px, qty, engine.shares_traded
        return md.CreateMarketDataSubscriptionResponse(update=u)

    def publish_book(self, engine: Engine) -> None:
        """Push ``engine``'s new picture to its subscribers."""
        subs = self._md_subs.get(engine.symbol)
        if not subs:
            return
        by_depth: dict[int, Any] = {}
        for h in subs:
            msg = by_depth.get(h.depth)
            if msg is None:
                msg = by_depth[h.depth] = self.md_update(engine, h.depth)
            h.push(msg)

    def publish_state(self, engine: Engine) -> None:
        """Tell ``engine``'s subscribers its instrument state changed."""
        for h in self._md_subs.get(engine.symbol, ()):
            h.push(self.md_update(engine, h.depth, first=True))

    # --- executions -----------------------------------------------------------

    def send_executions(self, pending: list[tuple[str, tr.Execution]]) -> None:
        """One flushed batch of (account, execution): logged for drop copy, then sent."""
        log = self.exec_log
        first = self.exec_base + len(log)
        overflow = len(log) + len(pending) - (log.maxlen or 0)
        if overflow > 0:
            self.exec_base += min(overflow, len(log))
        log.extend(pending)
        for h in self._dropcopy_subs:
            for i, (account, ex) in enumerate(pending, first):
                if account in h.accounts:
                    h.push(_copy(ex, i))
        for h in self._order_subs:
            mine = [ex for account, ex in pending if account in h.accounts]
            if not mine:
                continue
            if self._duplicate():
                mine = mine + mine[:1]
            h.push(tr.CreateOrderSubscriptionResponse(update=tr.OrderUpdate(executions=mine), session_id=self.session))
            self.executions_sent += len(mine)

    def cancel_reject(self, firm: str, cr: tr.CancelReject) -> None:
        """Send a cancel reject to ``firm``'s order streams."""
        msg = tr.CreateOrderSubscriptionResponse(update=tr.OrderUpdate(cancel_reject=cr), session_id=self.session)
        for h in self._order_subs:
            if h.firm == firm:
                h.push(msg)

    # --- subscriptions -------------------------------------------------------

    def subscribe_md(self, firm: str, engines: list[Engine], depth: int, skip_to_head: bool) -> StreamHandle:
        """A market-data stream of ``engines``' books; each sends its picture first."""
        h = StreamHandle("md", firm, symbols=frozenset(e.symbol for e in engines), depth=depth,
                         max_queue=self.settings.max_queue, skip_to_head=skip_to_head)  # fmt: skip
        self.streams.append(h)
        for engine in engines:
            self._md_subs.setdefault(engine.symbol, []).append(h)
            h.push(self.md_update(engine, depth, first=True))
        return h

    def subscribe_orders(self, firm: str, accounts: list[str], open_orders: list[tr.Order]) -> StreamHandle:
        """An order stream of ``accounts``: the snapshot of their ``open_orders`` first."""
        h = StreamHandle("orders", firm, accounts=frozenset(accounts), max_queue=self.settings.max_queue)
        self.streams.append(h)
        self._order_subs.append(h)
        h.push(tr.CreateOrderSubscriptionResponse(snapshot=tr.OrderSnapshot(orders=open_orders), session_id=self.session))
        return h

    def subscribe_dropcopy(self, firm: str, accounts: list[str], resume_token: bytes) -> StreamHandle:
        """Replay the executions after ``resume_token`` (none: from now), then go live;
        ``SimError`` OUT_OF_RANGE when the log no longer holds the resume point."""
        h = StreamHandle("dropcopy", firm, accounts=frozenset(accounts), max_queue=self.settings.max_queue)
        log, base = self.exec_log, self.exec_base
        end = base + len(log)
        start = int.from_bytes(resume_token, "big") if resume_token else end
        if not base <= start <= end:
            raise SimError(grpc.StatusCode.OUT_OF_RANGE, f"resume_token {start} is outside the retained {base}..{end}")
        self.streams.append(h)
        h.push(HEARTBEAT_DROPCOPY)  # tells the client the subscription is open
        for i in range(start, end):
            account, ex = log[i - base]
            if account in h.accounts:
                h.push(_copy(ex, i))
        self._dropcopy_subs.append(h)
        return h

    def unsubscribe(self, h: StreamHandle) -> None:
        if h in self.streams:
            self.streams.remove(h)
        if h in self._order_subs:
            self._order_subs.remove(h)
        if h in self._dropcopy_subs:
            self._dropcopy_subs.remove(h)
        for sym in h.symbols:
            subs = self._md_subs.get(sym)
            if subs and h in subs:
                subs.remove(h)

    def heartbeat(self) -> None:
        for h in self.streams:
            h.push(_HEARTBEATS[h.kind])


def _copy(ex: tr.Execution, index: int) -> dc.CreateDropCopySubscriptionResponse:
    return dc.CreateDropCopySubscriptionResponse(execution=ex, resume_token=(index + 1).to_bytes(8, "big"))
