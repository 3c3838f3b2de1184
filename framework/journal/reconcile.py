"""Reconciliation of a restarted live run against what the venue says.

Orders are matched by client order id, or by venue order id when either side
lacks the client id. Positions are compared per ``(venue, symbol)`` summed
over strategies: a venue knows the account's position, not our strategies'.
Every difference is reported; nothing is corrected silently.

:func:`settle` turns the order differences into what the run does about them
(the ``reconcile:`` section's policy): an order the journal holds open but
the venue does not is closed; an order the venue holds but the journal does
not is cancelled, or adopted by the strategy its client id names.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from typing import Annotated, Literal

import msgspec

from framework.journal.records import OpenOrder
from framework.model.ids import strategy_of

__all__ = [
    "Difference",
    "DifferenceKind",
    "ReconcileSettings",
    "Settlement",
    "reconcile",
    "reconcile_positions",
    "settle",
]


class ReconcileSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a resumed live run does with orders the venue holds but its journal does not."""

    unknown_orders: Annotated[Literal["cancel", "adopt"], msgspec.Meta(
        description="cancel them, or adopt them into the strategy their client id names "
        "(orders no running strategy owns are cancelled either way)")] = "cancel"


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
    return settle(ours, venue).differences


class Settlement(msgspec.Struct):
    """What reconciliation found and what to do about it.

    ``close``: ours, not open at the venue -- close them in the journal and
    tracker. ``adopt``: the venue's, unknown to us, ``strategy`` set to their
    owner. ``cancel``: the venue's, unknown to us, to cancel at the venue.
    ``fill_gaps``: per matched order, what the venue filled beyond our
    journal (signed lots, + bought), keyed ``(venue, symbol)``.
    """

    differences: list[Difference]
    close: list[OpenOrder]
    adopt: list[OpenOrder]
    cancel: list[OpenOrder]
    fill_gaps: dict[tuple[str, str], int]


def settle(
    ours: Iterable[OpenOrder],
    venue: Iterable[OpenOrder],
    *,
    policy: Literal["cancel", "adopt"] = "cancel",
    strategies: Collection[str] = (),
) -> Settlement:
    """Match ``ours`` (the journal's open orders) with ``venue``'s and decide,
    per ``policy``, what happens to each difference; ``strategies`` are the
    names that may adopt an order (the run's)."""
    theirs = list(venue)
    by_client = {o.client_order_id: o for o in theirs if o.client_order_id}
    by_venue_id = {o.venue_order_id: o for o in theirs if o.venue_order_id}
    matched: set[int] = set()
    out = Settlement([], [], [], [], {})
    for mine in ours:
        other = by_client.get(mine.client_order_id) if mine.client_order_id else None
        if other is None and mine.venue_order_id:
            other = by_venue_id.get(mine.venue_order_id)
        key = mine.client_order_id or mine.venue_order_id
        if other is None:
            out.differences.append(Difference(DifferenceKind.MISSING_AT_VENUE, key))
            out.close.append(mine)
            continue
        matched.add(id(other))
        for name in _COMPARED:
            a, b = getattr(mine, name), getattr(other, name)
            if a != b:
                out.differences.append(Difference(DifferenceKind.ORDER_MISMATCH, key, name, str(int(a)), str(int(b))))
        if other.filled != mine.filled:
            where = (mine.venue, mine.symbol)
            out.fill_gaps[where] = out.fill_gaps.get(where, 0) + int(mine.side) * (other.filled - mine.filled)
    for other in theirs:
        if id(other) in matched:
            continue
        out.differences.append(Difference(DifferenceKind.UNKNOWN_TO_US, other.client_order_id or other.venue_order_id))
        owner = other.strategy or strategy_of(other.client_order_id)
        if policy == "adopt" and owner in strategies:
            out.adopt.append(msgspec.structs.replace(other, strategy=owner))
        else:
            out.cancel.append(other)
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
