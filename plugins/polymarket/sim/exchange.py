"""The simulator's exchange core: instruments, engines, order entry, executions.

Transport-free: the gRPC and HTTP servers authenticate, apply the ingress
limits, then call in here with parsed protobuf requests (order entry through
:meth:`Exchange.order_entry`, one table for both transports:
:mod:`plugins.polymarket.sim.entry`). Executions are built as
``polymarket.v1.Execution`` messages the moment the engine reports them and
flushed as one batch per action; the streams they go out on, and the
market-data pictures, are :mod:`plugins.polymarket.sim.fanout`'s.
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import grpc

from framework.runtime.clock import NS_PER_S, Clock
from plugins.polymarket.gen import enums_pb2 as E
from plugins.polymarket.gen import refdata_pb2 as rd
from plugins.polymarket.gen import trading_pb2 as tr
from plugins.polymarket.limits import BATCH_MAX
from plugins.polymarket.sim.engine import LIVE_STATES, Engine, RejectError, SimOrder
from plugins.polymarket.sim.entry import (
    ORDER_ENTRY,
    Client,
    EntryMethod,
    RestingOrder,
    SimError,
    check_identity,
)
from plugins.polymarket.sim.fanout import Fanout, set_ts
from plugins.polymarket.sim.faults import Faults
from plugins.polymarket.sim.limits import SimLimits
from plugins.polymarket.sim.settings import SimSettings
from plugins.polymarket.sim.streams import StreamHandle

__all__ = ["FLOW_ACCOUNT", "ORDER_ENTRY", "Client", "EntryMethod", "Exchange", "RestingOrder", "SimError"]

FLOW_ACCOUNT = "firms/sim-flow/accounts/flow"


class Exchange:
    """Every instrument's engine plus the streams subscribed to them."""

    def __init__(self, settings: SimSettings, clock: Clock, instruments: Iterable[rd.Instrument]) -> None:
        self.settings = settings
        self.clock = clock
        self.limits = SimLimits(settings.limits, clock)
        self.instruments: dict[str, rd.Instrument] = {}
        self.engines: dict[str, Engine] = {}
        self.clients: dict[str, Client] = {}
        self.tokens: dict[str, tuple[Client, int]] = {}  # token -> (client, expiry now_ns)
        self.faults = Faults(lambda: list(self.streams), self._expire_all_tokens)
        self.received: dict[str, int] = {}  # method -> requests accepted
        self._pending: list[tuple[str, tr.Execution]] = []
        self._order_seq = itertools.count(1)
        self._exec_seq = itertools.count(1)
        self._trade_seq = itertools.count(1)
        self._session = secrets.token_hex(4)
        self.fanout = Fanout(settings, clock, self._session, self.faults.take_duplicate)
        # Live client orders, (account, clord_id) -> (symbol, order id): a
        # clord_id is unique among an account's live orders, across symbols.
        self._live: dict[tuple[str, str], tuple[str, str]] = {}
        for inst in instruments:
            self._list(inst)

    @property
    def streams(self) -> list[StreamHandle]:
        """The streams open now."""
        return self.fanout.streams

    @property
    def exec_log(self) -> deque[tuple[str, tr.Execution]]:
        """The latest executions of client accounts, in order (what drop copy replays)."""
        return self.fanout.exec_log

    @property
    def exec_base(self) -> int:
        """The sequence number of ``exec_log[0]``."""
        return self.fanout.exec_base

    @property
    def executions_sent(self) -> int:
        return self.fanout.executions_sent

    def _list(self, inst: rd.Instrument) -> None:
        tick_wire = round(inst.tick_size * inst.price_scale) or 1
        self.instruments[inst.symbol] = inst
        self.engines[inst.symbol] = Engine(
            inst.symbol, inst.price_scale, inst.fractional_qty_scale or 1, tick_wire, self._on_report, self._next_trade
        )

    # --- clients and tokens -------------------------------------------------

    def register_client(self, client: Client) -> None:
        self.clients[client.client_id] = client

    def issue_token(self, client: Client) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        ttl_ns = int(self.settings.token_ttl_s * NS_PER_S)
        self.tokens[token] = (client, self.clock.now_ns() + ttl_ns)
        return token, ttl_ns

    def client_for(self, token: str) -> Client:
        """The client a bearer token belongs to; ``SimError`` UNAUTHENTICATED otherwise."""
        entry = self.tokens.get(token)
        if entry is None:
            raise SimError(grpc.StatusCode.UNAUTHENTICATED, "token missing or invalid")
        client, expiry = entry
        if self.clock.now_ns() >= expiry:
            del self.tokens[token]
            raise SimError(grpc.StatusCode.UNAUTHENTICATED, "token expired")
        return client

    def _expire_all_tokens(self) -> int:
        n = len(self.tokens)
        self.tokens.clear()
        return n

    # --- ids ---------------------------------------------------------------

    def _next_trade(self) -> str:
        return f"T{next(self._trade_seq)}"

    def _next_order_id(self) -> str:
        return f"O{self._session}{next(self._order_seq):08d}"

    # --- order entry -----------------------------------------------------------

    def count(self, method: str) -> None:
        self.received[method] = self.received.get(method, 0) + 1

    def order_entry(self, client: Client, method: str, req: Any) -> Any:
        """Process one order-entry request (a key of :data:`ORDER_ENTRY`) and
        return its response. A batch is checked whole before any of it runs:
        a refused batch changes nothing."""
        m = ORDER_ENTRY[method]
        reqs = list(req.requests) if m.batch else [req]
        if m.batch and not 1 <= len(reqs) <= BATCH_MAX:
            raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"a batch holds 1-{BATCH_MAX} requests, not {len(reqs)}")
        if m.action == "insert":
            answers = [tr.InsertOrderResponse(order_id=i) for i in self._insert_all(client, reqs)]
        else:
            answers = self._amend_all(client, reqs, self.cancel if m.action == "cancel" else self.replace, m.item)
        return m.response(responses=answers) if m.batch else answers[0]

    def _insert_all(self, client: Client, reqs: list[tr.InsertOrderRequest]) -> list[str]:
        if len(reqs) > 1:  # all or nothing: check every member before inserting any
            accounts = [self._check_insert(client, r) for r in reqs]
            if len({(a, r.clord_id) for a, r in zip(accounts, reqs, strict=True)}) < len(reqs):
                raise SimError(grpc.StatusCode.INVALID_ARGUMENT, "clord_id repeated within the batch")
        return [self.insert(client, r) for r in reqs]

    def _amend_all(self, client: Client, reqs: list[Any], amend: Callable[[Client, Any], None], item: type) -> list[Any]:
        for r in reqs:
            check_identity(r.order_id, r.clord_id)
        for r in reqs:
            amend(client, r)
        return [item() for _ in reqs]

    def insert(self, client: Client, req: tr.InsertOrderRequest) -> str:
        """Insert one order for ``client``; returns the venue order id. Every
        insert passes here (``bench polymarket`` times arrivals on it)."""
        return self._insert(req, self._check_insert(client, req))

    def _check_insert(self, client: Client, req: tr.InsertOrderRequest) -> str:
        """What refuses an insert outright (``SimError``); returns its account."""
        account = req.account or client.accounts[0]
        if account not in client.accounts:
            raise SimError(grpc.StatusCode.PERMISSION_DENIED, f"account {account!r} is not yours")
        if not 1 <= len(req.clord_id) <= 64 or not req.clord_id.isascii() or not req.clord_id.isprintable():
            raise SimError(grpc.StatusCode.INVALID_ARGUMENT, "clord_id must be 1-64 visible ASCII characters")
        if req.cash_order_qty:
            raise SimError(grpc.StatusCode.INVALID_ARGUMENT, "cash_order_qty is not supported by the simulator")
        if (account, req.clord_id) in self._live:
            raise SimError(grpc.StatusCode.INVALID_ARGUMENT, f"clord_id {req.clord_id!r} is already live")
        return account

    def _insert(self, req: tr.InsertOrderRequest, account: str) -> str:
        engine = self.engines.get(req.symbol)
        expire_ns = 0
        if req.HasField("good_till_time"):
            expire_ns = req.good_till_time.seconds * NS_PER_S + req.good_till_time.nanos
        o = SimOrder(
            self._next_order_id(), req.clord_id, account, req.symbol, req.side, req.price, req.order_qty,
            req.time_in_force, req.type, req.participate_dont_initiate, expire_ns, self.clock.wall_ns(),
        )
        if engine is None:
            o.state = E.ORDER_STATE_REJECTED
            self._on_report(o, E.EXECUTION_TYPE_REJECTED, 0, 0, False, "", f"unknown symbol {req.symbol!r}", E.ORD_REJECT_REASON_UNKNOWN_SYMBOL)
            self._flush(None)
            return o.id
        engine.submit(o)
        self._flush(engine)
        return o.id

    def insert_flow(self, symbol: str, side: int, price: int, qty: int, tif: int = E.TIME_IN_FORCE_GOOD_TILL_CANCEL) -> SimOrder:
        """Synthetic order flow (no order stream, no limits)."""
        engine = self.engines[symbol]
        o = SimOrder(self._next_order_id(), "", FLOW_ACCOUNT, symbol, side, price, qty, tif, E.ORDER_TYPE_LIMIT, False, 0, self.clock.wall_ns())
        engine.submit(o)
        self._flush(engine)
        return o

    def cancel(self, client: Client, req: tr.CancelOrderRequest) -> None:
        """Cancel; an unknown or finished order gets a cancel reject on the stream."""
        engine, order_id = self._locate(client, req.order_id, req.clord_id, req.symbol)
        try:
            if engine is None:
                raise RejectError(E.CXL_REJ_REASON_UNKNOWN_ORDER, "unknown order")
            engine.cancel(order_id)
        except RejectError as exc:
            self._cancel_reject(client, req.order_id or order_id, req.clord_id, exc)
        self._flush(engine)

    def cancel_flow(self, symbol: str, order_id: str) -> bool:
        engine = self.engines[symbol]
        if order_id not in engine.orders:
            return False
        engine.cancel(order_id)
        self._flush(engine)
        return True

    def replace(self, client: Client, req: tr.CancelReplaceOrderRequest) -> None:
        engine, order_id = self._locate(client, req.order_id, req.clord_id, req.symbol)
        try:
            if engine is None:
                raise RejectError(E.CXL_REJ_REASON_UNKNOWN_ORDER, "unknown order")
            engine.replace(order_id, req.price, req.order_qty, self.clock.wall_ns())
        except RejectError as exc:
            self._cancel_reject(client, req.order_id or order_id, req.clord_id, exc)
        self._flush(engine)

    def _locate(self, client: Client, order_id: str, clord_id: str, symbol: str) -> tuple[Engine | None, str]:
        """The engine holding ``client``'s live order (by order id, else by
        clord_id; in ``symbol`` when it names one) and its id; ``(None, ...)``
        when there is none."""
        check_identity(order_id, clord_id)
        if order_id:
            for engine in [self.engines[symbol]] if symbol in self.engines else self.engines.values():
                o = engine.orders.get(order_id)
                if o is not None and o.account in client.accounts:
                    return engine, order_id
            return None, order_id
        for account in client.accounts:
            hit = self._live.get((account, clord_id))
            if hit is not None and (symbol not in self.engines or hit[0] == symbol):
                return self.engines[hit[0]], hit[1]
        return None, order_id

    def _cancel_reject(self, client: Client, order_id: str, clord_id: str, exc: RejectError) -> None:
        cr = tr.CancelReject(order_id=order_id, clord_id=clord_id, reject_reason=exc.reason, text=exc.text)
        self.fanout.cancel_reject(client.firm, cr)

    def resting_orders(self, account: str | None = None) -> list[RestingOrder]:
        """The client orders resting now (of ``account``, or of every client
        account), read from the books themselves; the synthetic flow is left out."""
        return [
            RestingOrder(o.account, o.clord_id, o.id, o.symbol, "BUY" if o.side == E.SIDE_BUY else "SELL", o.price, o.leaves)
            for engine in self.engines.values() for o in engine.orders.values()
            if o.account != FLOW_ACCOUNT and (account is None or o.account == account)
        ]

    def counters(self) -> dict[str, int]:
        """A read-only snapshot of what the exchange counted, one flat dict:
        ``violations:<kind>`` for every kind the limits know (zeros included:
        ``streams``, ``symbols``, ``ingress``, ``bucket:<Method>``),
        ``violations_total``, ``accepted:<Method>`` (requests past auth and the
        limits), ``ingress_total`` (messages inside the firm windows),
        ``faults:<name>`` (faults that fired), ``executions_sent`` and
        ``resting_orders`` (client orders resting now)."""
        limits = self.limits
        out = {f"violations:{kind}": limits.violations.get(kind, 0) for kind in limits.kinds()}
        out.update({f"violations:{kind}": n for kind, n in limits.violations.items()})
        out["violations_total"] = limits.total_violations
        out.update({f"accepted:{method}": n for method, n in sorted(self.received.items())})
        out["ingress_total"] = limits.ingress_total
        out.update({f"faults:{name}": n for name, n in sorted(self.faults.injected.items())})
        out["executions_sent"] = self.executions_sent
        out["resting_orders"] = len(self.resting_orders())
        return out

    def open_orders(self, client: Client, symbols: Iterable[str] = (), accounts: Iterable[str] = ()) -> list[tr.Order]:
        wanted = set(accounts) or set(client.accounts)
        syms = set(symbols)
        out: list[tr.Order] = []
        for sym, engine in self.engines.items():
            if syms and sym not in syms:
                continue
            out.extend(self._order_pb(o) for o in engine.orders.values() if o.account in wanted)
        return out

    def list_instruments(self, req: rd.ListInstrumentsRequest) -> rd.ListInstrumentsResponse:
        size = min(req.page_size or 50, 1000)
        if req.symbols:
            unknown = [s for s in req.symbols if s not in self.instruments]
            if unknown:
                raise SimError(grpc.StatusCode.NOT_FOUND, f"unknown symbols: {unknown[:5]}")
            pool = [self.instruments[s] for s in req.symbols]
        else:
            pool = list(self.instruments.values())
        start = int(req.page_token or 0)
        page = pool[start : start + size]
        end = start + len(page)
        eof = end >= len(pool)
        return rd.ListInstrumentsResponse(instruments=page, next_page_token="" if eof else str(end), eof=eof)

    def expire_gtt(self) -> int:
        wall = self.clock.wall_ns()
        n = 0
        for engine in self.engines.values():
            if engine.orders and any(o.expire_ns for o in engine.orders.values()):
                n += engine.expire(wall)
                self._flush(engine)
        return n

    # --- reports -> executions --------------------------------------------

    def _on_report(self, o: SimOrder, kind: int, last_px: int, last_qty: int, aggressor: bool, trade_id: str, text: str, reason: int) -> None:
        if o.account == FLOW_ACCOUNT:
            return
        key = (o.account, o.clord_id)
        if o.state in LIVE_STATES:
            self._live[key] = (o.symbol, o.id)
        elif self._live.get(key, ("", ""))[1] == o.id:
            del self._live[key]
        ex = tr.Execution(
            id=f"X{self._session}{next(self._exec_seq)}", type=kind, order=self._order_pb(o), last_shares=last_qty,
            last_px=last_px, trade_id=trade_id, aggressor=aggressor, text=text, order_reject_reason=reason,
        )
        set_ts(ex.transact_time, self.clock.wall_ns())
        self._pending.append((o.account, ex))

    def _order_pb(self, o: SimOrder) -> tr.Order:
        inst = self.instruments.get(o.symbol)
        pb = tr.Order(
            id=o.id, type=o.type, side=o.side, order_qty=o.qty, symbol=o.symbol, clord_id=o.clord_id,
            time_in_force=o.tif, account=o.account, cum_qty=o.cum, avg_px=o.notional // o.cum if o.cum else 0,
            leaves_qty=o.leaves, state=o.state, price=o.price, participate_dont_initiate=o.post_only,
            price_scale=inst.price_scale if inst else 0, fractional_quantity_scale=inst.fractional_qty_scale if inst else 0,
            price_to_quantity_filled=o.fills,
        )
        set_ts(pb.create_time, o.create_ns)
        set_ts(pb.last_transact_time, o.last_ns or o.create_ns)
        if o.expire_ns:
            set_ts(pb.good_till_time, o.expire_ns)
        return pb

    def _flush(self, engine: Engine | None) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            self.fanout.send_executions(pending)
        if engine is not None and engine.dirty:
            engine.dirty = False
            self.fanout.publish_book(engine)

    # --- streams ---------------------------------------------------------------

    def set_state(self, symbol: str, state: int) -> None:
        """Change an instrument's state and tell its subscribers."""
        engine = self.engines[symbol]
        engine.state = state
        self.instruments[symbol].state = state
        self.fanout.publish_state(engine)

    def subscribe_md(self, firm: str, symbols: list[str], depth: int, skip_to_head: bool) -> StreamHandle:
        return self.fanout.subscribe_md(firm, [self.engines[sym] for sym in symbols], depth, skip_to_head)

    def subscribe_orders(self, client: Client, accounts: list[str]) -> StreamHandle:
        wanted = _accounts(client, accounts)
        return self.fanout.subscribe_orders(client.firm, wanted, self.open_orders(client, (), wanted))

    def subscribe_dropcopy(self, client: Client, accounts: list[str], resume_token: bytes) -> StreamHandle:
        """Replay the executions after ``resume_token`` (none: from now), then go live."""
        return self.fanout.subscribe_dropcopy(client.firm, _accounts(client, accounts), resume_token)

    def unsubscribe(self, h: StreamHandle) -> None:
        self.fanout.unsubscribe(h)

    def heartbeat(self) -> None:
        self.fanout.heartbeat()


def _accounts(client: Client, accounts: list[str]) -> list[str]:
    """The accounts a subscription names that are ``client``'s (none named: all of them)."""
    return [a for a in accounts if a in client.accounts] if accounts else list(client.accounts)
