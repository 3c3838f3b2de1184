"""The optional mypyc build (setup.py) and the benchmarks' report of it agree."""

from __future__ import annotations

import ast
from pathlib import Path

from bench._native import NATIVE_MODULES, compiled_modules

ROOT = Path(__file__).resolve().parent.parent


def _setup_modules() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "NATIVE_MODULES" for t in node.targets
        ):
            return [p.removesuffix(".py").replace("/", ".") for p in ast.literal_eval(node.value)]
    raise AssertionError("setup.py has no NATIVE_MODULES")


def test_setup_and_bench_name_the_same_modules() -> None:
    assert sorted(_setup_modules()) == sorted(NATIVE_MODULES)
    for name in NATIVE_MODULES:
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file()


def test_compiled_modules_counts_a_whole_build() -> None:
    # 0 for pure Python, all of them after `make native`: a mix is a stale tree.
    assert compiled_modules() in (0, len(NATIVE_MODULES))
