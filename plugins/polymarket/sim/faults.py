"""Fault injection, switchable per test.

The servers consult this object; tests (or the demo) flip switches:

- :meth:`kill_streams` aborts open streams with ``UNAVAILABLE``;
- :meth:`silence_streams` stops everything, heartbeats included, on the
  streams open now (they stay open: the client must notice the silence);
- :meth:`fail_http`: the next N HTTP requests get a 5xx;
- :meth:`expire_tokens` ends every token issued so far, early;
- ``duplicate_executions``: the next N executions are delivered twice;
- :meth:`stall_streams` stops writing to open streams so their queues grow
  until the slow-consumer rule disconnects them (or :meth:`resume_streams`);
- :meth:`send_malformed` delivers a market-data update that breaks the
  protocol (levels not best first) to the streams of a symbol;
- :meth:`hang_requests`: the next N order-entry requests never get an
  answer (the client's own timeout must end them);
- :meth:`lose_answers`: the next N order-entry requests are processed, then
  their answer is lost.

Two opposite cases for order entry, which a client cannot tell apart by what
it receives (both are "outcome unknown" to it):

========================  =============================  ======================
fault                     what the exchange did          what the client sees
========================  =============================  ======================
``fail_http``             nothing: refused before auth   HTTP 5xx
``hang_requests``         nothing: held before the       no answer until its
                          exchange saw it                own timeout
``lose_answers``          processed it (order rests,     ``how``: 503 /
                          cancelled or replaced, stream  UNAVAILABLE, a dropped
                          and drop copy as usual)        connection / aborted
                                                         call, or no answer
========================  =============================  ======================

"Order entry" is InsertOrder, CancelOrder, CancelReplaceOrder and their
``*List`` forms, over REST and gRPC; GetOpenOrders is never affected (it is
how a client learns the truth). ``injected`` counts the faults that fired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.polymarket.gen import marketdatasubscription_pb2 as md

__all__ = ["LOSS_MODES", "Faults"]

LOSS_MODES = ("error", "reset", "hang")  # how lose_answers loses an answer


class Faults:
    """Switches and one-shot faults; see the module docstring."""

    def __init__(self, streams: Callable[[], list[Any]], expire_tokens: Callable[[], int]) -> None:
        self._streams = streams
        self._expire_tokens = expire_tokens
        self.http_status = 503
        self.injected: dict[str, int] = {}
        self._armed: dict[str, int] = {}  # one-shot faults still to fire: name -> how many
        self._loss = "error"  # how the armed lose_answers lose theirs

    def _count(self, what: str, n: int) -> int:
        self.injected[what] = self.injected.get(what, 0) + n
        return n

    def _arm(self, what: str, n: int) -> None:
        """The next ``n`` chances of ``what`` fire (replacing what was left)."""
        self._armed[what] = n

    def _take(self, what: str, label: str = "") -> bool:
        """Whether ``what`` fires now (one of its armed chances used up,
        counted in ``injected`` as ``label`` or ``what``)."""
        left = self._armed.get(what, 0)
        if left <= 0:
            return False
        self._armed[what] = left - 1
        self._count(label or what, 1)
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

    def resume_streams(self, kind: str | None = None) -> int:
        """Let the stalled streams still open write again, their backlog first."""
        streams = self._open(kind)
        for s in streams:
            s.resume()
        return len(streams)

    def send_malformed(self, symbol: str) -> int:
        """Send ``symbol``'s subscribers an update whose bids are not best first."""
        bad = md.CreateMarketDataSubscriptionResponse(update=md.MarketDataUpdate(
            symbol=symbol, bids=[md.BookEntry(px=1, qty=1), md.BookEntry(px=2, qty=1)]))
        streams = [s for s in self._open("md") if symbol in s.symbols]
        for s in streams:
            s.push(bad)
        return self._count("send_malformed", len(streams))

    def fail_http(self, n: int, status: int = 503) -> None:
        """The next ``n`` HTTP requests (any path but ``/sim/``) get ``status``
        before anything looks at them: NOT processed."""
        self.http_status = status
        self._arm("fail_http", n)

    def duplicate(self, n: int) -> None:
        """Deliver the next ``n`` executions twice."""
        self._arm("duplicate", n)

    def hang_requests(self, n: int) -> None:
        """The next ``n`` order-entry requests (REST or gRPC, past auth and the
        limits) get no answer, ever: the exchange never sees them (NOT
        processed) and each waits until its client gives up."""
        self._arm("hang_requests", n)

    def lose_answers(self, n: int, how: str = "error") -> None:
        """The next ``n`` order-entry requests (REST or gRPC, past auth and the
        limits) are **processed** by the exchange as usual, executions and
        cancel rejects included, and then their answer is lost, ``how``:

        - ``"error"``: REST answers 503, gRPC ``UNAVAILABLE``;
        - ``"reset"``: REST drops the connection without an answer, gRPC
          aborts the call (``INTERNAL``, as a stream reset shows up);
        - ``"hang"``: no answer until the client's own timeout.

        A request the exchange refused (say a duplicate clord_id) loses its
        refusal the same way."""
        if how not in LOSS_MODES:
            raise ValueError(f"how must be one of {LOSS_MODES}, not {how!r}")
        self._loss = how
        self._arm("lose_answers", n)

    def expire_tokens(self) -> int:
        """End every access token issued so far."""
        return self._count("expire_tokens", self._expire_tokens())

    def take_http_failure(self) -> int | None:
        return self.http_status if self._take("fail_http") else None

    def take_hang(self) -> bool:
        return self._take("hang_requests")

    def take_lost_answer(self) -> str | None:
        """How this processed request's answer is lost (a ``LOSS_MODES``
        entry), or None: it is answered."""
        return self._loss if self._take("lose_answers", f"lose_answers:{self._loss}") else None

    def take_duplicate(self) -> bool:
        return self._take("duplicate")
