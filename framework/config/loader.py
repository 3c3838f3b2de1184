"""Loading a run config: the whole file checked at once, then built.

The core sections and each plugin's Struct are checked by the generic
:class:`~framework.config.validate.Validator`; this module adds what needs the
whole file: which plugin a ``venues``/``strategies`` entry names (and so which
Struct its ``settings``/``params`` must match), strategies that point at a
venue that is not defined, and the ``schedule`` rules (one of every/cron, a
real time zone, a cron expression APScheduler accepts, an action that exists).
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec.inspect as mi
import yaml
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from framework.model.errors import ConfigError

from .issues import ConfigIssue, format_path
from .sections import (
    BUILTIN_ACTIONS,
    CORE_SECTIONS,
    JournalSection,
    RunConfig,
    RunSection,
    ScheduleEntry,
    Schema,
    StrategyEntry,
    VenueEntry,
)
from .typeinfo import did_you_mean, type_info
from .validate import INVALID, Validator
from .validate import Path as KeyPath
from .yamlnodes import (
    NULL_TAG,
    Node,
    describe_node,
    empty_mapping,
    mapping_items,
    position,
    read_document,
)

__all__ = ["check_config", "issue_at", "load_config"]

#: Venue and strategy names end up in bus topics (``kind/venue/symbol``).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_STRATEGY_ACTION = re.compile(r"strategy:([^.]*)\.([A-Za-z_][A-Za-z0-9_]*)\Z")


def load_config(path: str | Path, schema: Schema, env: Mapping[str, str] | None = None) -> RunConfig:
    """Read, validate and build the run config at ``path``.

    ``env`` supplies ``${NAME}`` values (default: ``os.environ``). Raises
    :class:`~framework.model.errors.ConfigError` carrying every issue in the file,
    sorted by position.
    """
    config, issues = _load(Path(path), schema, os.environ if env is None else env)
    if issues or config is None:
        raise ConfigError(issues)
    return config


def check_config(path: str | Path, schema: Schema,
                 env: Mapping[str, str] | None = None) -> list[ConfigIssue]:
    """Every issue in the config at ``path``, sorted by position; empty when valid."""
    return _load(Path(path), schema, os.environ if env is None else env)[1]


def _load(path: Path, schema: Schema, env: Mapping[str, str]) -> tuple[RunConfig | None, list[ConfigIssue]]:
    file = str(path)
    root, problem = read_document(path)
    if root is None:
        assert problem is not None
        line, col, message, hint = problem
        return None, [ConfigIssue(file, line, col, "", message, hint)]
    v = Validator(file, env)
    built = None
    if isinstance(root, yaml.MappingNode):
        built = _build(v, root, schema, path)
    else:
        v.issue(root, (), "expected a mapping of sections (run, venues, strategies, ...), found "
                + describe_node(root), "start the file with `run:` and its keys indented below it")
    issues = sorted(v.issues, key=lambda i: i.sort_key)
    return (None if issues else built), issues


def _build(v: Validator, root: yaml.MappingNode, schema: Schema, path: Path) -> RunConfig | None:
    known = [*CORE_SECTIONS, *schema.sections]
    nodes: dict[str, Node] = {}
    for key, key_node, value_node in v.items(root, ()):
        if key in known:
            nodes[key] = value_node
        else:
            v.unknown_key(key_node, key, known, ())
    if "run" not in nodes:
        v.issue(root, ("run",), "missing required section 'run'",
                "add a `run:` section with at least `name: <a name for the run>`")
        run_section: Any = INVALID
    else:
        run_section = v.check(nodes["run"], type_info(RunSection), ("run",))
    venues = _entries(v, nodes.get("venues"), root, "venues", VenueEntry, "settings",
                      schema.venues, "venue plugin")
    strategies = _entries(v, nodes.get("strategies"), root, "strategies", StrategyEntry, "params",
                          schema.strategies, "strategy plugin")
    _check_strategy_venues(v, nodes.get("strategies"), nodes.get("venues"))
    journal = v.check(nodes.get("journal") or empty_mapping(root), type_info(JournalSection),
                      ("journal",))
    schedule = _schedule(v, nodes.get("schedule"), _names(nodes.get("strategies")))
    sections = {name: v.check(nodes.get(name) or empty_mapping(root), type_info(cls), (name,))
                for name, cls in schema.sections.items()}
    parts = [run_section, venues, strategies, journal, schedule, *sections.values()]
    if any(p is INVALID for p in parts):
        return None
    return RunConfig(run=run_section, venues=venues, strategies=strategies, journal=journal,
                     schedule=schedule, sections=sections, source=path,
                     secret_paths=frozenset(v.secret_paths),
                     locations={format_path(p): position(n) for p, n in v.nodes.items()})


def issue_at(cfg: RunConfig, path: KeyPath, message: str, hint: str = "") -> ConfigIssue:
    """A :class:`ConfigIssue` for a problem found after loading (by the runner,
    a plugin...), placed at ``path`` in the file, or at its nearest written
    ancestor when ``path`` itself was left to its default."""
    for depth in range(len(path), -1, -1):
        where = cfg.locations.get(format_path(path[:depth]))
        if where is not None:
            break
    line, column = where or (1, 1)
    return ConfigIssue(str(cfg.source), line, column, format_path(path), message, hint)


def _mapping_or_empty(v: Validator, node: Node | None, root: Node, path: KeyPath) -> yaml.MappingNode | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
        return empty_mapping(node or root)
    if isinstance(node, yaml.MappingNode):
        return node
    v.issue(node, path, f"expected a mapping of names to entries, found {describe_node(node)}")
    return None


def _names(node: Node | None) -> list[str]:
    """The entry names written under a section, valid or not (for cross-checks)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]


def _entries(v: Validator, node: Node | None, root: Node, section: str, entry_cls: type,
             payload: str, plugins: Mapping[str, Any], what: str) -> Any:
    """``venues`` or ``strategies``: name -> entry, each payload typed by its plugin."""
    mapping = _mapping_or_empty(v, node, root, (section,))
    if mapping is None:
        return INVALID
    out: dict[str, Any] = {}
    ok = True
    for name, key_node, value_node in v.items(mapping, (section,)):
        path = (section, name)
        if not _NAME.match(name):
            v.issue(key_node, path, f"bad name {name!r}: use letters, digits, '_' and '-'",
                    "names appear in event topics")
            ok = False
        entry = _plugin_entry(v, value_node, entry_cls, payload, plugins, what, path)
        if entry is INVALID:
            ok = False
        else:
            out[name] = entry
    return out if ok else INVALID


def _plugin_entry(v: Validator, node: Node, entry_cls: type, payload: str,
                  plugins: Mapping[str, Any], what: str, path: KeyPath) -> Any:
    payload_type: mi.Type = mi.AnyType()
    known = True
    if isinstance(node, yaml.MappingNode):
        plugin_node = _peek(node, "plugin")
        if isinstance(plugin_node, yaml.ScalarNode) and plugin_node.tag != NULL_TAG:
            name = plugin_node.value
            if name in plugins:
                cls = plugins[name]
                payload_type = type_info(cls) if cls is not None else mi.NoneType()
            else:
                known = False
                choices = sorted(plugins)
                hint = did_you_mean(name, choices) or (
                    f"installed {what}s: {', '.join(choices)}" if choices else f"no {what}s are installed")
                v.issue(plugin_node, path + ("plugin",), f"unknown {what} {name!r}", hint)
    entry = v.check(node, type_info(entry_cls), path, overrides={payload: payload_type})
    return entry if known else INVALID


def _peek(node: yaml.MappingNode, key: str) -> Node | None:
    """The value of ``key`` in ``node`` (merges applied), without reporting anything."""
    return next((vn for k, _, vn in mapping_items(node, lambda *_: None) if k == key), None)


def _check_strategy_venues(v: Validator, strategies: Node | None, venues: Node | None) -> None:
    if not isinstance(strategies, yaml.MappingNode):
        return
    defined = _names(venues)
    for key_node, entry in strategies.value:
        if not isinstance(entry, yaml.MappingNode) or not isinstance(key_node, yaml.ScalarNode):
            continue
        venue = _peek(entry, "venue")
        if not isinstance(venue, yaml.ScalarNode) or venue.tag == NULL_TAG or venue.value in defined:
            continue
        hint = did_you_mean(venue.value, defined) or (
            f"venues defined: {', '.join(defined)}" if defined else "define it under `venues`")
        v.issue(venue, ("strategies", key_node.value, "venue"),
                f"unknown venue {venue.value!r}: no such entry under `venues`", hint)


def _schedule(v: Validator, node: Node | None, strategies: list[str]) -> Any:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
        return []
    if not isinstance(node, yaml.SequenceNode):
        v.issue(node, ("schedule",), f"expected a list of timed actions, found {describe_node(node)}",
                "write one `- name: ...` item per action")
        return INVALID
    out: list[ScheduleEntry] = []
    first_line: dict[str, int] = {}
    ok = True
    for i, item in enumerate(node.value):
        path: KeyPath = ("schedule", i)
        entry = v.check(item, type_info(ScheduleEntry), path)
        if entry is INVALID:
            ok = False
            continue
        before = len(v.issues)
        _check_schedule_entry(v, entry, item, path, strategies)
        if entry.name in first_line:
            v.issue(v.nodes.get(path + ("name",), item), path + ("name",),
                    f"duplicate schedule name {entry.name!r} (first used at line {first_line[entry.name]})")
        else:
            first_line[entry.name] = position(item)[0]
        ok = ok and len(v.issues) == before
        out.append(entry)
    return out if ok else INVALID


def _check_schedule_entry(v: Validator, e: ScheduleEntry, node: Node, path: KeyPath,
                          strategies: list[str]) -> None:
    def at(key: str) -> Node:
        return v.nodes.get(path + (key,), node)

    if (e.every is None) == (e.cron is None):
        which = "neither" if e.every is None else "both"
        v.issue(at("cron") if e.cron else node, path,
                f"set exactly one of `every` or `cron`, found {which}",
                "`every: 5m` repeats at a fixed interval; `cron: '0 9 * * mon-fri'` at wall-clock times")
    zone = _zone(v, e.timezone, at("timezone"), path + ("timezone",))
    if e.cron is not None:
        try:
            CronTrigger.from_crontab(e.cron, timezone=zone or zoneinfo.ZoneInfo("UTC"))
        except ValueError as exc:
            v.issue(at("cron"), path + ("cron",), f"invalid cron expression {e.cron!r}: {exc}",
                    "five fields: minute hour day-of-month month day-of-week, e.g. '0 9 * * mon-fri'")
    _check_action(v, e.action, at("action"), path + ("action",), strategies)
    if e.target is not None and e.target not in strategies:
        v.issue(at("target"), path + ("target",), f"unknown strategy {e.target!r}",
                did_you_mean(e.target, strategies) or _defined(strategies))


def _zone(v: Validator, name: str, node: Node, path: KeyPath) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        v.issue(node, path, f"unknown time zone {name!r}",
                did_you_mean(name, sorted(zoneinfo.available_timezones()))
                or "use an IANA name like UTC, Europe/London, America/New_York")
        return None


def _check_action(v: Validator, action: str, node: Node, path: KeyPath, strategies: list[str]) -> None:
    if action in BUILTIN_ACTIONS:
        return
    m = _STRATEGY_ACTION.match(action)
    if m is None:
        choices = [*BUILTIN_ACTIONS, "strategy:<name>.<method>"]
        v.issue(node, path, f"unknown action {action!r}",
                did_you_mean(action, BUILTIN_ACTIONS) or "one of " + ", ".join(choices))
    elif m.group(1) not in strategies:
        v.issue(node, path, f"action {action!r} names unknown strategy {m.group(1)!r}",
                did_you_mean(m.group(1), strategies) or _defined(strategies))


def _defined(strategies: list[str]) -> str:
    return f"strategies defined: {', '.join(strategies)}" if strategies else "no strategies are defined"
