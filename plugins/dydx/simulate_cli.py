"""``backplane simulate dydx``: run the fake full node until interrupted."""

from __future__ import annotations

import argparse
import asyncio

from framework.config import FaultStep
from framework.runtime.clock import LiveClock
from framework.runtime.faults import add_fault_option, run_fault_plan
from plugins.dydx.sim.faultplan import FAULTS, inject
from plugins.dydx.sim.server import FakeNodeSettings, fake_node

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--clob-pairs", default="0,1", help="comma-separated clob pair ids")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recording", default="", help="serve this recorded stream instead of synthetic flow")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds to run (0: until interrupted)")
    add_fault_option(parser, FAULTS, "dydx")


async def _serve(settings: FakeNodeSettings, duration: float, faults: list[FaultStep]) -> None:
    async with fake_node(settings) as node:
        print(f"fake dYdX full node on {node.endpoint}", flush=True)
        with run_fault_plan(LiveClock(), "dydx", faults, lambda *a: inject(node, *a)):
            if duration > 0:
                await asyncio.sleep(duration)
            else:
                await asyncio.Event().wait()
        if faults:
            print(f"faults fired: {node.injected or 'none'}")


def run(args: argparse.Namespace) -> int:
    settings = FakeNodeSettings(
        clob_pairs=[int(p) for p in args.clob_pairs.split(",") if p],
        port=args.port, seed=args.seed, recording=args.recording,
    )
    try:
        asyncio.run(_serve(settings, args.duration, args.fault))
    except KeyboardInterrupt:
        pass
    return 0
