"""The simulator's faults by name, for fault plans (``simulate: {faults: [...]}``
in a run config, ``backplane simulate polymarket --fault ...``).

:data:`FAULTS` is what the simulator declares (``SimulatorSpec.faults``);
:func:`inject` maps a name onto the :class:`~plugins.polymarket.sim.faults.Faults`
switch of a running simulator. What fired is counted in ``sim.faults.injected``
(``faults:<name>`` in ``sim.exchange.counters()`` and ``GET /sim/stats``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework import FaultSpec

__all__ = ["FAULTS", "inject"]

FAULTS: dict[str, FaultSpec] = {
    "kill_streams": FaultSpec("abort every open stream (market data, orders, drop copy) with UNAVAILABLE"),
    "stall_streams": FaultSpec(
        "stop writing to the open streams (a consumer that cannot keep up): their queues grow until the "
        "slow-consumer rule drops them or the client gives up; `for`: writing resumes after", lasts=True),
    "silence_streams": FaultSpec("stop heartbeats and data on the open streams; they stay open until the client gives up"),
    "malformed_frames": FaultSpec("send every market-data stream an update that breaks the protocol (levels not best first)"),
    "expire_tokens": FaultSpec("end every access token issued so far: the next request gets 401 / UNAUTHENTICATED"),
    "http_5xx": FaultSpec("the next N HTTP requests (token, REST) get 503 before anything looks at them", count=True),
    "lose_answers": FaultSpec(
        "the next N order-entry requests are processed, then their answer is lost (connection reset): "
        "outcome unknown to the client", count=True),
    "hang_requests": FaultSpec("the next N order-entry requests never get an answer (not processed)", count=True),
    "duplicate_executions": FaultSpec("deliver the next N execution batches with an execution twice", count=True),
}


def inject(sim: Any, name: str, count: int | None = None, for_ns: int | None = None) -> Callable[[], None] | None:
    """Inject fault ``name`` into the running simulator ``sim`` now (``count``
    defaults to 1); returns its end for a lasting fault, else None."""
    faults = sim.faults
    n = count or 1
    if name == "kill_streams":
        faults.kill_streams()
    elif name == "stall_streams":
        faults.stall_streams()
        return faults.resume_streams
    elif name == "silence_streams":
        faults.silence_streams()
    elif name == "malformed_frames":
        for symbol in sim.symbols:
            faults.send_malformed(symbol)
    elif name == "expire_tokens":
        faults.expire_tokens()
    elif name == "http_5xx":
        faults.fail_http(n)
    elif name == "lose_answers":
        faults.lose_answers(n, how="reset")
    elif name == "hang_requests":
        faults.hang_requests(n)
    elif name == "duplicate_executions":
        faults.duplicate(n)
    else:
        raise ValueError(f"unknown fault {name!r}: one of {', '.join(FAULTS)}")
    return None
