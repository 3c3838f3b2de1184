"""The ``backplane`` pytest plugin, registered through the ``pytest11`` entry point.

Installed with backplane, so any package's tests can use the conformance kit
without a conftest: the fixtures below, the :class:`~framework.kit.VenueContract`
suite, and, at the end of the run, the capability matrix of every venue
harness that ran (``--backplane-matrix PATH`` also writes it as Markdown).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Assertions in the kit's cases get pytest's detailed messages.
pytest.register_assert_rewrite(
    "framework.kit.venue",
    "framework.kit.venue_harness",
    "framework.kit.venue_cases",
    "framework.kit.strategy",
    "framework.kit.riskcheck",
)

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("backplane", "backplane conformance kit")
    group.addoption("--backplane-matrix", metavar="PATH", default=None, help="write the venue capability matrix to PATH (Markdown)")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(MatrixCollector(config.getoption("--backplane-matrix")), "backplane-matrix")


class MatrixCollector:
    """Collects the outcome of every contract case (also from xdist workers) and prints the matrix."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.matrix: dict[str, dict[str, str]] = defaultdict(dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props: dict[str, Any] = dict(report.user_properties)
        if "backplane_case" not in props or (report.when != "call" and report.passed):
            return
        from framework.kit.matrix import outcome_cell

        harness, case_id = props["backplane_case"]
        self.matrix[str(harness)][str(case_id)] = outcome_cell(report.outcome)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.matrix:
            return
        from framework.kit.matrix import render_markdown, render_text

        terminalreporter.section("backplane venue capability matrix")
        terminalreporter.write_line(render_text(self.matrix))
        if self.path:
            Path(self.path).write_text(render_markdown(self.matrix))
            terminalreporter.write_line(f"matrix written to {self.path}")


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture
def strategy_harness() -> Iterator[Callable[..., Any]]:
    """Build :class:`~framework.tools.testing.StrategyHarness` objects: ``strategy_harness(Cls, params, symbols=[...])``."""
    from framework.tools.testing import StrategyHarness

    made: list[StrategyHarness] = []

    def make(strategy_cls: type, params: Any, **kwargs: Any) -> StrategyHarness:
        harness = StrategyHarness(strategy_cls, params, **kwargs)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.ctx.cancel_timers()


@pytest.fixture
def risk_check_harness() -> Callable[..., Any]:
    """Build :class:`~framework.kit.riskcheck.RiskCheckHarness` objects around a check."""
    from framework.kit.riskcheck import RiskCheckHarness

    return RiskCheckHarness


@pytest.fixture
def kit_sender() -> Any:
    """A fresh :class:`~framework.kit.sender.KitSender` (the framework's sender over a
    counting gate; its ``gate``'s stream cap and budget are settable)."""
    from framework.kit.sender import KitSender

    return KitSender()
