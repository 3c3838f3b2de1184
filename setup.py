"""Optional compiled build of the hot paths (metadata lives in pyproject.toml).

By default this builds nothing beyond the pure-Python package. With
``BACKPLANE_MYPYC=1`` the modules below are compiled with mypyc into C
extensions that Python imports instead of the ``.py`` files beside them::

    BACKPLANE_MYPYC=1 python setup.py build_ext --inplace   # what `make native` runs
    make pure                                               # back to pure Python

The ``.py`` sources stay the reference: the compiled build must pass the same
tests, and every benchmark reports how many of these modules it measured
compiled (``compiled_modules``).
"""

from __future__ import annotations

import os

from setuptools import setup

# The order-book, dYdX stream and Polymarket market-data hot paths, and the
# limiter's fast path.
NATIVE_MODULES = [
    "framework/bookstats.py",
    "framework/l2book.py",
    "framework/l3book.py",
    "framework/risk/window.py",
    "plugins/dydx/codec.py",
    "plugins/dydx/fills.py",
    "plugins/dydx/ids.py",
    "plugins/dydx/notices.py",
    "plugins/dydx/orderread.py",
    "plugins/dydx/stats.py",
    "plugins/dydx/wire.py",
    "plugins/polymarket/codec.py",
]


def _ext_modules() -> list:
    if os.environ.get("BACKPLANE_MYPYC") != "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        raise SystemExit(
            "BACKPLANE_MYPYC=1 needs mypy (which provides mypyc): "
            "`pip install mypy`, or run `make native`"
        ) from exc
    # Only the listed modules are compiled; what they import is type-checked
    # from its source (or taken as Any when it has no types) and stays Python.
    return mypycify(
        ["--follow-imports=silent", "--ignore-missing-imports", *NATIVE_MODULES],
        opt_level="3",
        # The shared runtime library becomes framework/native__mypyc*.so: inside
        # a package, so that an editable install finds it from any directory
        # (the default name is a top-level module only the repo root can import).
        group_name="framework.native",
    )


setup(ext_modules=_ext_modules())
