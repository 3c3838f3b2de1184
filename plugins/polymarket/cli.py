"""``backplane simulate-polymarket``: run the simulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path

from framework.runtime.clock import LiveClock
from framework.runtime.faults import add_fault_option, run_fault_plan
from plugins.polymarket.sim.faultplan import FAULTS, inject

__all__ = ["configure_simulate", "run_simulate"]


def configure_simulate(parser: argparse.ArgumentParser) -> None:
    """Arguments of the simulate command."""
    parser.add_argument("--instruments", type=int, default=50, help="instruments to list (default 50)")
    parser.add_argument("--flow-rate", type=float, default=20.0, help="synthetic flow actions per second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--grpc-port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--http-port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0 = run until Ctrl-C)")
    parser.add_argument("--key-out", type=Path, default=None, help="write the demo client's private key PEM here (mode 0600)")
    add_fault_option(parser, FAULTS, "polymarket")


def run_simulate(args: argparse.Namespace) -> int:
    """Serve on 127.0.0.1 and print the endpoints; returns the exit code."""
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from plugins.polymarket.sim import SimSettings, simulate

    settings = SimSettings(instruments=args.instruments, flow_rate_per_s=args.flow_rate, seed=args.seed,
                           grpc_port=args.grpc_port, http_port=args.http_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with simulate(settings, LiveClock()) as sim:
        if args.key_out is not None:
            fd = os.open(args.key_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(sim.private_key_pem)
        print(f"polymarket simulator: grpc {sim.grpc_target}  rest {sim.rest_base}  token {sim.token_url}")
        print(f"client_id {sim.client_id}  participant {sim.participant_id}  account {sim.account}")
        print(f"{len(sim.symbols)} instruments, e.g. {', '.join(sim.symbols[:3])}", flush=True)
        with run_fault_plan(LiveClock(), "polymarket", args.fault, lambda *a: inject(sim, *a)), contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration or None)
        print(f"violations: {sim.violations or 'none'}")
        if args.fault:
            print(f"faults fired: {sim.faults.injected or 'none'}")
    return 0
