"""Client order ids that never repeat across restarts, sessions or runs.

Theory of operation
-------------------
A client order id is ``<strategy>-<tag>-<n>``: the strategy's name, the
session's *tag*, and a counter from 1 in that session. The tag is computed
once per session by the assembly (:func:`session_tag`) and handed to every
:class:`~framework.plugin.strategy.StrategyContext`:

``tag = base36(hash(run id, clock wall time at start))[8 chars] + base36(session)``

- The session number (the journal's, 1 for the first start of a run id, 0
  without a journal) is appended verbatim after a fixed-length hash, so two
  sessions of one run can never share a tag, whatever the hash gives: a run
  resumed after SIGKILL cannot reuse an id still resting at the venue.
- The hash covers the run id, so different runs differ, and the wall time at
  start, so a run id whose journal was deleted (its sessions count from 1
  again) still gets new ids. Two different runs collide only if 40 bits of
  BLAKE2b agree (about one pair in 10^12).
- Everything comes from the injected clock: a simulated-clock backtest with
  the same run id and session gets the same ids, so it stays repeatable.

The longest id must fit the strictest venue: Polymarket's ``clord_id`` is
1-64 visible ASCII characters, unique among live orders. With a tag of at
most 10 characters and room for a 12-digit counter, a strategy name may have
:data:`MAX_STRATEGY_NAME` characters; longer names are refused at
``config check``. Names, tags and counters use ``[A-Za-z0-9_-]`` only, and
tags and counters hold no ``-``, so :func:`strategy_of` recovers the
strategy from any id this module made.
"""

from __future__ import annotations

import hashlib

__all__ = ["MAX_CLIENT_ID", "MAX_STRATEGY_NAME", "id_prefix", "session_tag", "strategy_of"]

MAX_CLIENT_ID = 64
"""Polymarket ``clord_id``: 1-64 visible ASCII (the strictest venue the framework trades)."""
_HASH_CHARS = 8  # 36**8 > 2**40: the 40-bit hash always fits
_MAX_TAG = _HASH_CHARS + 2  # 1,295 sessions of one run id before the tag grows past this
_COUNTER_DIGITS = 12
MAX_STRATEGY_NAME = MAX_CLIENT_ID - _MAX_TAG - _COUNTER_DIGITS - 2
"""Longest strategy name whose ids always fit :data:`MAX_CLIENT_ID` (40)."""

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return out


def session_tag(run_id: str, session: int, wall_ns: int) -> str:
    """The id tag of one session: unique per ``(run_id, session)`` of one journal,
    and (by its hash of ``run_id`` and the session's start ``wall_ns``) across runs."""
    if session < 0:
        raise ValueError(f"session must be >= 0, not {session}")
    digest = hashlib.blake2b(f"{run_id}\0{wall_ns}".encode(), digest_size=5).digest()
    return _base36(int.from_bytes(digest)).rjust(_HASH_CHARS, "0") + _base36(session)


def id_prefix(strategy: str, tag: str) -> str:
    """``<strategy>-<tag>-``: what every id of ``strategy`` in the session starts with."""
    if len(strategy) > MAX_STRATEGY_NAME:
        raise ValueError(
            f"strategy name {strategy!r} has {len(strategy)} characters; client order ids carry it and "
            f"must fit {MAX_CLIENT_ID}: use at most {MAX_STRATEGY_NAME}"
        )
    if "-" in tag:
        raise ValueError(f"id tag {tag!r} may not contain '-'")
    return f"{strategy}-{tag}-" if tag else f"{strategy}-"


def strategy_of(client_order_id: str) -> str:
    """The strategy named in an id made here (``<strategy>-<tag>-<n>``), or ''."""
    parts = client_order_id.rsplit("-", 2)
    return parts[0] if len(parts) == 3 and parts[2].isdigit() else ""
