"""A separate OS process for the Redis tests (run as a script, not collected).

``budget URL ACCOUNT SECONDS UDP_PORT``: send as fast as a shared budget of 50
messages/s over 2 s (95 %) allows for SECONDS, one UDP datagram per admitted
message (carrying the time it was admitted) to an independent counter; print how many were admitted.

``slots URL ACCOUNT N TTL_MS``: take N stream slots, print ``held``, then hang
until killed (a crashed holder).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

from framework.model.errors import Denied
from framework.plugin.venue import MessageKind, RateRule
from framework.risk.redis_backend import RedisLimiter, RedisSlotRegistry, connect
from framework.risk.window import BudgetRule
from framework.runtime.clock import NS_PER_MS, LiveClock


async def budget(url: str, account: str, seconds: float, port: int) -> None:
    client = connect(url)
    rule = BudgetRule.from_rate(RateRule(50, 2), margin=0.95, reserve_fraction=0.0)
    limiter = RedisLimiter(client, rule, LiveClock(), account=account)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            await limiter.acquire(MessageKind.NEW_ORDER, timeout_ns=100 * NS_PER_MS)
        except Denied:
            continue
        # The admission's time as this process saw it (CLOCK_MONOTONIC is system-wide).
        sock.sendto(time.monotonic_ns().to_bytes(8, "big"), ("127.0.0.1", port))
        sent += 1
    await limiter.close()
    await client.aclose()
    print(sent, flush=True)


async def slots(url: str, account: str, n: int, ttl_ms: int) -> None:
    client = connect(url)
    registry = RedisSlotRegistry(client, 20, LiveClock(), account=account, ttl_ms=ttl_ms)
    for i in range(n):
        await registry.acquire(f"crashed-{i}")
    print("held", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    mode, url, account, a, b = sys.argv[1:6]
    if mode == "budget":
        asyncio.run(budget(url, account, float(a), int(b)))
    else:
        asyncio.run(slots(url, account, int(a), int(b)))
