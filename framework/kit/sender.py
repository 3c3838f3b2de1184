"""The sender the venue suite hands an adapter: counts, and refuses on demand.

:class:`KitSender` is the framework's own :class:`~framework.execution.GatedSender`
(so the adapter is exercised exactly as a run exercises it, throttle signal
included) over a :class:`KitGate`: a :class:`~framework.plugin.venue.CountingGate`
that can also be told to grant only ``max_streams`` stream slots or only
``budget`` more messages, refusing the rest with
:class:`~framework.model.errors.Denied` exactly as the real risk layer does. The gate
remembers the most streams ever open at once, so a case can tell a cap was
respected at every moment, not only at the end.
"""

from __future__ import annotations

from framework.execution import GatedSender
from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import CountingGate, MessageKind

__all__ = ["KitGate", "KitSender"]


class KitGate(CountingGate):
    """A counting gate with an optional stream cap and message budget.

    ``max_streams=None`` and ``budget=None`` mean unlimited. ``denied``
    counts refusals; ``peak_streams`` is the most streams open at once.
    """

    def __init__(self, *, max_streams: int | None = None, budget: int | None = None) -> None:
        super().__init__()
        self.max_streams = max_streams
        self.budget = budget
        self.denied = 0
        self.peak_streams = 0

    async def admit(self, kind: MessageKind, *, method: str = "", count: int = 1) -> None:
        if self.budget is not None:
            if count > self.budget:
                self.denied += count
                raise Denied(DenyReason.RATE_LIMITED, f"kit gate: no budget left for {count} {kind.name}")
            self.budget -= count
        await super().admit(kind, method=method, count=count)

    async def open_stream(self, key: str):
        if self.max_streams is not None and key not in self.open_streams and len(self.open_streams) >= self.max_streams:
            self.denied += 1
            raise Denied(DenyReason.STREAM_CAP, f"kit gate: {len(self.open_streams)} of {self.max_streams} stream slots in use")
        lease = await super().open_stream(key)
        self.peak_streams = max(self.peak_streams, len(self.open_streams))
        return lease

    def remaining(self) -> int:
        return super().remaining() if self.budget is None else self.budget


class KitSender(GatedSender):
    """A :class:`~framework.execution.GatedSender` over a fresh :class:`KitGate`;
    ``gate`` is that gate, for the cases (and tests) to read and set."""

    __slots__ = ("gate",)

    def __init__(self, *, max_streams: int | None = None, budget: int | None = None) -> None:
        self.gate = KitGate(max_streams=max_streams, budget=budget)
        super().__init__(self.gate)
