"""The node's stream drained by a child process (``receiver: process``).

Why: a full node drops **every** subscriber when its shared buffer overflows,
and the one thing that makes a subscriber slow is its process being busy
(strategies, books, the event loop). A child process that does nothing but
read the stream keeps the node's buffer empty whatever this process does, and
takes the gRPC receive work (HTTP/2, the grpc core's threads) off its CPU;
the codec, the books and the bus stay here.

The child (``python -m plugins.dydx.receiver ENDPOINT REQUEST_HEX``) writes
each ``StreamOrderbookUpdatesResponse`` to its stdout as it arrives, as a
frame: a 4-byte big-endian length, then the body. Its reading loop never
waits for the parent: a writer thread drains a queue into the pipe, so the
node is read at its own pace even while the parent is busy (the queue is
bounded: past ``--max-backlog-mb`` the child gives up with
``BACKLOG`` and the adapter resyncs). When the node ends the
stream it exits 0; on a gRPC error it writes ``CODE<TAB>details`` to stderr
and exits 3. :class:`ReceiverProcess` is the parent's side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import struct
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from plugins.dydx.codec.requests import STREAM_METHOD

__all__ = ["RPC_FAILED", "ReceiverProcess", "main"]

RPC_FAILED = 3  # the child's exit status when the stream failed with a gRPC error
MAX_BACKLOG_MB = 512  # frames the child may hold for a parent that is not reading
_LENGTH = struct.Struct(">I")


class ReceiverProcess:
    """One subscription read by a child process: ``frames()`` yields the raw
    response bodies in order; ``failure()`` says how the stream ended."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc

    @classmethod
    async def start(
        cls, endpoint: str, request: bytes, *, tls: bool, max_receive_mb: int, max_backlog_mb: int = MAX_BACKLOG_MB
    ) -> ReceiverProcess:
        """Spawn the child; it subscribes with ``request`` (a serialized request)."""
        args = [sys.executable, "-m", __name__, endpoint, request.hex(),
                f"--max-receive-mb={max_receive_mb}", f"--max-backlog-mb={max_backlog_mb}"]  # fmt: skip
        if tls:
            args.append("--tls")
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        return cls(proc)

    async def frames(self) -> AsyncIterator[bytes]:
        """The response bodies, until the child's stdout ends (a frame cut short
        by the child's end is dropped: the stream ended before it)."""
        assert self._proc.stdout is not None
        read = self._proc.stdout.readexactly
        try:
            while True:
                (size,) = _LENGTH.unpack(await read(_LENGTH.size))
                yield await read(size)
        except asyncio.IncompleteReadError:
            return

    async def failure(self) -> tuple[str, str] | None:
        """After the frames: ``None`` if the node ended the stream, else
        ``(gRPC status name, details)``."""
        assert self._proc.stderr is not None
        err = (await self._proc.stderr.read()).decode(errors="replace").strip()
        code = await self._proc.wait()
        if code == 0:
            return None
        if code == RPC_FAILED and "\t" in err:
            name, _, details = err.rpartition("\n")[2].partition("\t")
            return name, details
        return "UNKNOWN", f"receiver process exited with {code}: {err[-500:]}"

    async def close(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        await self._proc.wait()


def main(argv: list[str] | None = None) -> int:
    """The child: read the stream, write frames to stdout (see the module docs)."""
    import grpc

    parser = argparse.ArgumentParser(prog="python -m plugins.dydx.receiver")
    parser.add_argument("endpoint")
    parser.add_argument("request_hex", help="the serialized StreamOrderbookUpdatesRequest, hex")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--max-receive-mb", type=int, default=64)
    parser.add_argument("--max-backlog-mb", type=int, default=MAX_BACKLOG_MB)
    args = parser.parse_args(argv)
    options = [("grpc.max_receive_message_length", args.max_receive_mb << 20)]
    if args.tls:
        channel = grpc.secure_channel(args.endpoint, grpc.ssl_channel_credentials(), options=options)
    else:
        channel = grpc.insecure_channel(args.endpoint, options=options)
    pipe = _Pipe(sys.stdout.buffer, args.max_backlog_mb << 20)
    try:
        # No serializers: the request goes as given, the bodies come as bytes.
        for body in channel.unary_stream(STREAM_METHOD)(bytes.fromhex(args.request_hex)):
            if not pipe.put(body):
                sys.stderr.write(f"BACKLOG\tthe adapter fell {args.max_backlog_mb} MB behind the node\n")
                return RPC_FAILED
    except grpc.RpcError as exc:
        sys.stderr.write(f"{exc.code().name}\t{exc.details()}\n")
        return RPC_FAILED
    finally:
        channel.close()
    pipe.close()
    return 0


class _Pipe:
    """Frames to stdout from a writer thread: the reading loop never waits for
    the parent, it only queues (up to ``limit`` bytes), so the node is drained
    at its own pace whatever the parent is doing."""

    def __init__(self, out: Any, limit: int) -> None:
        self._out, self._limit = out, limit
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._done = False
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._write, name="receiver-writer", daemon=True)
        self._thread.start()

    def put(self, body: bytes) -> bool:
        """Queue one frame; False once the parent is ``limit`` bytes behind."""
        frame = _LENGTH.pack(len(body)) + body
        with self._cv:
            if self._queued + len(frame) > self._limit:
                return False
            self._queue.append(frame)
            self._queued += len(frame)
            self._cv.notify()
        return True

    def close(self) -> None:
        """Write what is queued, then return."""
        with self._cv:
            self._done = True
            self._cv.notify()
        self._thread.join()

    def _write(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._done:
                    self._cv.wait()
                if not self._queue:
                    return
                frames = b"".join(self._queue)
                self._queue.clear()
                self._queued = 0
            try:
                self._out.write(frames)
                self._out.flush()
            except (BrokenPipeError, ValueError):
                return  # the parent went away


if __name__ == "__main__":
    sys.exit(main())
