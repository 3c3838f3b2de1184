"""Events per second through a whole paper run, beside the adapter alone.

A fake dYdX node in a child process serves a recorded simulator stream over
loopback gRPC as fast as the client reads it. Two runs are built from YAML by
the real runner, each timed from start until the recording ends:

- ``adapter_only``: the dYdX venue and nothing else (stream -> codec -> L3
  book -> bus);
- ``paper_run``: the same plus the market maker on both markets in paper mode
  (stream -> adapter -> book -> bus -> market maker -> risk layer -> ingress
  gate -> paper exchange -> order events -> tracker, journal).

``paper_run_over_adapter_only_ratio`` is the share of the adapter's rate the
whole run keeps.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.dydx import _count_updates, record_stream, serve_recording
from framework.config import load_config
from framework.model.events import StreamState, StreamStatus
from framework.plugin.hookspecs import hookimpl
from framework.plugin.manager import load_host
from framework.plugin.view import RunView
from framework.runtime.run import Run
from framework.runtime.runner import run_config
from plugins.dydx.recording import write_frames

_CONFIG = """\
run: {{name: bench-run, mode: paper}}
venues:
  dydx:
    plugin: dydx
    settings:
      endpoint: "{endpoint}"
      markets: {{BTC-USD: 0, ETH-USD: 1}}
      reconnect_min_ms: 60000
      reconnect_max_ms: 60000
strategies:
{strategies}
journal: {{path: "{journal}"}}
"""

_MAKER = """\
  maker:
    plugin: market_maker
    venue: dydx
    symbols: [BTC-USD, ETH-USD]
    params: {size: 1, half_spread_ticks: 2, min_requote_ms: 0, min_budget: 0, max_inventory: 1000}
"""


class _StopAtEnd:
    """Stops the run when the node closes the stream (the recording ended)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.elapsed = 0.0

    @hookimpl
    def backplane_run_configured(self, run: RunView) -> None:
        self.started = time.perf_counter()

        def on_status(event: StreamStatus) -> None:
            if event.state is StreamState.DOWN and not self.elapsed:
                self.elapsed = time.perf_counter() - self.started
                run.request_stop("recording ended")

        run.bus.subscribe(on_status, StreamStatus)


def _one_run(endpoint: str, strategies: str, tmp: Path) -> tuple[int, float, int]:
    path = tmp / f"run-{len(list(tmp.iterdir()))}.yaml"
    path.write_text(_CONFIG.format(endpoint=endpoint, strategies=strategies or "  {}", journal=tmp / "runs"))
    probe = _StopAtEnd()
    host = load_host([(probe, "bench-probe")])
    cfg = load_config(path, host.config_schema())
    runs: list[Run] = []
    asyncio.run(run_config(cfg, host, install_signals=False, on_done=runs.append))
    run = runs[0]
    return run.stats.events, probe.elapsed, run.stats.fills


def run(quick: bool = False) -> dict[str, float]:
    bodies = record_stream(20_000 if quick else 100_000)
    updates = _count_updates(bodies)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        recording = tmp / "stream.bin"
        write_frames(recording, ((i, b) for i, b in enumerate(bodies)))
        with serve_recording(recording) as endpoint:
            best: dict[str, tuple[int, float, int]] = {}
            for _ in range(1 if quick else 2):  # interleaved, best of each
                for label, strategies in (("adapter_only", ""), ("paper_run", _MAKER)):
                    events, elapsed, fills = _one_run(endpoint, strategies, tmp)
                    if label not in best or elapsed < best[label][1]:
                        best[label] = (events, elapsed, fills)
    a_events, a_time, _ = best["adapter_only"]
    p_events, p_time, p_fills = best["paper_run"]
    return {
        "adapter_only_events_per_s": a_events / a_time,
        "adapter_only_updates_per_s": updates / a_time,
        "paper_run_events_per_s": p_events / p_time,
        "paper_run_updates_per_s": updates / p_time,
        "paper_run_fills": p_fills,
        "paper_run_over_adapter_only_ratio": a_time / p_time,
    }
