"""Cost of building and reading an event record, by implementation.

Why ``framework.model.events`` uses ``msgspec.Struct``: the same six-field trade
record built and read as a frozen slotted dataclass, a slotted dataclass, a
NamedTuple and a frozen ``msgspec.Struct`` (what the framework uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bench._timing import best_of
from framework.model.events import Trade


@dataclass(slots=True, frozen=True)
class _FrozenDC:
    venue: str
    symbol: str
    ts_event: int
    ts_recv: int
    price: int
    size: int


@dataclass(slots=True)
class _DC:
    venue: str
    symbol: str
    ts_event: int
    ts_recv: int
    price: int
    size: int


class _NT(NamedTuple):
    venue: str
    symbol: str
    ts_event: int
    ts_recv: int
    price: int
    size: int


def run(quick: bool = False) -> dict[str, float]:
    n = 20_000 if quick else 300_000
    figures: dict[str, float] = {}
    for label, cls in (
        ("msgspec", Trade),
        ("dataclass_frozen", _FrozenDC),
        ("dataclass", _DC),
        ("namedtuple", _NT),
    ):

        def build(cls=cls) -> None:
            for i in range(n):
                cls("v", "s", i, i, 5, 7)

        obj = cls("v", "s", 1, 2, 5, 7)

        def read(obj=obj) -> None:
            for _ in range(n):
                obj.price
                obj.size

        figures[f"{label}_construct_ns"] = best_of(build) / n * 1e9
        figures[f"{label}_attr_read_ns"] = best_of(read) / n / 2 * 1e9
    figures["dataclass_over_msgspec_construct_ratio"] = (
        figures["dataclass_construct_ns"] / figures["msgspec_construct_ns"]
    )
    return figures
