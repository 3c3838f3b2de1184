"""Stream slots of a venue account shared through Redis as TTL leases
(see :mod:`framework.risk.redis_backend` for the design)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.risk.redis_client import key
from framework.runtime.clock import NS_PER_MS, Clock

__all__ = ["RedisSlotRegistry"]

log = logging.getLogger(__name__)

_SLOT_TAKE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local z, member, cap, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
if redis.call('ZSCORE', z, member) then
  redis.call('ZADD', z, now + ttl, member)
  return {1, redis.call('ZCARD', z)}
end
local n = redis.call('ZCARD', z)
if cap > 0 and n >= cap then return {0, n} end
redis.call('ZADD', z, now + ttl, member)
redis.call('PEXPIRE', z, ttl * 10)
return {2, n + 1}
"""

_SLOT_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local z, cap, ttl = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
local lost = {}
for i = 3, #ARGV do
  local m = ARGV[i]
  if redis.call('ZSCORE', z, m) or cap == 0 or redis.call('ZCARD', z) < cap then
    redis.call('ZADD', z, now + ttl, m)
  else
    table.insert(lost, m)
  end
end
redis.call('PEXPIRE', z, ttl * 10)
return lost
"""


class _RedisLease:
    __slots__ = ("_registry", "key", "member", "released")

    def __init__(self, registry: RedisSlotRegistry, key: str, member: str) -> None:
        self.key = key
        self.member = member
        self._registry = registry
        self.released = False

    async def release(self) -> None:
        """Free the slot firm-wide; later calls do nothing."""
        if not self.released:
            self.released = True
            await self._registry._free(self)


class RedisSlotRegistry:
    """Stream slots of one venue account, shared through Redis, held as TTL leases.

    ``cap`` 0 means no cap. ``owner`` names this process in the lease members
    (default: host, pid and a random suffix).
    """

    def __init__(
        self,
        client: Any,
        cap: int,
        clock: Clock,
        *,
        account: str,
        name: str = "",
        prefix: str = "backplane",
        ttl_ms: int = 10_000,
        owner: str | None = None,
    ) -> None:
        self.cap = cap
        self.clock = clock
        self.name = name or account
        self.ttl_ms = ttl_ms
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._client = client
        self._zset = key(prefix, account, "slots")
        self._take = client.register_script(_SLOT_TAKE_LUA)
        self._renew = client.register_script(_SLOT_RENEW_LUA)
        self._held: dict[str, _RedisLease] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.opened = 0
        self.refused = 0
        self.lost: list[str] = []

    async def acquire(self, key: str) -> _RedisLease:
        """Take a slot for ``key`` (the same lease again while it is held)."""
        lease = self._held.get(key)
        if lease is not None:
            return lease
        member = f"{self.owner}/{key}"
        try:
            got, in_use = await self._take(keys=[self._zset], args=[member, self.cap, self.ttl_ms])
        except Exception as exc:
            # No slot can be confirmed firm-wide, so the stream must not open.
            raise Denied(
                DenyReason.STREAM_CAP, f"{self.name}: risk backend unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        if not got:
            self.refused += 1
            raise Denied(
                DenyReason.STREAM_CAP,
                f"{self.name}: all {self.cap} stream slots of the account are taken "
                f"({in_use} held firm-wide); cannot open {key!r}",
            )
        lease = self._held[key] = _RedisLease(self, key, member)
        self.opened += 1
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name=f"risk-slots:{self.name}")
        return lease

    @property
    def in_use(self) -> int:
        """Slots this process holds."""
        return len(self._held)

    async def in_use_firm_wide(self) -> int:
        """Live leases of every process on this account."""
        now_ms = int((await self._client.time())[0]) * 1000
        return int(await self._client.zcount(self._zset, now_ms + 1, "+inf"))

    def held(self) -> list[str]:
        return sorted(self._held)

    async def renew(self) -> list[str]:
        """Extend every lease held here; returns the keys lost (expired and taken)."""
        if not self._held:
            return []
        members = [lease.member for lease in self._held.values()]
        lost_members = await self._renew(keys=[self._zset], args=[self.cap, self.ttl_ms, *members])
        lost = []
        for raw in lost_members:
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            key = member.split("/", 1)[1]
            lease = self._held.pop(key, None)
            if lease is not None:
                lease.released = True
                lost.append(key)
        if lost:
            self.lost.extend(lost)
            log.error("%s: stream slot leases lost (expired and taken): %s", self.name, lost)
        return lost

    async def close(self) -> None:
        """Stop the heartbeat and free every slot held here."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        for lease in list(self._held.values()):
            await lease.release()

    async def _beat(self) -> None:
        interval = self.ttl_ms * NS_PER_MS // 3
        while self._held:
            await self.clock.sleep_ns(interval)
            try:
                await self.renew()
            except Exception as exc:
                log.warning("%s: slot heartbeat failed: %s: %s", self.name, type(exc).__name__, exc)

    async def _free(self, lease: _RedisLease) -> None:
        if self._held.get(lease.key) is lease:
            del self._held[lease.key]
        try:
            await self._client.zrem(self._zset, lease.member)
        except Exception as exc:
            log.warning("%s: could not free slot %r now (%s); it frees itself within %d ms",
                        self.name, lease.key, exc, self.ttl_ms)  # fmt: skip
