"""Reconciliation of a restarted live run against what the venue says.

Orders are matched by client order id, or by venue order id when either side
lacks the client id. Positions are compared per ``(venue, symbol)`` summed
over strategies: a venue knows the account's position, not our strategies'.
Every difference is reported; nothing is corrected silently.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import msgspec

from framework.journal.records import OpenOrder

__all__ = ["Difference", "DifferenceKind", "reconcile", "reconcile_positions"]


class DifferenceKind(enum.Enum):
    MISSING_AT_VENUE = "missing_at_venue"  # we think it works; the venue does not have it
    UNKNOWN_TO_US = "unknown_to_us"  # the venue has it; our journal does not
    ORDER_MISMATCH = "order_mismatch"  # both have it, a field differs
    POSITION_MISMATCH = "position_mismatch"


class Difference(msgspec.Struct, frozen=True):
    """One disagreement; ``key`` names the order or ``venue/symbol``."""

    kind: DifferenceKind
    key: str
    field: str = ""
    ours: str = ""
    theirs: str = ""

    def __str__(self) -> str:
        detail = f" {self.field}: ours={self.ours} venue={self.theirs}" if self.field else ""
        return f"{self.kind.value} {self.key}{detail}"


_COMPARED = ("side", "price", "size", "filled")


def reconcile(ours: Iterable[OpenOrder], venue: Iterable[OpenOrder]) -> list[Difference]:
    """Differences between our restored open orders and the venue's open orders."""
    theirs = list(venue)
    by_client = {o.client_order_id: o for o in theirs if o.client_order_id}
    by_venue_id = {o.venue_order_id: o for o in theirs if o.venue_order_id}
    matched: set[int] = set()
    out: list[Difference] = []
    for mine in ours:
        other = by_client.get(mine.client_order_id) if mine.client_order_id else None
        if other is None and mine.venue_order_id:
            other = by_venue_id.get(mine.venue_order_id)
        key = mine.client_order_id or mine.venue_order_id
        if other is None:
            out.append(Difference(DifferenceKind.MISSING_AT_VENUE, key))
            continue
        matched.add(id(other))
        for name in _COMPARED:
            a, b = getattr(mine, name), getattr(other, name)
            if a != b:
                out.append(Difference(DifferenceKind.ORDER_MISMATCH, key, name, str(int(a)), str(int(b))))
    for other in theirs:
        if id(other) not in matched:
            out.append(Difference(DifferenceKind.UNKNOWN_TO_US, other.client_order_id or other.venue_order_id))
    return out


def reconcile_positions(
    ours: Mapping[tuple[str, str], int], venue: Mapping[tuple[str, str], int]
) -> list[Difference]:
    """Differences between net positions per ``(venue, symbol)`` in lots
    (a key missing on one side counts as flat)."""
    out = []
    for key in sorted(set(ours) | set(venue)):
        a, b = ours.get(key, 0), venue.get(key, 0)
        if a != b:
            out.append(Difference(DifferenceKind.POSITION_MISMATCH, "/".join(key), "qty", str(a), str(b)))
    return out
