"""The firm-wide ingress budget and method buckets of a venue account, kept
atomically in Redis (see :mod:`framework.risk.redis_backend` for the design)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import MessageKind, TokenBucketRule
from framework.risk.buckets import bucket_params
from framework.risk.redis_client import key
from framework.risk.waiters import Waiter, WaitQueue
from framework.risk.window import PPM, BudgetRule, LimiterStats
from framework.runtime.clock import NS_PER_MS, NS_PER_S, Clock

__all__ = ["RedisLimiter", "RedisMethodBucket"]

log = logging.getLogger(__name__)

_BUDGET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cap, full, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local g, K, KB = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local signals, rate = tonumber(ARGV[7]), tonumber(ARGV[8])
local recover, minf, ttl = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local ring, st = KEYS[1], KEYS[2]
local s = redis.call('HMGET', st, 'cur', 'wsum', 'bsum', 'f0', 't0', 'max')
local b = math.floor(now / g)
local cur = tonumber(s[1]) or b
local wsum, bsum = tonumber(s[2]) or 0, tonumber(s[3]) or 0
local f0, t0, mx = tonumber(s[4]) or 1000000, tonumber(s[5]) or 0, tonumber(s[6]) or 0
if b > cur then
  if b - cur > K then
    redis.call('DEL', ring)
    wsum, bsum = 0, 0
  else
    for i = cur + 1, b do
      bsum = bsum - (tonumber(redis.call('HGET', ring, i - KB - 1)) or 0)
      local old = tonumber(redis.call('HGET', ring, i - K - 1))
      if old then
        wsum = wsum - old
        redis.call('HDEL', ring, i - K - 1)
      end
    end
  end
  cur = b
end
local f = 1000000
if f0 < 1000000 then f = math.min(1000000, f0 + math.floor((now - t0) * 1000000 / recover)) end
for _ = 1, signals do f = math.max(minf, math.floor(f / 2)) end
if signals > 0 then f0, t0 = f, now elseif f >= 1000000 then f0 = 1000000 end
local bcap = full
if f < 1000000 then bcap = math.min(full, math.max(1, math.floor(rate * f / 1000000))) end
local ok, wait = 0, 0
if wsum + count <= cap and bsum + count <= bcap then
  redis.call('HINCRBY', ring, b, count)
  wsum, bsum, ok = wsum + count, bsum + count, 1
  if wsum > mx then mx = wsum end
else
  local function expiry(need, span)
    if need <= 0 then return 0 end
    local acc = 0
    for j = cur - span, cur do
      acc = acc + (tonumber(redis.call('HGET', ring, j)) or 0)
      if acc >= need then return (j + span + 1) * g - now end
    end
    return (cur + span + 1) * g - now
  end
  wait = expiry(wsum + count - cap, K)
  local wb = expiry(bsum + count - bcap, KB)
  if f < 1000000 then wb = math.min(wb, (b + 1) * g - now) end
  wait = math.max(wait, wb, 1)
end
redis.call('HSET', st, 'cur', cur, 'wsum', wsum, 'bsum', bsum, 'f0', f0, 't0', t0, 'max', mx)
redis.call('PEXPIRE', st, ttl)
redis.call('PEXPIRE', ring, ttl)
return {ok, wsum, bsum, bcap, wait, f}
"""

_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local count, maxwait = tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local start = math.max(tat, now)
local at = math.max(start + (count - capacity) * interval, now)
if maxwait >= 0 and at - now > maxwait then return -1 end
local nxt = start + count * interval
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return at - now
"""

class RedisLimiter:
    """The ingress budget of one venue account, shared through Redis by every process."""

    def __init__(
        self, client: Any, rule: BudgetRule, clock: Clock, *, account: str, name: str = "", prefix: str = "backplane"
    ) -> None:
        rule.validate()
        self.rule = rule
        self.clock = clock
        self.name = name or account
        self.stats = LimiterStats()
        self._client = client
        self._script = client.register_script(_BUDGET_LUA)
        self._keys = [key(prefix, account, "budget:ring"), key(prefix, account, "budget:state")]
        g_us = rule.granularity_ns // 1000
        k = rule.window_ns // rule.granularity_ns
        kb = NS_PER_S // rule.granularity_ns
        ttl_ms = 2 * rule.window_ns // NS_PER_MS + 1000
        full = rule.burst_cap or rule.cap
        self._caps = [rule.cap, rule.cap, rule.cap - rule.reserve, rule.cap - rule.reserve]
        self._static = (g_us, k, kb)
        self._tail = (rule.rate_cap_per_s or rule.cap, rule.recover_ns // 1000, rule.min_factor_ppm, ttl_ms)
        self._full = full
        self._signals = 0
        self._seen = (0, 0, full)  # window used, second used, second cap: as of the last call
        self.throttle_ppm = PPM
        self._waiters = WaitQueue()
        self._pump_task: asyncio.Task[None] | None = None

    async def _take(self, kind: int, count: int) -> tuple[bool, int]:
        """One atomic attempt; returns (admitted, ns to wait before the next attempt)."""
        signals, self._signals = self._signals, 0
        args = (self._caps[kind], self._full, count, *self._static, signals, *self._tail)
        try:
            ok, used, burst_used, bcap, wait_us, factor = await self._script(keys=self._keys, args=args)
        except Exception as exc:
            self._signals += signals
            # No firm-wide budget can be confirmed, so nothing may be sent.
            raise Denied(
                DenyReason.RATE_LIMITED, f"{self.name}: risk backend unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        self._seen = (int(used), int(burst_used), int(bcap))
        self.throttle_ppm = int(factor)
        if used > self.stats.max_window_used:
            self.stats.max_window_used = int(used)
        if ok:
            self.stats.admitted[kind] += count
        return bool(ok), int(wait_us) * 1000

    async def try_acquire(self, kind: int, count: int = 1) -> bool:
        """One atomic attempt now; never jumps a waiter of this process."""
        if kind < self._waiters.top and (await self._take(kind, count))[0]:
            return True
        self.stats.denied[kind] += count
        return False

    async def acquire(self, kind: int, *, count: int = 1, timeout_ns: int | None = None) -> None:
        """Wait until ``count`` messages of ``kind`` are admitted firm-wide; see
        :meth:`framework.risk.limiter.IngressLimiter.acquire`."""
        if count > min(self._caps[kind], self._full):
            self.stats.denied[kind] += count
            raise Denied(DenyReason.RATE_LIMITED, f"{self.name}: {count} messages exceed the whole budget")
        if kind < self._waiters.top and (await self._take(kind, count))[0]:
            return
        waiter = Waiter(kind, count, asyncio.get_running_loop().create_future(), self.clock.now_ns())
        self._waiters.push(waiter, self.clock, timeout_ns, self._expire)
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.create_task(self._pump(), name=f"risk-limiter:{self.name}")
        try:
            await waiter.future
        except asyncio.CancelledError:
            self._waiters.remove(waiter)
            raise
        self.stats.waited += 1
        self.stats.wait_ns_total += self.clock.now_ns() - waiter.since_ns

    def remaining(self, kind: int = MessageKind.NEW_ORDER) -> int:
        """Budget left firm-wide at the last script call (0 while this process has waiters)."""
        if kind >= self._waiters.top:
            return 0
        used, burst_used, bcap = self._seen
        return max(0, min(self._caps[kind] - used, bcap - burst_used))

    def throttled(self) -> None:
        """The venue pushed back: the cut is applied firm-wide with the next script call."""
        self._signals += 1
        self.stats.throttle_signals += 1
        log.warning("%s: the venue throttled us (signal %d): the firm-wide rate is cut with the next admission",
                    self.name, self.stats.throttle_signals)  # fmt: skip

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def close(self) -> None:
        """Stop the pump; whatever still waits is denied."""
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
        while (head := self._waiters.head()) is not None:
            self._waiters.pop_head()
            if head.deadline is not None:
                head.deadline.cancel()
            head.deny(self.name, self.clock.now_ns())

    async def _pump(self) -> None:
        waiters = self._waiters
        while (head := waiters.head()) is not None:
            try:
                ok, wait_ns = await self._take(head.kind, head.count)
            except Denied as exc:
                if waiters.remove(head):
                    head.future.set_exception(exc)
                continue
            if ok:
                if waiters.remove(head):
                    head.admit()
                # else it was denied for lateness meanwhile: the slot is spent, never the message
                continue
            await self.clock.sleep_ns(max(wait_ns, self.rule.granularity_ns // 10))

    def _expire(self, waiter: Waiter) -> None:
        if waiter.future.done() or not self._waiters.remove(waiter):
            return
        self.stats.denied[waiter.kind] += waiter.count
        waiter.deny(self.name, self.clock.now_ns())


class RedisMethodBucket:
    """A venue method's token bucket shared by every process of the firm
    (see :class:`framework.risk.gate.MethodBucket` for the in-process one)."""

    def __init__(self, client: Any, rule: TokenBucketRule, margin: float = 1.0, *, account: str, method: str,
                 prefix: str = "backplane") -> None:  # fmt: skip
        interval_ns, self.capacity = bucket_params(rule, margin)
        self.interval_us = -(-interval_ns // 1000)  # Redis time is in microseconds; round up
        self.name = f"{account}:{method}"
        self._script = client.register_script(_BUCKET_LUA)
        self._keys = [key(prefix, account, f"bucket:{method}")]

    async def book(self, now_ns: int, count: int, max_wait_ns: int | None) -> int | None:
        """Book ``count`` messages firm-wide; returns how long to wait before
        sending them, or ``None`` (nothing booked) if that is over ``max_wait_ns``.
        (``now_ns`` is unused: Redis' clock decides, the same for every process.)"""
        max_wait_us = -1 if max_wait_ns is None else max_wait_ns // 1000
        try:
            wait_us = int(await self._script(keys=self._keys, args=(self.interval_us, self.capacity, count, max_wait_us)))
        except Exception as exc:
            # No firm-wide count can be confirmed, so nothing may be sent.
            raise Denied(
                DenyReason.RATE_LIMITED, f"{self.name}: risk backend unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        return None if wait_us < 0 else wait_us * 1000
