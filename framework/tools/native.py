"""The compiled build of the hot paths: which modules, and whether they are current.

``make`` compiles the modules named in :data:`NATIVE_MODULES` with mypyc (see
``setup.py`` and ``tools/build-native.sh``) into C extensions that sit beside
their ``.py`` files and win the import. The ``.py`` sources stay the
reference: the test suite passes against both builds, and a machine with no C
compiler runs them as they are.

A compiled module built from an older source is *stale*: Python would import
it and silently ignore the edit. In a source checkout, importing ``framework``
warns (:func:`warn_if_stale`) with the fix; ``make`` rebuilds on its own when a
listed source changed.
"""

from __future__ import annotations

import importlib
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

__all__ = ["NATIVE_MODULES", "compiled_modules", "stale_modules", "warn_if_stale"]

# The order-book, dYdX stream and Polymarket market-data hot paths, and the
# limiter's fast path. setup.py reads this tuple (without importing the
# package); the Makefile lists the same files (tests/test_native_build.py).
NATIVE_MODULES = (
    "framework.books.bookstats",
    "framework.books.l2book",
    "framework.books.l3book",
    "framework.risk.window",
    "framework.books.wire",
    "plugins.dydx.codec.decoder",
    "plugins.dydx.codec.fills",
    "plugins.dydx.codec.notices",
    "plugins.dydx.codec.ops",
    "plugins.dydx.codec.orderread",
    "plugins.dydx.codec.snapshot",
    "plugins.dydx.codec.state",
    "plugins.dydx.codec.stats",
    "plugins.dydx.ids",
    "plugins.polymarket.codec.marketdata",
    "plugins.polymarket.codec.mdwire",
    "plugins.polymarket.codec.orders",
)

_ROOT = Path(__file__).resolve().parents[2]


def compiled_modules() -> int:
    """How many of :data:`NATIVE_MODULES` are loaded from compiled extensions
    (0: pure Python; all of them: the compiled build). Imports them."""
    suffixes = tuple(EXTENSION_SUFFIXES)
    return sum(
        1
        for name in NATIVE_MODULES
        if (getattr(importlib.import_module(name), "__file__", None) or "").endswith(suffixes)
    )


def stale_modules(root: Path = _ROOT) -> list[str]:
    """The listed modules under ``root`` whose compiled extension is older than
    their source (by modification time, as ``make`` judges). Imports nothing."""
    stale = []
    for name in NATIVE_MODULES:
        base = root / name.replace(".", "/")
        source = base.with_suffix(".py")
        for suffix in EXTENSION_SUFFIXES:
            built = base.parent / (base.name + suffix)
            if built.exists() and source.exists() and source.stat().st_mtime > built.stat().st_mtime:
                stale.append(name)
                break
    return stale


def warn_if_stale(root: Path = _ROOT) -> None:
    """Warn (``RuntimeWarning``) when a source checkout holds stale compiled modules.

    Only a source checkout (``setup.py`` beside the packages) is checked: an
    installed wheel's file times say nothing about its build."""
    if not (root / "setup.py").is_file():
        return
    stale = stale_modules(root)
    if stale:
        warnings.warn(
            f"compiled modules older than their sources: {', '.join(stale)}. Python would run the old "
            "compiled code: run `make install` to rebuild them, or `make pure` to run the sources",
            RuntimeWarning,
            stacklevel=2,
        )
