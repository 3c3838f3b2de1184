"""The plugin host: discovers, validates and indexes backplane plugins.

Plugins are modules (or objects) with ``@hookimpl`` functions named after the
hooks in :mod:`framework.plugin.hookspecs`, found through the ``backplane``
entry-point group. Loading one plugin never stops the others: a plugin that
fails to import, implements a hook with the wrong signature, names a hook that
does not exist, raises from a registration hook, returns the wrong thing, or
registers a name another plugin already took is recorded as a
:class:`~framework.model.errors.PluginError` naming the plugin, the hook and what is
wrong (``PluginHost.problems``), and the rest of the host keeps working.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from framework.model.errors import PluginError
from framework.plugin import hookspecs
from framework.plugin.specs import (
    CommandSpec,
    ConfigSectionSpec,
    RiskCheckSpec,
    SimulatorSpec,
    StrategySpec,
    VenueSpec,
)

if TYPE_CHECKING:
    from framework.plugin.view import RunView

__all__ = ["ENTRY_POINT_GROUP", "PluginHost", "PluginInfo"]

ENTRY_POINT_GROUP = "backplane"

# registration hook -> (kind shown to users, spec type it must return)
_REGISTRATION: dict[str, tuple[str, type]] = {
    "backplane_venues": ("venue", VenueSpec),
    "backplane_strategies": ("strategy", StrategySpec),
    "backplane_risk_checks": ("risk-check", RiskCheckSpec),
    "backplane_simulators": ("simulator", SimulatorSpec),
    "backplane_config_sections": ("config-section", ConfigSectionSpec),
    "backplane_commands": ("command", CommandSpec),
}


@dataclass(frozen=True)
class PluginInfo:
    """One registered thing, as ``backplane plugins`` lists it."""

    name: str
    kind: str
    version: str
    distribution: str
    plugin: str  # the entry point (or plugin object) that provided it
    description: str = ""


class PluginHost:
    """A pluggy ``PluginManager("backplane")`` plus indexes of what plugins provide."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.problems: list[PluginError] = []
        self.infos: list[PluginInfo] = []
        # kind -> name -> spec
        self.registry: dict[str, dict[str, Any]] = {kind: {} for kind, _ in _REGISTRATION.values()}

    # -- indexes -------------------------------------------------------

    @property
    def venues(self) -> dict[str, VenueSpec]:
        return self.registry["venue"]

    @property
    def strategies(self) -> dict[str, StrategySpec]:
        return self.registry["strategy"]

    @property
    def risk_checks(self) -> dict[str, RiskCheckSpec]:
        return self.registry["risk-check"]

    @property
    def simulators(self) -> dict[str, SimulatorSpec]:
        return self.registry["simulator"]

    @property
    def config_sections(self) -> dict[str, ConfigSectionSpec]:
        return self.registry["config-section"]

    @property
    def commands(self) -> dict[str, CommandSpec]:
        return self.registry["command"]

    # -- loading -------------------------------------------------------

    def config_schema(self) -> Any:
        """The run-config schema (:class:`framework.config.Schema`) for every
        installed plugin's settings, parameters and config sections."""
        from framework import config  # config validation is not needed to host plugins

        return config.Schema(
            venues={n: s.settings for n, s in self.venues.items()},
            strategies={n: s.params for n, s in self.strategies.items()},
            sections={n: s.type for n, s in self.config_sections.items()},
        )

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every plugin of the entry-point ``group``; problems are recorded."""
        for ep in sorted(md.entry_points(group=group), key=lambda e: e.name):
            dist = ep.dist
            version = dist.version if dist is not None else "?"
            dist_name = dist.name if dist is not None else "?"
            try:
                obj = ep.load()
            except Exception as exc:
                self.problems.append(
                    PluginError(ep.name, f"cannot import {ep.value!r}: {type(exc).__name__}: {exc}")
                )
                continue
            self.register(obj, ep.name, version=version, distribution=dist_name)

    def register(self, obj: Any, name: str, *, version: str = "?", distribution: str = "?") -> bool:
        """Register plugin ``obj`` under ``name``; returns False (and records why) if it is broken."""
        unknown = [
            attr
            for attr in dir(obj)
            if attr.startswith("backplane_")
            and self.pm.parse_hookimpl_opts(obj, attr) is not None
            and not hasattr(self.pm.hook, attr)
        ]
        if unknown:
            close = _close_hooks(unknown[0])
            self.problems.append(
                PluginError(name, f"implements unknown hook{close}", hook=unknown[0])
            )
            return False
        try:
            self.pm.register(obj, name=name)
        except pluggy.PluginValidationError as exc:
            self.problems.append(PluginError(name, str(exc), hook=_hook_in(str(exc))))
            return False
        except ValueError as exc:  # the same plugin name or object twice
            self.problems.append(PluginError(name, str(exc)))
            return False
        found = self._collect(obj, name, version, distribution)
        if found is None:
            self.pm.unregister(obj)
            return False
        for kind, spec, info in found:
            self.registry[kind][spec.name] = spec
            self.infos.append(info)
        return True

    def _collect(
        self, obj: Any, name: str, version: str, distribution: str
    ) -> list[tuple[str, Any, PluginInfo]] | None:
        """Call ``obj``'s registration hooks and check what they return, all or nothing."""
        found: list[tuple[str, Any, PluginInfo]] = []
        taken: set[tuple[str, str]] = set()
        for hook_name, (kind, spec_type) in _REGISTRATION.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is not obj:
                    continue
                try:
                    specs = list(impl.function() or ())
                except Exception as exc:
                    self.problems.append(
                        PluginError(name, f"raised {type(exc).__name__}: {exc}", hook=hook_name)
                    )
                    return None
                for spec in specs:
                    problem = self._check_spec(spec, spec_type, kind, taken)
                    if problem:
                        self.problems.append(PluginError(name, problem, hook=hook_name))
                        return None
                    taken.add((kind, spec.name))
                    info = PluginInfo(
                        spec.name, kind, version, distribution, name, getattr(spec, "description", "")
                    )
                    found.append((kind, spec, info))
        return found

    def _check_spec(self, spec: Any, spec_type: type, kind: str, taken: set[tuple[str, str]]) -> str:
        if not isinstance(spec, spec_type):
            return f"returned {type(spec).__name__}, expected {spec_type.__name__}"
        name: str = getattr(spec, "name")
        if name in self.registry[kind] or (kind, name) in taken:
            owner = next((i.plugin for i in self.infos if i.kind == kind and i.name == name), "?")
            return f"{kind} name {name!r} is already registered by plugin {owner!r}"
        return ""

    # -- lookups -------------------------------------------------------

    def names(self, kind: str) -> list[str]:
        return sorted(self.registry[kind])

    def call_lifecycle(self, hook_name: str, run: RunView) -> None:
        """Call a run-lifecycle hook on every plugin with the run's read-only view."""
        getattr(self.pm.hook, hook_name)(run=run)


def _hook_in(message: str) -> str | None:
    for hook_name in dir(hookspecs):
        if hook_name.startswith("backplane_") and hook_name in message:
            return hook_name
    return None


def _close_hooks(name: str) -> str:
    import difflib

    known = [h for h in dir(hookspecs) if h.startswith("backplane_")]
    close = difflib.get_close_matches(name, known, n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else f" (known hooks: {', '.join(known)})"


def load_host(extra: Iterable[tuple[Any, str]] = ()) -> PluginHost:
    """A host with every installed plugin loaded, plus ``extra`` (object, name) pairs."""
    host = PluginHost()
    host.load_entry_points()
    for obj, name in extra:
        host.register(obj, name)
    return host
