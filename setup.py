"""Compiled build of the hot paths (metadata lives in pyproject.toml).

With ``BACKPLANE_MYPYC=1`` the modules named in ``framework/tools/native.py``
(``NATIVE_MODULES``) are compiled with mypyc into C extensions that Python
imports instead of the ``.py`` files beside them; without it this builds the
pure-Python package only::

    BACKPLANE_MYPYC=1 python setup.py build_ext --inplace   # what tools/build-native.sh runs
    make pure                                               # back to pure Python

``make install`` (and so ``make demo`` and ``make test``) runs that build
whenever the machine has a C compiler and Python's headers. The ``.py``
sources stay the reference: both builds pass the same tests, and every
benchmark reports how many of these modules it measured compiled
(``compiled_modules``).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from setuptools import setup


def _native_sources() -> list[str]:
    """framework/tools/native.py's NATIVE_MODULES as file paths, read without
    importing the package (a PEP 517 build may not be able to)."""
    tree = ast.parse(Path(__file__).with_name("framework").joinpath("tools", "native.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "NATIVE_MODULES" for t in node.targets):
            return [name.replace(".", "/") + ".py" for name in ast.literal_eval(node.value)]
    raise SystemExit("framework/tools/native.py has no NATIVE_MODULES")


def _ext_modules() -> list:
    if os.environ.get("BACKPLANE_MYPYC") != "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        raise SystemExit(
            "BACKPLANE_MYPYC=1 needs mypy (which provides mypyc): "
            "`pip install -e '.[native]'`, or run `make install`"
        ) from exc
    # Only the listed modules are compiled; what they import is type-checked
    # from its source (or taken as Any when it has no types) and stays Python.
    return mypycify(
        ["--follow-imports=silent", "--ignore-missing-imports", *_native_sources()],
        opt_level="3",
        # The shared runtime library becomes framework/native__mypyc*.so: inside
        # a package, so that an editable install finds it from any directory
        # (the default name is a top-level module only the repo root can import).
        group_name="framework.tools.native",
    )


setup(ext_modules=_ext_modules())
