"""The conformance kit: prove a backplane plugin works, offline.

- :class:`VenueContract` / :class:`VenueHarness` -- the venue-adapter contract
  suite (:mod:`framework.kit.venue`), with :class:`KitSender` (the framework's
  sender over a counting :class:`KitGate`) as the risk layer.
- :mod:`framework.kit.strategy` -- scripted books and order assertions for
  strategies, plus the :class:`StrategyContract` every strategy should pass.
- :mod:`framework.kit.riskcheck` -- the same for pre-trade risk checks.

The ``backplane`` pytest plugin (``pytest11`` entry point) provides the
fixtures and prints the capability matrix; nothing needs a conftest.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CASES",
    "Case",
    "KitGate",
    "KitSender",
    "RiskCheckCase",
    "RiskCheckContract",
    "RiskCheckHarness",
    "StrategyCase",
    "StrategyContract",
    "VenueContract",
    "VenueCounts",
    "VenueHarness",
    "run_case",
]

# Exports load on first use: the pytest plugin imports this package before it
# registers the kit's modules for assertion rewriting, so they must not be
# imported yet at that point.
_WHERE = {
    "KitGate": "framework.kit.sender",
    "KitSender": "framework.kit.sender",
    "RiskCheckCase": "framework.kit.riskcheck",
    "RiskCheckContract": "framework.kit.riskcheck",
    "RiskCheckHarness": "framework.kit.riskcheck",
    "StrategyCase": "framework.kit.strategy",
    "StrategyContract": "framework.kit.strategy",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'framework.kit' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE.get(name, "framework.kit.venue")), name)
