"""Counters of the irregularities a book absorbed instead of raising.

Real feeds are messy: updates for orders that were never placed, removes of
orders already gone, fill amounts that move backwards. A book ignores (or
applies) such an operation as its venue's rules say, and counts it here by kind
so that an adapter can log, export or alert on it. Reading a kind that never
happened gives 0.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

__all__ = [
    "CROSSED",
    "DELETE_ABSENT",
    "DUPLICATE_PLACE",
    "FILL_DECREASED",
    "OVERFILL",
    "SNAPSHOTS",
    "UNKNOWN_REMOVE",
    "UNKNOWN_UPDATE",
    "BookStats",
]

# Final: the compiled build (setup.py) inlines these instead of global lookups.
UNKNOWN_UPDATE: Final = "unknown_update"
"""L3: an update named an order that is not resting (ignored)."""
UNKNOWN_REMOVE: Final = "unknown_remove"
"""L3: a remove named an order that is not resting (ignored)."""
DUPLICATE_PLACE: Final = "duplicate_place"
"""L3: a place reused the id of a resting order (the new place is ignored)."""
FILL_DECREASED: Final = "fill_decreased"
"""L3: an update lowered an order's filled amount (applied: dYdX block sync)."""
OVERFILL: Final = "overfill"
"""L3: filled exceeded the order's size (remaining clamped at 0)."""
DELETE_ABSENT: Final = "delete_absent"
"""L2: a level delete (size 0) named a price with no level (ignored)."""
CROSSED: Final = "crossed"
"""Both: an operation moved the book from not crossed into crossed, or a
snapshot left it crossed."""
SNAPSHOTS: Final = "snapshots"
"""Both: snapshots applied."""


class BookStats(Counter[str]):
    """Counts per irregularity kind (the module constants name them).

    A :class:`collections.Counter`: ``stats["unknown_update"]`` is 0 until the
    first one. Counts accumulate across snapshots and ``clear()``; they
    describe the feed, not the current book.
    """

    def as_dict(self) -> dict[str, int]:
        """A plain copy, every kind present (zeros included), for export."""
        kinds = (
            UNKNOWN_UPDATE,
            UNKNOWN_REMOVE,
            DUPLICATE_PLACE,
            FILL_DECREASED,
            OVERFILL,
            DELETE_ABSENT,
            CROSSED,
            SNAPSHOTS,
        )
        out = {k: self[k] for k in kinds}
        out.update(self)
        return out
