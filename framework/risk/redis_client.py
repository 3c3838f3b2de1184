"""The firm's Redis: a client for a URL, and the names of an account's keys."""

from __future__ import annotations

from typing import Any

__all__ = ["connect", "key"]


def connect(url: str) -> Any:
    """A ``redis.asyncio`` client for ``url`` (``redis://host:port/db``)."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url)


def key(prefix: str, account: str, what: str) -> str:
    """``<prefix>:{<account>}:<what>``: the hash tag keeps an account's keys in
    one Redis Cluster slot (a script may only touch keys of one slot)."""
    return f"{prefix}:{{{account}}}:{what}"
