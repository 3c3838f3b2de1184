"""Which build a benchmark measured: the optional mypyc modules (see ``setup.py``)."""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES

# The modules `make native` compiles (setup.py's NATIVE_MODULES, as module names).
NATIVE_MODULES = (
    "framework.bookstats",
    "framework.l2book",
    "framework.l3book",
    "framework.risk.window",
    "plugins.dydx.codec",
    "plugins.dydx.fills",
    "plugins.dydx.ids",
    "plugins.dydx.notices",
    "plugins.dydx.orderread",
    "plugins.dydx.stats",
    "plugins.dydx.wire",
    "plugins.polymarket.codec",
)


def compiled_modules() -> int:
    """How many of :data:`NATIVE_MODULES` are loaded from compiled extensions
    (0: the pure-Python build; all of them: ``make native``)."""
    suffixes = tuple(EXTENSION_SUFFIXES)
    return sum(
        1
        for name in NATIVE_MODULES
        if (getattr(importlib.import_module(name), "__file__", None) or "").endswith(suffixes)
    )
