"""Sans-IO orders: order-stream and drop-copy messages -> order events, once each.

Snapshot (open orders) first, then executions and cancel rejects. Delivery is
at-least-once, so executions are dropped when their id was seen, and a fill
is also dropped when the order's cumulative quantity does not grow (that
covers a redelivered execution after a resync synthesized its fill).
Executions may also come from the drop-copy stream (:meth:`OrderCodec.on_copy`),
which resumes where it left off: with it the snapshot after a reconnect only
rebuilds the open-order table, and every fill, missed or not, arrives as the
venue's own execution. Without it (``synthesize=True``) the snapshot is
reconciled against the table: fills that happened while we were away are
synthesized from each order's ``price_to_quantity_filled``, and orders
missing from the snapshot (they ended while we were away) are reported as
:class:`~framework.model.events.OrderUnknown`: the run asks the venue.

Compiled by mypyc (``framework.tools.native``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from framework.model.events import (
    CancelRejected,
    Event,
    Liquidity,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderUnknown,
    Side,
    VenueCheckpoint,
)
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.scales import Scales

__all__ = [
    "RESUME_TOKEN_KEY",
    "DropCopyCodec",
    "OpenOrder",
    "OrderCodec",
    "OrderOwners",
    "side_from_wire",
    "side_to_wire",
    "ts_ns",
]

# The journal key of the drop-copy resume token (a VenueCheckpoint).
RESUME_TOKEN_KEY = "dropcopy.resume_token"


def side_from_wire(side: int) -> Side:
    """SIDE_BUY/SIDE_SELL -> :class:`Side`; ``ValueError`` for anything else."""
    if side == E.SIDE_BUY:
        return Side.BUY
    if side == E.SIDE_SELL:
        return Side.SELL
    raise ValueError(f"unknown side {side}")


def side_to_wire(side: Side) -> int:
    return E.SIDE_BUY if side is Side.BUY else E.SIDE_SELL


def ts_ns(ts: Any) -> int:
    """A google.protobuf.Timestamp as ns since the epoch (0 when unset)."""
    return ts.seconds * 1_000_000_000 + ts.nanos


class OpenOrder:
    """What the codec knows about one working order."""

    __slots__ = ("clord_id", "filled", "fills", "order_id", "price", "side", "size", "strategy", "symbol")

    def __init__(self, order_id: str, clord_id: str, symbol: str, side: Side, price: int, size: int, filled: int, strategy: str) -> None:
        self.order_id = order_id
        self.clord_id = clord_id
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.filled = filled
        self.strategy = strategy
        self.fills: dict[int, int] = {}  # wire price -> quantity we have reported

    def __repr__(self) -> str:
        return f"OpenOrder({self.order_id!r}, {self.clord_id!r}, {self.symbol!r}, {self.side.name} {self.size}@{self.price}, filled={self.filled})"


_TERMINAL_TYPES = {E.EXECUTION_TYPE_CANCELED, E.EXECUTION_TYPE_EXPIRED, E.EXECUTION_TYPE_DONE_FOR_DAY}


class OrderCodec:
    """Turns order-stream responses into order events, exactly once per execution.

    ``strategy_of(clord_id)`` names the strategy that owns an order ('' if
    unknown). ``open_orders`` (venue order id -> :class:`OpenOrder`) is the
    reconciled open-order table; ``duplicates`` counts dropped redeliveries.
    """

    def __init__(
        self,
        venue: str,
        scales: Mapping[str, Scales],
        strategy_of: Callable[[str], str] = lambda clord: "",
        remember: int = 200_000,
        synthesize: bool = True,
    ) -> None:
        self.venue = venue
        self.synthesize = synthesize
        self.scales = scales
        self.strategy_of = strategy_of
        self.open_orders: dict[str, OpenOrder] = {}
        self.duplicates = 0
        self.errors = 0
        self.last_error = ""
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def on_response(self, msg: Any, ts_recv: int) -> list[Event]:
        """Decode one ``CreateOrderSubscriptionResponse`` (heartbeats give nothing)."""
        arm = msg.WhichOneof("event")
        try:
            if arm == "update":
                out: list[Event] = []
                for ex in msg.update.executions:
                    self._on_execution(ex, ts_recv, out)
                if msg.update.HasField("cancel_reject"):
                    out.append(self._cancel_reject(msg.update.cancel_reject, ts_recv))
                return out
            if arm == "snapshot":
                return self.on_snapshot(msg.snapshot.orders, ts_recv)
        except (ValueError, KeyError) as exc:
            self.errors += 1
            self.last_error = str(exc)
        return []

    def on_copy(self, ex: Any, ts_recv: int) -> list[Event]:
        """Decode one drop-copy execution (deduplicated with the order stream's)."""
        out: list[Event] = []
        try:
            self._on_execution(ex, ts_recv, out)
        except (ValueError, KeyError) as exc:
            self.errors += 1
            self.last_error = str(exc)
        return out

    # --- snapshot / reconciliation ------------------------------------------

    def on_snapshot(self, orders: Any, ts_recv: int) -> list[Event]:
        """Reconcile the open-order table with a fresh snapshot of open orders."""
        out: list[Event] = []
        before = self.open_orders
        now: dict[str, OpenOrder] = {}
        for o in orders:
            sc = self.scales[o.symbol]
            known = before.pop(o.id, None)
            if known is None:
                known = self._open_from(o, sc)
            elif o.cum_qty > known.filled and self.synthesize:
                out.extend(self._synth_fills(known, o, sc, ts_recv))
            # With drop copy the missed fills are on their way as executions:
            # the cumulative fill must only grow as they arrive.
            known.price, known.size = sc.to_ticks(o.price), o.order_qty
            if self.synthesize:
                known.filled = o.cum_qty
            now[o.id] = known
        for gone in before.values() if self.synthesize else ():
            out.append(
                OrderUnknown(
                    self.venue, gone.symbol, 0, ts_recv, gone.clord_id, gone.strategy, gone.order_id,
                    "", f"missing from the snapshot after a reconnect (filled {gone.filled} of {gone.size} before)",
                )
            )
        self.open_orders = now
        return out

    def _open_from(self, o: Any, sc: Scales) -> OpenOrder:
        known = OpenOrder(o.id, o.clord_id, o.symbol, side_from_wire(o.side), sc.to_ticks(o.price), o.order_qty, o.cum_qty, self.strategy_of(o.clord_id))
        known.fills = dict(o.price_to_quantity_filled)
        return known

    def _synth_fills(self, known: OpenOrder, o: Any, sc: Scales, ts_recv: int) -> list[OrderFilled]:
        """One fill per price for what the order filled while we were away.

        ``price_to_quantity_filled`` gives the order's fills by price; what it
        holds beyond the fills we reported is what we missed, exactly.
        """
        out = []
        cum = known.filled
        ts = ts_ns(o.last_transact_time)
        for wire_px, qty in sorted(o.price_to_quantity_filled.items()):
            missed = qty - known.fills.get(wire_px, 0)
            if missed <= 0:
                continue
            cum += missed
            known.fills[wire_px] = qty
            out.append(
                OrderFilled(
                    self.venue, o.symbol, ts, ts_recv, o.clord_id, known.strategy, o.id,
                    f"resync:{o.id}:{cum}", known.side, sc.to_ticks(wire_px), missed, cum,
                    o.order_qty - cum, Liquidity.UNKNOWN, 0,
                )
            )
        if cum != o.cum_qty:
            raise ValueError(f"order {o.id}: price_to_quantity_filled sums to {cum}, cum_qty is {o.cum_qty}")
        return out

    # --- executions -----------------------------------------------------------

    def _seen_before(self, exec_id: str) -> bool:
        seen = self._seen
        if exec_id in seen:
            self.duplicates += 1
            return True
        seen[exec_id] = None
        if len(seen) > self._remember:
            seen.popitem(last=False)
        return False

    def _on_execution(self, ex: Any, ts_recv: int, out: list[Event]) -> None:
        if self._seen_before(ex.id):
            return
        o = ex.order
        sc = self.scales[o.symbol]
        kind = ex.type
        ts = ts_ns(ex.transact_time)
        known = self.open_orders.get(o.id)
        strategy = known.strategy if known is not None else self.strategy_of(o.clord_id)
        if kind in (E.EXECUTION_TYPE_PARTIAL_FILL, E.EXECUTION_TYPE_FILL):
            if known is not None and o.cum_qty <= known.filled:
                self.duplicates += 1  # already counted, e.g. synthesized at a resync
                return
            out.append(
                OrderFilled(
                    self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, ex.id,
                    side_from_wire(o.side), sc.to_ticks(ex.last_px), ex.last_shares, o.cum_qty, o.leaves_qty,
                    Liquidity.TAKER if ex.aggressor else Liquidity.MAKER,
                    sc.fee_units(ex.commission_notional_collected),
                )
            )
            known = self._track(o, sc, strategy, known)
            if known is not None:
                known.fills[ex.last_px] = known.fills.get(ex.last_px, 0) + ex.last_shares
        elif kind == E.EXECUTION_TYPE_NEW:
            out.append(OrderAccepted(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, side_from_wire(o.side), sc.to_ticks(o.price), o.order_qty))
            self._track(o, sc, strategy, known)
        elif kind == E.EXECUTION_TYPE_REPLACE:
            out.append(OrderReplaced(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, sc.to_ticks(o.price), o.order_qty, o.leaves_qty))
            self._track(o, sc, strategy, known)
        elif kind == E.EXECUTION_TYPE_REJECTED:
            reason = E.OrdRejectReason.Name(ex.order_reject_reason) + (f": {ex.text}" if ex.text else "")
            out.append(OrderRejected(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, reason))
            self.open_orders.pop(o.id, None)
        elif kind in _TERMINAL_TYPES:
            reason = E.ExecutionType.Name(kind) + (f": {ex.text}" if ex.text else "")
            ended = OrderExpired if kind == E.EXECUTION_TYPE_EXPIRED else OrderCanceled
            out.append(ended(self.venue, o.symbol, ts, ts_recv, o.clord_id, strategy, o.id, reason))
            self.open_orders.pop(o.id, None)
        else:
            raise ValueError(f"unknown execution type {kind} in {ex.id}")

    def _track(self, o: Any, sc: Scales, strategy: str, known: OpenOrder | None) -> OpenOrder | None:
        if o.leaves_qty == 0:
            self.open_orders.pop(o.id, None)
            return None
        if known is None:
            known = self.open_orders[o.id] = OpenOrder(o.id, o.clord_id, o.symbol, side_from_wire(o.side), 0, 0, 0, strategy)
        known.price, known.size, known.filled = sc.to_ticks(o.price), o.order_qty, o.cum_qty
        return known

    def _cancel_reject(self, cr: Any, ts_recv: int) -> CancelRejected:
        known = self.open_orders.get(cr.order_id)
        symbol = known.symbol if known is not None else ""
        strategy = known.strategy if known is not None else self.strategy_of(cr.clord_id)
        name = E.CxlRejReason.Name(cr.reject_reason) if cr.reject_reason in E.CxlRejReason.values() else str(cr.reject_reason)
        reason = name + (f": {cr.text}" if cr.text else "")
        return CancelRejected(self.venue, symbol, 0, ts_recv, cr.clord_id, strategy, cr.order_id, reason)



class DropCopyCodec:
    """Drop-copy responses -> the executions' order events (through ``orders``,
    deduplicated with the order stream's) and a :class:`VenueCheckpoint` each
    time the resume position moves, so that a resumed run goes on from there.

    ``resume_token`` is where the next subscription resumes (``b""``: from now).
    """

    def __init__(self, venue: str, orders: OrderCodec, resume_token: bytes = b"") -> None:
        self.venue = venue
        self.orders = orders
        self.resume_token = resume_token

    def on_response(self, msg: Any, ts_recv: int) -> list[Event]:
        """Decode one ``CreateDropCopySubscriptionResponse`` (a heartbeat gives nothing)."""
        out = self.orders.on_copy(msg.execution, ts_recv) if msg.HasField("execution") else []
        token = msg.resume_token
        if token and token != self.resume_token:
            self.resume_token = token
            out.append(VenueCheckpoint(self.venue, "", ts_recv, ts_recv, RESUME_TOKEN_KEY, token))
        return out

    def resume_lost(self) -> str:
        """The venue no longer holds our resume point: go on from now, and say so
        (executions in the gap cannot be replayed); "" when there was none."""
        if not self.resume_token:
            return ""
        self.resume_token = b""
        return "resume point no longer retained: resuming from now, executions in the gap are not replayed"


class OrderOwners:
    """The run's working orders: client order id -> owning strategy and venue
    order id. A resumed run's open orders come first (``restored``), so that
    their executions, replayed or new, reach the right strategy; an order that
    ended is forgotten (bounded memory)."""

    def __init__(self, restored: Mapping[str, str] | None = None) -> None:
        self.strategy: dict[str, str] = dict(restored or {})
        self.order_id: dict[str, str] = {}

    def strategy_of(self, clord_id: str) -> str:
        """The strategy owning ``clord_id`` ('' if unknown)."""
        return self.strategy.get(clord_id, "")

    def forget(self, clord_id: str) -> None:
        self.strategy.pop(clord_id, None)
        self.order_id.pop(clord_id, None)

    def settle(self, events: list[Event]) -> None:
        """Forget the orders ``events`` ended (canceled, expired, rejected, fully
        filled). An order in doubt (OrderUnknown) is not: the run resolves it."""
        for ev in events:
            if isinstance(ev, (OrderCanceled, OrderExpired, OrderRejected)) or (isinstance(ev, OrderFilled) and not ev.remaining):
                self.forget(ev.client_order_id)
