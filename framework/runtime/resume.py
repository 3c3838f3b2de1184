"""A resumed live run meets its venue: the journal's open orders against the venue's.

Once a live venue's adapter has started (its order-stream snapshot is in),
:func:`reconcile_live` compares the orders the journal holds open -- as the
tracker holds them now, after the fills replayed since start-up -- with the
orders the venue holds, and acts per the ``reconcile:`` section: ours the
venue lacks are closed, the venue's we lack are cancelled or adopted. Every
difference (positions too, as far as the venue's fills tell) is logged,
journalled and kept in the run's outcome for the summary.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from framework.model.events import OrderAccepted, OrderResolved
from framework.model.orders import CancelOrder
from framework.runtime.parts import Core, VenuePart
from framework.runtime.run import Run

__all__ = ["CLOSED_AT_RECONCILE", "reconcile_live"]

log = logging.getLogger(__name__)

CLOSED_AT_RECONCILE = "reconcile: not open at the venue after the restart"


def reconcile_live(run: Run, venue: VenuePart) -> None:
    """Reconcile ``venue`` if the run was resumed and its adapter can list the
    venue's open orders (``venue_open_orders``, optional for adapters)."""
    restored = run.session.restored
    venue_orders = getattr(venue.adapter, "venue_open_orders", None)
    if restored is None or venue_orders is None:
        return
    from framework.journal import ReconcileSettings, settle

    core, name = run.core, venue.name
    policy = core.section("reconcile", ReconcileSettings).unknown_orders
    owners = [s for s, e in core.config.strategies.items() if e.venue == name and e.enabled]
    found = settle(_still_open(core, restored.open_orders, name), venue_orders(), policy=policy, strategies=owners)
    now = core.clock.now_ns()
    for o in found.close:
        outcome = "gone" if o.venue_order_id else "not_found"
        core.bus.publish(OrderResolved(name, o.symbol, now, now, o.client_order_id, o.strategy, o.venue_order_id,
                                       outcome, o.filled, CLOSED_AT_RECONCILE))  # fmt: skip
    for o in found.adopt:
        _adopt(core, venue.adapter, o)
    for o in found.cancel:
        # Tracked first, so the cancel and its outcome follow the normal lifecycle.
        _adopt(core, venue.adapter, msgspec.structs.replace(o, strategy=""))
        core.router.send(CancelOrder("", name, o.symbol, o.client_order_id, o.venue_order_id))
    differences = found.differences + _position_differences(core, name, found.fill_gaps)
    for difference in differences:
        log.warning("reconcile %s: %s", name, difference)
    log.info("reconcile %s (unknown orders: %s): %d closed, %d adopted, %d cancelled",
             name, policy, len(found.close), len(found.adopt), len(found.cancel))  # fmt: skip
    if run.session.journal is not None and differences:
        run.session.journal.record_differences(differences)
    run.outcome.differences.extend(differences)
    for action, orders in (("closed", found.close), ("adopted", found.adopt), ("cancelled", found.cancel)):
        run.outcome.reconciled[action] += len(orders)


def _still_open(core: Core, journal_open: list[Any], venue: str) -> list[Any]:
    """The journal's open orders of ``venue`` that the tracker still holds open
    (fills replayed since start-up may have ended some), with its fill."""
    out = []
    for o in journal_open:
        tracked = core.tracker.order(o.client_order_id)
        if o.venue == venue and tracked is not None and tracked.is_open:
            out.append(msgspec.structs.replace(o, filled=tracked.filled))
    return out


def _adopt(core: Core, adapter: Any, order: Any) -> None:
    """Make a venue order the journal did not know one of the run's: tracked,
    journalled (its acceptance), counted by the risk layer, its executions
    routed to ``order.strategy``."""
    core.tracker.adopt(order)
    claim = getattr(adapter, "adopt", None)
    if claim is not None:
        claim(order.client_order_id, order.strategy)
    now = core.clock.now_ns()
    core.bus.publish(OrderAccepted(order.venue, order.symbol, now, now, order.client_order_id,
                                   order.strategy, order.venue_order_id, order.side, order.price, order.size))


def _position_differences(core: Core, venue: str, fill_gaps: dict[tuple[str, str], int]) -> list[Any]:
    """Net positions per symbol of ``venue``: ours against ours plus what the venue
    filled beyond our journal on the orders both know (the venue's account
    position where the adapter cannot ask for it)."""
    from framework.journal import reconcile_positions

    ours: dict[tuple[str, str], int] = {}
    for (_, v, symbol), pos in core.tracker.positions.items():
        if v == venue:
            ours[(v, symbol)] = ours.get((v, symbol), 0) + pos.qty
    theirs = {key: ours.get(key, 0) + fill_gaps.get(key, 0) for key in set(ours) | set(fill_gaps)}
    return reconcile_positions(ours, theirs)
