"""Stream slots: how many concurrent streams a venue account may hold, and
how market-data symbols are packed onto as few streams as the venue allows.

A slot is held by a :class:`SlotLease` under a stream *key* chosen by the
adapter (``"md:0"``, ``"orders"``). Opening a key that is already held returns
the same lease, so a reconnect keeps its slot and is never counted twice;
``release()`` frees it once, however often it is called.

:func:`check_stream_caps` is what ``config check`` and start-up call, so a run
that needs more streams than the account allows fails before it connects, with
how many it needs and how many are allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import VenueLimits

__all__ = [
    "MemorySlotRegistry",
    "SlotLease",
    "check_stream_caps",
    "pack_symbols",
    "streams_needed",
]


class SlotLease:
    """A held stream slot. ``release()`` frees it (once); a reconnect keeps it."""

    __slots__ = ("_registry", "key", "released")

    def __init__(self, registry: MemorySlotRegistry, key: str) -> None:
        self.key = key
        self._registry = registry
        self.released = False

    async def release(self) -> None:
        """Free the slot; later calls do nothing."""
        if not self.released:
            self.released = True
            self._registry._free(self.key)


class MemorySlotRegistry:
    """The stream slots of one venue account, inside one process.

    ``cap`` 0 means the venue states no cap.
    """

    def __init__(self, cap: int, *, name: str = "") -> None:
        self.cap = cap
        self.name = name
        self._held: dict[str, SlotLease] = {}
        self.opened = 0
        self.refused = 0

    async def acquire(self, key: str) -> SlotLease:
        """Take a slot for ``key`` (or return the lease already held for it)."""
        lease = self._held.get(key)
        if lease is not None:
            return lease
        if self.cap and len(self._held) >= self.cap:
            self.refused += 1
            raise Denied(
                DenyReason.STREAM_CAP,
                f"{self.name}: all {self.cap} stream slots are taken; cannot open {key!r}",
            )
        lease = self._held[key] = SlotLease(self, key)
        self.opened += 1
        return lease

    @property
    def in_use(self) -> int:
        """Slots held now."""
        return len(self._held)

    def held(self) -> list[str]:
        """Keys of the streams holding a slot."""
        return sorted(self._held)

    async def close(self) -> None:
        """Nothing to stop in-process; present so every registry closes alike."""

    def _free(self, key: str) -> None:
        self._held.pop(key, None)


def pack_symbols(symbols: Collection[str], per_stream: int) -> list[list[str]]:
    """Every strategy's market-data interest, deduplicated and sorted, cut into as few
    streams as ``per_stream`` symbols allow (0: one stream takes them all)."""
    unique = sorted(set(symbols))
    if not unique:
        return []
    if per_stream <= 0:
        return [unique]
    return [unique[i : i + per_stream] for i in range(0, len(unique), per_stream)]


def streams_needed(symbols: Collection[str], limits: VenueLimits, *, other_streams: int = 0) -> int:
    """Streams a venue account needs: packed market-data streams plus ``other_streams``
    (order stream, drop copy, ... as the adapter declares)."""
    return len(pack_symbols(symbols, limits.symbols_per_stream)) + other_streams


def check_stream_caps(
    symbols_by_venue: Mapping[str, Collection[str]],
    limits_by_venue: Mapping[str, VenueLimits],
    other_streams_by_venue: Mapping[str, int] | None = None,
    *,
    accounts: Mapping[str, str] | None = None,
) -> list[str]:
    """One message per venue account whose run needs more streams than it may hold.

    Venues that share an ``accounts[venue]`` name share its slots (the cap of the
    first venue listed for the account applies). An empty list means it fits.
    """
    other = other_streams_by_venue or {}
    by_account: dict[str, list[str]] = {}
    for venue in sorted(set(symbols_by_venue) | set(other)):
        by_account.setdefault((accounts or {}).get(venue, venue), []).append(venue)
    problems = []
    for account, venues in by_account.items():
        limits = limits_by_venue.get(venues[0], VenueLimits())
        if not limits.max_streams:
            continue
        needed = sum(
            streams_needed(symbols_by_venue.get(v, ()), limits_by_venue.get(v, limits), other_streams=other.get(v, 0))
            for v in venues
        )
        if needed > limits.max_streams:
            problems.append(_cap_message(account, venues, symbols_by_venue, limits, needed, other))
    return problems


def _cap_message(
    account: str,
    venues: Sequence[str],
    symbols_by_venue: Mapping[str, Collection[str]],
    limits: VenueLimits,
    needed: int,
    other: Mapping[str, int],
) -> str:
    n_symbols = sum(len(set(symbols_by_venue.get(v, ()))) for v in venues)
    per = f"{limits.symbols_per_stream:,} per stream" if limits.symbols_per_stream else "no per-stream cap"
    extra = sum(other.get(v, 0) for v in venues)
    who = f"venue {venues[0]}" if len(venues) == 1 else f"account {account} (venues {', '.join(venues)})"
    also = f" plus {extra} other stream{'s' * (extra != 1)}" if extra else ""
    return (
        f"{who} needs {needed} streams for {n_symbols:,} symbols ({per}){also} "
        f"but the account allows {limits.max_streams}"
    )
