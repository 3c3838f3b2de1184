"""Deliveries per second through :class:`framework.runtime.bus.Bus`.

Beside it, in the same run: a direct method-call loop over the same handlers
(the floor: what delivery costs with no bus at all) and a plain dict-of-lists
router (what a minimal bus costs).
"""

from __future__ import annotations

from bench._timing import best_of
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


def _measure(n_subs: int, events: list[BookDelta]) -> dict[str, float]:
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

    n = len(events) * n_subs
    t_bus, t_direct, t_router = best_of(via_bus), best_of(direct), best_of(dict_router)
    return {
        f"bus_{n_subs}_sub_deliveries_per_s": n / t_bus,
        f"direct_call_{n_subs}_sub_deliveries_per_s": n / t_direct,
        f"dict_router_{n_subs}_sub_deliveries_per_s": n / t_router,
        f"bus_over_direct_cost_{n_subs}_sub_ratio": t_bus / t_direct,
    }


def run(quick: bool = False) -> dict[str, float]:
    events = _events(20_000 if quick else 200_000)
    figures = _measure(1, events)
    figures.update(_measure(10, events[: len(events) // 4]))
    return figures
