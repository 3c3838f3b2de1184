"""Protobuf wire-format reading for hot stream messages (no I/O, no state).

The dYdX and Polymarket codecs read their stream messages' bytes directly
instead of decoding them into protobuf message objects and reading fields back
out: reading fields out of decoded messages costs several times the decode
itself, and book updates are nearly all of the traffic. Rare messages are
sliced out and decoded with protobuf.

A tag byte encodes field number and wire type together, so matching a whole
tag byte checks both; unknown fields are skipped, as protobuf requires.
"""

from __future__ import annotations

__all__ = ["Malformed", "iter_fields", "skip_field", "varint"]


class Malformed(ValueError):
    """Bytes that are not a valid encoding of the expected message."""


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode the varint at ``pos``: ``(value, next position)``."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise Malformed("varint longer than 10 bytes")


def skip_field(buf: bytes, pos: int) -> int:
    """Skip the whole field (tag and value) at ``pos``; return the next position."""
    tag, pos = varint(buf, pos)
    return skip_value(buf, pos, tag & 7, tag)


def skip_value(buf: bytes, pos: int, wire_type: int, tag: int = 0) -> int:
    """Skip a field's value of ``wire_type`` starting at ``pos``; return the next position."""
    if wire_type == 0:
        return varint(buf, pos)[1]
    if wire_type == 2:
        n, pos = varint(buf, pos)
        return pos + n
    if wire_type == 5:
        return pos + 4
    if wire_type == 1:
        return pos + 8
    raise Malformed(f"unsupported wire type {wire_type} (tag {tag})")


def iter_fields(buf: bytes, pos: int, end: int):  # type: ignore[no-untyped-def]
    """Yield ``(tag, value)`` for each field in ``buf[pos:end]``.

    ``value`` is an int for varint fields and ``(start, stop)`` offsets for
    length-delimited ones; fixed-width fields yield their offsets too.
    """
    while pos < end:
        tag, pos = varint(buf, pos)
        wire_type = tag & 7
        if wire_type == 0:
            value, pos = varint(buf, pos)
            yield tag, value
        elif wire_type == 2:
            n, pos = varint(buf, pos)
            if pos + n > end:
                raise Malformed(f"field {tag >> 3} overruns its message")
            yield tag, (pos, pos + n)
            pos += n
        elif wire_type == 5:
            yield tag, (pos, pos + 4)
            pos += 4
        elif wire_type == 1:
            yield tag, (pos, pos + 8)
            pos += 8
        else:
            raise Malformed(f"unsupported wire type {wire_type} (tag {tag})")
    if pos != end:
        raise Malformed("message overruns its length")
