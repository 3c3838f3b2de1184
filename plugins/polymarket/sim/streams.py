"""One open server stream: the queue between the exchange core and a gRPC writer.

The core pushes ready-made response messages; the server's generator awaits
:meth:`StreamHandle.next`. A stream that falls ``max_queue`` messages behind is
a slow consumer: it is disconnected, or -- when it asked for
``slow_consumer_skip_to_head`` -- its backlog is dropped (reference §10).
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["KILL", "StreamHandle"]

KILL = object()  # sentinel: abort the stream with handle.killed as the reason


class StreamHandle:
    """A server stream's outbound queue and its fault switches."""

    def __init__(self, kind: str, firm: str, *, symbols: frozenset[str] = frozenset(), depth: int = 10,
                 accounts: frozenset[str] = frozenset(), max_queue: int = 50_000, skip_to_head: bool = False) -> None:
        self.kind = kind
        self.firm = firm
        self.symbols = symbols
        self.depth = depth
        self.accounts = accounts
        self.max_queue = max_queue
        self.skip_to_head = skip_to_head
        self.silent = False
        self.killed: str | None = None
        self.dropped = 0
        self.sent = 0
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._flowing = asyncio.Event()
        self._flowing.set()

    def push(self, item: Any) -> None:
        """Queue one response (dropped on a silenced or killed stream)."""
        if self.silent or self.killed is not None:
            return
        q = self._queue
        if q.qsize() >= self.max_queue:
            if not self.skip_to_head:
                self.kill("slow consumer disconnected")
                return
            while not q.empty():  # skip to head: the backlog is lost
                q.get_nowait()
                self.dropped += 1
        q.put_nowait(item)

    def kill(self, reason: str) -> None:
        """Abort the stream at the writer's next step."""
        if self.killed is None:
            self.killed = reason
            self._queue.put_nowait(KILL)
            self._flowing.set()

    def stall(self) -> None:
        """Stop the writer until the stream is resumed or killed."""
        self._flowing.clear()

    def resume(self) -> None:
        """Let a stalled writer go on (its backlog first)."""
        self._flowing.set()

    async def next(self) -> Any:
        """The next response to write, or :data:`KILL`."""
        if not self._flowing.is_set():
            await self._flowing.wait()
        if self.killed is not None:
            return KILL
        item = await self._queue.get()
        if not self._flowing.is_set():  # stalled while it waited: not even this one goes out
            await self._flowing.wait()
            if self.killed is not None:
                return KILL
        self.sent += 1
        return item
