"""``backplane new venue|strategy|risk-check NAME [--dir PATH]``: start a plugin package.

The package it writes installs with ``pip install -e``, registers through the
``backplane`` entry point (so ``backplane plugins`` lists it at once), and
ships tests that already run the conformance kit on it. Templates are Python
strings (``framework/scaffold/<kind>.py``) filled with :class:`string.Template`.
"""

from __future__ import annotations

import argparse
import re
import string
import sys
from pathlib import Path
from types import ModuleType

from framework.scaffold import common, riskcheck, strategy, venue

__all__ = ["KINDS", "MAX_NAME", "Names", "configure", "new_package", "run"]

KINDS: dict[str, ModuleType] = {"venue": venue, "strategy": strategy, "risk-check": riskcheck}

# Longer names would push generated lines past the generated ruff settings' 120 columns.
MAX_NAME = 24
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")


class Names:
    """Every spelling of a plugin name: ``my-venue`` -> module ``my_venue``,
    distribution ``backplane-my-venue``, class prefix ``MyVenue``."""

    def __init__(self, name: str) -> None:
        if not _NAME.match(name) or len(name) > MAX_NAME:
            raise ValueError(f"{name!r} is not a plugin name: use at most {MAX_NAME} lower-case letters, digits, "
                             "'-' or '_', starting with a letter")  # fmt: skip
        self.name = name
        self.module = name.replace("-", "_")
        self.dist = "backplane-" + name.replace("_", "-")
        self.cls = "".join(part.capitalize() for part in self.module.split("_"))

    def values(self, kind: str, summary: str) -> dict[str, str]:
        return {"name": self.name, "module": self.module, "dist": self.dist, "Class": self.cls,
                "kind": kind, "summary": summary}  # fmt: skip


def _fill(template: str, values: dict[str, str]) -> str:
    return string.Template(template).substitute(values)


def new_package(kind: str, name: str, parent: Path) -> Path:
    """Write a ``kind`` plugin package named after ``name`` under ``parent``; returns its directory.

    Raises ``ValueError`` for an unknown kind or a bad name and
    ``FileExistsError`` if the directory exists: nothing is overwritten.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}: choose {', '.join(KINDS)}")
    names = Names(name)
    templates = KINDS[kind]
    values = names.values(kind, "")
    values["summary"] = _fill(templates.SUMMARY, values)
    values["usage"] = _fill(templates.USAGE, values)
    root = parent / names.dist
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    files = {"pyproject.toml": common.PYPROJECT, "README.md": common.README, **templates.FILES}
    for rel, template in files.items():
        path = root / _fill(rel, values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill(template, values))
    return root


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=sorted(KINDS), help="what the plugin provides")
    parser.add_argument("name", help="plugin name, e.g. my-venue (module my_venue, package backplane-my-venue)")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where to create the package (default: here)")


def run(args: argparse.Namespace) -> int:
    try:
        root = new_package(args.kind, args.name, args.dir)
    except (ValueError, FileExistsError) as exc:
        print(f"backplane new: {exc}", file=sys.stderr)
        return 1
    print(f"created {root}")
    print(f"next: pip install -e {root} && backplane plugins && (cd {root} && python -m pytest)")
    return 0
