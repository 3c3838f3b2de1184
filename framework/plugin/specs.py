"""What plugins register: one small record per venue, strategy, risk check,
simulator, config section and CLI command.

A plugin returns these from its registration hooks (see
:mod:`framework.plugin.hookspecs`). Settings and parameters are ``msgspec.Struct``
classes: the config layer validates the YAML against them, with file, line and
key in every error, and derives the JSON Schema from them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

__all__ = [
    "CommandSpec",
    "ConfigSectionSpec",
    "FaultSpec",
    "RiskCheckSpec",
    "SettingsIssue",
    "SimulatorSpec",
    "StrategySpec",
    "VenueSpec",
]


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of a plugin that takes none."""


@dataclass(frozen=True)
class SettingsIssue:
    """A problem a venue plugin finds in its own settings (``VenueSpec.settings_issues``):
    ``key`` is the path under ``settings`` (``("rest_base",)``), ``message`` what is
    wrong, ``hint`` the fix. The config layer adds the file, line and the rest of
    the key path; an adapter refuses the same settings with :meth:`refuse`."""

    key: tuple[str, ...]
    message: str
    hint: str = ""

    @staticmethod
    def refuse(venue: str, issues: list[SettingsIssue]) -> None:
        """Raise :class:`~framework.model.errors.ConfigError` naming every issue (none: return):
        how an adapter refuses settings that reached it without ``config check``."""
        from framework.model.errors import ConfigError

        if issues:
            raise ConfigError([f"venues.{venue}.settings.{'.'.join(i.key)}: {i.message} (hint: {i.hint})" for i in issues])


@dataclass(frozen=True)
class VenueSpec:
    """A venue adapter: ``factory(ctx: VenueContext, settings) -> VenueAdapter``.

    ``simulator`` names the :class:`SimulatorSpec` that serves this venue
    offline (used by ``simulate: true`` in a run config). ``limits(settings)``
    (settings may be ``None``: use the defaults) returns the venue's :class:`~framework.plugin.venue.VenueLimits` without
    connecting, so ``config check`` can tell a run that needs more streams
    than the account allows. ``unsupported_modes`` maps a mode the adapter
    cannot run in to the message ``config check`` shows. ``settings_issues(settings)``
    returns every :class:`SettingsIssue` in a venue's settings that type checks
    cannot see (plaintext to a remote host...); ``config check`` and start-up
    report them all, each at its key (not called for ``simulate: true``)."""

    name: str
    factory: Callable[..., Any]
    settings: type[msgspec.Struct] = NoSettings
    description: str = ""
    simulator: str | None = None
    limits: Callable[[Any], Any] | None = None
    unsupported_modes: Mapping[str, str] = field(default_factory=dict)
    settings_issues: Callable[[Any], list[SettingsIssue]] | None = None


@dataclass(frozen=True)
class StrategySpec:
    """A strategy class and the Struct of its typed parameters."""

    name: str
    factory: Callable[..., Any]
    params: type[msgspec.Struct] = NoSettings
    description: str = ""


@dataclass(frozen=True)
class RiskCheckSpec:
    """A pre-trade check: ``factory(settings) -> check``; settings from ``risk.checks.<name>``."""

    name: str
    factory: Callable[..., Any]
    settings: type[msgspec.Struct] = NoSettings
    description: str = ""


@dataclass(frozen=True)
class FaultSpec:
    """One fault a simulator can inject (``SimulatorSpec.faults`` maps its name
    to this): what it does, and whether a plan step may give it ``count: N``
    (how many requests or messages it hits; 1 when not given) or ``for: S``
    (how long it lasts: the injector returns the fault's end)."""

    description: str
    count: bool = False
    lasts: bool = False


@dataclass(frozen=True)
class SimulatorSpec:
    """A local venue simulator: ``factory(settings)`` returns an async context
    manager that serves on 127.0.0.1 and yields the running simulator.

    ``venue_settings(simulator, settings)`` returns the venue adapter's
    settings pointed at that running simulator (endpoints, demo credentials),
    starting from the run config's ``settings`` (``None`` when the entry gives
    none); a run with ``simulate: true`` uses it. A simulator whose settings
    have a ``symbols`` field is started listing the run's symbols.
    ``from_venue(sim_settings, settings)`` returns the simulator's settings
    matched to the venue entry's (e.g. the account tier whose limits it
    enforces), so a simulated venue refuses what that account would.

    ``faults`` names the faults the simulator can inject (a :class:`FaultSpec`
    each), which a run config's ``simulate: {faults: [...]}`` and ``backplane
    simulate NAME --fault`` switch on; ``inject(simulator, name, count, for_ns)``
    injects one into the running simulator now (``count`` and ``for_ns`` are
    ``None`` when not given) and returns the fault's end (a callable the run
    calls ``for_ns`` later) or ``None``."""

    name: str
    factory: Callable[..., Any]
    settings: type[msgspec.Struct] = NoSettings
    description: str = ""
    venue_settings: Callable[[Any, Any], Any] | None = None
    from_venue: Callable[[Any, Any], Any] | None = None
    faults: Mapping[str, FaultSpec] = field(default_factory=dict)
    inject: Callable[[Any, str, int | None, int | None], Callable[[], None] | None] | None = None


@dataclass(frozen=True)
class ConfigSectionSpec:
    """A top-level section of the run config owned by a plugin (e.g. ``risk``)."""

    name: str
    type: type[msgspec.Struct]
    description: str = ""


@dataclass(frozen=True)
class CommandSpec:
    """A ``backplane`` sub-command: ``configure(parser)`` adds its arguments,
    ``run(args) -> int`` runs it and returns the exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
