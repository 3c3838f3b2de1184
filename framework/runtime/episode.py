"""A fault seen over many requests, logged as one episode.

A burst of 5xx answers, a refused token, lost answers, duplicate executions:
each request that meets the fault would otherwise log its own line. An
:class:`Episode` logs one WARNING when the first is seen, counts the rest
quietly (at DEBUG, or the level it is given), and logs one INFO when the next success ends it, with how
many there were and how long it lasted::

    unavailable = Episode(log, clock, "polymarket: REST order entry answering 5xx")
    try:
        answer = await send(...)
    except VenueUnavailable as exc:
        unavailable.seen(str(exc))
        raise
    unavailable.over()
"""

from __future__ import annotations

import logging

from framework.runtime.clock import NS_PER_S, Clock

__all__ = ["Episode"]


class Episode:
    """One kind of fault, logged once per episode; see the module docstring."""

    def __init__(self, logger: logging.Logger, clock: Clock, what: str, consequence: str = "",
                 repeat_level: int = logging.DEBUG) -> None:
        self.log = logger
        self.clock = clock
        self.what = what
        self.consequence = consequence  # appended to the WARNING: what it means for the run
        self.repeat_level = repeat_level  # of the occurrences after the first
        self.active = False
        self.count = 0  # in this episode
        self.episodes = 0  # so far
        self._since_ns = 0

    def seen(self, detail: str = "") -> bool:
        """One more occurrence; True when it starts an episode (and was logged at WARNING)."""
        self.count += 1
        if self.active:
            self.log.log(self.repeat_level, "%s (%d so far): %s", self.what, self.count, detail)
            return False
        self.active = True
        self.count = 1
        self.episodes += 1
        self._since_ns = self.clock.now_ns()
        text = self.what + (f": {detail}" if detail else "") + (f"; {self.consequence}" if self.consequence else "")
        self.log.warning("%s (logged once until it is over)", text)
        return True

    def over(self) -> None:
        """A success: end the episode, if one is on (logged at INFO)."""
        if not self.active:
            return
        self.active = False
        seconds = (self.clock.now_ns() - self._since_ns) / NS_PER_S
        self.log.info("%s: over (%d times in %.1f s)", self.what, self.count, seconds)
