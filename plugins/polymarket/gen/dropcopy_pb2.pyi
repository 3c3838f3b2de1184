import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import trading_pb2 as _trading_pb2
from . import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateDropCopySubscriptionRequest(_message.Message):
    __slots__ = ("accounts", "resume_token", "resume_time")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESUME_TIME_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    resume_token: bytes
    resume_time: _timestamp_pb2.Timestamp
    def __init__(self, accounts: _Optional[_Iterable[str]] = ..., resume_token: _Optional[bytes] = ..., resume_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateDropCopySubscriptionResponse(_message.Message):
    __slots__ = ("heartbeat", "execution", "resume_token")
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    heartbeat: _types_pb2.Heartbeat
    execution: _trading_pb2.Execution
    resume_token: bytes
    def __init__(self, heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ..., execution: _Optional[_Union[_trading_pb2.Execution, _Mapping]] = ..., resume_token: _Optional[bytes] = ...) -> None: ...
