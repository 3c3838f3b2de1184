"""Venue faults the adapter notices, logged once per episode (:class:`~framework.runtime.episode.Episode`):
a WARNING when the first shows, an INFO at the next success.

- :class:`EntryHealth` -- one order-entry client (REST or gRPC): answers that
  say the venue is failing (HTTP 5xx, ``UNAVAILABLE``) and answers lost
  (connection reset, timeout: the outcome is unknown and the run asks the venue);
- :class:`Redeliveries` -- executions one stream delivered more than once (the
  codec ignores the copies).

A refused access token is the token source's own episode
(:class:`~plugins.polymarket.auth.TokenSource`). Stream faults (killed,
stalled, malformed) are the stream supervisor's to report.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable

from framework import Clock, Episode, VenueUnavailable

__all__ = ["EntryHealth", "Redeliveries"]

log = logging.getLogger(__name__)

_ANSWERED = frozenset({"UNAVAILABLE"})  # gRPC codes by which the venue says it failed (REST: 5xx)


class EntryHealth:
    """The faults one client met: ``path`` ('REST', 'gRPC order entry') and how
    the venue says it failed there (``failure``: 'HTTP 5xx', 'UNAVAILABLE')."""

    def __init__(self, venue: str, path: str, failure: str, clock: Clock) -> None:
        self.venue = venue
        self.failing = Episode(log, clock, f"{venue}: {path}: the venue answers {failure}",
                               "requests refused, or their outcome unknown until the venue is asked")
        self.lost = Episode(log, clock, f"{venue}: {path}: answers lost",
                            "outcome unknown: the orders are in doubt until the venue is asked")

    def failed(self, method: str, exc: VenueUnavailable) -> None:
        """A request ended in ``exc``: an answer saying the venue failed, or none."""
        status = exc.status
        answered = (isinstance(status, int) and status >= 500) or status in _ANSWERED
        detail = str(exc).removeprefix(f"{self.venue}: ")
        (self.failing if answered else self.lost).seen(detail if method in detail else f"{method}: {detail}")

    def ok(self) -> None:
        """A request was answered: whatever episode was on is over."""
        self.failing.over()
        self.lost.over()


class Redeliveries:
    """Executions stream ``stream`` delivered before (by id, the last ``remember``)."""

    def __init__(self, venue: str, stream: str, clock: Clock, remember: int = 10_000) -> None:
        self.episode = Episode(log, clock, f"{venue}: stream {stream} delivered an execution twice",
                               "the copy is ignored: every execution counts once")
        self.duplicates = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def check(self, exec_ids: Iterable[str]) -> None:
        """The executions of one message: a copy starts (or continues) an
        episode, a message of new ones ends it."""
        seen = self._seen
        copies = 0
        for exec_id in exec_ids:
            if exec_id in seen:
                copies += 1
                continue
            seen[exec_id] = None
            if len(seen) > self._remember:
                seen.popitem(last=False)
        if copies:
            self.duplicates += copies
            self.episode.seen(f"{copies} in one message")
        else:
            self.episode.over()
