"""The capability matrix: which contract cases each adapter passes.

Cells are ``pass``, ``FAIL`` or ``unsupported``; rows are the cases of
:data:`framework.kit.venue.CASES` with their statements, columns the
harnesses (venue names) that ran. :func:`render_text` is what the pytest
plugin prints, :func:`render_markdown` what goes into ``docs/plugins.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Matrix", "outcome_cell", "render_markdown", "render_text"]

# harness name -> case id -> cell
Matrix = Mapping[str, Mapping[str, str]]


def outcome_cell(outcome: str) -> str:
    """The cell for a pytest outcome: passed / failed / skipped (= unsupported)."""
    return {"passed": "pass", "failed": "FAIL", "skipped": "unsupported"}.get(outcome, outcome)


def _rows(matrix: Matrix) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    from framework.kit.venue import CASES

    names = sorted(matrix)
    rows = [(c.id, c.statement, [matrix[n].get(c.id, "-") for n in names]) for c in CASES]
    return names, [r for r in rows if any(cell != "-" for cell in r[2])]


def render_text(matrix: Matrix) -> str:
    """A fixed-width table for the terminal."""
    names, rows = _rows(matrix)
    width = max([len("case")] + [len(r[0]) for r in rows])
    cols = [max(len(n), len("unsupported")) for n in names]
    lines = ["  ".join(["case".ljust(width), *(n.ljust(w) for n, w in zip(names, cols, strict=True))]).rstrip()]
    for case_id, _, cells in rows:
        lines.append("  ".join([case_id.ljust(width), *(c.ljust(w) for c, w in zip(cells, cols, strict=True))]).rstrip())
    return "\n".join(lines)


def render_markdown(matrix: Matrix) -> str:
    """A Markdown table with each case's statement."""
    names, rows = _rows(matrix)
    lines = ["| case | statement | " + " | ".join(names) + " |", "| --- | --- |" + " --- |" * len(names)]
    for case_id, statement, cells in rows:
        lines.append(f"| `{case_id}` | {statement} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
