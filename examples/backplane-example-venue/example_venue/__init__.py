"""An example third-party venue adapter for backplane, with its own simulator.

The venue speaks JSON lines over TCP. The package is split the way every
backplane venue adapter is:

- :mod:`example_venue.codec` -- sans-IO: one wire line in, events and book
  changes out; order intents in, wire lines out. No sockets, no event loop.
- :mod:`example_venue.adapter` -- the transport: connections and the stream
  sources the core's supervisor keeps open (stale detection, reconnect and
  resync are the core's); every outbound message goes through the sender.
- :mod:`example_venue.sim` -- a small venue on 127.0.0.1 for tests and
  ``simulate: true`` runs.
- :mod:`example_venue.plugin` -- the hooks that register all of it.
"""

from example_venue.adapter import ExampleAdapter, ExampleSettings
from example_venue.sim import ExampleSimulator, SimSettings

__all__ = ["ExampleAdapter", "ExampleSettings", "ExampleSimulator", "SimSettings"]
