"""Every event an adapter publishes, kept in order, with waits that need no sleep.

:meth:`EventLog.wait_until` re-evaluates a condition each time an event
arrives (or the harness pokes it), so a case waits exactly as long as the
adapter takes and fails with a description of what never happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from framework.model.events import Event
from framework.runtime.bus import Bus

__all__ = ["EventLog"]

E = TypeVar("E", bound=Event)


class EventLog:
    """Subscribes to everything on ``bus`` and keeps it."""

    def __init__(self, bus: Bus) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        self._sub = bus.subscribe(self._on_event, None, name="kit:eventlog")

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[E], since: int = 0, **fields: Any) -> list[E]:
        """Events of ``kind`` from index ``since`` whose attributes equal ``fields``."""
        return [
            e
            for e in self.events[since:]
            if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
        ]

    def mark(self) -> int:
        """The index of the next event, to pass as ``since``."""
        return len(self.events)

    async def wait_until(self, condition: Callable[[], Any], what: str, timeout_s: float) -> Any:
        """Wait until ``condition()`` is truthy and return its value; fail after ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    value = condition()
                    if value:
                        return value
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            tail = ", ".join(type(e).__name__ for e in self.events[-8:]) or "none"
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what} (last events: {tail})") from None

    async def wait_for(self, kind: type[E], what: str, timeout_s: float, *, since: int = 0, **fields: Any) -> E:
        """The first event of ``kind`` matching ``fields`` from ``since`` on."""
        found = await self.wait_until(lambda: self.of(kind, since, **fields), what, timeout_s)
        return found[0]
