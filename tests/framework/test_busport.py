"""A plugin's port on the bus: the bus's own publish, its own subscriptions, nobody else's."""

from __future__ import annotations

from framework.model.events import Event, Trade
from framework.runtime.bus import Bus
from framework.runtime.busport import BusPort
from framework.runtime.clock import SimClock


def test_the_port_publishes_with_the_bus_s_own_function() -> None:
    bus = Bus(SimClock())
    port = BusPort(bus)
    assert port.publish is bus.publish  # an adapter's publish costs what it cost on the bus: no extra call
    seen: list[Event] = []
    port.subscribe(seen.append, Trade, "v")
    port.publish(Trade("v", "X", 1, 1, 100, 2))
    port.publish(Trade("w", "X", 1, 1, 100, 2))
    assert [e.venue for e in seen] == ["v"]


def test_the_port_lists_no_subscriber_and_stops_only_its_own() -> None:
    bus = Bus(SimClock())
    theirs: list[Event] = []
    other = bus.subscribe(theirs.append, Trade, name="risk")
    port = BusPort(bus)
    mine: list[Event] = []
    sub = port.subscribe(mine.append, Trade)
    assert not hasattr(port, "subscriptions")
    port.unsubscribe(other)  # not made through this port: left alone
    port.publish(Trade("v", "X", 1, 1, 100, 2))
    assert len(theirs) == 1 and len(mine) == 1
    port.unsubscribe(sub)
    port.publish(Trade("v", "X", 1, 1, 100, 2))
    assert len(theirs) == 2 and len(mine) == 1
