"""Built-in risk checks, the ``risk`` config section and ``backplane kill``,
registered through the ``backplane`` entry points like any third-party plugin."""

from __future__ import annotations

from framework import CommandSpec, ConfigSectionSpec, RiskCheckSpec, hookimpl
from framework.risk.config import RiskConfig
from framework.risk.killswitch import configure_kill_command, run_kill_command
from plugins.riskchecks.checks import (
    MaxNotional,
    MaxNotionalSettings,
    MaxOpenOrders,
    MaxOpenOrdersSettings,
    MaxOrderSize,
    MaxOrderSizeSettings,
    MaxPosition,
    MaxPositionSettings,
    PriceBand,
    PriceBandSettings,
)


@hookimpl
def backplane_risk_checks() -> list[RiskCheckSpec]:
    return [
        RiskCheckSpec("max_order_size", MaxOrderSize, MaxOrderSizeSettings, "largest order, in lots"),
        RiskCheckSpec("max_notional", MaxNotional, MaxNotionalSettings, "largest price x size of one order"),
        RiskCheckSpec("max_position", MaxPosition, MaxPositionSettings,
                      "largest position per instrument, open orders counted at worst case"),
        RiskCheckSpec("max_open_orders", MaxOpenOrders, MaxOpenOrdersSettings,
                      "open orders per strategy and per instrument"),
        RiskCheckSpec("price_band", PriceBand, PriceBandSettings, "limit price within ticks or % of mid or last"),
    ]  # fmt: skip


@hookimpl
def backplane_config_sections() -> list[ConfigSectionSpec]:
    return [ConfigSectionSpec("risk", RiskConfig, "pre-trade checks, trading states, ingress limits, stream slots")]


@hookimpl
def backplane_commands() -> list[CommandSpec]:
    return [CommandSpec("kill", "halt, reduce or resume a run or one of its strategies (kill switch)",
                        configure_kill_command, run_kill_command)]  # fmt: skip
