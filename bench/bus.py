"""Deliveries per second through :class:`framework.runtime.bus.Bus`.

Beside it, in the same run, over the same events and the same handlers:

- ``direct_call``: a loop calling the handlers themselves, the floor (what
  delivery costs with no routing at all);
- ``dict_router``: a bare dict-of-lists router, the baseline a bus must match.
  It does the same routing work as the bus -- one lookup by ``(class, venue,
  symbol)`` per event, then a call of each handler routed there -- and
  nothing else: no error isolation, no ordering of re-entrant publishes, no
  subscription changes. It is written inline in its timing loop, so it does
  not even pay the call per event that every publisher pays to reach a bus
  (``bus.publish(event)``): the comparison is, if anything, strict against the
  bus.

The bus carries two subscriptions the router does not (``OrderFilled`` and
another venue's books): a real bus holds subscriptions an event must not
reach, and its route cache is what keeps them off the hot path.

Each candidate is timed in turn, round after round, and each keeps its best
round, so a change in the machine's speed during the run hits all of them
alike. ``*_delivery_ns`` is the best round's time per delivery (one event to
one handler); ``bus_vs_dict_router_speed_*_ratio`` is the router's time over
the bus's (1 or more: the bus is at least as fast as the bare router).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from framework.model.events import BookDelta, OrderFilled
from framework.runtime.bus import Bus


class _Counter:
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def on_event(self, event: object) -> None:
        self.n += 1


def _events(n: int) -> list[BookDelta]:
    return [BookDelta("sim", f"S{i % 8}", i, i, ((1, 100 + i % 5, 3),)) for i in range(n)]


def _best_in_turn(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall time of each candidate (seconds), the candidates taking turns each round."""
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _measure(n_subs: int, events: list[BookDelta], rounds: int) -> dict[str, float]:
    counters = [_Counter() for _ in range(n_subs)]
    bus = Bus()
    for c in counters:
        bus.subscribe(c.on_event, BookDelta)
    # unrelated subscriptions the router must skip
    bus.subscribe(_Counter().on_event, OrderFilled)
    bus.subscribe(_Counter().on_event, BookDelta, venue="other")
    handlers = [c.on_event for c in counters]
    router: dict[tuple[type, str, str], list] = {}
    for ev in events:
        router.setdefault((type(ev), ev.venue, ev.symbol), list(handlers))

    publish = bus.publish

    def via_bus() -> None:
        for ev in events:
            publish(ev)

    def direct() -> None:
        for ev in events:
            for h in handlers:
                h(ev)

    def dict_router() -> None:
        get = router.get
        for ev in events:
            for h in get((ev.__class__, ev.venue, ev.symbol), ()):
                h(ev)

    t = _best_in_turn({"bus": via_bus, "direct": direct, "router": dict_router}, rounds)
    n = len(events) * n_subs
    # every handler got every event from each of the three, every round
    assert all(c.n == len(events) * rounds * 3 for c in counters), "a candidate skipped deliveries"
    return {
        f"bus_{n_subs}_sub_deliveries_per_s": n / t["bus"],
        f"direct_call_{n_subs}_sub_deliveries_per_s": n / t["direct"],
        f"dict_router_{n_subs}_sub_deliveries_per_s": n / t["router"],
        f"bus_{n_subs}_sub_delivery_ns": t["bus"] / n * 1e9,
        f"dict_router_{n_subs}_sub_delivery_ns": t["router"] / n * 1e9,
        f"bus_vs_dict_router_speed_{n_subs}_sub_ratio": t["router"] / t["bus"],
        f"bus_over_direct_cost_{n_subs}_sub_ratio": t["bus"] / t["direct"],
    }


def run(quick: bool = False) -> dict[str, float]:
    events = _events(2_000 if quick else 20_000)
    rounds = 3 if quick else 40
    figures = _measure(1, events, rounds)
    figures.update(_measure(10, events[: len(events) // 4], rounds))
    return figures
