"""The Polymarket US exchange simulator: real grpc.aio and aiohttp servers on
127.0.0.1 speaking ``polymarket.v1`` and its JSON mapping.

``simulate(settings)`` is the :class:`~framework.plugin.specs.SimulatorSpec`
factory: an async context manager yielding a :class:`Simulator` with the
endpoints, a registered demo client (its RSA private key included, for the
in-process adapter), the engines, the fault switches and the violation
counters. Everything it starts stops when the context exits.

What a run or test can count: ``sim.exchange.counters()`` (violations by
kind, accepted requests by method, ingress total, faults fired) and
``sim.exchange.resting_orders(account)``; a standalone simulator (``backplane
simulate-polymarket``) serves the same counters at ``GET <rest_base>/sim/stats``
(JSON, no token, loopback only).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from framework.runtime.clock import NS_PER_S, Clock, LiveClock
from plugins.polymarket.sim.engine import Engine
from plugins.polymarket.sim.exchange import Client, Exchange
from plugins.polymarket.sim.faults import Faults
from plugins.polymarket.sim.flow import Flow, make_instruments
from plugins.polymarket.sim.grpc_server import start_grpc_server
from plugins.polymarket.sim.http_server import start_http_server
from plugins.polymarket.sim.limits import LimitSettings
from plugins.polymarket.sim.settings import SimSettings

__all__ = ["LimitSettings", "SimSettings", "Simulator", "demo_keypair", "simulate"]

DEMO_CLIENT_ID = "sim-demo-client"
DEMO_FIRM = "firms/sim-demo"
DEMO_PARTICIPANT = "firms/sim-demo/users/demo"
DEMO_ACCOUNT = "firms/sim-demo/accounts/demo"


@functools.cache
def demo_keypair() -> tuple[bytes, bytes]:
    """An RSA-2048 key pair for the demo client: (private PEM, public PEM).
    Generated once per process; nothing is written to disk."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


class Simulator:
    """A running simulator: endpoints, demo credentials and the internals tests inspect."""

    def __init__(self, exchange: Exchange, flow: Flow, grpc_port: int, rest_base: str) -> None:
        self.exchange = exchange
        self.flow = flow
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        self.rest_base = rest_base
        self.token_url = f"{rest_base}/oauth/token"
        self.audience = rest_base
        self.client_id = DEMO_CLIENT_ID
        self.private_key_pem = demo_keypair()[0].decode()
        self.participant_id = DEMO_PARTICIPANT
        self.account = DEMO_ACCOUNT

    @property
    def engines(self) -> dict[str, Engine]:
        return self.exchange.engines

    @property
    def violations(self) -> dict[str, int]:
        """Limit violations by kind (``streams``, ``symbols``, ``ingress``, ``bucket:<Method>``)."""
        return dict(self.exchange.limits.violations)

    @property
    def faults(self) -> Faults:
        return self.exchange.faults

    @property
    def symbols(self) -> list[str]:
        return list(self.exchange.engines)

    def adapter_settings(self, **overrides: Any) -> dict[str, Any]:
        """The adapter settings (as a dict for ``PolymarketSettings``) that reach this simulator."""
        base = {
            "grpc_target": self.grpc_target, "rest_base": self.rest_base, "token_url": self.token_url,
            "audience": self.audience, "client_id": self.client_id, "private_key_pem": self.private_key_pem,
            "participant_id": self.participant_id, "account": self.account, "tls": False,
        }
        base.update(overrides)
        return base


async def _every(clock: Clock, seconds: float, action: Callable[[], Any]) -> None:
    while True:
        await clock.sleep_ns(int(seconds * NS_PER_S))
        action()


@contextlib.asynccontextmanager
async def simulate(settings: SimSettings | None = None, clock: Clock | None = None) -> AsyncIterator[Simulator]:
    """Run the simulator until the context exits."""
    settings = settings or SimSettings()
    clock = clock or LiveClock()
    instruments, touch = make_instruments(settings)
    exchange = Exchange(settings, clock, instruments)
    exchange.register_client(Client(DEMO_CLIENT_ID, demo_keypair()[1], DEMO_FIRM, DEMO_PARTICIPANT, [DEMO_ACCOUNT]))
    flow = Flow(exchange, touch, settings, clock)
    flow.seed_books()
    server, port = await start_grpc_server(exchange, settings.grpc_port)
    runner, base = await start_http_server(exchange, settings.http_port)
    tasks = [
        asyncio.create_task(_every(clock, settings.heartbeat_s, exchange.heartbeat), name="pm-sim-heartbeat"),
        asyncio.create_task(_every(clock, settings.gtt_check_s, exchange.expire_gtt), name="pm-sim-gtt"),
        asyncio.create_task(flow.run(), name="pm-sim-flow"),
    ]
    try:
        yield Simulator(exchange, flow, port, base)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for h in list(exchange.streams):
            h.kill("simulator stopping")
        await server.stop(grace=0.5)
        await runner.cleanup()
