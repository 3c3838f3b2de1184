"""``reconcile: {unknown_orders: adopt}``: a resumed run takes over an order only
the venue knew, and its strategy manages it (here: cancels it at the stop)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pm_support import adapter_for  # type: ignore[import-not-found]

from framework.config import load_config
from framework.model.events import Side
from framework.model.orders import SubmitOrder
from framework.plugin.manager import load_host
from framework.runtime.runner import run_config

CONFIG = """\
run: {{name: adopt, mode: live}}
venues:
  pm:
    plugin: polymarket
    settings: {{grpc_target: "{grpc_target}", rest_base: "{rest_base}", token_url: "{token_url}",
                audience: "{audience}", client_id: "{client_id}", private_key_path: "{key}",
                participant_id: "{participant_id}", account: "{account}", tls: false, drop_copy: false}}
strategies:
  mm:
    plugin: market_maker
    venue: pm
    symbols: [{symbol}]
    params: {{size: 2, half_spread_ticks: 5, min_budget: 0}}
journal: {{path: "{runs}"}}
reconcile: {{unknown_orders: adopt}}
"""


async def test_an_order_only_the_venue_knew_is_adopted_and_managed_by_its_strategy(tmp_path: Path, sim: Any) -> None:
    symbol = sim.symbols[0]
    key = tmp_path / "key.pem"
    key.write_text(sim.private_key_pem)
    settings = {k: v for k, v in sim.adapter_settings().items() if k != "private_key_pem"}
    config = tmp_path / "adopt.yaml"
    config.write_text(CONFIG.format(key=key, symbol=symbol, runs=tmp_path / "runs", **settings))
    host = load_host()
    cfg = load_config(config, host.config_schema())
    assert await run_config(cfg, host, duration_s=0.5, install_signals=False, run_id="a1") == 0

    probe, _ = adapter_for(sim, [symbol], drop_copy=False)
    await probe.start()
    try:  # an order of strategy mm that no journal knows (e.g. sent just before a SIGKILL)
        await probe.submit(SubmitOrder("mm", "pm", symbol, "mm-zzzzzzzz9-1", Side.BUY, 1, 1))
        assert "mm-zzzzzzzz9-1" in {o["clordId"] for o in await probe.open_orders([symbol])}
    finally:
        await probe.stop()

    runs: list[Any] = []
    assert await run_config(cfg, host, duration_s=0.5, install_signals=False, run_id="a1", on_done=runs.append) == 0
    run = runs[0]
    assert run.reconciled["adopted"] == 1 and run.reconciled["cancelled"] == 0
    assert [d.key for d in run.differences] == ["mm-zzzzzzzz9-1"]
    adopted = run.tracker.order("mm-zzzzzzzz9-1")
    assert adopted.strategy == "mm" and adopted.state.value == "cancelled"  # the strategy's stop cancelled it
    await probe.start()
    try:
        assert "mm-zzzzzzzz9-1" not in {o["clordId"] for o in await probe.open_orders([symbol])}
    finally:
        await probe.stop()
    with sqlite3.connect(tmp_path / "runs" / "a1" / "journal.sqlite") as db:
        rows = db.execute("SELECT strategy, state FROM orders WHERE client_order_id = 'mm-zzzzzzzz9-1'").fetchall()
    assert rows == [("mm", "cancelled")]
