"""The fake node's faults by name, for fault plans (``simulate: {faults: [...]}``
in a run config, ``backplane simulate dydx --fault ...``).

:data:`FAULTS` is what the simulator declares (``SimulatorSpec.faults``);
:func:`inject` applies one to a running :class:`~plugins.dydx.sim.server.FakeNode`
and counts it in ``node.injected`` (by name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework import FaultSpec
from plugins.dydx.sim import messages as msg
from plugins.dydx.sim.model import Order

__all__ = ["FAULTS", "inject"]

FAULTS: dict[str, FaultSpec] = {
    "kill_streams": FaultSpec("drop every subscriber at once, as the node does when a buffer overflows"),
    "stall_streams": FaultSpec(
        "stop writing to the subscribers: their buffers fill, and the first that overflows drops them all; "
        "`for`: writing resumes after", lasts=True),
    "malformed_frames": FaultSpec("send every subscriber an order-book update no book can apply (an order with no side)"),
}

_NO_SIDE = 0  # SIDE_UNSPECIFIED: valid protobuf, no book operation


def inject(node: Any, name: str, count: int | None = None, for_ns: int | None = None) -> Callable[[], None] | None:
    """Inject fault ``name`` into ``node`` now; returns its end for a lasting fault, else None."""
    end: Callable[[], None] | None = None
    if name == "kill_streams":
        node.drop_all()
    elif name == "stall_streams":
        node.stall()
        end = node.resume
    elif name == "malformed_frames":
        _send_malformed(node)
    else:
        raise ValueError(f"unknown fault {name!r}: one of {', '.join(FAULTS)}")
    node.injected[name] = node.injected.get(name, 0) + 1
    return end


def _send_malformed(node: Any) -> None:
    height = node.engine.height
    for pair, params in node.params.items():
        bad = Order(("dydx1fault", 0, 999_999, 0, pair), _NO_SIDE, params.step_base_quantums,
                    params.subticks_per_tick, gtb=height + 10)
        node.broadcast(msg.Response(updates=[msg.orderbook(height, 0, [msg.place(bad)])]))
