"""Settings of the Polymarket simulator (``backplane simulate polymarket``)."""

from __future__ import annotations

import msgspec

from plugins.polymarket.sim.limits import LimitSettings

__all__ = ["SimSettings"]


class SimSettings(msgspec.Struct, forbid_unknown_fields=True):
    """How the simulator runs. Defaults are the documented venue behaviour,
    with a faster heartbeat (the venue's interval is undocumented)."""

    seed: int = 7
    instruments: int = 50  # how many instruments to list
    symbols: list[str] = []  # explicit symbols (default: real slugs, then generated ones)
    flow_rate_per_s: float = 20.0  # synthetic order-flow actions per second, all instruments
    flow_levels: int = 3  # resting flow levels per side at start
    heartbeat_s: float = 5.0
    token_ttl_s: float = 180.0
    max_queue: int = 50_000  # per stream, before the slow-consumer rule
    dropcopy_retain: int = 1_000_000  # executions kept for drop-copy resumption
    gtt_check_s: float = 0.1
    data_dir: str = ""  # the real-data folder; "" = look for ../shared/data/real
    limits: LimitSettings = LimitSettings()
    grpc_port: int = 0
    http_port: int = 0
