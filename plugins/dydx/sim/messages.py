"""Builders of the v4-proto messages the fake node emits (one per stream event)."""

from __future__ import annotations

from v4_proto.dydxprotocol.clob import matches_pb2, order_pb2, query_pb2
from v4_proto.dydxprotocol.indexer.off_chain_updates import off_chain_updates_pb2 as oc
from v4_proto.dydxprotocol.indexer.protocol.v1 import clob_pb2 as iclob
from v4_proto.dydxprotocol.indexer.protocol.v1 import subaccount_pb2 as isub
from v4_proto.dydxprotocol.prices import market_price_pb2
from v4_proto.dydxprotocol.prices import streaming_pb2 as price_streaming
from v4_proto.dydxprotocol.subaccounts import streaming_pb2 as sub_streaming
from v4_proto.dydxprotocol.subaccounts import subaccount_pb2

from plugins.dydx.ids import OrderKey
from plugins.dydx.sim.model import Order

Response = query_pb2.StreamOrderbookUpdatesResponse
StreamUpdate = query_pb2.StreamUpdate


def indexer_id(key: OrderKey) -> iclob.IndexerOrderId:
    owner, number, client_id, flags, pair = key
    return iclob.IndexerOrderId(
        subaccount_id=isub.IndexerSubaccountId(owner=owner, number=number),
        client_id=client_id,
        order_flags=flags,
        clob_pair_id=pair,
    )


def clob_id(key: OrderKey) -> order_pb2.OrderId:
    owner, number, client_id, flags, pair = key
    return order_pb2.OrderId(
        subaccount_id=subaccount_pb2.SubaccountId(owner=owner, number=number),
        client_id=client_id,
        order_flags=flags,
        clob_pair_id=pair,
    )


def indexer_order(o: Order) -> iclob.IndexerOrder:
    msg = iclob.IndexerOrder(
        order_id=indexer_id(o.key), side=o.side, quantums=o.quantums, subticks=o.subticks,
        time_in_force=o.tif,
    )
    if o.gtbt:
        msg.good_til_block_time = o.gtbt
    else:
        msg.good_til_block = o.gtb
    return msg


def clob_order(o: Order) -> order_pb2.Order:
    msg = order_pb2.Order(
        order_id=clob_id(o.key), side=o.side, quantums=o.quantums, subticks=o.subticks,
        time_in_force=o.tif,
    )
    if o.gtbt:
        msg.good_til_block_time = o.gtbt
    else:
        msg.good_til_block = o.gtb
    return msg


def place(o: Order) -> oc.OffChainUpdateV1:
    return oc.OffChainUpdateV1(order_place=oc.OrderPlaceV1(order=indexer_order(o), placement_status=1))


def update(key: OrderKey, filled: int) -> oc.OffChainUpdateV1:
    return oc.OffChainUpdateV1(
        order_update=oc.OrderUpdateV1(order_id=indexer_id(key), total_filled_quantums=filled)
    )


def remove(key: OrderKey) -> oc.OffChainUpdateV1:
    # The stream always sends reason UNSPECIFIED and status BEST_EFFORT_CANCELED.
    return oc.OffChainUpdateV1(order_remove=oc.OrderRemoveV1(removed_order_id=indexer_id(key), removal_status=1))


def orderbook(height: int, mode: int, updates: list[oc.OffChainUpdateV1], snapshot: bool = False) -> StreamUpdate:
    return StreamUpdate(
        block_height=height, exec_mode=mode,
        orderbook_update=query_pb2.StreamOrderbookUpdate(snapshot=snapshot, updates=updates),
    )


def fill(height: int, mode: int, taker: Order, makers: list[tuple[Order, int, int]], taker_cum: int) -> StreamUpdate:
    """An ``order_fill``: ``makers`` holds ``(maker, this fill, maker cumulative)``."""
    match = matches_pb2.ClobMatch(
        match_orders=matches_pb2.MatchOrders(
            taker_order_id=clob_id(taker.key),
            fills=[matches_pb2.MakerFill(fill_amount=amount, maker_order_id=clob_id(m.key)) for m, amount, _ in makers],
        )
    )
    return StreamUpdate(
        block_height=height, exec_mode=mode,
        order_fill=query_pb2.StreamOrderbookFill(
            clob_match=match,
            orders=[clob_order(m) for m, _, _ in makers] + [clob_order(taker)],
            fill_amounts=[cum for _, _, cum in makers] + [taker_cum],
        ),
    )


def taker(height: int, mode: int, o: Order, status: int, remaining: int, optimistic: int) -> StreamUpdate:
    return StreamUpdate(
        block_height=height, exec_mode=mode,
        taker_order=query_pb2.StreamTakerOrder(
            order=clob_order(o),
            taker_order_status=query_pb2.StreamTakerOrderStatus(
                order_status=status, remaining_quantums=remaining, optimistically_filled_quantums=optimistic
            ),
        ),
    )


def subaccount(height: int, owner: str, number: int, perps: dict[int, int], usdc: int, snapshot: bool) -> StreamUpdate:
    return StreamUpdate(
        block_height=height, exec_mode=7 if not snapshot else 102,
        subaccount_update=sub_streaming.StreamSubaccountUpdate(
            subaccount_id=subaccount_pb2.SubaccountId(owner=owner, number=number),
            updated_perpetual_positions=[
                sub_streaming.SubaccountPerpetualPosition(perpetual_id=p, quantums=q) for p, q in sorted(perps.items())
            ],
            updated_asset_positions=[sub_streaming.SubaccountAssetPosition(asset_id=0, quantums=max(usdc, 0))],
            snapshot=snapshot,
        ),
    )


def price(height: int, market: int, value: int, exponent: int, snapshot: bool) -> StreamUpdate:
    return StreamUpdate(
        block_height=height, exec_mode=7 if not snapshot else 102,
        price_update=price_streaming.StreamPriceUpdate(
            market_id=market,
            price=market_price_pb2.MarketPrice(id=market, exponent=exponent, price=value),
            snapshot=snapshot,
        ),
    )
