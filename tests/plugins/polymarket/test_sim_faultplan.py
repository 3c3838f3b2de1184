"""The simulator's faults by name (what a fault plan injects) against a real
simulator and adapter, and what the adapter logs of them: one WARNING when an
episode starts (a 5xx burst, lost answers, a refused token, duplicated
executions), one INFO when the next success ends it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pm_support import adapter_for, order, until

from framework.model.errors import VenueUnavailable
from framework.model.events import OrderAccepted, Side
from plugins.polymarket.sim.faultplan import FAULTS, inject


@pytest.fixture
async def started(sim: Any, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any, Any]]:
    ad, rec = adapter_for(sim, sim.symbols[:2], order_entry=getattr(request, "param", "rest"), http_timeout_s=1.0)
    await ad.start()
    try:
        yield sim, ad, rec
    finally:
        await ad.stop()


def _logged(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and text in r.getMessage()]


def _away(ad: Any, clord: str) -> Any:
    sym = ad.symbols[0]
    return order(sym, clord, Side.BUY, max((ad.book(sym).best_bid_price or 10) - 5, 1), 10)


async def test_every_declared_fault_injects_and_is_counted(started: Any) -> None:
    sim, ad, _ = started
    open_streams = len(sim.exchange.streams)
    assert open_streams >= 3  # market data, orders, drop copy
    ends = {name: inject(sim, name, 2 if FAULTS[name].count else None) for name in FAULTS}
    assert {name for name, end in ends.items() if end is not None} == {n for n, f in FAULTS.items() if f.lasts}
    fired = sim.faults.injected
    assert fired["kill_streams"] == open_streams and fired["expire_tokens"] >= 1
    with pytest.raises(ValueError, match="unknown fault"):
        inject(sim, "no_such_fault")


async def test_a_5xx_burst_is_one_warning_and_an_info_when_over(started: Any, caplog: pytest.LogCaptureFixture) -> None:
    sim, ad, _ = started
    caplog.set_level(logging.INFO)
    inject(sim, "http_5xx", 3)
    for _ in range(3):
        with pytest.raises(VenueUnavailable):
            await ad.open_orders()
    await ad.open_orders()
    assert sim.faults.injected["fail_http"] == 3
    assert len(_logged(caplog, logging.WARNING, "REST: the venue answers HTTP 5xx")) == 1
    assert _logged(caplog, logging.INFO, "REST: the venue answers HTTP 5xx: over (3 times")


@pytest.mark.parametrize("started", ["rest", "grpc"], indirect=True)
async def test_lost_answers_are_one_warning_and_an_info_when_over(started: Any, caplog: pytest.LogCaptureFixture) -> None:
    sim, ad, rec = started
    caplog.set_level(logging.INFO)
    inject(sim, "lose_answers", 2)
    for clord in ("lost1", "lost2"):
        with pytest.raises(VenueUnavailable):
            await ad.submit(_away(ad, clord))
    await ad.submit(_away(ad, "answered"))
    await until(lambda: len(rec.of(OrderAccepted)) == 3, what="all three working (the venue processed them)")
    assert sim.faults.injected["lose_answers:reset"] == 2
    assert len(_logged(caplog, logging.WARNING, "answers lost")) == 1
    assert _logged(caplog, logging.INFO, "answers lost: over (2 times")


async def test_an_expired_token_is_one_warning_and_an_info_at_the_new_one(
        started: Any, caplog: pytest.LogCaptureFixture) -> None:
    sim, ad, _ = started
    caplog.set_level(logging.INFO)
    mints = ad.tokens.mints
    inject(sim, "expire_tokens")
    await ad.open_orders()  # refused once, sent again with a new token
    assert ad.tokens.mints == mints + 1 and sim.faults.injected["expire_tokens"] >= 1
    assert len(_logged(caplog, logging.WARNING, "refused our access token")) == 1
    assert len(_logged(caplog, logging.INFO, "refused our access token (UNAUTHENTICATED: expired or revoked early): over")) == 1


async def test_a_duplicated_execution_is_one_warning_and_counted_once(
        started: Any, caplog: pytest.LogCaptureFixture) -> None:
    sim, ad, rec = started
    caplog.set_level(logging.INFO)
    inject(sim, "duplicate_executions", 1)
    await ad.submit(_away(ad, "twice"))
    await until(lambda: ad.redelivered.duplicates == 1, what="the copy arriving")
    await ad.submit(_away(ad, "once"))
    await until(lambda: len(rec.of(OrderAccepted)) == 2, what="both working")
    assert [e.client_order_id for e in rec.of(OrderAccepted)] == ["twice", "once"]  # the copy changed nothing
    assert len(_logged(caplog, logging.WARNING, "stream orders delivered an execution twice")) == 1
    assert _logged(caplog, logging.INFO, "delivered an execution twice: over (1 times")


async def test_a_stall_holds_every_message_until_its_end(started: Any) -> None:
    sim, ad, _ = started
    received = ad.stream("orders").frames
    end = inject(sim, "stall_streams")
    assert end is not None
    await ad.submit(_away(ad, "held"))  # its execution waits on the stalled stream
    await asyncio.sleep(1.2)  # two heartbeats' time (0.5 s here), and the execution's
    assert ad.stream("orders").frames == received
    end()
    await until(lambda: ad.stream("orders").frames > received, what="the backlog written")
