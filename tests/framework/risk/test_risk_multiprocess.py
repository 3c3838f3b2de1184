"""Four OS processes share one Redis budget (50 messages/s over 2 s, used at
95 %) and never exceed it together, as counted by an independent UDP counter."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("redis_worker.py")
ROOT = Path(__file__).resolve().parents[3]
VENUE_LIMIT = 50 * 2  # messages in any 2-second window, as the venue states it
OUR_CAP = 95  # what the limiter allows itself (95 %)


def _count(sock: socket.socket, stamps: list[int], stop: threading.Event) -> None:
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            sock.recv(16)
        except TimeoutError:
            continue
        stamps.append(time.monotonic_ns())


@pytest.mark.redis
@pytest.mark.slow
def test_four_processes_never_exceed_the_shared_budget(redis_url: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    stamps: list[int] = []
    stop = threading.Event()
    counter = threading.Thread(target=_count, args=(sock, stamps, stop), daemon=True)
    counter.start()
    account = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, str(WORKER), "budget", redis_url, account, "5", str(port)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, cwd=ROOT) for _ in range(4)]
    try:
        outs = [p.communicate(timeout=60)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
        time.sleep(0.3)  # the last datagrams
        stop.set()
        counter.join(5)
        sock.close()
    assert all(p.returncode == 0 for p in procs)
    sent = [int(out) for out in outs]
    assert all(n > 0 for n in sent), sent  # every process got a share
    assert len(stamps) == sum(sent)  # the counter saw every admitted message

    stamps.sort()
    window = 2_000_000_000
    worst, lo = 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - window:
            lo += 1
        worst = max(worst, hi - lo + 1)
    assert worst <= VENUE_LIMIT, worst
    # Demand (4 processes flat out) exceeded the budget: it was used, not wasted.
    assert worst >= 0.9 * OUR_CAP, worst
