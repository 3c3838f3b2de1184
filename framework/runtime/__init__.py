"""The runtime: the clock, the event bus, stream supervision, assembling a run
from its config, running it, its schedule and what it shows a person."""
