"""The compiled build of the hot paths: one list of modules, and stale builds caught."""

from __future__ import annotations

import os
import re
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from framework.tools.native import (
    NATIVE_MODULES,
    compiled_modules,
    stale_modules,
    warn_if_stale,
)

ROOT = Path(__file__).resolve().parent.parent


def _makefile_sources() -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(r"^NATIVE_SOURCES\s*:=(.*)$", text, re.M)
    assert match, "the Makefile has no NATIVE_SOURCES"
    return match.group(1).split()


def test_the_makefile_rebuilds_on_the_modules_the_build_compiles() -> None:
    sources = [name.replace(".", "/") + ".py" for name in NATIVE_MODULES]
    assert sorted(_makefile_sources()) == sorted(sources)
    for path in sources:
        assert (ROOT / path).is_file()


def test_compiled_modules_counts_a_whole_build() -> None:
    # 0 for pure Python, all of them for the compiled build: a mix is a broken tree.
    assert compiled_modules() in (0, len(NATIVE_MODULES))


def _tree(tmp_path: Path, source_newer: bool) -> Path:
    """A source checkout holding framework/books/l2book.py and a 'compiled' l2book."""
    (tmp_path / "setup.py").write_text("")
    pkg = tmp_path / "framework" / "books"
    pkg.mkdir(parents=True)
    source = pkg / "l2book.py"
    built = pkg / ("l2book" + EXTENSION_SUFFIXES[0])
    source.write_text("")
    built.write_bytes(b"")
    older, newer = 1_000_000_000, 1_000_000_100
    os.utime(source, (newer, newer) if source_newer else (older, older))
    os.utime(built, (older, older) if source_newer else (newer, newer))
    return tmp_path


def test_a_module_built_before_its_source_changed_is_stale(tmp_path: Path) -> None:
    assert stale_modules(_tree(tmp_path, source_newer=True)) == ["framework.books.l2book"]


def test_a_module_built_after_its_source_is_current(tmp_path: Path) -> None:
    assert stale_modules(_tree(tmp_path, source_newer=False)) == []


def test_a_stale_source_checkout_warns_with_the_fix(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match=r"framework\.books\.l2book.*make install.*make pure"):
        warn_if_stale(_tree(tmp_path, source_newer=True))


def test_an_installed_package_is_not_judged_by_file_times(tmp_path: Path) -> None:
    root = _tree(tmp_path, source_newer=True)
    (root / "setup.py").unlink()  # not a source checkout
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_stale(root)


def test_this_checkout_is_not_stale() -> None:
    # make rebuilds when a listed source changes; a hand edit without make is caught here.
    assert stale_modules() == []
