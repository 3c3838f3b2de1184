"""The simulator's matching engine: one price-time priority book per instrument.

Prices and quantities are the venue's wire integers (``price_scale`` /
``fractional_quantity_scale`` units). The engine knows nothing of gRPC or
HTTP: it reports every order event synchronously through ``on_report`` (at
the moment it happens, so the order's cumulative fill is the one after that
event) and sets ``dirty`` when its visible book changed.

Semantics (EP3 conventions where the reference is silent):

- LIMIT rests at its price; MARKET_TO_LIMIT takes the best opposite price as
  its limit (rejected with NO_LIQUIDITY on an empty side) and rests any
  remainder there.
- TIF: DAY and GTC rest (DAY is not auto-cancelled, reference §5); IOC
  cancels the remainder; FOK fills completely or is cancelled untouched; GTT
  rests until ``expire_ns`` (checked by :meth:`expire`).
- Post-only (``participate_dont_initiate``) is rejected if it would cross.
- Cancel-replace keeps queue priority only when the price is unchanged and
  the size does not grow; otherwise the order goes to the back (and may
  trade, as an aggressor, at its new price).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator

from plugins.polymarket.gen import enums_pb2 as E

__all__ = ["LIVE_STATES", "Engine", "RejectError", "SimOrder"]

BUY, SELL = E.SIDE_BUY, E.SIDE_SELL
LIVE_STATES = (E.ORDER_STATE_NEW, E.ORDER_STATE_PARTIALLY_FILLED, E.ORDER_STATE_REPLACED)


class RejectError(Exception):
    """A cancel or replace the engine refused (becomes a CancelReject)."""

    def __init__(self, reason: int, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


class SimOrder:
    """One order inside the simulator (wire units)."""

    __slots__ = (
        "account",
        "clord_id",
        "create_ns",
        "cum",
        "expire_ns",
        "fills",
        "id",
        "last_ns",
        "notional",
        "post_only",
        "price",
        "qty",
        "side",
        "state",
        "symbol",
        "tif",
        "type",
    )

    def __init__(self, id: str, clord_id: str, account: str, symbol: str, side: int, price: int, qty: int,
                 tif: int = E.TIME_IN_FORCE_GOOD_TILL_CANCEL, type: int = E.ORDER_TYPE_LIMIT,
                 post_only: bool = False, expire_ns: int = 0, now_ns: int = 0) -> None:
        self.id = id
        self.clord_id = clord_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.price = price
        self.qty = qty
        self.cum = 0
        self.tif = tif or E.TIME_IN_FORCE_DAY  # absent = DAY
        self.type = type
        self.post_only = post_only
        self.expire_ns = expire_ns
        self.fills: dict[int, int] = {}
        self.notional = 0
        self.state = E.ORDER_STATE_NEW
        self.create_ns = now_ns
        self.last_ns = now_ns

    @property
    def leaves(self) -> int:
        return self.qty - self.cum if self.state in LIVE_STATES else 0

    def __repr__(self) -> str:
        return f"SimOrder({self.id} {self.account} {self.side} {self.qty}@{self.price} cum={self.cum} state={self.state})"


Report = Callable[..., None]  # (order, exec_type, last_px, last_qty, aggressor, trade_id, text, reject_reason)


class Engine:
    """Price-time priority matching for one instrument."""

    def __init__(self, symbol: str, price_scale: int, qty_scale: int, tick_wire: int,
                 on_report: Report, next_trade_id: Callable[[], str]) -> None:
        self.symbol = symbol
        self.price_scale = price_scale
        self.qty_scale = qty_scale
        self.tick_wire = tick_wire
        self.on_report = on_report
        self.next_trade_id = next_trade_id
        self.state = E.INSTRUMENT_STATE_OPEN
        self.orders: dict[str, SimOrder] = {}
        self._queues: dict[int, dict[int, deque[SimOrder]]] = {BUY: {}, SELL: {}}
        self._qty: dict[int, dict[int, int]] = {BUY: {}, SELL: {}}
        self._px: dict[int, list[int]] = {BUY: [], SELL: []}  # ascending
        self.dirty = False
        self.last_trade: tuple[int, int] | None = None
        self.shares_traded = 0
        self.trades = 0

    # --- reads -------------------------------------------------------------

    def best(self, side: int) -> int | None:
        px = self._px[side]
        if not px:
            return None
        return px[-1] if side == BUY else px[0]

    def top(self, side: int, depth: int) -> list[tuple[int, int]]:
        """The best ``depth`` levels of ``side``, best first, as (px, qty)."""
        px = self._px[side]
        q = self._qty[side]
        prices = px[: -depth - 1 : -1] if side == BUY else px[:depth]
        return [(p, q[p]) for p in prices]

    def open_orders(self) -> Iterator[SimOrder]:
        return iter(self.orders.values())

    # --- order entry -------------------------------------------------------

    def submit(self, o: SimOrder) -> None:
        """Validate, match and rest (or not) a new order, reporting everything."""
        reject = self._validate(o)
        if reject is not None:
            o.state = E.ORDER_STATE_REJECTED
            self.on_report(o, E.EXECUTION_TYPE_REJECTED, 0, 0, False, "", reject[1], reject[0])
            return
        opp = SELL if o.side == BUY else BUY
        if o.type == E.ORDER_TYPE_MARKET_TO_LIMIT:
            best = self.best(opp)
            if best is None:
                o.state = E.ORDER_STATE_REJECTED
                self.on_report(o, E.EXECUTION_TYPE_REJECTED, 0, 0, False, "", "no liquidity", E.ORD_REJECT_REASON_NO_LIQUIDITY)
                return
            o.price = best
        if o.post_only and self._crosses(o.side, o.price):
            o.state = E.ORDER_STATE_REJECTED
            self.on_report(o, E.EXECUTION_TYPE_REJECTED, 0, 0, False, "", "post-only order would cross", E.ORD_REJECT_REASON_EXCHANGE_OPTION)
            return
        self.on_report(o, E.EXECUTION_TYPE_NEW, 0, 0, False, "", "", 0)
        if o.tif == E.TIME_IN_FORCE_FILL_OR_KILL and self._available(o.side, o.price) < o.qty:
            self._end(o, E.ORDER_STATE_CANCELED, E.EXECUTION_TYPE_CANCELED, "fill-or-kill not filled")
            return
        self._match(o)
        if o.cum < o.qty:
            if o.tif in (E.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, E.TIME_IN_FORCE_FILL_OR_KILL):
                self._end(o, E.ORDER_STATE_CANCELED, E.EXECUTION_TYPE_CANCELED, "immediate-or-cancel remainder")
            else:
                self._rest(o)

    def cancel(self, order_id: str) -> SimOrder:
        """Cancel a working order; ``RejectError`` if it is not working."""
        o = self.orders.get(order_id)
        if o is None:
            raise RejectError(E.CXL_REJ_REASON_UNKNOWN_ORDER, f"order {order_id} is not working")
        if self.state == E.INSTRUMENT_STATE_HALTED:
            raise RejectError(E.CXL_REJ_REASON_OTHER, "instrument halted: no cancels")
        self._unrest(o)
        self._end(o, E.ORDER_STATE_CANCELED, E.EXECUTION_TYPE_CANCELED, "")
        return o

    def replace(self, order_id: str, price: int, qty: int, now_ns: int = 0) -> SimOrder:
        """Cancel-replace a working order's price and/or quantity (0 = unchanged)."""
        o = self.orders.get(order_id)
        if o is None:
            raise RejectError(E.CXL_REJ_REASON_UNKNOWN_ORDER, f"order {order_id} is not working")
        price = price or o.price
        qty = qty or o.qty
        if qty <= o.cum:
            raise RejectError(E.CXL_REJ_REASON_OTHER, f"new quantity {qty} is not above the filled {o.cum}")
        if self._bad_price(price):
            raise RejectError(E.CXL_REJ_REASON_INVALID_PRICE_INCREMENT, f"price {price} is not a valid tick")
        if o.post_only and price != o.price and self._crosses(o.side, price):
            raise RejectError(E.CXL_REJ_REASON_OTHER, "post-only order would cross")
        o.last_ns = now_ns
        if price == o.price and qty <= o.qty:
            # Same price, size not growing: keeps its place in the queue.
            self._qty[o.side][o.price] -= o.qty - qty
            o.qty = qty
            o.state = E.ORDER_STATE_REPLACED
            self.dirty = True
            self.on_report(o, E.EXECUTION_TYPE_REPLACE, 0, 0, False, "", "", 0)
            return o
        self._unrest(o)
        o.price, o.qty = price, qty
        o.state = E.ORDER_STATE_REPLACED
        self.on_report(o, E.EXECUTION_TYPE_REPLACE, 0, 0, False, "", "", 0)
        self._match(o)
        if o.cum < o.qty:
            self._rest(o)
        return o

    def expire(self, wall_ns: int) -> int:
        """Expire GTT orders whose time has come; returns how many."""
        due = [o for o in self.orders.values() if o.expire_ns and o.expire_ns <= wall_ns]
        for o in due:
            self._unrest(o)
            self._end(o, E.ORDER_STATE_EXPIRED, E.EXECUTION_TYPE_EXPIRED, "good-till-time reached")
        return len(due)

    # --- internals ---------------------------------------------------------

    def _bad_price(self, price: int) -> bool:
        return not 0 < price < self.price_scale or price % self.tick_wire != 0

    def _validate(self, o: SimOrder) -> tuple[int, str] | None:
        if self.state != E.INSTRUMENT_STATE_OPEN:
            return E.ORD_REJECT_REASON_EXCHANGE_CLOSED, f"instrument state {E.InstrumentState.Name(self.state)}"
        if o.qty <= 0:
            return E.ORD_REJECT_REASON_INCORRECT_QUANTITY, f"order_qty {o.qty} must be > 0"
        if o.side not in (BUY, SELL):
            return E.ORD_REJECT_REASON_EXCHANGE_OPTION, "side must be BUY or SELL"
        if o.type == E.ORDER_TYPE_LIMIT:
            if not 0 < o.price < self.price_scale:
                return E.ORD_REJECT_REASON_PRICE_OUT_OF_BOUNDS, f"price {o.price} outside (0, {self.price_scale})"
            if o.price % self.tick_wire:
                return E.ORD_REJECT_REASON_INVALID_PRICE_INCREMENT, f"price {o.price} is not a multiple of {self.tick_wire}"
        elif o.type != E.ORDER_TYPE_MARKET_TO_LIMIT:
            return E.ORD_REJECT_REASON_INCORRECT_ORDER_TYPE, "only LIMIT and MARKET_TO_LIMIT are supported"
        if o.tif == E.TIME_IN_FORCE_GOOD_TILL_TIME and not o.expire_ns:
            return E.ORD_REJECT_REASON_EXCHANGE_OPTION, "GOOD_TILL_TIME needs good_till_time"
        return None

    def _crosses(self, side: int, price: int) -> bool:
        best = self.best(SELL if side == BUY else BUY)
        return best is not None and (price >= best if side == BUY else price <= best)

    def _available(self, side: int, price: int) -> int:
        opp = SELL if side == BUY else BUY
        q = self._qty[opp]
        return sum(q[p] for p in self._px[opp] if (p <= price if side == BUY else p >= price))

    def _match(self, o: SimOrder) -> None:
        opp = SELL if o.side == BUY else BUY
        queues, qty, prices = self._queues[opp], self._qty[opp], self._px[opp]
        while o.cum < o.qty and prices:
            best = prices[0] if opp == SELL else prices[-1]
            if (best > o.price) if o.side == BUY else (best < o.price):
                break
            queue = queues[best]
            maker = queue[0]
            n = min(o.qty - o.cum, maker.qty - maker.cum)
            trade_id = self.next_trade_id()
            qty[best] -= n
            self._fill(maker, best, n, False, trade_id)
            if maker.cum == maker.qty:
                queue.popleft()
                del self.orders[maker.id]
                if not queue:
                    del queues[best], qty[best]
                    del prices[0 if opp == SELL else -1]
            self._fill(o, best, n, True, trade_id)
            self.last_trade = (best, n)
            self.shares_traded += n
            self.trades += 1
            self.dirty = True

    def _fill(self, o: SimOrder, px: int, n: int, aggressor: bool, trade_id: str) -> None:
        o.cum += n
        o.notional += px * n
        o.fills[px] = o.fills.get(px, 0) + n
        full = o.cum == o.qty
        o.state = E.ORDER_STATE_FILLED if full else E.ORDER_STATE_PARTIALLY_FILLED
        kind = E.EXECUTION_TYPE_FILL if full else E.EXECUTION_TYPE_PARTIAL_FILL
        self.on_report(o, kind, px, n, aggressor, trade_id, "", 0)

    def _rest(self, o: SimOrder) -> None:
        side = o.side
        queues = self._queues[side]
        q = queues.get(o.price)
        if q is None:
            q = queues[o.price] = deque()
            self._qty[side][o.price] = 0
            insort(self._px[side], o.price)
        q.append(o)
        self._qty[side][o.price] += o.qty - o.cum
        self.orders[o.id] = o
        self.dirty = True

    def _unrest(self, o: SimOrder) -> None:
        side = o.side
        q = self._queues[side][o.price]
        q.remove(o)
        self._qty[side][o.price] -= o.qty - o.cum
        if not q:
            del self._queues[side][o.price], self._qty[side][o.price]
            prices = self._px[side]
            del prices[bisect_left(prices, o.price)]
        del self.orders[o.id]
        self.dirty = True

    def _end(self, o: SimOrder, state: int, kind: int, text: str) -> None:
        o.state = state
        self.on_report(o, kind, 0, 0, False, "", text, 0)


