"""Fixtures: a real simulator on 127.0.0.1 (helpers live in ``pm_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from framework.runtime.clock import LiveClock
from plugins.polymarket.sim import SimSettings, Simulator, simulate


@pytest.fixture
def make_sim() -> Callable[..., Any]:
    """A factory of simulators: ``async with make_sim(**SimSettings fields) as sim``."""

    def make(**kw: Any) -> Any:
        kw.setdefault("instruments", 12)
        kw.setdefault("flow_rate_per_s", 0.0)
        kw.setdefault("heartbeat_s", 0.5)
        return simulate(SimSettings(**kw), LiveClock())

    return make


@pytest.fixture
async def sim(make_sim: Callable[..., Any]) -> AsyncIterator[Simulator]:
    async with make_sim() as s:
        yield s
