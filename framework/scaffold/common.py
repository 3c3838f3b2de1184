"""Templates every scaffolded package shares: pyproject, README, test settings."""

from __future__ import annotations

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "$summary"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["backplane"]

[project.optional-dependencies]
test = ["pytest>=8"]

# What makes this package a backplane plugin: once it is installed,
# `backplane plugins` lists what $module registers.
[project.entry-points.backplane]
$module = "$module"

[tool.setuptools.packages.find]
include = ["$module*"]

[tool.ruff]
line-length = 120

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP"]
isort.known-first-party = ["$module"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra --strict-markers"
filterwarnings = [
    "error",
    # The backplane kit runs its async cases itself; pytest-asyncio, if installed, need not be configured.
    "ignore:The configuration option \\"asyncio_default_fixture_loop_scope\\" is unset",
]
'''

README = '''\
# $dist

$summary

A backplane $kind plugin. Install it next to backplane and it is discovered
through its `backplane` entry point:

```console
$$ pip install -e .
$$ backplane plugins          # lists $module
$$ python -m pytest           # runs the backplane conformance kit on it
```

$usage

See the backplane plugin guide (`docs/plugins.md` in backplane) for the hook
reference, the event and order model and the conformance kit.
'''
