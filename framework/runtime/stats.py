"""Counters a run keeps for people: what the status line and the run view read.

Kept apart from ``status`` (which renders them) so the run's parts can hold a
``RunStats`` without importing the renderer, which reads the whole ``Run``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from framework.model.events import (
    Event,
    OrderDenied,
    OrderFilled,
    StreamState,
    StreamStatus,
)

__all__ = ["RunStats", "gate_usage", "stream_label"]


class RunStats:
    """Counters the status line reads, fed by one bus subscriber."""

    def __init__(self) -> None:
        self.events = 0
        self.fills = 0
        self.volume = 0
        self.denials: Counter[str] = Counter()
        self.streams: dict[str, StreamState] = {}  # "venue:stream" -> its last published state

    def on_event(self, event: Event) -> None:
        self.events += 1
        kind = event.__class__
        if kind is OrderFilled:
            self.fills += 1
            self.volume += event.size  # type: ignore[attr-defined]
        elif kind is OrderDenied:
            self.denials[event.reason.value] += 1  # type: ignore[attr-defined]
        elif kind is StreamStatus:
            self.streams[stream_label(event)] = event.state  # type: ignore[arg-type, attr-defined]


def stream_label(event: StreamStatus) -> str:
    """How the status line names a stream: ``venue:stream`` (``/symbol`` for one symbol's status)."""
    label = f"{event.venue}:{event.stream}" if event.stream else event.venue
    return f"{label}/{event.symbol}" if event.symbol else label


def gate_usage(gate: Any, now_ns: int) -> tuple[int, int, int, int]:
    """``(window used, window cap, streams held, stream cap)`` of a venue gate (0 when unknown)."""
    limiter = getattr(gate, "limiter", None)
    window = getattr(limiter, "window", None)
    used = window.window_used(now_ns) if window is not None else 0
    cap = limiter.rule.cap if limiter is not None else 0
    slots = getattr(gate, "slots", None)
    held = len(slots.held()) if slots is not None else 0
    return used, cap, held, getattr(slots, "cap", 0)
