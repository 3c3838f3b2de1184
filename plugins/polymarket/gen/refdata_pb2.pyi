from . import enums_pb2 as _enums_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PriceLimit(_message.Message):
    __slots__ = ("low", "high", "low_set", "high_set")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_SET_FIELD_NUMBER: _ClassVar[int]
    HIGH_SET_FIELD_NUMBER: _ClassVar[int]
    low: int
    high: int
    low_set: bool
    high_set: bool
    def __init__(self, low: _Optional[int] = ..., high: _Optional[int] = ..., low_set: _Optional[bool] = ..., high_set: _Optional[bool] = ...) -> None: ...

class Instrument(_message.Message):
    __slots__ = ("symbol", "tick_size", "base_currency", "multiplier", "minimum_trade_qty", "description", "non_tradable", "product_id", "price_limit", "state", "price_scale", "fractional_qty_scale", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_TRADE_QTY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NON_TRADABLE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCALE_FIELD_NUMBER: _ClassVar[int]
    FRACTIONAL_QTY_SCALE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    tick_size: float
    base_currency: str
    multiplier: float
    minimum_trade_qty: int
    description: str
    non_tradable: bool
    product_id: str
    price_limit: PriceLimit
    state: _enums_pb2.InstrumentState
    price_scale: int
    fractional_qty_scale: int
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, symbol: _Optional[str] = ..., tick_size: _Optional[float] = ..., base_currency: _Optional[str] = ..., multiplier: _Optional[float] = ..., minimum_trade_qty: _Optional[int] = ..., description: _Optional[str] = ..., non_tradable: _Optional[bool] = ..., product_id: _Optional[str] = ..., price_limit: _Optional[_Union[PriceLimit, _Mapping]] = ..., state: _Optional[_Union[_enums_pb2.InstrumentState, str]] = ..., price_scale: _Optional[int] = ..., fractional_qty_scale: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListInstrumentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbols", "product_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    product_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., product_id: _Optional[str] = ...) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments", "next_page_token", "eof")
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[Instrument]
    next_page_token: str
    eof: bool
    def __init__(self, instruments: _Optional[_Iterable[_Union[Instrument, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., eof: _Optional[bool] = ...) -> None: ...
