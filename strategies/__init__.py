"""Example and reference strategies, registered as a plugin like any other.

- ``market_maker``: quotes both sides around mid with an inventory skew and
  requotes within the venue's ingress budget (:mod:`strategies.market_maker`).
- ``imbalance_taker``: trades book imbalance with IOC orders
  (:mod:`strategies.imbalance_taker`).
- ``churn``: a stress strategy that submits away from the touch and cancels
  on acknowledgement, as fast as the risk layer allows (:mod:`strategies.churn`).
"""

from __future__ import annotations

from framework import StrategySpec, hookimpl
from strategies.churn import Churn, ChurnParams
from strategies.imbalance_taker import ImbalanceTaker, ImbalanceTakerParams
from strategies.market_maker import MarketMaker, MarketMakerParams


@hookimpl
def backplane_strategies() -> list[StrategySpec]:
    return [
        StrategySpec("market_maker", MarketMaker, MarketMakerParams, "two-sided quotes with inventory skew"),
        StrategySpec("imbalance_taker", ImbalanceTaker, ImbalanceTakerParams, "IOC orders on book imbalance"),
        StrategySpec("churn", Churn, ChurnParams, "stress: submit away from the touch, cancel on acknowledgement"),
    ]
