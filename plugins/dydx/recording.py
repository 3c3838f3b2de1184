"""Recorded streams: a file of length-prefixed ``StreamOrderbookUpdatesResponse`` frames.

Each frame is a 6-byte big-endian receive time (ms since the Unix epoch), a
4-byte big-endian body length, then the body (the response's protobuf bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["Frame", "FrameWriter", "RecordingError", "read_frames", "write_frames"]

Frame = tuple[int, bytes]
"""``(receive time in ms, body)``."""

_HEADER = 10
_MAX_MS = (1 << 48) - 1


class RecordingError(ValueError):
    """A recording that ends inside a frame (truncated) or is otherwise invalid."""


def read_frames(path: str | Path) -> Iterator[Frame]:
    """Yield the frames of a recording; ``RecordingError`` names a truncated frame."""
    with open(path, "rb") as fh:
        index = 0
        while True:
            header = fh.read(_HEADER)
            if not header:
                return
            if len(header) < _HEADER:
                raise RecordingError(f"{path}: frame {index} has a truncated header")
            ms = int.from_bytes(header[:6], "big")
            n = int.from_bytes(header[6:], "big")
            body = fh.read(n)
            if len(body) < n:
                raise RecordingError(f"{path}: frame {index} is truncated ({len(body)} of {n} bytes)")
            yield ms, body
            index += 1


class FrameWriter:
    """Appends frames to an open binary file."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.frames = 0

    def write(self, recv_ms: int, body: bytes) -> None:
        if not 0 <= recv_ms <= _MAX_MS:
            raise ValueError(f"receive time {recv_ms} ms does not fit in 6 bytes")
        if len(body) >= 1 << 32:
            raise ValueError("frame body larger than 4 GiB")
        self._fh.write(recv_ms.to_bytes(6, "big") + len(body).to_bytes(4, "big") + body)
        self.frames += 1


def write_frames(path: str | Path, frames: Iterable[Frame]) -> int:
    """Write ``frames`` to a new recording at ``path``; returns how many."""
    with open(path, "wb") as fh:
        writer = FrameWriter(fh)
        for ms, body in frames:
            writer.write(ms, body)
        return writer.frames
