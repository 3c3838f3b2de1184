"""Paper trading: a simulated venue fed by real market data (``mode: paper``).

See :mod:`framework.paper.exchange` for how orders are matched,
:mod:`framework.paper.queue` for queue positions,
:mod:`framework.paper.refusals` for what it refuses,
:mod:`framework.paper.reports` for the events it publishes and
:mod:`framework.paper.fees` for the fee rounding rule.
"""

from framework.paper.exchange import PaperExchange
from framework.paper.fees import fee
from framework.paper.liquidity import LiquidityLedger
from framework.paper.queue import PaperOrder
from framework.paper.restore import RestorableOrder
from framework.paper.settings import PaperSettings

__all__ = ["LiquidityLedger", "PaperExchange", "PaperOrder", "PaperSettings", "RestorableOrder", "fee"]
