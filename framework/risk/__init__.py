"""The risk layer: every client-to-venue message leaves through it.

- :mod:`framework.risk.layer` -- :class:`RiskLayer`: trading states, loss limits
  and the pre-trade checks (:mod:`framework.risk.checks`) in front of orders.
- :mod:`framework.risk.gate` -- :class:`RiskGate`, the :class:`framework.plugin.venue.Gate`
  adapters send through: per-method buckets, the ingress limiter
  (:mod:`framework.risk.limiter` over :mod:`framework.risk.window`) and stream
  slots (:mod:`framework.risk.slots`); in-process or shared through Redis
  (:mod:`framework.risk.redis_backend`).
- :mod:`framework.risk.config` -- the ``risk:`` section of a run config.
- :mod:`framework.risk.killswitch` -- ``backplane kill``.
"""

from framework.risk.checks import Denial, PreTradeCheck
from framework.risk.config import (
    LossLimit,
    RiskConfig,
    StrategyRisk,
    TradingState,
    VenueRisk,
)
from framework.risk.gate import MethodBucket, RiskGate, open_gates
from framework.risk.killswitch import KillSwitch, write_kill
from framework.risk.layer import RUN_SCOPE, RiskLayer
from framework.risk.limiter import IngressLimiter
from framework.risk.slots import (
    MemorySlotRegistry,
    check_stream_caps,
    pack_symbols,
    streams_needed,
)
from framework.risk.state import OpenOrder, RiskState
from framework.risk.window import BudgetRule, BudgetWindow, LimiterStats

__all__ = [
    "RUN_SCOPE",
    "BudgetRule",
    "BudgetWindow",
    "Denial",
    "IngressLimiter",
    "KillSwitch",
    "LimiterStats",
    "LossLimit",
    "MemorySlotRegistry",
    "MethodBucket",
    "OpenOrder",
    "PreTradeCheck",
    "RiskConfig",
    "RiskGate",
    "RiskLayer",
    "RiskState",
    "StrategyRisk",
    "TradingState",
    "VenueRisk",
    "check_stream_caps",
    "open_gates",
    "pack_symbols",
    "streams_needed",
    "write_kill",
]
