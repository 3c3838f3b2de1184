"""The outbound side: what the adapter asks the node, and reading the answers.

Sans-IO like the decoder: these build the request messages and read the
replies; :mod:`plugins.dydx.transport` sends them (through the risk layer's
sender) and returns the replies. Order entry is not available, so the only
requests are the book subscription and the unit-parameter queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from v4_proto.dydxprotocol.clob import query_pb2
from v4_proto.dydxprotocol.perpetuals import query_pb2 as perp_query_pb2
from v4_proto.dydxprotocol.subaccounts import subaccount_pb2

from plugins.dydx.units import ClobParams

__all__ = [
    "CLOB_PAIR_METHOD",
    "PERPETUAL_METHOD",
    "STREAM_METHOD",
    "clob_pair_query",
    "clob_params",
    "perpetual_query",
    "subscription",
]

STREAM_METHOD = "/dydxprotocol.clob.Query/StreamOrderbookUpdates"
CLOB_PAIR_METHOD = "/dydxprotocol.clob.Query/ClobPair"
PERPETUAL_METHOD = "/dydxprotocol.perpetuals.Query/Perpetual"

# (request, reply type) of each unary query, for the transport's call.
Query = tuple[Any, Any]


def subscription(
    pairs: Iterable[int], subaccounts: Iterable[tuple[str, int]], markets: Iterable[int]
) -> query_pb2.StreamOrderbookUpdatesRequest:
    """The ``StreamOrderbookUpdates`` subscription: the clob pairs (always named: the
    snapshot covers only these), own subaccounts and oracle markets."""
    return query_pb2.StreamOrderbookUpdatesRequest(
        clob_pair_id=list(pairs),
        subaccount_ids=[subaccount_pb2.SubaccountId(owner=o, number=n) for o, n in subaccounts],
        market_ids=list(markets),
    )


def clob_pair_query(pair: int) -> Query:
    """The query for clob pair ``pair`` (its grids and perpetual id)."""
    return query_pb2.QueryGetClobPairRequest(id=pair), query_pb2.QueryClobPairResponse


def perpetual_query(clob: Any) -> Query:
    """The query for the perpetual of a ``QueryClobPairResponse`` (its atomic resolution and market)."""
    perpetual = clob.clob_pair.perpetual_clob_metadata.perpetual_id
    return perp_query_pb2.QueryPerpetualRequest(id=perpetual), perp_query_pb2.QueryPerpetualResponse


def clob_params(clob: Any, perp: Any) -> tuple[ClobParams, int]:
    """The pair's unit parameters and its oracle market id, from the two replies."""
    cp, params = clob.clob_pair, perp.perpetual.params
    units = ClobParams(params.atomic_resolution, cp.quantum_conversion_exponent, cp.subticks_per_tick,
                       cp.step_base_quantums)  # fmt: skip
    return units, params.market_id
