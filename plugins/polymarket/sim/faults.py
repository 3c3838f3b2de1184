"""Fault injection, switchable per test.

The servers consult this object; tests (or the demo) flip switches:

- :meth:`kill_streams` aborts open streams with ``UNAVAILABLE``;
- :meth:`silence_streams` stops everything, heartbeats included, on the
  streams open now (they stay open: the client must notice the silence);
- ``http_failures`` / ``http_status``: the next N HTTP requests get a 5xx;
- :meth:`expire_tokens` ends every token issued so far, early;
- ``duplicate_executions``: the next N executions are delivered twice;
- :meth:`stall_streams` stops writing to open streams so their queues grow
  until the slow-consumer rule disconnects them;
- :meth:`send_malformed` delivers a market-data update that breaks the
  protocol (levels not best first) to the streams of a symbol;
- :meth:`hang_requests`: the next N gRPC order-entry calls never get an
  answer (the client's own timeout must end them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.polymarket.gen import marketdatasubscription_pb2 as md

__all__ = ["Faults"]


class Faults:
    """Switches and one-shot faults; see the module docstring."""

    def __init__(self, streams: Callable[[], list[Any]], expire_tokens: Callable[[], int]) -> None:
        self._streams = streams
        self._expire_tokens = expire_tokens
        self.http_status = 503
        self.injected: dict[str, int] = {}
        self._armed: dict[str, int] = {}  # one-shot faults still to fire: name -> how many

    def _count(self, what: str, n: int) -> int:
        self.injected[what] = self.injected.get(what, 0) + n
        return n

    def _arm(self, what: str, n: int) -> None:
        """The next ``n`` chances of ``what`` fire (replacing what was left)."""
        self._armed[what] = n
        self._count(what, n)

    def _take(self, what: str) -> bool:
        """Whether ``what`` fires now (one of its armed chances used up)."""
        left = self._armed.get(what, 0)
        if left <= 0:
            return False
        self._armed[what] = left - 1
        return True

    def _open(self, kind: str | None) -> list[Any]:
        return [s for s in self._streams() if kind is None or s.kind == kind]

    def kill_streams(self, kind: str | None = None) -> int:
        """Abort the open streams (``kind`` 'md', 'orders' or 'dropcopy', or all) with UNAVAILABLE."""
        streams = self._open(kind)
        for s in streams:
            s.kill("stream killed by fault injection")
        return self._count("kill_streams", len(streams))

    def silence_streams(self, kind: str | None = None) -> int:
        """Stop heartbeats and data on the open streams; they stay open."""
        streams = self._open(kind)
        for s in streams:
            s.silent = True
        return self._count("silence_streams", len(streams))

    def stall_streams(self, kind: str | None = None) -> int:
        """Stop writing to the open streams (a consumer that cannot keep up)."""
        streams = self._open(kind)
        for s in streams:
            s.stall()
        return self._count("stall_streams", len(streams))

    def send_malformed(self, symbol: str) -> int:
        """Send ``symbol``'s subscribers an update whose bids are not best first."""
        bad = md.CreateMarketDataSubscriptionResponse(update=md.MarketDataUpdate(
            symbol=symbol, bids=[md.BookEntry(px=1, qty=1), md.BookEntry(px=2, qty=1)]))
        streams = [s for s in self._open("md") if symbol in s.symbols]
        for s in streams:
            s.push(bad)
        return self._count("send_malformed", len(streams))

    def fail_http(self, n: int, status: int = 503) -> None:
        """The next ``n`` HTTP requests get ``status``."""
        self.http_status = status
        self._arm("fail_http", n)

    def duplicate(self, n: int) -> None:
        """Deliver the next ``n`` executions twice."""
        self._arm("duplicate", n)

    def hang_requests(self, n: int) -> None:
        """The next ``n`` gRPC order-entry requests get no answer, ever: the
        exchange never sees them and each call waits until its client gives up."""
        self._arm("hang_requests", n)

    def expire_tokens(self) -> int:
        """End every access token issued so far."""
        return self._count("expire_tokens", self._expire_tokens())

    def take_http_failure(self) -> int | None:
        return self.http_status if self._take("fail_http") else None

    def take_hang(self) -> bool:
        return self._take("hang_requests")

    def take_duplicate(self) -> bool:
        return self._take("duplicate")
