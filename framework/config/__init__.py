"""Run configuration: a YAML file -> a typed, validated :class:`RunConfig`.

::

    cfg = load_config("demo.yaml", schema)      # raises ConfigError with every issue
    issues = check_config("demo.yaml", schema)  # [] when valid
    print(format_issues(issues))                # file:line:col: key.path: message (hint: ...)
    print(show_config(cfg))                     # resolved YAML, secrets as '***'
    json_schema(schema)                         # JSON Schema for editors

The file's sections: ``run``, ``venues`` (name -> plugin + settings),
``strategies`` (name -> plugin, venue, symbols, params), ``journal``,
``schedule``, and any section a plugin contributes (``risk``). Plugins
describe their settings as ``msgspec.Struct`` classes, handed over in a
:class:`Schema`; fields may carry ``Annotated[..., msgspec.Meta(description=...,
ge=...)]``, which the loader enforces and the JSON Schema shows. Use
:data:`Duration` for time spans and :class:`Secret` for credentials.

Secrets: ``${NAME}`` is read from the environment. Interpolated values are
:class:`Secret` (a ``str`` whose repr/str/format are ``Secret('***')``) in
string fields, and their key paths are redacted by ``show_config`` and never
quoted in errors, whatever the field's type. Plugins should type credential
fields ``Secret`` and call ``.reveal()`` where the value is used.
"""

from __future__ import annotations

from .duration import (
    DAY,
    HOUR,
    MILLISECOND,
    MINUTE,
    SECOND,
    Duration,
    format_duration,
    parse_duration,
)
from .issues import ConfigIssue, format_issues
from .loader import check_config, issue_at, load_config
from .render import redacted_dict, show_config
from .schema_export import json_schema
from .secret import Secret
from .sections import (
    ROUTED_MODES,
    UNAVAILABLE_MODES,
    FaultStep,
    JournalSection,
    RunConfig,
    RunSection,
    ScheduleEntry,
    Schema,
    SimulatePlan,
    StrategyEntry,
    VenueEntry,
)

__all__ = [
    "DAY",
    "HOUR",
    "MILLISECOND",
    "MINUTE",
    "ROUTED_MODES",
    "SECOND",
    "UNAVAILABLE_MODES",
    "ConfigIssue",
    "Duration",
    "FaultStep",
    "JournalSection",
    "RunConfig",
    "RunSection",
    "ScheduleEntry",
    "Schema",
    "Secret",
    "SimulatePlan",
    "StrategyEntry",
    "VenueEntry",
    "check_config",
    "format_duration",
    "format_issues",
    "issue_at",
    "json_schema",
    "load_config",
    "parse_duration",
    "redacted_dict",
    "show_config",
]
