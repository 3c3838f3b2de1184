"""The shape of a run config file: the core sections and what plugins add.

A file has the core sections ``run``, ``venues``, ``strategies``, ``journal``
and ``schedule``; every other top-level section (``risk``...) is contributed by
a plugin through :class:`Schema`, as is the Struct behind each venue's
``settings`` and each strategy's ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from .duration import SECOND, Duration

__all__ = [
    "CORE_SECTIONS",
    "ROUTED_MODES",
    "UNAVAILABLE_MODES",
    "FaultStep",
    "JournalSection",
    "Mode",
    "RunConfig",
    "RunSection",
    "ScheduleEntry",
    "Schema",
    "SimulatePlan",
    "StrategyEntry",
    "VenueEntry",
]

Mode = Literal["live", "paper", "replay"]
#: The modes a venue can run in today: the execution route each one takes.
#: Anything else is refused at ``config check`` and at start-up, never routed live.
ROUTED_MODES = ("live", "paper")
#: Modes the file may name but nothing can run yet, with the fix ``config check`` shows.
UNAVAILABLE_MODES = {"replay": "no replay engine yet; use paper or live"}
#: Actions a schedule entry may take besides ``strategy:<name>.<method>``.
BUILTIN_ACTIONS = ("cancel_all", "flatten", "halt")


class RunSection(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What this run is and how it trades."""

    name: Annotated[str, msgspec.Meta(min_length=1, description="a name for the run, used in logs and the journal")]
    mode: Annotated[Mode, msgspec.Meta(
        description="live: real orders; paper: real data, simulated fills; replay: recorded data")] = "paper"
    duration: Annotated[Duration | None, msgspec.Meta(
        description="stop the run after this long (e.g. 30m); unset runs until stopped")] = None
    clock: Annotated[Literal["live", "sim"], msgspec.Meta(
        description="live: wall-clock time; sim: simulated time driven by the data")] = "live"
    run_id: Annotated[str | None, msgspec.Meta(
        description="identifier of this run in the journal; generated when unset")] = None


class FaultStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One fault of a simulated venue's plan: ``{at: 20s, fault: kill_streams}``.

    Which faults exist, and which take ``count`` or ``for``, the simulator
    plugin declares (``SimulatorSpec.faults``); ``config check`` refuses the rest."""

    at: Annotated[Duration, msgspec.Meta(description="when, counted from the start of the venue's simulator")]
    fault: Annotated[str, msgspec.Meta(min_length=1, description="the fault's name (`backplane plugins` "
                                       "lists simulators; `backplane simulate NAME --help` their faults)")]
    count: Annotated[int, msgspec.Meta(ge=1, description="how many requests or messages it hits "
                                       "(faults that take a count; default 1)")] | None = None
    for_: Annotated[Duration, msgspec.Meta(ge=SECOND // 1000, description="how long it lasts "
                                           "(faults that take a duration)")] | None = msgspec.field(default=None, name="for")


class SimulatePlan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``simulate:`` written as a mapping: simulate the venue, with a fault plan."""

    faults: Annotated[list[FaultStep], msgspec.Meta(
        description="faults the simulator injects, each at its time: `- {at: 20s, fault: kill_streams}`")] = []


class VenueEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One venue connection: the adapter plugin and its settings."""

    plugin: Annotated[str, msgspec.Meta(description="the venue adapter plugin to use")]
    mode: Annotated[Mode | None, msgspec.Meta(
        description="this venue's mode; unset means the run's mode")] = None
    simulate: Annotated[bool | SimulatePlan, msgspec.Meta(
        description="true: start the plugin's in-process simulator and connect to it; "
        "or a mapping with `faults:`, to also inject faults at set times")] = False
    #: an instance of the plugin's settings Struct (``None`` for a plugin without settings)
    settings: Annotated[msgspec.Struct | None, msgspec.Meta(
        description="the plugin's own settings")] = None


class StrategyEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One strategy instance: the plugin, where it trades, and its parameters."""

    plugin: Annotated[str, msgspec.Meta(description="the strategy plugin to use")]
    venue: Annotated[str, msgspec.Meta(description="the name of an entry under `venues`")]
    symbols: Annotated[list[str], msgspec.Meta(min_length=1, description="the symbols it trades")]
    #: an instance of the plugin's params Struct (``None`` for a plugin without params)
    params: Annotated[msgspec.Struct | None, msgspec.Meta(
        description="the strategy's own parameters")] = None
    enabled: Annotated[bool, msgspec.Meta(description="false keeps it configured but not started")] = True
    stale_after_ms: Annotated[int, msgspec.Meta(
        ge=1, description="market data older than this (or its stream not live) pulls the strategy's "
        "resting orders and denies new ones until live again; unset: off")] | None = None


class JournalSection(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where the run's journal (orders, fills, events) is written."""

    path: Annotated[str, msgspec.Meta(min_length=1, description="journal directory")] = "runs"
    enabled: bool = True


class ScheduleEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A timed action: every N, or on a cron expression, in a time zone."""

    name: Annotated[str, msgspec.Meta(min_length=1, description="a name for logs")]
    action: Annotated[str, msgspec.Meta(
        description="cancel_all, flatten, halt, or strategy:<strategy-name>.<method>")]
    every: Annotated[Duration, msgspec.Meta(
        ge=SECOND // 1000, description="run every this long (set this or cron)")] | None = None
    cron: Annotated[str | None, msgspec.Meta(
        description="a 5-field crontab expression (set this or every)")] = None
    timezone: Annotated[str, msgspec.Meta(description="IANA time zone for cron, e.g. Europe/London")] = "UTC"
    target: Annotated[str | None, msgspec.Meta(
        description="the strategy it applies to; unset means all")] = None


CORE_SECTIONS: dict[str, type[msgspec.Struct]] = {
    "run": RunSection,
    "venues": VenueEntry,
    "strategies": StrategyEntry,
    "journal": JournalSection,
    "schedule": ScheduleEntry,
}


@dataclass(frozen=True)
class Schema:
    """What plugins contribute to the file; built by the plugin host.

    ``venues`` maps a venue plugin name to its settings Struct, ``strategies``
    a strategy plugin name to its params Struct (``None``: takes none), and
    ``sections`` an extra top-level section name (``"risk"``) to its Struct.
    """

    venues: Mapping[str, type[msgspec.Struct] | None] = field(default_factory=dict)
    strategies: Mapping[str, type[msgspec.Struct] | None] = field(default_factory=dict)
    sections: Mapping[str, type[msgspec.Struct]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = sorted(set(self.sections) & set(CORE_SECTIONS))
        if clash:
            raise ValueError(f"plugin sections may not reuse core section names: {', '.join(clash)}")


class RunConfig(msgspec.Struct, frozen=True):
    """A validated run config. Build it with :func:`~framework.config.load_config`.

    ``sections`` holds the plugin-contributed sections by name (each an
    instance of the Struct the :class:`Schema` gave). ``secret_paths`` lists
    the key paths whose values came from the environment or are typed
    ``Secret``; ``show_config`` redacts them. ``locations`` maps each dotted
    key path to its 1-based (line, column) in ``source``, so checks made
    after loading can still point at the file (see ``issue_at``). The repr
    is the redacted view ``config show`` prints.
    """

    run: RunSection
    venues: dict[str, VenueEntry]
    strategies: dict[str, StrategyEntry]
    journal: JournalSection
    schedule: list[ScheduleEntry]
    sections: dict[str, msgspec.Struct]
    source: Path
    secret_paths: frozenset[str] = frozenset()
    locations: dict[str, tuple[int, int]] = {}

    def __repr__(self) -> str:
        # Redacted by path, so even an int read from ${PORT} is not shown.
        from .render import redacted_dict

        return f"RunConfig(source={str(self.source)!r}, {redacted_dict(self)!r})"

    def venue_mode(self, venue_name: str) -> str:
        """The mode venue ``venue_name`` runs in: its own, else the run's."""
        return self.venues[venue_name].mode or self.run.mode

    def symbols_of(self, venue_name: str) -> list[str]:
        """Every symbol any strategy trades on venue ``venue_name``, sorted, once each."""
        return sorted({s for st in self.strategies.values() if st.venue == venue_name for s in st.symbols})
