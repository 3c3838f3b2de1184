"""The gated sender: the only way a venue adapter gets a message out.

Theory of operation
-------------------
An adapter (or its REST / gRPC / stream client) never talks to the risk gate.
For every client-to-venue message -- order, cancel, replace, query, token
request, stream open or subscription command -- it builds an
:class:`Outbound`: the message kind, the venue method name, how many venue
messages it counts as, and the payload already encoded by the codec or the
adapter (sans-IO: building it does no I/O). It hands that to
:meth:`GatedSender.send` together with its *write* function, the one piece of
I/O::

    out = Outbound(MessageKind.NEW_ORDER, "InsertOrder", request)
    order_id = await ctx.sender.send(out, self._write)   # self._write(request)

``send`` admits the message through the venue's gate first (the firm's
ingress window and the method's token bucket; the venue's rules stay data in
:class:`~framework.plugin.venue.VenueLimits`), then awaits ``write(out.payload)`` and
returns what it returns. A refusal raises :class:`~framework.model.errors.Denied`
and nothing is written. When the write raises
:class:`~framework.model.errors.VenueThrottled` (the adapter maps HTTP 429 and gRPC
``RESOURCE_EXHAUSTED`` to it, as it maps every venue error), the sender tells
the gate the venue pushed back and re-raises: the back-off is the framework's
decision, not the adapter's.

A long-lived stream takes a slot with :meth:`GatedSender.lease` once (kept
across reconnects, released by the adapter at stop) and sends each open or
subscription as an :class:`Outbound` whose write is the session itself, so a
``RESOURCE_EXHAUSTED`` that ends a stream reaches the sender too.

Hot path: ``send`` is one coroutine frame around the gate and the write -- no
task, no queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from framework.model.errors import VenueThrottled
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.plugin.venue import Gate, MessageKind, StreamLease

__all__ = ["GatedRoute", "GatedSender", "Outbound"]

T = TypeVar("T")


class Outbound(msgspec.Struct, frozen=True):
    """One client-to-venue request, encoded and not yet sent.

    ``kind`` is its :class:`~framework.plugin.venue.MessageKind` (its priority at the
    limiter), ``method`` the venue method whose token bucket it spends (``""``:
    none), ``payload`` what the write function sends (bytes, a protobuf
    message, a prepared request -- whatever the adapter's write understands),
    ``count`` how many messages the venue counts it as (a batch of 20 inserts
    sent as one request counts 1 on Polymarket).
    """

    kind: MessageKind
    method: str
    payload: Any
    count: int = 1


class GatedSender:
    """Admits each :class:`Outbound` through one venue's gate, then writes it
    (see the module docs). Adapters get it as ``ctx.sender``; the gate itself
    stays with the framework."""

    __slots__ = ("_gate",)

    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def send(self, out: Outbound, write: Callable[[Any], Awaitable[T]]) -> T:
        """Admit ``out`` (raises :class:`~framework.model.errors.Denied`, nothing written),
        then return ``await write(out.payload)``; a :class:`VenueThrottled` from the
        write signals the gate to back off and is re-raised."""
        await self._gate.admit(out.kind, method=out.method, count=out.count)
        try:
            return await write(out.payload)
        except VenueThrottled:
            self._gate.throttled(out.method)  # the limiter backs off, the method's bucket counts as empty
            raise

    async def lease(self, key: str) -> StreamLease:
        """Take (or keep, on a reconnect) the slot of stream ``key``; raises
        :class:`~framework.model.errors.Denied` (``STREAM_CAP``). Only the slot: each
        open is sent as an :class:`Outbound` of kind ``QUERY``."""
        return await self._gate.open_stream(key)

    def remaining(self) -> int:
        """New orders that may be sent now without waiting (a read-only view of the budget)."""
        return self._gate.remaining()


class GatedRoute:
    """A route (``submit`` / ``cancel`` / ``replace``) whose every intent goes
    through ``sender`` before ``target`` sees it: the paper exchange behind the
    venue's gate, so a paper run spends the budget a live one would."""

    __slots__ = ("_sender", "_target")

    def __init__(self, sender: GatedSender, target: Any) -> None:
        self._sender = sender
        self._target = target

    async def submit(self, order: SubmitOrder) -> None:
        await self._sender.send(Outbound(MessageKind.NEW_ORDER, "", order), self._target.submit)

    async def cancel(self, cancel: CancelOrder) -> None:
        await self._sender.send(Outbound(MessageKind.CANCEL, "", cancel), self._target.cancel)

    async def replace(self, replace: ReplaceOrder) -> None:
        await self._sender.send(Outbound(MessageKind.REPLACE, "", replace), self._target.replace)

    def remaining(self) -> int:
        """The venue's budget, as the router reads it."""
        return self._sender.remaining()
