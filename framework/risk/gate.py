"""The real :class:`framework.plugin.venue.Gate`: what every venue adapter sends through.

One :class:`RiskGate` per venue of the run, over the limiter, slot registry
and method buckets of that venue's account (venues sharing an account share
them; with the Redis backend every process of the firm shares them). ``admit``
waits for ingress budget -- cancels as long as it takes, new orders and
replaces at most ``risk.new_order_wait``, queries ``risk.query_wait`` -- and
then books the venue method's own bucket when the adapter declares one
(:class:`~framework.plugin.venue.TokenBucketRule`, e.g. Polymarket's InsertOrder
30/s per firm). Opening a stream takes a slot; the open itself is admitted as
a ``QUERY`` message by the adapter, every time it opens.

Why the bucket comes last: a bucket booking says "this message leaves at
``t``". Booked *before* a wait in the limiter (a full window, a throttle), the
message leaves later than booked, and every message held back that way leaves
together once the window frees -- a burst the venue's bucket refuses although
each booking was within the rate (issue 16: 27 ``CancelOrder`` violations
behind a full window). A new order first checks that its method's bucket could
take it in time (:meth:`MethodBucket.wait_ns`, nothing booked), so a bucket
that is behind denies it without spending window budget.

What still separates the booking from the venue's reading (the transport,
the event loop, a connection pool) is covered by ``risk.bucket_allowance``:
the gate spends at most ``capacity - rate x allowance`` of a bucket's burst,
so messages delayed by up to the allowance and then sent together still find
tokens at the venue.

:func:`open_gates` builds the gates of a run from its ``risk`` section and what
each adapter declares, and owns the Redis connection when there is one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import (
    MessageKind,
    StreamLease,
    TokenBucketRule,
    VenueLimits,
)
from framework.risk.buckets import MethodBucket, bucket_params, memory_buckets
from framework.risk.config import RiskConfig
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import MemorySlotRegistry
from framework.risk.window import LimiterStats
from framework.runtime.clock import Clock

__all__ = ["MethodBucket", "RiskGate", "bucket_params", "memory_buckets", "open_gates"]  # buckets re-exported


class _Limiter(Protocol):
    async def acquire(self, kind: int, *, count: int = 1, timeout_ns: int | None = None) -> None: ...
    def remaining(self, kind: int = ...) -> int: ...
    def throttled(self) -> None: ...
    async def close(self) -> None: ...
    @property
    def stats(self) -> LimiterStats: ...


class _Slots(Protocol):
    async def acquire(self, key: str) -> Any: ...
    def held(self) -> list[str]: ...
    async def close(self) -> None: ...


class _Bucket(Protocol):
    async def book(self, now_ns: int, count: int, max_wait_ns: int | None) -> int | None: ...


class RiskGate:
    """The gate of one venue: method buckets, then the account's ingress limiter.

    ``buckets`` are the account's method buckets (shared with the other venues of
    the account); without them, ``method_buckets`` rules get buckets of their own.
    """

    def __init__(
        self,
        venue: str,
        limiter: _Limiter | None,
        slots: _Slots,
        clock: Clock,
        *,
        new_order_wait_ns: int,
        query_wait_ns: int | None = None,
        method_buckets: Mapping[str, TokenBucketRule] | None = None,
        margin: float = 1.0,
        buckets: Mapping[str, _Bucket] | None = None,
    ) -> None:
        self.venue = venue
        self.limiter = limiter
        self.slots = slots
        self.clock = clock
        self._waits: list[int | None] = [None, new_order_wait_ns, new_order_wait_ns, query_wait_ns]
        if buckets is None:
            buckets = memory_buckets(method_buckets or {}, margin)
        self._buckets = dict(buckets)
        self.throttle_signals = 0

    async def admit(self, kind: MessageKind, *, method: str = "", count: int = 1) -> None:
        """Wait for budget for ``count`` messages of ``kind``; raises :class:`Denied`
        (``RATE_LIMITED``) when a bounded wait runs out -- the message must not be sent."""
        timeout = self._waits[kind]
        bucket = self._buckets.get(method) if method else None
        if bucket is None:
            if self.limiter is not None:
                await self.limiter.acquire(kind, count=count, timeout_ns=timeout)
            return
        clock = self.clock
        start = clock.now_ns()
        local = bucket if isinstance(bucket, MethodBucket) else None
        # Deny before spending window budget when the bucket is already too far behind.
        if local is not None and timeout is not None and local.wait_ns(start, count) > timeout:
            raise self._over_rate(method, timeout)
        if self.limiter is not None:
            await self.limiter.acquire(kind, count=count, timeout_ns=timeout)
        # Booked only now, once the window has admitted the message (see the module docs).
        now = clock.now_ns()
        if local is not None:  # in process: book synchronously, no coroutine
            at = local.reserve(now, count, None if timeout is None else start + timeout)
            wait = None if at is None else at - now
        else:
            wait = await bucket.book(now, count, None if timeout is None else max(0, timeout - (now - start)))
        if wait is None:  # only with a bound: nothing was booked
            raise self._over_rate(method, timeout or 0)
        if wait > 0:
            await clock.sleep_ns(wait)

    def _over_rate(self, method: str, timeout_ns: int) -> Denied:
        bound_ms = timeout_ns // 1_000_000
        return Denied(DenyReason.RATE_LIMITED, f"{self.venue}: {method} is over its rate for {bound_ms} ms")

    async def open_stream(self, key: str) -> StreamLease:
        """Take (or keep, on a reconnect) the slot of stream ``key``; raises
        :class:`Denied` (``STREAM_CAP``). Only the slot: the adapter admits each
        open and subscription command as a ``QUERY`` message, as it sends it."""
        return await self.slots.acquire(key)  # type: ignore[no-any-return]

    def throttled(self, method: str = "") -> None:
        """The venue pushed back (HTTP 429 / RESOURCE_EXHAUSTED): the limiter backs
        off, and the bucket of ``method`` (the refused request's) is taken as empty."""
        self.throttle_signals += 1
        if self.limiter is not None:
            self.limiter.throttled()
        drained = getattr(self._buckets.get(method), "drained", None) if method else None
        if drained is not None:
            drained(self.clock.now_ns())

    def stats(self) -> dict[str, int]:
        """Figures for reports: admitted and denied by kind, waits, throttle signals,
        highest window usage, stream slots held."""
        out: dict[str, int] = {"throttle_signals": self.throttle_signals, "streams_held": len(self.slots.held())}
        if self.limiter is not None:
            out.update(self.limiter.stats.as_dict())
        return out

    def remaining(self) -> int:
        """New orders that may be sent now without waiting: what a strategy reads."""
        return self.limiter.remaining(MessageKind.NEW_ORDER) if self.limiter is not None else 1 << 30


@contextlib.asynccontextmanager
async def open_gates(config: RiskConfig, limits: Mapping[str, VenueLimits], clock: Clock) -> AsyncIterator[dict[str, RiskGate]]:
    """The gates of every venue in ``limits`` (venue -> what its adapter declares),
    sharing limiter and slots per account; closes them (and Redis) on exit."""
    client = None
    if config.backend != "memory":
        from framework.risk.redis_backend import connect

        client = connect(config.backend)
    per_account: dict[str, tuple[Any, Any, dict[str, Any]]] = {}
    gates: dict[str, RiskGate] = {}
    try:
        for venue, declared in limits.items():
            account = config.account(venue)
            if account not in per_account:
                per_account[account] = _backend(config, venue, declared, clock, client, account)
            limiter, slots, buckets = per_account[account]
            gates[venue] = RiskGate(
                venue, limiter, slots, clock,
                new_order_wait_ns=config.new_order_wait_ns(venue),
                query_wait_ns=config.query_wait,
                buckets=buckets,
            )  # fmt: skip
        yield gates
    finally:
        for limiter, slots, _ in per_account.values():
            if limiter is not None:
                await limiter.close()
            await slots.close()
        if client is not None:
            await client.aclose()


def _backend(
    config: RiskConfig, venue: str, declared: VenueLimits, clock: Clock, client: Any, account: str
) -> tuple[Any, Any, dict[str, Any]]:
    """The limiter, slot registry and method buckets of one account."""
    rule = config.budget_rule(venue, declared)
    cap = config.stream_limits(venue, declared).max_streams
    margin = config.margin_of(venue)
    if client is None:
        limiter = IngressLimiter(rule, clock, name=account) if rule is not None else None
        buckets = memory_buckets(declared.method_buckets, margin, config.bucket_allowance)
        return limiter, MemorySlotRegistry(cap, name=account), buckets
    from framework.risk.redis_backend import (
        RedisLimiter,
        RedisMethodBucket,
        RedisSlotRegistry,
    )

    prefix = config.key_prefix
    rlimiter = RedisLimiter(client, rule, clock, account=account, prefix=prefix) if rule is not None else None
    ttl_ms = config.lease_ttl // 1_000_000
    rbuckets: dict[str, Any] = {
        m: RedisMethodBucket(client, r, margin, account=account, method=m, prefix=prefix)
        for m, r in declared.method_buckets.items()
    }
    return rlimiter, RedisSlotRegistry(client, cap, clock, account=account, prefix=prefix, ttl_ms=ttl_ms), rbuckets
