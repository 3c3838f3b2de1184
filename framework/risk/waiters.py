"""Messages waiting for ingress budget: one FIFO per :class:`MessageKind`, served
strictly by priority (cancel, replace, new order, query). Shared by the
in-process and Redis limiters."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import MessageKind
from framework.risk.window import NO_CEILING
from framework.runtime.clock import Clock, TimerHandle

__all__ = ["NO_WAITER", "WaitQueue", "Waiter"]

NO_WAITER = NO_CEILING  # ``top`` when nothing waits: the window's ceiling then lets every kind pass


class Waiter:
    """One ``acquire`` call that could not be admitted at once."""

    __slots__ = ("count", "deadline", "future", "kind", "since_ns")

    def __init__(self, kind: int, count: int, future: asyncio.Future[None], since_ns: int) -> None:
        self.kind = kind
        self.count = count
        self.future = future
        self.deadline: TimerHandle | None = None
        self.since_ns = since_ns

    def admit(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        if not self.future.done():
            self.future.set_result(None)

    def deny(self, name: str, now_ns: int) -> None:
        waited_ms = (now_ns - self.since_ns) // 1_000_000
        kind = MessageKind(self.kind).name.lower()
        self.future.set_exception(
            Denied(DenyReason.RATE_LIMITED, f"{name}: no ingress budget for a {kind} within {waited_ms} ms")
        )


class WaitQueue:
    """Waiters by kind; ``top`` is the most urgent kind waiting (``NO_WAITER`` if none).

    ``on_top(kind)``, if given, is told every new ``top`` (the in-process limiter
    mirrors it into its window's ``ceiling``, which its fast path reads).
    """

    def __init__(self, on_top: Callable[[int], None] | None = None) -> None:
        self._queues: list[deque[Waiter]] = [deque() for _ in MessageKind]
        self._on_top = on_top
        self.top = NO_WAITER

    def _set_top(self, kind: int) -> None:
        if kind != self.top:
            self.top = kind
            if self._on_top is not None:
                self._on_top(kind)

    def __len__(self) -> int:
        return sum(1 for q in self._queues for w in q if not w.future.done())

    def push(self, waiter: Waiter, clock: Clock, timeout_ns: int | None, on_expire: object) -> None:
        """Queue ``waiter``; with a timeout, arm ``on_expire(waiter)`` at its deadline."""
        if timeout_ns is not None:
            waiter.deadline = clock.call_at(waiter.since_ns + max(0, timeout_ns), on_expire, waiter)  # type: ignore[arg-type]
        self._queues[waiter.kind].append(waiter)
        self._set_top(min(self.top, waiter.kind))

    def head(self) -> Waiter | None:
        """The most urgent live waiter (FIFO within its kind), or ``None``."""
        for kind, q in enumerate(self._queues):
            while q and q[0].future.done():
                q.popleft()
            if q:
                self._set_top(kind)
                return q[0]
        self._set_top(NO_WAITER)
        return None

    def pop_head(self) -> Waiter:
        waiter = self._queues[self.top].popleft()
        self.head()
        return waiter

    def remove(self, waiter: Waiter) -> bool:
        """Take ``waiter`` out of the queue; False if it was not there."""
        q = self._queues[waiter.kind]
        try:
            q.remove(waiter)
        except ValueError:
            return False
        if waiter.deadline is not None:
            waiter.deadline.cancel()
        self.head()
        return True
