"""The fake full node's memclob: optimistic matching, block commits, event emission.

Sans-IO: actions (:meth:`FakeEngine.place`, :meth:`~FakeEngine.cancel`,
:meth:`~FakeEngine.replace`, :meth:`~FakeEngine.commit_block`) change the
node's own book and append the ``StreamUpdate`` sequences the venue reference
lists (section 7) to :attr:`FakeEngine.pending`; the server flushes them to
subscribers. The book is deliberately naive (dicts of FIFO lists) so that it
can serve as the reference model the adapter's L3 book is compared against.

Block cycle (committing block N), as the real node does it:

- **mode 7**, one response: sync updates that bring every order touched by
  the local operations queue back to its *committed* fill amount; the
  proposer's fills (the optimistic matches, some dropped, some against a
  different maker, or an explicit proposal); pruning updates (fill amount 0)
  for short-term ids past their good-til-block; subaccount and price updates.
- **mode 102**: removal of the operations queue's resting orders, then of
  expired and committed-filled orders and stateful cancels; placements in two
  passes (post-only first): long-term orders of block N, and the replay of the
  operations queue (taker message, reset update, the same optimistic fill
  again, place + update).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from plugins.dydx.ids import OrderKey
from plugins.dydx.sim import messages as msg
from plugins.dydx.sim.model import BUY, IOC, POST_ONLY, SELL, Order

__all__ = ["BookRow", "FakeEngine", "Match"]

BookRow = tuple[OrderKey, int, int, int, int]
"""``(key, side +1/-1, subticks, quantums, filled)`` of a resting order."""

_STATUS_SUCCESS = 0
_STATUS_POST_ONLY_WOULD_CROSS = 9


@dataclass
class Match:
    """One taker against makers: ``makers`` holds ``(maker order, amount)``."""

    taker: Order
    makers: list[tuple[Order, int]] = field(default_factory=list)


class FakeEngine:
    """The node's book and stream emitter for clob pairs ``pairs``.

    ``confirm_prob`` is the chance that the proposer includes an optimistic
    match in the block, ``diverge_prob`` the chance that it is confirmed
    against a different maker instead; ``seed`` makes those choices repeatable.
    """

    def __init__(
        self,
        pairs: Sequence[int] = (0,),
        *,
        start_height: int = 1000,
        confirm_prob: float = 1.0,
        diverge_prob: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.pairs = list(pairs)
        self.height = start_height
        self.mode = 0
        self.confirm_prob = confirm_prob
        self.diverge_prob = diverge_prob
        self._rng = random.Random(seed)
        self.pending: list[msg.StreamUpdate] = []
        self.resting: dict[OrderKey, Order] = {}
        self.levels: dict[int, dict[int, dict[int, list[OrderKey]]]] = {p: {BUY: {}, SELL: {}} for p in self.pairs}
        self.fills: dict[OrderKey, int] = {}  # the node's (optimistic) fill amount per id
        self.committed: dict[OrderKey, int] = {}
        self.ops: list[Order] = []  # short-term placements since the last commit (replayed)
        self.touched: dict[OrderKey, None] = {}  # ids in the local operations queue, in order
        self.matches: list[Match] = []  # optimistic matches since the last commit
        self.long_term: list[Order] = []  # long-term places waiting for the next commit
        self.stateful_cancels: list[OrderKey] = []
        self.gtb: dict[OrderKey, int] = {}  # short-term id -> good-til-block (for pruning)
        self.positions: dict[tuple[str, int], dict[int, int]] = {}
        self.oracle: dict[int, tuple[int, int]] = {}  # market -> (price, exponent)
        self._oracle_sent: dict[int, tuple[int, int]] = {}
        self._changed_subaccounts: dict[tuple[str, int], None] = {}  # by this block's confirmed fills
        self.updates_emitted = 0

    # --- reads ---------------------------------------------------------------

    def remaining(self, key: OrderKey) -> int:
        o = self.resting[key]
        return max(o.quantums - self.fills.get(key, 0), 0)

    def best(self, pair: int, side: int) -> int | None:
        """Best price (subticks) with remaining size on ``side`` (v4 side)."""
        prices = [p for p, keys in self.levels[pair][side].items() if any(self.remaining(k) for k in keys)]
        if not prices:
            return None
        return max(prices) if side == BUY else min(prices)

    def book_rows(self, pair: int) -> list[BookRow]:
        """Resting orders of ``pair``: bids best first, then asks best first, FIFO per level."""
        rows: list[BookRow] = []
        for side, sign in ((BUY, 1), (SELL, -1)):
            levels = self.levels[pair][side]
            for price in sorted(levels, reverse=side == BUY):
                for key in levels[price]:
                    o = self.resting[key]
                    rows.append((key, sign, o.subticks, o.quantums, self.fills.get(key, 0)))
        return rows

    # --- short-term flow (mode 0) --------------------------------------------

    def place(self, order: Order) -> None:
        """A new order arrives: long-term ones wait for the block, short-term ones match now."""
        if not order.short_term:
            self.long_term.append(order)
            return
        if order.gtb <= self.height or order.key in self.resting:
            return  # CheckTx refuses it: nothing on the stream
        self._queue(order, self._execute(order))

    def replace(self, order: Order) -> None:
        """Replace a resting short-term order: same id, higher good-til-block."""
        old = self.resting.get(order.key)
        if old is None or order.gtb <= old.gtb or order.side != old.side:
            return
        if order.quantums <= self.fills.get(order.key, 0):
            return
        self._queue(order, self._execute(order, replacing=True))

    def cancel(self, key: OrderKey) -> None:
        """Cancel: short-term at once (if on this book), stateful at the next commit."""
        if key[3]:
            self.stateful_cancels.append(key)
            return
        self.ops = [o for o in self.ops if o.key != key]
        if key in self.resting:
            self._take_off(key)
            self._emit_ob(key[4], [msg.remove(key)])

    def _queue(self, order: Order, outcome: str) -> None:
        """Record a short-term placement in the local operations queue (replayed at 102)."""
        self.gtb[order.key] = max(order.gtb, self.gtb.get(order.key, 0))
        if outcome in ("rested", "matched"):
            self.ops.append(order)

    def noise(self, pair: int, n: int) -> None:
        """Emit ``n`` updates naming ids that are not on the book (block-sync style): a knob
        for load and for the unknown-id tolerance; the book does not change."""
        base = 1 << 31
        self._emit_ob(pair, [msg.update(("dydx1noise", 0, base + i, 0, pair), 0) for i in range(n)])

    # --- matching --------------------------------------------------------------

    def _execute(self, order: Order, *, replacing: bool = False) -> str:
        """Match ``order`` and emit its sequence; returns rejected, unmatched, matched or rested."""
        key = order.key
        prior = self.fills.get(key, 0)
        if replacing:
            self._take_off(key)
        need = order.quantums - prior
        opposite = SELL if order.side == BUY else BUY
        best = self.best(order.pair, opposite)
        crosses = best is not None and order.crosses(best)
        if order.tif == POST_ONLY and crosses:
            self._emit(msg.taker(self.height, self.mode, order, _STATUS_POST_ONLY_WOULD_CROSS, need, 0))
            if replacing:
                self._emit_ob(order.pair, [msg.remove(key)])
            self._emit_ob(order.pair, [msg.update(key, prior)])
            return "rejected"
        makers, self_trades = self._plan(order, need, opposite) if crosses else ([], [])
        done = sum(amount for _, amount in makers)
        self._emit(msg.taker(self.height, self.mode, order, _STATUS_SUCCESS, need - done, done))
        if replacing:
            self._emit_ob(order.pair, [msg.remove(key)])
        self._emit_ob(order.pair, [msg.update(key, prior)])
        for maker_key in self_trades:  # self-trade: the maker is cancelled
            self._take_off(maker_key)
            self._emit_ob(order.pair, [msg.remove(maker_key)])
        if makers:
            self._match(order, makers, prior + done)
        if need - done > 0 and order.tif != IOC:
            self._rest(order)
            self._emit_ob(order.pair, [msg.place(order), msg.update(key, self.fills.get(key, 0))])
            return "rested"
        return "matched" if makers else "unmatched"

    def _plan(self, order: Order, need: int, opposite: int) -> tuple[list[tuple[Order, int]], list[OrderKey]]:
        levels = self.levels[order.pair][opposite]
        makers: list[tuple[Order, int]] = []
        self_trades: list[OrderKey] = []
        for price in sorted(levels, reverse=opposite == BUY):
            if need <= 0 or not order.crosses(price):
                break
            for mkey in levels[price]:
                if need <= 0:
                    break
                left = self.remaining(mkey)
                if not left:
                    continue
                if mkey[:2] == order.key[:2]:
                    self_trades.append(mkey)
                    continue
                amount = min(left, need)
                makers.append((self.resting[mkey], amount))
                need -= amount
        return makers, self_trades

    def _match(self, taker: Order, makers: list[tuple[Order, int]], taker_cum: int) -> None:
        rows = []
        for maker, amount in makers:
            cum = self.fills.get(maker.key, 0) + amount
            self.fills[maker.key] = cum
            rows.append((maker, amount, cum))
            self.touched[maker.key] = None
            if cum >= maker.quantums:  # fully filled makers leave before the fill
                self._take_off(maker.key)
                self._emit_ob(maker.pair, [msg.remove(maker.key)])
        self.fills[taker.key] = taker_cum
        self.touched[taker.key] = None
        self._emit(msg.fill(self.height, self.mode, taker, rows, taker_cum))
        self.matches.append(Match(taker, list(makers)))

    # --- block commit ----------------------------------------------------------

    def commit_block(self, proposal: Iterable[Match] | None = None) -> list[msg.Response]:
        """Commit block ``height + 1``: return the mode 7 response; mode 102 goes to ``pending``.

        ``proposal`` lists the block's matches (default: the optimistic ones,
        subject to ``confirm_prob`` and ``diverge_prob``). Pending mode 0
        updates are returned first, as their own response.
        """
        out: list[msg.Response] = []
        if self.pending:
            out.append(msg.Response(updates=self.pending))
            self.pending = []
        n = self.height + 1
        self.height, self.mode = n, 7
        self._sync()
        for match in self._proposal() if proposal is None else proposal:
            self._confirm(match)
        self._prune(n)
        for owner, number in self._changed_subaccounts:
            self._emit(msg.subaccount(self.height, owner, number, self.positions.get((owner, number), {}), 0, False))
        self._changed_subaccounts = {}
        self._oracle_updates()
        out.append(msg.Response(updates=self.pending))
        self.pending = []
        self.mode = 102
        self._prepare_check_state(n)
        self.mode = 0
        return out

    def _sync(self) -> None:
        by_pair: dict[int, list] = {}
        for key in self.touched:
            committed = self.committed.get(key, 0)
            self.fills[key] = committed
            by_pair.setdefault(key[4], []).append(msg.update(key, committed))
        for pair, updates in by_pair.items():
            self._emit_ob(pair, updates)

    def _proposal(self) -> list[Match]:
        chosen = []
        for match in self.matches:
            if self._rng.random() >= self.confirm_prob:
                continue
            if self._rng.random() < self.diverge_prob:
                match = self._diverge(match)
            chosen.append(match)
        return chosen

    def _diverge(self, match: Match) -> Match:
        """The same taker, confirmed against a different resting maker if there is one."""
        used = {m.key for m, _ in match.makers}
        opposite = SELL if match.taker.side == BUY else BUY
        for price, keys in self.levels[match.taker.pair][opposite].items():
            if not match.taker.crosses(price):
                continue
            for key in keys:
                if key not in used and key[:2] != match.taker.key[:2]:
                    amount = sum(a for _, a in match.makers)
                    return Match(match.taker, [(self.resting[key], amount)])
        return match

    def _confirm(self, match: Match) -> None:
        taker = match.taker
        left = taker.quantums - self.committed.get(taker.key, 0)
        rows = []
        for maker, amount in match.makers:
            amount = min(amount, maker.quantums - self.committed.get(maker.key, 0), left)
            if amount <= 0:
                continue
            left -= amount
            cum = self.committed[maker.key] = self.committed.get(maker.key, 0) + amount
            rows.append((maker, amount, cum))
            self._position(maker, amount)
            self._position(taker, amount, taker=True)
        if not rows:
            return
        done = sum(a for _, a, _ in rows)
        taker_cum = self.committed[taker.key] = self.committed.get(taker.key, 0) + done
        for maker, _, cum in rows:
            self.fills[maker.key] = cum
        self.fills[taker.key] = taker_cum
        self._emit(msg.fill(self.height, 7, taker, rows, taker_cum))
        for maker, _, _ in rows:
            self._changed_subaccounts[maker.key[:2]] = None
        self._changed_subaccounts[taker.key[:2]] = None

    def _position(self, order: Order, amount: int, taker: bool = False) -> None:
        sub = (order.key[0], order.key[1])
        perps = self.positions.setdefault(sub, {})
        sign = 1 if order.side == BUY else -1
        perps[order.pair] = perps.get(order.pair, 0) + sign * amount

    def _prune(self, n: int) -> None:
        by_pair: dict[int, list] = {}
        for key, gtb in list(self.gtb.items()):
            if gtb < n and key not in self.resting:
                del self.gtb[key]
                self.fills.pop(key, None)
                self.committed.pop(key, None)
                by_pair.setdefault(key[4], []).append(msg.update(key, 0))
        for pair, updates in by_pair.items():
            self._emit_ob(pair, updates)

    def _oracle_updates(self) -> None:
        for market, value in sorted(self.oracle.items()):
            if self._oracle_sent.get(market) != value:
                self._oracle_sent[market] = value
                self._emit(msg.price(self.height, market, value[0], value[1], False))

    def _prepare_check_state(self, n: int) -> None:
        ops, self.ops = self.ops, []
        self.touched, self.matches = {}, []
        # 1. removals: the operations queue, then expired, filled and cancelled orders
        for order in ops:
            if order.key in self.resting:
                self._take_off(order.key)
                self._emit_ob(order.pair, [msg.remove(order.key)])
        purge = [
            k for k, o in self.resting.items()
            if (o.short_term and o.gtb <= n) or self.fills.get(k, 0) >= o.quantums
        ]
        purge += [k for k in self.stateful_cancels if k in self.resting and k not in purge]
        self.stateful_cancels = []
        for key in purge:
            self._take_off(key)
            self._emit_ob(key[4], [msg.remove(key)])
        # 2. placements: post-only first, then the rest
        latest: dict[OrderKey, Order] = {}
        for order in ops:
            latest[order.key] = order  # a replaced order replays as its last version
        replay = [
            o for o in latest.values()
            if o.gtb > n and self.committed.get(o.key, 0) < o.quantums
        ]
        lt, self.long_term = self.long_term, []
        candidates = lt + replay
        for order in [o for o in candidates if o.tif == POST_ONLY] + [o for o in candidates if o.tif != POST_ONLY]:
            if order.key in self.resting:
                continue
            outcome = self._execute(order)
            if order.short_term:
                self._queue(order, outcome)

    # --- snapshots ---------------------------------------------------------------

    def snapshot(self, pairs: Sequence[int], subaccounts: Sequence[tuple[str, int]] = (),
                 markets: Sequence[int] = ()) -> list[msg.StreamUpdate]:
        """The snapshot a new subscriber gets: one order-book update, then subaccounts, prices."""
        updates = []
        for pair in pairs:
            if pair not in self.levels:
                continue
            for key, _sign, _subticks, _quantums, filled in self.book_rows(pair):
                updates.append(msg.place(self.resting[key]))
                updates.append(msg.update(key, filled))
        out = [msg.orderbook(self.height, 102, updates, snapshot=True)]
        for owner, number in subaccounts:
            out.append(msg.subaccount(self.height, owner, number, self.positions.get((owner, number), {}), 0, True))
        for market in markets:
            if market in self.oracle:
                price, exponent = self.oracle[market]
                out.append(msg.price(self.height, market, price, exponent, True))
        return out

    def take_response(self) -> msg.Response | None:
        """Everything emitted since the last call, as one response (None if nothing)."""
        if not self.pending:
            return None
        resp = msg.Response(updates=self.pending)
        self.pending = []
        return resp

    # --- internals -----------------------------------------------------------------

    def _rest(self, order: Order) -> None:
        self.resting[order.key] = order
        self.levels[order.pair][order.side].setdefault(order.subticks, []).append(order.key)

    def _take_off(self, key: OrderKey) -> None:
        order = self.resting.pop(key, None)
        if order is None:
            return
        level = self.levels[order.pair][order.side]
        level[order.subticks].remove(key)
        if not level[order.subticks]:
            del level[order.subticks]

    def _emit(self, update: msg.StreamUpdate) -> None:
        self.pending.append(update)

    def _emit_ob(self, pair: int, updates: list) -> None:
        self.updates_emitted += len(updates)
        self.pending.append(msg.orderbook(self.height, self.mode, updates))
