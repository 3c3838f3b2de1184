"""dYdX-specific events, published beside the framework's own.

All are :class:`framework.events.Event` subclasses (frozen msgspec structs);
none is conflatable: they are informational records a consumer may count on.
Order keys travel as :data:`plugins.dydx.ids.OrderKey` tuples.
"""

from __future__ import annotations

from framework.events import Event, Side, Trade

__all__ = ["DydxTrade", "OraclePrice", "SubaccountUpdate", "TakerOrderResult"]


class DydxTrade(Trade, frozen=True, gc=False):
    """A fill of a maker on the stream, as a print.

    ``confirmed`` is True only for a fill from the finalize batch (exec mode
    7): consensus. An optimistic fill (mode 0, or its first sighting at mode
    102) is ``confirmed=False`` and may never be confirmed; replays of an
    optimistic fill already printed are not printed again.
    """

    exec_mode: int = 0
    block_height: int = 0
    confirmed: bool = False
    taker: tuple = ()
    maker: tuple = ()
    maker_filled: int = 0  # the maker's cumulative filled lots after this fill


class TakerOrderResult(Event, frozen=True, gc=False):
    """A ``taker_order`` message: what matching did with an incoming order.

    Informational: the book does not change; status 0 does not mean the order
    rests (only a following place does). Sizes in lots, price in ticks.
    """

    order: tuple = ()
    side: Side = Side.BUY
    price: int = 0
    size: int = 0
    status: int = 0
    remaining: int = 0
    optimistically_filled: int = 0
    liquidation: bool = False
    exec_mode: int = 0
    block_height: int = 0


class SubaccountUpdate(Event, frozen=True, gc=False):
    """Positions of a subaccount changed (mode 7) or their snapshot.

    ``perpetual_positions`` holds ``(perpetual_id, quantums)`` (signed),
    ``asset_positions`` ``(asset_id, quantums)``, raw chain integers.
    """

    owner: str = ""
    number: int = 0
    perpetual_positions: tuple[tuple[int, int], ...] = ()
    asset_positions: tuple[tuple[int, int], ...] = ()
    snapshot: bool = False
    block_height: int = 0


class OraclePrice(Event, frozen=True, gc=False):
    """An oracle price: human price = ``price`` x 10^``exponent``."""

    market_id: int = 0
    price: int = 0
    exponent: int = 0
    snapshot: bool = False
    block_height: int = 0
