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

class Order(_message.Message):
    __slots__ = ("id", "type", "side", "order_qty", "symbol", "clord_id", "time_in_force", "account", "cum_qty", "avg_px", "leaves_qty", "state", "participant", "price", "insert_time", "stop_price", "min_qty", "create_time", "all_or_none", "cross_id", "host_cross_id", "submitting_participant", "client_account_id", "client_participant_id", "parent_order_id", "commissions_basis_points", "participate_dont_initiate", "cash_order_qty", "strict_limit", "good_till_time", "best_limit", "immediately_executable_limit", "last_trade_id", "commission_notional_total_collected", "self_match_prevention_instruction", "order_capacity", "ignore_price_validity_checks", "last_transact_time", "price_scale", "fractional_quantity_scale", "price_to_quantity_filled", "maker_commissions_basis_points", "manual_order_indicator")
    class PriceToQuantityFilledEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CLORD_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUM_QTY_FIELD_NUMBER: _ClassVar[int]
    AVG_PX_FIELD_NUMBER: _ClassVar[int]
    LEAVES_QTY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    INSERT_TIME_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NONE_FIELD_NUMBER: _ClassVar[int]
    CROSS_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_CROSS_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMITTING_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    COMMISSIONS_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATE_DONT_INITIATE_FIELD_NUMBER: _ClassVar[int]
    CASH_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    STRICT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    GOOD_TILL_TIME_FIELD_NUMBER: _ClassVar[int]
    BEST_LIMIT_FIELD_NUMBER: _ClassVar[int]
    IMMEDIATELY_EXECUTABLE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_NOTIONAL_TOTAL_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    SELF_MATCH_PREVENTION_INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    ORDER_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PRICE_VALIDITY_CHECKS_FIELD_NUMBER: _ClassVar[int]
    LAST_TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCALE_FIELD_NUMBER: _ClassVar[int]
    FRACTIONAL_QUANTITY_SCALE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TO_QUANTITY_FILLED_FIELD_NUMBER: _ClassVar[int]
    MAKER_COMMISSIONS_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    MANUAL_ORDER_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: _enums_pb2.OrderType
    side: _enums_pb2.Side
    order_qty: int
    symbol: str
    clord_id: str
    time_in_force: _enums_pb2.TimeInForce
    account: str
    cum_qty: int
    avg_px: int
    leaves_qty: int
    state: _enums_pb2.OrderState
    participant: str
    price: int
    insert_time: _timestamp_pb2.Timestamp
    stop_price: int
    min_qty: int
    create_time: _timestamp_pb2.Timestamp
    all_or_none: bool
    cross_id: str
    host_cross_id: str
    submitting_participant: str
    client_account_id: str
    client_participant_id: str
    parent_order_id: str
    commissions_basis_points: str
    participate_dont_initiate: bool
    cash_order_qty: int
    strict_limit: bool
    good_till_time: _timestamp_pb2.Timestamp
    best_limit: bool
    immediately_executable_limit: bool
    last_trade_id: str
    commission_notional_total_collected: int
    self_match_prevention_instruction: _enums_pb2.SelfMatchPreventionInstruction
    order_capacity: _enums_pb2.OrderCapacity
    ignore_price_validity_checks: bool
    last_transact_time: _timestamp_pb2.Timestamp
    price_scale: int
    fractional_quantity_scale: int
    price_to_quantity_filled: _containers.ScalarMap[int, int]
    maker_commissions_basis_points: str
    manual_order_indicator: _enums_pb2.ManualOrderIndicator
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[_enums_pb2.OrderType, str]] = ..., side: _Optional[_Union[_enums_pb2.Side, str]] = ..., order_qty: _Optional[int] = ..., symbol: _Optional[str] = ..., clord_id: _Optional[str] = ..., time_in_force: _Optional[_Union[_enums_pb2.TimeInForce, str]] = ..., account: _Optional[str] = ..., cum_qty: _Optional[int] = ..., avg_px: _Optional[int] = ..., leaves_qty: _Optional[int] = ..., state: _Optional[_Union[_enums_pb2.OrderState, str]] = ..., participant: _Optional[str] = ..., price: _Optional[int] = ..., insert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stop_price: _Optional[int] = ..., min_qty: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., all_or_none: _Optional[bool] = ..., cross_id: _Optional[str] = ..., host_cross_id: _Optional[str] = ..., submitting_participant: _Optional[str] = ..., client_account_id: _Optional[str] = ..., client_participant_id: _Optional[str] = ..., parent_order_id: _Optional[str] = ..., commissions_basis_points: _Optional[str] = ..., participate_dont_initiate: _Optional[bool] = ..., cash_order_qty: _Optional[int] = ..., strict_limit: _Optional[bool] = ..., good_till_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., best_limit: _Optional[bool] = ..., immediately_executable_limit: _Optional[bool] = ..., last_trade_id: _Optional[str] = ..., commission_notional_total_collected: _Optional[int] = ..., self_match_prevention_instruction: _Optional[_Union[_enums_pb2.SelfMatchPreventionInstruction, str]] = ..., order_capacity: _Optional[_Union[_enums_pb2.OrderCapacity, str]] = ..., ignore_price_validity_checks: _Optional[bool] = ..., last_transact_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., price_scale: _Optional[int] = ..., fractional_quantity_scale: _Optional[int] = ..., price_to_quantity_filled: _Optional[_Mapping[int, int]] = ..., maker_commissions_basis_points: _Optional[str] = ..., manual_order_indicator: _Optional[_Union[_enums_pb2.ManualOrderIndicator, str]] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("id", "type", "order", "last_shares", "last_px", "trade_id", "aggressor", "transact_time", "text", "order_reject_reason", "commission_notional_collected", "unsolicited_cancel_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    LAST_SHARES_FIELD_NUMBER: _ClassVar[int]
    LAST_PX_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    AGGRESSOR_FIELD_NUMBER: _ClassVar[int]
    TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ORDER_REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_NOTIONAL_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    UNSOLICITED_CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: _enums_pb2.ExecutionType
    order: Order
    last_shares: int
    last_px: int
    trade_id: str
    aggressor: bool
    transact_time: _timestamp_pb2.Timestamp
    text: str
    order_reject_reason: _enums_pb2.OrdRejectReason
    commission_notional_collected: int
    unsolicited_cancel_reason: str
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[_enums_pb2.ExecutionType, str]] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., last_shares: _Optional[int] = ..., last_px: _Optional[int] = ..., trade_id: _Optional[str] = ..., aggressor: _Optional[bool] = ..., transact_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., order_reject_reason: _Optional[_Union[_enums_pb2.OrdRejectReason, str]] = ..., commission_notional_collected: _Optional[int] = ..., unsolicited_cancel_reason: _Optional[str] = ...) -> None: ...

class CancelReject(_message.Message):
    __slots__ = ("order_id", "clord_id", "reject_reason", "text")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLORD_ID_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    clord_id: str
    reject_reason: _enums_pb2.CxlRejReason
    text: str
    def __init__(self, order_id: _Optional[str] = ..., clord_id: _Optional[str] = ..., reject_reason: _Optional[_Union[_enums_pb2.CxlRejReason, str]] = ..., text: _Optional[str] = ...) -> None: ...

class OrderSnapshot(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class OrderUpdate(_message.Message):
    __slots__ = ("executions", "cancel_reject")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REJECT_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[Execution]
    cancel_reject: CancelReject
    def __init__(self, executions: _Optional[_Iterable[_Union[Execution, _Mapping]]] = ..., cancel_reject: _Optional[_Union[CancelReject, _Mapping]] = ...) -> None: ...

class CreateOrderSubscriptionRequest(_message.Message):
    __slots__ = ("symbols", "accounts", "snapshot_only")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ONLY_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    snapshot_only: bool
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., accounts: _Optional[_Iterable[str]] = ..., snapshot_only: _Optional[bool] = ...) -> None: ...

class CreateOrderSubscriptionResponse(_message.Message):
    __slots__ = ("heartbeat", "snapshot", "update", "session_id", "processed_sent_time")
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_SENT_TIME_FIELD_NUMBER: _ClassVar[int]
    heartbeat: _types_pb2.Heartbeat
    snapshot: OrderSnapshot
    update: OrderUpdate
    session_id: str
    processed_sent_time: _timestamp_pb2.Timestamp
    def __init__(self, heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ..., snapshot: _Optional[_Union[OrderSnapshot, _Mapping]] = ..., update: _Optional[_Union[OrderUpdate, _Mapping]] = ..., session_id: _Optional[str] = ..., processed_sent_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InsertOrderRequest(_message.Message):
    __slots__ = ("type", "side", "order_qty", "symbol", "price", "time_in_force", "clord_id", "account", "stop_price", "min_qty", "self_match_prevention_id", "quote", "all_or_none", "session_id", "user", "client_account_id", "client_participant_id", "participate_dont_initiate", "cash_order_qty", "strict_limit", "good_till_time", "best_limit", "immediately_executable_limit", "self_match_prevention_instruction", "order_capacity", "ignore_price_validity_checks", "manual_order_indicator")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    CLORD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    SELF_MATCH_PREVENTION_ID_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NONE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATE_DONT_INITIATE_FIELD_NUMBER: _ClassVar[int]
    CASH_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    STRICT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    GOOD_TILL_TIME_FIELD_NUMBER: _ClassVar[int]
    BEST_LIMIT_FIELD_NUMBER: _ClassVar[int]
    IMMEDIATELY_EXECUTABLE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SELF_MATCH_PREVENTION_INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    ORDER_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PRICE_VALIDITY_CHECKS_FIELD_NUMBER: _ClassVar[int]
    MANUAL_ORDER_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    type: _enums_pb2.OrderType
    side: _enums_pb2.Side
    order_qty: int
    symbol: str
    price: int
    time_in_force: _enums_pb2.TimeInForce
    clord_id: str
    account: str
    stop_price: int
    min_qty: int
    self_match_prevention_id: str
    quote: bool
    all_or_none: bool
    session_id: str
    user: str
    client_account_id: str
    client_participant_id: str
    participate_dont_initiate: bool
    cash_order_qty: int
    strict_limit: bool
    good_till_time: _timestamp_pb2.Timestamp
    best_limit: bool
    immediately_executable_limit: bool
    self_match_prevention_instruction: _enums_pb2.SelfMatchPreventionInstruction
    order_capacity: _enums_pb2.OrderCapacity
    ignore_price_validity_checks: bool
    manual_order_indicator: _enums_pb2.ManualOrderIndicator
    def __init__(self, type: _Optional[_Union[_enums_pb2.OrderType, str]] = ..., side: _Optional[_Union[_enums_pb2.Side, str]] = ..., order_qty: _Optional[int] = ..., symbol: _Optional[str] = ..., price: _Optional[int] = ..., time_in_force: _Optional[_Union[_enums_pb2.TimeInForce, str]] = ..., clord_id: _Optional[str] = ..., account: _Optional[str] = ..., stop_price: _Optional[int] = ..., min_qty: _Optional[int] = ..., self_match_prevention_id: _Optional[str] = ..., quote: _Optional[bool] = ..., all_or_none: _Optional[bool] = ..., session_id: _Optional[str] = ..., user: _Optional[str] = ..., client_account_id: _Optional[str] = ..., client_participant_id: _Optional[str] = ..., participate_dont_initiate: _Optional[bool] = ..., cash_order_qty: _Optional[int] = ..., strict_limit: _Optional[bool] = ..., good_till_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., best_limit: _Optional[bool] = ..., immediately_executable_limit: _Optional[bool] = ..., self_match_prevention_instruction: _Optional[_Union[_enums_pb2.SelfMatchPreventionInstruction, str]] = ..., order_capacity: _Optional[_Union[_enums_pb2.OrderCapacity, str]] = ..., ignore_price_validity_checks: _Optional[bool] = ..., manual_order_indicator: _Optional[_Union[_enums_pb2.ManualOrderIndicator, str]] = ...) -> None: ...

class InsertOrderResponse(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class InsertOrderListRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[InsertOrderRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[InsertOrderRequest, _Mapping]]] = ...) -> None: ...

class InsertOrderListResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[InsertOrderResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[InsertOrderResponse, _Mapping]]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("order_id", "clord_id", "symbol")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLORD_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    clord_id: str
    symbol: str
    def __init__(self, order_id: _Optional[str] = ..., clord_id: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CancelOrderListRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[CancelOrderRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[CancelOrderRequest, _Mapping]]] = ...) -> None: ...

class CancelOrderListResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[CancelOrderResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[CancelOrderResponse, _Mapping]]] = ...) -> None: ...

class CancelReplaceOrderRequest(_message.Message):
    __slots__ = ("order_id", "clord_id", "symbol", "price", "order_qty", "time_in_force", "stop_price", "min_qty", "all_or_none", "participate_dont_initiate", "strict_limit", "good_till_time", "best_limit", "immediately_executable_limit", "manual_order_indicator")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLORD_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NONE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATE_DONT_INITIATE_FIELD_NUMBER: _ClassVar[int]
    STRICT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    GOOD_TILL_TIME_FIELD_NUMBER: _ClassVar[int]
    BEST_LIMIT_FIELD_NUMBER: _ClassVar[int]
    IMMEDIATELY_EXECUTABLE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MANUAL_ORDER_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    clord_id: str
    symbol: str
    price: int
    order_qty: int
    time_in_force: _enums_pb2.TimeInForce
    stop_price: int
    min_qty: int
    all_or_none: bool
    participate_dont_initiate: bool
    strict_limit: bool
    good_till_time: _timestamp_pb2.Timestamp
    best_limit: bool
    immediately_executable_limit: bool
    manual_order_indicator: _enums_pb2.ManualOrderIndicator
    def __init__(self, order_id: _Optional[str] = ..., clord_id: _Optional[str] = ..., symbol: _Optional[str] = ..., price: _Optional[int] = ..., order_qty: _Optional[int] = ..., time_in_force: _Optional[_Union[_enums_pb2.TimeInForce, str]] = ..., stop_price: _Optional[int] = ..., min_qty: _Optional[int] = ..., all_or_none: _Optional[bool] = ..., participate_dont_initiate: _Optional[bool] = ..., strict_limit: _Optional[bool] = ..., good_till_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., best_limit: _Optional[bool] = ..., immediately_executable_limit: _Optional[bool] = ..., manual_order_indicator: _Optional[_Union[_enums_pb2.ManualOrderIndicator, str]] = ...) -> None: ...

class CancelReplaceOrderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CancelReplaceOrderListRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[CancelReplaceOrderRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[CancelReplaceOrderRequest, _Mapping]]] = ...) -> None: ...

class CancelReplaceOrderListResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[CancelReplaceOrderResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[CancelReplaceOrderResponse, _Mapping]]] = ...) -> None: ...

class GetOpenOrdersRequest(_message.Message):
    __slots__ = ("symbols", "accounts")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., accounts: _Optional[_Iterable[str]] = ...) -> None: ...

class GetOpenOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...
