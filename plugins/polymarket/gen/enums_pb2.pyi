from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNDEFINED: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNDEFINED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET_TO_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_STOP: _ClassVar[OrderType]
    ORDER_TYPE_STOP_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNDEFINED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_DAY: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GOOD_TILL_CANCEL: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IMMEDIATE_OR_CANCEL: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GOOD_TILL_TIME: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FILL_OR_KILL: _ClassVar[TimeInForce]

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_NEW: _ClassVar[OrderState]
    ORDER_STATE_PARTIALLY_FILLED: _ClassVar[OrderState]
    ORDER_STATE_FILLED: _ClassVar[OrderState]
    ORDER_STATE_CANCELED: _ClassVar[OrderState]
    ORDER_STATE_REPLACED: _ClassVar[OrderState]
    ORDER_STATE_REJECTED: _ClassVar[OrderState]
    ORDER_STATE_EXPIRED: _ClassVar[OrderState]
    ORDER_STATE_PENDING_NEW: _ClassVar[OrderState]
    ORDER_STATE_PENDING_REPLACE: _ClassVar[OrderState]
    ORDER_STATE_PENDING_CANCEL: _ClassVar[OrderState]
    ORDER_STATE_PENDING_RISK: _ClassVar[OrderState]

class ExecutionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_TYPE_NEW: _ClassVar[ExecutionType]
    EXECUTION_TYPE_PARTIAL_FILL: _ClassVar[ExecutionType]
    EXECUTION_TYPE_FILL: _ClassVar[ExecutionType]
    EXECUTION_TYPE_CANCELED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_REPLACE: _ClassVar[ExecutionType]
    EXECUTION_TYPE_REJECTED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_EXPIRED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_DONE_FOR_DAY: _ClassVar[ExecutionType]

class OrdRejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORD_REJECT_REASON_EXCHANGE_OPTION: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_UNKNOWN_SYMBOL: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_EXCHANGE_CLOSED: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_INCORRECT_QUANTITY: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_INVALID_PRICE_INCREMENT: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_INCORRECT_ORDER_TYPE: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_PRICE_OUT_OF_BOUNDS: _ClassVar[OrdRejectReason]
    ORD_REJECT_REASON_NO_LIQUIDITY: _ClassVar[OrdRejectReason]

class CxlRejReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CXL_REJ_REASON_TOO_LATE_TO_CANCEL: _ClassVar[CxlRejReason]
    CXL_REJ_REASON_UNKNOWN_ORDER: _ClassVar[CxlRejReason]
    CXL_REJ_REASON_DUPLICATE_CLORDID: _ClassVar[CxlRejReason]
    CXL_REJ_REASON_INVALID_PRICE_INCREMENT: _ClassVar[CxlRejReason]
    CXL_REJ_REASON_OTHER: _ClassVar[CxlRejReason]

class InstrumentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTRUMENT_STATE_CLOSED: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_OPEN: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_PREOPEN: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_SUSPENDED: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_EXPIRED: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_TERMINATED: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_HALTED: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_MATCH_AND_CLOSE_AUCTION: _ClassVar[InstrumentState]
    INSTRUMENT_STATE_PENDING: _ClassVar[InstrumentState]

class SelfMatchPreventionInstruction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SELF_MATCH_PREVENTION_INSTRUCTION_UNDEFINED: _ClassVar[SelfMatchPreventionInstruction]
    SELF_MATCH_PREVENTION_INSTRUCTION_REJECT_AGGRESSOR: _ClassVar[SelfMatchPreventionInstruction]
    SELF_MATCH_PREVENTION_INSTRUCTION_CANCEL_RESTING: _ClassVar[SelfMatchPreventionInstruction]
    SELF_MATCH_PREVENTION_INSTRUCTION_REMOVE_BOTH: _ClassVar[SelfMatchPreventionInstruction]

class OrderCapacity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_CAPACITY_UNDEFINED: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_AGENCY: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_PRINCIPAL: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_PROPRIETARY: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_INDIVIDUAL: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_RISKLESS_PRINCIPAL: _ClassVar[OrderCapacity]
    ORDER_CAPACITY_AGENT_FOR_OTHER_MEMBER: _ClassVar[OrderCapacity]

class ManualOrderIndicator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MANUAL_ORDER_INDICATOR_UNDEFINED: _ClassVar[ManualOrderIndicator]
    MANUAL_ORDER_INDICATOR_MANUAL: _ClassVar[ManualOrderIndicator]
    MANUAL_ORDER_INDICATOR_AUTOMATED: _ClassVar[ManualOrderIndicator]
SIDE_UNDEFINED: Side
SIDE_BUY: Side
SIDE_SELL: Side
ORDER_TYPE_UNDEFINED: OrderType
ORDER_TYPE_MARKET_TO_LIMIT: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_TYPE_STOP: OrderType
ORDER_TYPE_STOP_LIMIT: OrderType
TIME_IN_FORCE_UNDEFINED: TimeInForce
TIME_IN_FORCE_DAY: TimeInForce
TIME_IN_FORCE_GOOD_TILL_CANCEL: TimeInForce
TIME_IN_FORCE_IMMEDIATE_OR_CANCEL: TimeInForce
TIME_IN_FORCE_GOOD_TILL_TIME: TimeInForce
TIME_IN_FORCE_FILL_OR_KILL: TimeInForce
ORDER_STATE_NEW: OrderState
ORDER_STATE_PARTIALLY_FILLED: OrderState
ORDER_STATE_FILLED: OrderState
ORDER_STATE_CANCELED: OrderState
ORDER_STATE_REPLACED: OrderState
ORDER_STATE_REJECTED: OrderState
ORDER_STATE_EXPIRED: OrderState
ORDER_STATE_PENDING_NEW: OrderState
ORDER_STATE_PENDING_REPLACE: OrderState
ORDER_STATE_PENDING_CANCEL: OrderState
ORDER_STATE_PENDING_RISK: OrderState
EXECUTION_TYPE_NEW: ExecutionType
EXECUTION_TYPE_PARTIAL_FILL: ExecutionType
EXECUTION_TYPE_FILL: ExecutionType
EXECUTION_TYPE_CANCELED: ExecutionType
EXECUTION_TYPE_REPLACE: ExecutionType
EXECUTION_TYPE_REJECTED: ExecutionType
EXECUTION_TYPE_EXPIRED: ExecutionType
EXECUTION_TYPE_DONE_FOR_DAY: ExecutionType
ORD_REJECT_REASON_EXCHANGE_OPTION: OrdRejectReason
ORD_REJECT_REASON_UNKNOWN_SYMBOL: OrdRejectReason
ORD_REJECT_REASON_EXCHANGE_CLOSED: OrdRejectReason
ORD_REJECT_REASON_INCORRECT_QUANTITY: OrdRejectReason
ORD_REJECT_REASON_INVALID_PRICE_INCREMENT: OrdRejectReason
ORD_REJECT_REASON_INCORRECT_ORDER_TYPE: OrdRejectReason
ORD_REJECT_REASON_PRICE_OUT_OF_BOUNDS: OrdRejectReason
ORD_REJECT_REASON_NO_LIQUIDITY: OrdRejectReason
CXL_REJ_REASON_TOO_LATE_TO_CANCEL: CxlRejReason
CXL_REJ_REASON_UNKNOWN_ORDER: CxlRejReason
CXL_REJ_REASON_DUPLICATE_CLORDID: CxlRejReason
CXL_REJ_REASON_INVALID_PRICE_INCREMENT: CxlRejReason
CXL_REJ_REASON_OTHER: CxlRejReason
INSTRUMENT_STATE_CLOSED: InstrumentState
INSTRUMENT_STATE_OPEN: InstrumentState
INSTRUMENT_STATE_PREOPEN: InstrumentState
INSTRUMENT_STATE_SUSPENDED: InstrumentState
INSTRUMENT_STATE_EXPIRED: InstrumentState
INSTRUMENT_STATE_TERMINATED: InstrumentState
INSTRUMENT_STATE_HALTED: InstrumentState
INSTRUMENT_STATE_MATCH_AND_CLOSE_AUCTION: InstrumentState
INSTRUMENT_STATE_PENDING: InstrumentState
SELF_MATCH_PREVENTION_INSTRUCTION_UNDEFINED: SelfMatchPreventionInstruction
SELF_MATCH_PREVENTION_INSTRUCTION_REJECT_AGGRESSOR: SelfMatchPreventionInstruction
SELF_MATCH_PREVENTION_INSTRUCTION_CANCEL_RESTING: SelfMatchPreventionInstruction
SELF_MATCH_PREVENTION_INSTRUCTION_REMOVE_BOTH: SelfMatchPreventionInstruction
ORDER_CAPACITY_UNDEFINED: OrderCapacity
ORDER_CAPACITY_AGENCY: OrderCapacity
ORDER_CAPACITY_PRINCIPAL: OrderCapacity
ORDER_CAPACITY_PROPRIETARY: OrderCapacity
ORDER_CAPACITY_INDIVIDUAL: OrderCapacity
ORDER_CAPACITY_RISKLESS_PRINCIPAL: OrderCapacity
ORDER_CAPACITY_AGENT_FOR_OTHER_MEMBER: OrderCapacity
MANUAL_ORDER_INDICATOR_UNDEFINED: ManualOrderIndicator
MANUAL_ORDER_INDICATOR_MANUAL: ManualOrderIndicator
MANUAL_ORDER_INDICATOR_AUTOMATED: ManualOrderIndicator
