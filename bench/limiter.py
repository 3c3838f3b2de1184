"""Cost of admitting one message through the ingress limiter.

- ``inproc_admit_ns``: :meth:`IngressLimiter.try_acquire` on the live clock
  (priority check, bucketed 60 s window, burst cap, stats), with a budget large
  enough that every call is admitted;
- ``window_admit_ns``: the sans-IO :meth:`BudgetWindow.try_acquire` alone, the
  caller passing the time;
- ``bare_token_bucket_ns``: the baseline in the same run, a minimal token
  bucket with the same call shape (read the clock, refill, compare, take);
- ``redis_admit_us``: one admission through the Redis Lua script on loopback
  (skipped, with a note, when no redis-server answers at
  ``BACKPLANE_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

from bench._timing import best_of
from framework.plugin.venue import MessageKind
from framework.risk.limiter import IngressLimiter
from framework.risk.window import BudgetRule, BudgetWindow
from framework.runtime.clock import NS_PER_MS, NS_PER_S, LiveClock
from framework.tools.native import compiled_modules

NEW = MessageKind.NEW_ORDER


class _TokenBucket:
    """The floor: what any admission check costs at least."""

    __slots__ = ("capacity", "last", "rate", "tokens")

    def __init__(self, rate_per_ns: int, capacity: int) -> None:
        self.tokens = capacity
        self.last = time.monotonic_ns()
        self.rate = rate_per_ns
        self.capacity = capacity

    def try_acquire(self, count: int = 1) -> bool:
        now = time.monotonic_ns()
        tokens = self.tokens + (now - self.last) * self.rate
        tokens = min(tokens, self.capacity)
        self.last = now
        if tokens < count:
            self.tokens = tokens
            return False
        self.tokens = tokens - count
        return True


def _big_rule() -> BudgetRule:
    # Every call admitted: measure the admission path, not refusals.
    return BudgetRule(cap=10**12, window_ns=60 * NS_PER_S, burst_cap=10**12, granularity_ns=10 * NS_PER_MS)


def _inproc(n: int) -> dict[str, float]:
    limiter = IngressLimiter(_big_rule(), LiveClock())
    window = BudgetWindow(_big_rule(), time.monotonic_ns())
    bucket = _TokenBucket(1, 10**12)

    def via_limiter() -> None:
        acquire = limiter.try_acquire
        for _ in range(n):
            acquire(NEW)

    def via_window() -> None:
        acquire, now = window.try_acquire, time.monotonic_ns
        for _ in range(n):
            acquire(NEW, now())

    def via_bucket() -> None:
        acquire = bucket.try_acquire
        for _ in range(n):
            acquire()

    t_lim, t_win, t_tb = best_of(via_limiter), best_of(via_window), best_of(via_bucket)
    return {
        "inproc_admit_ns": t_lim / n * 1e9,
        "window_admit_ns": t_win / n * 1e9,
        "bare_token_bucket_ns": t_tb / n * 1e9,
        "inproc_over_token_bucket_ratio": t_lim / t_tb,
    }


async def _redis(url: str, n: int) -> dict[str, float]:
    from framework.risk.redis_backend import RedisLimiter, connect

    client = connect(url)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        print(f"note: no redis at {url} ({type(exc).__name__}); redis figures skipped", file=sys.stderr)
        return {}
    limiter = RedisLimiter(client, _big_rule(), LiveClock(), account=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        for _ in range(50):  # load the script, warm the connection
            await limiter.try_acquire(NEW)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                await limiter.try_acquire(NEW)
            best = min(best, time.perf_counter() - start)
        ping_best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                await client.ping()
            ping_best = min(ping_best, time.perf_counter() - start)
    finally:
        await limiter.close()
        await client.aclose()
    return {
        "redis_admit_us": best / n * 1e6,
        "redis_ping_us": ping_best / n * 1e6,
        "redis_admit_over_ping_ratio": best / ping_best,
    }


def run(quick: bool = False) -> dict[str, float]:
    figures: dict[str, float] = {"compiled_modules": compiled_modules()}
    figures.update(_inproc(50_000 if quick else 500_000))
    url = os.environ.get("BACKPLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    figures.update(asyncio.run(_redis(url, 300 if quick else 3_000)))
    return figures
