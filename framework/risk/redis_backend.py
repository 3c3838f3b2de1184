"""The firm-wide backend: ingress budget and stream slots kept atomically in Redis.

Theory of operation
-------------------
Several processes (or machines) trading for one venue account share one
budget and one set of stream slots. Every decision is one Lua script, so it is
atomic in Redis, and reads Redis' own ``TIME`` so that every process agrees on
the clock whatever its host's says.

- **Budget**: the same bucketed sliding window as :mod:`framework.risk.window`
  (buckets of ``granularity``; ``K + 1`` buckets in a hash keyed by absolute
  bucket number, running window and one-second sums, the throttle factor) under
  ``<prefix>:{<account>}:budget:*``. The script admits or answers how many
  microseconds until the most urgent waiter could fit. Venue throttle signals
  ride along with the next script call, so the cut applies to the whole firm.
- **Waiters** are queued per process by priority (cancel first, FIFO within a
  kind) and served by one pump task the limiter owns; a deadline timer on the
  injected clock denies a late new order, and a denied one is never sent.
- **Method buckets** (a venue's per-method token buckets, per firm): one key
  per method holding the bucket's virtual schedule (GCRA, in microseconds of
  Redis time); a script books the next free instant and answers how long to
  wait, or refuses when that is past the caller's bound.
- **Slots**: a sorted set ``member -> lease expiry (ms)``. Taking a slot drops
  expired leases first, so a crashed holder's slots come back after the lease
  TTL; a heartbeat task renews this process' leases every third of the TTL.
- **Redis unreachable**: nothing is admitted and no slot is taken (``Denied``,
  ``RATE_LIMITED`` or ``STREAM_CAP``, saying why): without the firm-wide
  count, sending would be blind.

The budget and method buckets are in :mod:`framework.risk.redis_budget`, the
slots in :mod:`framework.risk.redis_slots`, the client and key names in
:mod:`framework.risk.redis_client`; this module gathers them.
"""

from __future__ import annotations

from framework.risk.redis_budget import RedisLimiter, RedisMethodBucket
from framework.risk.redis_client import connect
from framework.risk.redis_slots import RedisSlotRegistry

__all__ = ["RedisLimiter", "RedisMethodBucket", "RedisSlotRegistry", "connect"]
