"""The contract between the run and a venue adapter, and the outbound gate.

A venue adapter plugin splits into a sans-IO codec (wire message -> events and
book operations, no I/O) and a transport that owns sockets, auth and
reconnects. The transport never sends anything on its own authority: it
builds every client-to-venue message (orders, cancels, replaces, queries,
subscription commands, token requests the venue counts) as an
:class:`~framework.execution.Outbound` and hands it to ``ctx.sender`` (a
:class:`~framework.execution.GatedSender`), which admits it through the
venue's :class:`Gate` and then writes it; stream slots come from
``ctx.sender.lease``. Adapters never hold the gate. The risk layer provides
the real gate (ingress limiter + stream-slot registry); :class:`CountingGate`
is the test double shipped in the box.

Adapters declare their venue's limits as data (:class:`VenueLimits`) so the
risk layer can enforce them before the venue has to.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

from framework.model.events import Instrument
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.runtime.busport import EventBus
from framework.runtime.clock import Clock

__all__ = [
    "CountingGate",
    "Gate",
    "MessageKind",
    "RateRule",
    "StreamLease",
    "TokenBucketRule",
    "VenueAdapter",
    "VenueContext",
    "VenueLimits",
    "VenueOrder",
]


class MessageKind(enum.IntEnum):
    """Client-to-venue message classes, in priority order (lower goes first)."""

    CANCEL = 0
    REPLACE = 1
    NEW_ORDER = 2
    QUERY = 3  # unary queries, subscription commands, stream opens, token requests


class RateRule(msgspec.Struct, frozen=True):
    """A venue's ingress rule: at most ``rate_per_s`` averaged over
    ``window_s`` seconds, never more than ``burst`` in any one second
    (``0`` = the venue states no burst cap)."""

    rate_per_s: int
    window_s: int
    burst: int = 0


class TokenBucketRule(msgspec.Struct, frozen=True):
    """A per-method token bucket: ``rate_per_s`` refill, ``capacity`` tokens."""

    rate_per_s: int
    capacity: int


class VenueLimits(msgspec.Struct, frozen=True):
    """What a venue enforces per firm account, declared by its adapter."""

    ingress: RateRule | None = None
    max_streams: int = 0  # 0 = no cap
    symbols_per_stream: int = 0  # 0 = no cap
    method_buckets: dict[str, TokenBucketRule] = {}
    # streams the adapter opens whatever the symbols (order stream, drop copy)
    fixed_streams: int = 0


class StreamLease(Protocol):
    """A held stream slot. A reconnect keeps it; ``release()`` frees it once."""

    key: str

    async def release(self) -> None: ...


class Gate(Protocol):
    """What the framework's sender calls before anything leaves the process."""

    async def admit(self, kind: MessageKind, *, method: str = "", count: int = 1) -> None:
        """Wait for ingress budget for ``count`` messages of ``kind`` (``method`` names
        the venue method for per-method buckets); raises
        :class:`framework.model.errors.Denied` (``RATE_LIMITED``) if it is not granted in time."""
        ...

    async def open_stream(self, key: str) -> StreamLease:
        """Take a stream slot for stream ``key``; raises ``Denied`` (``STREAM_CAP``)."""
        ...

    def throttled(self, method: str = "") -> None:
        """The venue pushed back (HTTP 429, gRPC RESOURCE_EXHAUSTED) on a ``method``
        request: back off (and take that method's bucket as empty)."""
        ...

    def remaining(self) -> int:
        """Messages that may be sent now without waiting."""
        ...


class _Lease:
    def __init__(self, gate: CountingGate, key: str) -> None:
        self.key = key
        self._gate = gate
        self.released = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            self._gate.open_streams.discard(self.key)


class CountingGate:
    """A gate that admits everything and counts it: the test double.

    ``admitted`` counts messages by ``MessageKind`` (and ``by_method`` by
    method name); ``open_streams`` holds the keys of the streams open now.
    """

    def __init__(self) -> None:
        self.admitted: Counter[MessageKind] = Counter()
        self.by_method: Counter[str] = Counter()
        self.open_streams: set[str] = set()
        self.streams_opened = 0
        self.throttle_signals = 0

    async def admit(self, kind: MessageKind, *, method: str = "", count: int = 1) -> None:
        self.admitted[kind] += count
        if method:
            self.by_method[method] += count

    async def open_stream(self, key: str) -> _Lease:
        self.open_streams.add(key)
        self.streams_opened += 1
        return _Lease(self, key)

    def throttled(self, method: str = "") -> None:
        self.throttle_signals += 1

    def remaining(self) -> int:
        return 1 << 30

    @property
    def total(self) -> int:
        return sum(self.admitted.values())


class VenueContext(msgspec.Struct):
    """What the run hands a venue adapter: its name in the config, the bus to
    publish on (a :class:`~framework.runtime.busport.BusPort`: publish and
    subscribe, never the other subscribers), the clock to read, the sender every outbound message goes
    through (a :class:`~framework.execution.GatedSender`), and the symbols the
    run's strategies want.

    A resumed run also hands back what its journal holds for this venue:
    ``checkpoints`` (key -> value of the last :class:`~framework.model.events.VenueCheckpoint`
    the adapter published) and ``open_orders`` (client order id -> strategy of
    every order still open), so that executions replayed or made while the run
    was down are attributed to their strategies.
    """

    name: str
    bus: EventBus
    clock: Clock
    sender: Any  # a framework.execution.GatedSender
    symbols: list[str] = []
    checkpoints: dict[str, bytes] = {}
    open_orders: dict[str, str] = {}


class VenueAdapter(Protocol):
    """What the run drives. Market data and order events go to ``ctx.bus``."""

    limits: VenueLimits
    instruments: Mapping[str, Instrument]

    async def start(self) -> None:
        """Connect, subscribe the context's symbols, publish ``StreamStatus`` live."""
        ...

    async def stop(self) -> None:
        """Close streams and connections; release stream slots."""
        ...

    def book(self, symbol: str) -> Any:
        """The current book of ``symbol`` (an ``L2Book`` or ``L3Book``)."""
        ...

    async def submit(self, order: SubmitOrder) -> None:
        """Send a new order (already past pre-trade checks); the outcome arrives as events."""
        ...

    async def cancel(self, cancel: CancelOrder) -> None: ...

    async def replace(self, replace: ReplaceOrder) -> None: ...


class VenueOrder(msgspec.Struct, frozen=True):
    """An order as the venue holds it, for resolving orders in doubt.

    An adapter that can ask its venue which orders it holds open offers
    ``async def find_orders(orders) -> Mapping[client_order_id, VenueOrder]``
    (``orders`` are the run's tracked orders in doubt; answer with the ones
    the venue holds open, and raise a ``VenueError`` when it cannot tell).
    Without it an order in doubt is resolved only by the venue's own events."""

    client_order_id: str
    venue_order_id: str = ""
    filled: int = 0
