"""Protobuf wire-format pieces for tests that hand-build encodings."""

from __future__ import annotations


def varint(n: int) -> bytes:
    """``n`` (>= 0) as a minimal base-128 varint."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
