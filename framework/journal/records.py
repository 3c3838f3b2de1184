"""What the journal gives back: open orders and the restored state of a run."""

from __future__ import annotations

import msgspec

from framework.model.events import Side
from framework.model.orders import TimeInForce
from framework.model.positions import Position, PositionBook, PositionKey

__all__ = ["OpenOrder", "RestoredState"]


class OpenOrder(msgspec.Struct, frozen=True):
    """A working order, as journalled or as a venue reports it at reconciliation.

    ``size`` is the total size and ``filled`` what has traded of it (lots).
    """

    client_order_id: str
    strategy: str
    venue: str
    symbol: str
    side: Side
    price: int
    size: int
    filled: int = 0
    venue_order_id: str = ""
    state: str = ""
    tif: TimeInForce = TimeInForce.GTC
    expire_ns: int = 0
    post_only: bool = False

    @property
    def remaining(self) -> int:
        return self.size - self.filled


class RestoredState(msgspec.Struct):
    """A run's state as its journal holds it, for a restart with the same id.

    ``positions`` maps ``(strategy, venue, symbol)`` to its position (qty in
    lots; cost, realised PnL and fees in tick x lot units); ``book`` holds the
    same as a :class:`~framework.model.positions.PositionBook` of its own, for the
    run's order tracker (the journal keeps a separate one: sharing it would
    book every fill twice).
    ``previous_session_clean`` is False when the last session ended without
    closing the journal (killed or crashed). ``checkpoints`` holds the last
    :class:`~framework.model.events.VenueCheckpoint` of each venue and key.
    ``execution_keys`` are the ``(venue, execution_id)`` of every journalled
    execution: a venue that replays some after a restart (a drop copy resumed
    from its last checkpoint) must not move the tracker's positions twice.
    """

    positions: dict[PositionKey, Position]
    book: PositionBook
    open_orders: list[OpenOrder]
    executions: int
    sessions: int
    previous_session_clean: bool
    checkpoints: dict[str, dict[str, bytes]] = {}  # venue -> key -> value
    execution_keys: set[tuple[str, str]] = set()
