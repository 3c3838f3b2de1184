"""``config schema``: JSON Schema (draft 2020-12) of the whole file.

Built from the same Structs the loader checks against (via
``msgspec.json.schema_components``), plus what msgspec cannot know: plugin
``settings``/``params`` chosen by the entry's ``plugin`` (one ``if``/``then``
per plugin), durations written as ``5m``, decimals written as numbers, and
"no unknown keys" everywhere, as the loader enforces.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath
from typing import Any

import msgspec

from .duration import DURATION_MARK, DURATION_PATTERN, SECOND, format_duration
from .secret import Secret
from .sections import (
    JournalSection,
    RunSection,
    ScheduleEntry,
    Schema,
    StrategyEntry,
    VenueEntry,
)

__all__ = ["json_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
_DECIMAL_PATTERN = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


def json_schema(schema: Schema) -> dict[str, Any]:
    """JSON Schema of a run config file, including every plugin's sections."""
    plugin_structs = [c for c in [*schema.venues.values(), *schema.strategies.values(),
                                  *schema.sections.values()] if c is not None]
    structs = list(dict.fromkeys([RunSection, JournalSection, ScheduleEntry, VenueEntry,
                                  StrategyEntry, *plugin_structs]))
    refs, defs = msgspec.json.schema_components(structs, schema_hook=_hook,
                                                ref_template="#/$defs/{name}")
    ref = dict(zip(structs, refs, strict=True))
    defs.pop("Struct", None)  # the `msgspec.Struct | None` placeholder for payloads
    _patch(defs)
    _plugin_choice(defs, ref[VenueEntry], "settings", schema.venues, ref)
    _plugin_choice(defs, ref[StrategyEntry], "params", schema.strategies, ref)
    properties: dict[str, Any] = {
        "run": ref[RunSection],
        "venues": _named(ref[VenueEntry], "venue connections by name"),
        "strategies": _named(ref[StrategyEntry], "strategy instances by name"),
        "journal": ref[JournalSection],
        "schedule": {"type": "array", "items": ref[ScheduleEntry], "description": "timed actions"},
    }
    properties.update({name: ref[cls] for name, cls in schema.sections.items()})
    return {
        "$schema": _DIALECT,
        "title": "backplane run configuration",
        "type": "object",
        "properties": properties,
        "required": ["run"],
        "additionalProperties": False,
        "$defs": defs,
    }


def _hook(tp: type) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, (Secret, PurePath)):
        return {"type": "string"}
    raise NotImplementedError


def _named(entry_ref: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "object", "description": description,
            "propertyNames": {"pattern": _NAME_PATTERN}, "additionalProperties": entry_ref}


def _plugin_choice(defs: dict[str, Any], entry_ref: dict[str, Any], payload: str,
                   plugins: Any, ref: dict[Any, dict[str, Any]]) -> None:
    entry = defs[entry_ref["$ref"].rsplit("/", 1)[1]]
    props = entry["properties"]
    props["plugin"] = {**props["plugin"], "enum": sorted(plugins)}
    props[payload] = {"description": props[payload].get("description", "")}
    branches = [
        {"if": {"properties": {"plugin": {"const": name}}, "required": ["plugin"]},
         "then": {"properties": {payload: ref[cls] if cls is not None else {"type": "null"}}}}
        for name, cls in sorted(plugins.items())
    ]
    if branches:  # JSON Schema wants a non-empty allOf
        entry["allOf"] = branches


def _patch(node: Any) -> None:
    """Durations, decimals, lenient strings and closed objects, everywhere in the tree."""
    if isinstance(node, list):
        for item in node:
            _patch(item)
        return
    if not isinstance(node, dict):
        return
    if node.pop("x-backplane", None) == DURATION_MARK:
        _duration(node)
    if node.get("type") == "string" and node.get("format") == "decimal":
        del node["type"], node["format"]
        node["anyOf"] = [{"type": "number"}, {"type": "string", "pattern": _DECIMAL_PATTERN}]
        if isinstance(node.get("default"), Decimal):
            node["default"] = str(node["default"])
        return
    if node.get("type") == "string" and not {"format", "contentEncoding"} & node.keys():
        # The loader takes an unquoted scalar for a string field as written
        # (`symbols: [12345]`), so editors must not flag it either.
        node["type"] = ["string", "number", "boolean"]
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    for value in node.values():
        _patch(value)


def _duration(node: dict[str, Any]) -> None:
    # A bare number means seconds, so nanosecond bounds become seconds.
    node["type"] = ["integer", "number", "string"]
    node["pattern"] = DURATION_PATTERN
    for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        if key in node:
            ns = node[key]
            node[key] = ns // SECOND if ns % SECOND == 0 else ns / SECOND
    if isinstance(node.get("default"), int):
        node["default"] = format_duration(node["default"])
