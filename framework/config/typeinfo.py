"""Words and checks for ``msgspec`` types: what a field accepts, said plainly.

``describe_type`` turns a ``msgspec.inspect`` type into the phrase used in
messages ("an integer >= 1", "a duration like 500ms, 30s, 5m (<= 1h)"); the
bound and length helpers both check a value against ``msgspec.Meta``
constraints and spell them out, so the message always states the rule that
was applied.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable
from functools import lru_cache
from pathlib import PurePath
from typing import Any

import msgspec.inspect as mi

from .duration import format_duration, is_duration
from .secret import Secret

__all__ = [
    "accepts",
    "bounds",
    "describe_type",
    "description",
    "did_you_mean",
    "enum_names",
    "in_bounds",
    "length_ok",
    "length_rule",
    "type_info",
]


@lru_cache(maxsize=512)
def type_info(tp: Any) -> mi.Type:
    """Cached ``msgspec.inspect.type_info``."""
    return mi.type_info(tp)


def did_you_mean(word: str, choices: Any) -> str:
    """``"did you mean 'spread'?"``, or ``""`` when nothing is close."""
    choices = [str(c) for c in choices]
    close = [c for c in choices if c.lower() == word.lower() and c != word]
    close += [c for c in difflib.get_close_matches(word, choices, n=3, cutoff=0.6) if c not in close]
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close[:3]) + "?"


def bounds(t: Any, fmt: Callable[[Any], str] = str) -> str:
    parts = []
    for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        bound = getattr(t, attr, None)
        if bound is not None:
            parts.append(f"{op} {fmt(bound)}")
    if getattr(t, "multiple_of", None) is not None:
        parts.append(f"a multiple of {fmt(t.multiple_of)}")
    return " and ".join(parts)


def in_bounds(t: Any, v: Any) -> bool:
    ge, gt, le, lt = (getattr(t, a, None) for a in ("ge", "gt", "le", "lt"))
    step = getattr(t, "multiple_of", None)
    return ((ge is None or v >= ge) and (gt is None or v > gt) and (le is None or v <= le)
            and (lt is None or v < lt) and (step is None or v % step == 0))


def length_rule(t: Any, unit: str) -> str:
    lo, hi = getattr(t, "min_length", None), getattr(t, "max_length", None)
    if lo is not None and hi is not None:
        return f"{lo} to {hi} {unit}s"
    if lo is not None:
        return f"at least {lo} {unit}{'s' if lo != 1 else ''}"
    if hi is not None:
        return f"at most {hi} {unit}{'s' if hi != 1 else ''}"
    return ""


def length_ok(t: Any, n: int) -> bool:
    lo, hi = getattr(t, "min_length", None), getattr(t, "max_length", None)
    return (lo is None or n >= lo) and (hi is None or n <= hi)


def describe_type(t: mi.Type) -> str:
    """What a field wants, in words: ``"an integer >= 1"``, ``"a list"``..."""
    if isinstance(t, mi.Metadata):
        if is_duration(t.extra):
            rule = bounds(t.type, format_duration)
            return "a duration like 500ms, 30s, 5m" + (f" ({rule})" if rule else "")
        return describe_type(t.type)
    if isinstance(t, mi.IntType):
        rule = bounds(t)
        return "an integer" + (f" {rule}" if rule else "")
    if isinstance(t, mi.FloatType):
        rule = bounds(t)
        return "a number" + (f" {rule}" if rule else "")
    simple = {mi.BoolType: "true or false", mi.DecimalType: "a decimal number",
              mi.NoneType: "nothing (null)", mi.AnyType: "any value",
              mi.StructType: "a mapping", mi.DictType: "a mapping"}
    if type(t) in simple:
        return simple[type(t)]
    if isinstance(t, mi.StrType):
        rule = length_rule(t, "character")
        return "a string" + (f" of {rule}" if rule else "") + (
            f" matching {t.pattern}" if t.pattern else "")
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(repr(v) for v in t.values)
    if isinstance(t, mi.EnumType):
        return "one of " + ", ".join(repr(n) for n in enum_names(t.cls))
    if isinstance(t, (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType, mi.TupleType)):
        rule = length_rule(t, "item")
        return "a list" + (f" of {rule}" if rule else "")
    if isinstance(t, mi.CustomType):
        return "a string" if issubclass(t.cls, (Secret, PurePath)) else t.cls.__name__
    if isinstance(t, mi.UnionType):
        return " or ".join(describe_type(m) for m in t.types)
    return type(t).__name__


def enum_names(cls: type[enum.Enum]) -> list[str]:
    return [m.name.lower() for m in cls]


def accepts(t: mi.Type, kind: str) -> bool:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.AnyType):
        return True
    if isinstance(t, (mi.StructType, mi.DictType)):
        return kind == "mapping"
    if isinstance(t, (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType, mi.TupleType)):
        return kind == "sequence"
    return kind == "scalar"


def description(t: mi.Type) -> str:
    if isinstance(t, mi.Metadata) and t.extra_json_schema:
        return str(t.extra_json_schema.get("description", ""))
    return ""
