"""``config show``: the resolved config as YAML, with every secret redacted."""

from __future__ import annotations

import enum
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import msgspec
import msgspec.inspect as mi
import yaml

from .duration import format_duration, is_duration
from .issues import format_path
from .scalars import Path
from .secret import Secret
from .typeinfo import type_info

__all__ = ["REDACTED", "redacted_dict", "show_config"]

REDACTED = "***"


def redacted_dict(cfg: Any) -> dict[str, Any]:
    """The config as plain data (what ``config show`` prints), secrets as ``'***'``.

    ``cfg`` is a :class:`~framework.config.sections.RunConfig` (not imported:
    its ``repr`` is rendered by this function, and modules import one way).

    Durations are written back as ``5m``-style strings, enums by name. Safe
    to log or journal.
    """
    secrets = cfg.secret_paths
    out: dict[str, Any] = {
        "run": _plain(cfg.run, None, ("run",), secrets),
        "venues": _plain(cfg.venues, None, ("venues",), secrets),
        "strategies": _plain(cfg.strategies, None, ("strategies",), secrets),
        "journal": _plain(cfg.journal, None, ("journal",), secrets),
        "schedule": _plain(cfg.schedule, None, ("schedule",), secrets),
    }
    for name, section in cfg.sections.items():
        out[name] = _plain(section, None, (name,), secrets)
    return out


def show_config(cfg: Any) -> str:
    """The resolved config as YAML (defaults filled in, secrets as ``'***'``)."""
    body = yaml.dump(redacted_dict(cfg), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True)
    return f"# {cfg.source.name}, resolved; secrets shown as '{REDACTED}'\n{body}"


def _is_duration(t: mi.Type | None) -> bool:
    if isinstance(t, mi.Metadata):
        return is_duration(t.extra) or _is_duration(t.type)
    if isinstance(t, mi.UnionType):
        return any(_is_duration(m) for m in t.types)
    return False


def _plain(value: Any, t: mi.Type | None, path: Path, secrets: frozenset[str]) -> Any:
    if isinstance(value, Secret) or (path and format_path(path) in secrets):
        return REDACTED
    if isinstance(value, msgspec.Struct):
        info = type_info(type(value))
        assert isinstance(info, mi.StructType)
        return {f.encode_name: _plain(getattr(value, f.name), f.type, path + (f.encode_name,), secrets)
                for f in info.fields}
    if isinstance(value, dict):
        inner = _unwrap(t)
        vt = inner.value_type if isinstance(inner, mi.DictType) else None
        return {k: _plain(v, vt, path + (str(k),), secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        inner = _unwrap(t)
        it = getattr(inner, "item_type", None)
        return [_plain(v, it, path + (i,), secrets) for i, v in enumerate(value)]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and _is_duration(t):
        return format_duration(value)
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, PurePath):
        return str(value)
    return value


def _unwrap(t: mi.Type | None) -> mi.Type | None:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        return _unwrap(members[0]) if len(members) == 1 else None
    return t


class _Dumper(yaml.SafeDumper):
    """Safe YAML plus exact decimals (written as the digits, never via float)."""


_Dumper.add_representer(
    Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))
