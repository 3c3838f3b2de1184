"""Sans-IO codec of the Polymarket US exchange: wire messages -> events and
books; intents and subscriptions -> request messages.

No sockets, no event loop, no clock: the transport
(:mod:`plugins.polymarket.transport`) hands each received message in with its
receive time and publishes what comes back, and sends the requests built here
through the risk layer's sender. Replay, the simulator tests and the fuzzers
drive these classes directly.

Modules (each imports only those above it; the first three are compiled by mypyc):

- :mod:`~plugins.polymarket.codec.mdwire`: the raw reader of a plain book
  update (the market-data hot path);
- :mod:`~plugins.polymarket.codec.marketdata`: :class:`MarketDataCodec`, top-N
  pictures -> L2 books, snapshots, deltas, status and trades;
- :mod:`~plugins.polymarket.codec.orders`: :class:`OrderCodec` (order stream:
  snapshot reconciliation, executions exactly once), :class:`DropCopyCodec`
  (the resumable execution copy and its checkpoints) and :class:`OrderOwners`
  (whose working orders they are);
- :mod:`~plugins.polymarket.codec.requests`: subscriptions and order entry,
  in the JSON mapping (REST) and as protobuf messages (gRPC).
"""

from __future__ import annotations

from plugins.polymarket.codec.marketdata import TRADING_STATUS, MarketDataCodec
from plugins.polymarket.codec.orders import (
    RESUME_TOKEN_KEY,
    DropCopyCodec,
    OpenOrder,
    OrderCodec,
    OrderOwners,
    side_from_wire,
    side_to_wire,
)
from plugins.polymarket.codec.requests import JsonRequests, ProtoRequests, pack_symbols

__all__ = [
    "RESUME_TOKEN_KEY",
    "TRADING_STATUS",
    "DropCopyCodec",
    "JsonRequests",
    "MarketDataCodec",
    "OpenOrder",
    "OrderCodec",
    "OrderOwners",
    "ProtoRequests",
    "pack_symbols",
    "side_from_wire",
    "side_to_wire",
]
