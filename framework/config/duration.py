"""Durations in config files: ``60``, ``60s``, ``500ms``, ``5m``, ``1h30m``.

A bare number is seconds. Values become integer nanoseconds, the unit of
:mod:`framework.runtime.clock`. Fields declare themselves durations with the
:data:`Duration` annotation (an ``int`` carrying a marker the loader, the JSON
Schema export and ``config show`` recognise); ``msgspec.Meta`` bounds on a
duration field are in nanoseconds, e.g. ``Annotated[Duration, Meta(ge=SECOND)]``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import msgspec

__all__ = [
    "DAY",
    "DURATION_MARK",
    "HOUR",
    "MICROSECOND",
    "MILLISECOND",
    "MINUTE",
    "NANOSECOND",
    "SECOND",
    "Duration",
    "format_duration",
    "is_duration",
    "parse_duration",
]

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_UNITS = {"d": DAY, "h": HOUR, "m": MINUTE, "s": SECOND, "ms": MILLISECOND,
          "us": MICROSECOND, "µs": MICROSECOND, "ns": NANOSECOND}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|d|h|m|s)")
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?|(\d+(\.\d+)?(ms|us|µs|ns|d|h|m|s))+)\s*$"

DURATION_MARK = "duration"
#: An ``int`` of nanoseconds written in the config as ``60``, ``500ms``, ``5m``...
Duration = Annotated[
    int,
    msgspec.Meta(
        extra={"backplane": DURATION_MARK},
        extra_json_schema={"x-backplane": DURATION_MARK},
    ),
]


def is_duration(meta_extra: dict[str, Any] | None) -> bool:
    """Whether a ``msgspec.inspect.Metadata.extra`` marks a :data:`Duration`."""
    return bool(meta_extra) and meta_extra.get("backplane") == DURATION_MARK  # type: ignore[union-attr]


def parse_duration(value: int | str | Decimal) -> int:
    """Nanoseconds for ``value``; raises ``ValueError`` saying what is accepted.

    Decimals are exact (``1.5s`` is 1_500_000_000 ns, never via a float);
    a result that is not a whole number of nanoseconds is an error.
    """
    if isinstance(value, bool):
        raise TypeError("a duration is a number of seconds or a string, not a bool")
    if isinstance(value, int):
        total = Decimal(value) * SECOND
    elif isinstance(value, Decimal):
        total = value * SECOND
    else:
        total = _parse_text(value.strip())
    if total < 0:
        raise ValueError("a duration cannot be negative")
    if total != total.to_integral_value():
        raise ValueError("a duration must be a whole number of nanoseconds")
    return int(total)


def _parse_text(text: str) -> Decimal:
    if text.startswith("-"):
        raise ValueError("a duration cannot be negative")
    if _NUMBER.fullmatch(text):
        return Decimal(text) * SECOND
    pos, total = 0, Decimal(0)
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += Decimal(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(
            "a duration is a number of seconds or a string like 500ms, 30s, 5m, 1h30m "
            "(units: d, h, m, s, ms, us, ns)"
        )
    return total


def format_duration(ns: int) -> str:
    """The shortest exact spelling: ``90 * SECOND`` -> ``"1m30s"``, ``0`` -> ``"0s"``."""
    if ns == 0:
        return "0s"
    parts = []
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND),
                       ("ms", MILLISECOND), ("us", MICROSECOND), ("ns", NANOSECOND)):
        count, ns = divmod(ns, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
