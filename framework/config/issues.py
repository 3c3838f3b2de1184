"""One problem found in a run config, and how a list of them is printed."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["ConfigIssue", "format_issues", "format_path"]


class ConfigIssue(msgspec.Struct, frozen=True):
    """A located config problem.

    ``line`` and ``column`` are 1-based; 0 means the problem has no position
    in the file (it could not be read at all). ``path`` is the key path in
    dotted form (``strategies.mm.params.spread``, ``schedule[0].cron``), empty
    for the file as a whole. ``message`` says what was expected and what was
    found; ``hint`` (may be empty) says how to fix it.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file + (f":{self.line}:{self.column}" if self.line else "")
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.path)


def format_path(path: Iterable[str | int]) -> str:
    """``("schedule", 0, "cron")`` -> ``"schedule[0].cron"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def format_issues(issues: Iterable[ConfigIssue]) -> str:
    """Every issue on its own line, sorted by position (``""`` for none)."""
    return "\n".join(str(i) for i in sorted(issues, key=lambda i: i.sort_key))
