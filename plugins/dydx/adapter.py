"""The dYdX venue adapter: the codec and the transport put together.

:meth:`DydxAdapter.start` resolves each configured pair's unit parameters
(from the settings, else queried from the node through the transport), builds
the :class:`~plugins.dydx.codec.DydxCodec` for them and starts the transport's
stream into it. Market data and paper trading only: order entry raises
``VenueRejected``.
"""

from __future__ import annotations

from typing import Any

from framework.model.errors import VenueRejected
from framework.model.events import Instrument
from framework.plugin.specs import SettingsIssue
from framework.plugin.venue import VenueContext, VenueLimits
from plugins.dydx.codec import DydxCodec
from plugins.dydx.settings import DydxSettings, parse_subaccount, plaintext_issues
from plugins.dydx.transport import DydxTransport
from plugins.dydx.units import ClobParams

__all__ = ["DydxAdapter"]

_NO_ORDER_ENTRY = "live dYdX order entry is not available yet"


class DydxAdapter:
    """The dYdX venue adapter (market data; see the module docs)."""

    limits = VenueLimits()  # one's own node: no venue-side caps

    def __init__(self, ctx: VenueContext, settings: DydxSettings) -> None:
        SettingsIssue.refuse(ctx.name, plaintext_issues(settings))
        self.ctx = ctx
        self.settings = settings
        self.symbols = settings.pair_symbols()  # clob pair id -> symbol
        self.instruments: dict[str, Instrument] = {}
        self.params: dict[int, ClobParams] = {}
        self.oracle_symbols: dict[int, str] = {}  # oracle market id -> symbol
        self.codec: DydxCodec | None = None
        self.transport = DydxTransport(ctx, settings)

    async def start(self) -> None:
        """Resolve unit parameters, start the stream; return once it holds its stream
        slot (``Denied`` without one). LIVE follows with the node's next snapshot."""
        unknown = sorted(set(self.ctx.symbols) - set(self.symbols.values()))
        if unknown:
            raise VenueRejected(
                self.ctx.name,
                f"symbols {unknown} are not configured; add them under markets: {{SYMBOL: clob_pair_id}}",
            )
        self.transport.connect()
        for pair, symbol in self.symbols.items():
            configured = self.settings.instruments.get(symbol)
            if configured is not None:
                params, market = configured, pair  # genesis markets share the pair's id
            else:
                params, market = await self.transport.query_params(pair)
            self.params[pair] = params
            self.oracle_symbols[market] = symbol
            self.instruments[symbol] = params.instrument(self.ctx.name, symbol)
        self.codec = DydxCodec(
            self.ctx.name,
            {pair: (symbol, self.params[pair]) for pair, symbol in self.symbols.items()},
            confirmed_only=self.settings.confirmed_only,
            own_subaccounts=[parse_subaccount(s) for s in self.settings.subaccounts],
            markets=self.oracle_symbols,
            resync_on_crossed=self.settings.resync_on_crossed,
        )
        await self.transport.stream_into(self.codec)

    async def stop(self) -> None:
        """Stop the stream (its slot released), close the channel."""
        await self.transport.close()

    def book(self, symbol: str) -> Any:
        """The L3 book of ``symbol`` (ticks and lots)."""
        if self.codec is not None:
            for pair, sym in self.symbols.items():
                if sym == symbol:
                    return self.codec.book(pair)
        raise KeyError(symbol)

    async def submit(self, order: Any) -> None:
        raise VenueRejected(self.ctx.name, _NO_ORDER_ENTRY)

    async def cancel(self, cancel: Any) -> None:
        raise VenueRejected(self.ctx.name, _NO_ORDER_ENTRY)

    async def replace(self, replace: Any) -> None:
        raise VenueRejected(self.ctx.name, _NO_ORDER_ENTRY)
