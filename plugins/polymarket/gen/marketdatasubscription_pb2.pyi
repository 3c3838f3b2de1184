import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import enums_pb2 as _enums_pb2
from . import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateMarketDataSubscriptionRequest(_message.Message):
    __slots__ = ("symbols", "unaggregated", "depth", "snapshot_only", "slow_consumer_skip_to_head")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    UNAGGREGATED_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ONLY_FIELD_NUMBER: _ClassVar[int]
    SLOW_CONSUMER_SKIP_TO_HEAD_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    unaggregated: bool
    depth: int
    snapshot_only: bool
    slow_consumer_skip_to_head: bool
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., unaggregated: _Optional[bool] = ..., depth: _Optional[int] = ..., snapshot_only: _Optional[bool] = ..., slow_consumer_skip_to_head: _Optional[bool] = ...) -> None: ...

class CreateMarketDataSubscriptionResponse(_message.Message):
    __slots__ = ("heartbeat", "update")
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    heartbeat: _types_pb2.Heartbeat
    update: MarketDataUpdate
    def __init__(self, heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ..., update: _Optional[_Union[MarketDataUpdate, _Mapping]] = ...) -> None: ...

class SubscribeCommand(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class UnsubscribeCommand(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class KeepAliveCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BiDirectionalStreamMarketDataRequest(_message.Message):
    __slots__ = ("subscribe", "unsubscribe", "keepalive", "unaggregated", "depth", "snapshot_only", "slow_consumer_skip_to_head")
    SUBSCRIBE_FIELD_NUMBER: _ClassVar[int]
    UNSUBSCRIBE_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_FIELD_NUMBER: _ClassVar[int]
    UNAGGREGATED_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ONLY_FIELD_NUMBER: _ClassVar[int]
    SLOW_CONSUMER_SKIP_TO_HEAD_FIELD_NUMBER: _ClassVar[int]
    subscribe: SubscribeCommand
    unsubscribe: UnsubscribeCommand
    keepalive: KeepAliveCommand
    unaggregated: bool
    depth: int
    snapshot_only: bool
    slow_consumer_skip_to_head: bool
    def __init__(self, subscribe: _Optional[_Union[SubscribeCommand, _Mapping]] = ..., unsubscribe: _Optional[_Union[UnsubscribeCommand, _Mapping]] = ..., keepalive: _Optional[_Union[KeepAliveCommand, _Mapping]] = ..., unaggregated: _Optional[bool] = ..., depth: _Optional[int] = ..., snapshot_only: _Optional[bool] = ..., slow_consumer_skip_to_head: _Optional[bool] = ...) -> None: ...

class SymbolScales(_message.Message):
    __slots__ = ("symbol", "price_scale", "quantity_scale")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCALE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_SCALE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price_scale: int
    quantity_scale: int
    def __init__(self, symbol: _Optional[str] = ..., price_scale: _Optional[int] = ..., quantity_scale: _Optional[int] = ...) -> None: ...

class SubscriptionAck(_message.Message):
    __slots__ = ("symbols_added", "symbols_removed", "active_symbols", "symbol_scales", "active_symbol_count", "active_symbols_truncated", "symbols_added_count", "symbols_added_truncated", "symbols_removed_count", "symbols_removed_truncated")
    SYMBOLS_ADDED_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_SCALES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SYMBOL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SYMBOLS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_ADDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_ADDED_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_REMOVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_REMOVED_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    symbols_added: _containers.RepeatedScalarFieldContainer[str]
    symbols_removed: _containers.RepeatedScalarFieldContainer[str]
    active_symbols: _containers.RepeatedScalarFieldContainer[str]
    symbol_scales: _containers.RepeatedCompositeFieldContainer[SymbolScales]
    active_symbol_count: int
    active_symbols_truncated: bool
    symbols_added_count: int
    symbols_added_truncated: bool
    symbols_removed_count: int
    symbols_removed_truncated: bool
    def __init__(self, symbols_added: _Optional[_Iterable[str]] = ..., symbols_removed: _Optional[_Iterable[str]] = ..., active_symbols: _Optional[_Iterable[str]] = ..., symbol_scales: _Optional[_Iterable[_Union[SymbolScales, _Mapping]]] = ..., active_symbol_count: _Optional[int] = ..., active_symbols_truncated: _Optional[bool] = ..., symbols_added_count: _Optional[int] = ..., symbols_added_truncated: _Optional[bool] = ..., symbols_removed_count: _Optional[int] = ..., symbols_removed_truncated: _Optional[bool] = ...) -> None: ...

class SubscriptionError(_message.Message):
    __slots__ = ("error_code", "message", "symbols")
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    error_code: str
    message: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, error_code: _Optional[str] = ..., message: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class BiDirectionalStreamMarketDataResponse(_message.Message):
    __slots__ = ("heartbeat", "update", "subscription_ack", "subscription_error")
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ACK_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ERROR_FIELD_NUMBER: _ClassVar[int]
    heartbeat: _types_pb2.Heartbeat
    update: MarketDataUpdate
    subscription_ack: SubscriptionAck
    subscription_error: SubscriptionError
    def __init__(self, heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ..., update: _Optional[_Union[MarketDataUpdate, _Mapping]] = ..., subscription_ack: _Optional[_Union[SubscriptionAck, _Mapping]] = ..., subscription_error: _Optional[_Union[SubscriptionError, _Mapping]] = ...) -> None: ...

class BookEntry(_message.Message):
    __slots__ = ("px", "qty", "symbol_sub_type")
    PX_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_SUB_TYPE_FIELD_NUMBER: _ClassVar[int]
    px: int
    qty: int
    symbol_sub_type: str
    def __init__(self, px: _Optional[int] = ..., qty: _Optional[int] = ..., symbol_sub_type: _Optional[str] = ...) -> None: ...

class InstrumentStats(_message.Message):
    __slots__ = ("open_px", "close_px", "low_px", "high_px", "last_trade_px", "indicative_open_px", "settlement_px", "shares_traded", "notional_traded", "open_interest", "settlement_preliminary", "settlement_price_calculation_method", "settlement_price_calculation_text", "last_trade_qty", "settlement_set_time")
    OPEN_PX_FIELD_NUMBER: _ClassVar[int]
    CLOSE_PX_FIELD_NUMBER: _ClassVar[int]
    LOW_PX_FIELD_NUMBER: _ClassVar[int]
    HIGH_PX_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_PX_FIELD_NUMBER: _ClassVar[int]
    INDICATIVE_OPEN_PX_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PX_FIELD_NUMBER: _ClassVar[int]
    SHARES_TRADED_FIELD_NUMBER: _ClassVar[int]
    NOTIONAL_TRADED_FIELD_NUMBER: _ClassVar[int]
    OPEN_INTEREST_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRELIMINARY_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRICE_CALCULATION_METHOD_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRICE_CALCULATION_TEXT_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_QTY_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_SET_TIME_FIELD_NUMBER: _ClassVar[int]
    open_px: int
    close_px: int
    low_px: int
    high_px: int
    last_trade_px: int
    indicative_open_px: int
    settlement_px: int
    shares_traded: int
    notional_traded: int
    open_interest: int
    settlement_preliminary: bool
    settlement_price_calculation_method: str
    settlement_price_calculation_text: str
    last_trade_qty: int
    settlement_set_time: _timestamp_pb2.Timestamp
    def __init__(self, open_px: _Optional[int] = ..., close_px: _Optional[int] = ..., low_px: _Optional[int] = ..., high_px: _Optional[int] = ..., last_trade_px: _Optional[int] = ..., indicative_open_px: _Optional[int] = ..., settlement_px: _Optional[int] = ..., shares_traded: _Optional[int] = ..., notional_traded: _Optional[int] = ..., open_interest: _Optional[int] = ..., settlement_preliminary: _Optional[bool] = ..., settlement_price_calculation_method: _Optional[str] = ..., settlement_price_calculation_text: _Optional[str] = ..., last_trade_qty: _Optional[int] = ..., settlement_set_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MarketDataUpdate(_message.Message):
    __slots__ = ("symbol", "bids", "offers", "state", "stats", "transact_time", "book_hidden", "price_scale", "quantity_scale")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    BOOK_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCALE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_SCALE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bids: _containers.RepeatedCompositeFieldContainer[BookEntry]
    offers: _containers.RepeatedCompositeFieldContainer[BookEntry]
    state: _enums_pb2.InstrumentState
    stats: InstrumentStats
    transact_time: _timestamp_pb2.Timestamp
    book_hidden: bool
    price_scale: int
    quantity_scale: int
    def __init__(self, symbol: _Optional[str] = ..., bids: _Optional[_Iterable[_Union[BookEntry, _Mapping]]] = ..., offers: _Optional[_Iterable[_Union[BookEntry, _Mapping]]] = ..., state: _Optional[_Union[_enums_pb2.InstrumentState, str]] = ..., stats: _Optional[_Union[InstrumentStats, _Mapping]] = ..., transact_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., book_hidden: _Optional[bool] = ..., price_scale: _Optional[int] = ..., quantity_scale: _Optional[int] = ...) -> None: ...
