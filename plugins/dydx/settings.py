"""Settings of the dYdX full-node venue (validated from the run config)."""

from __future__ import annotations

from typing import Literal

import msgspec

from framework import StreamPolicy
from framework.plugin.specs import SettingsIssue
from plugins.dydx.units import ClobParams
from plugins.polymarket.transport import is_loopback

__all__ = ["DEFAULT_PAIRS", "DydxSettings", "parse_subaccount", "plaintext_issues"]

DEFAULT_PAIRS = {0: "BTC-USD", 1: "ETH-USD"}


class DydxSettings(msgspec.Struct, forbid_unknown_fields=True):
    """One dYdX full node and what to stream from it.

    ``markets`` maps a symbol to its clob pair id (``{"BTC-USD": 0}``);
    ``clob_pairs`` adds pairs by id (symbol ``CLOB-<id>``); with neither, the
    first two mainnet markets (BTC-USD on 0, ETH-USD on 1). ``instruments``
    gives unit parameters by symbol; pairs without them are queried from the
    node at start-up. Plaintext (``tls: false``) is allowed only to a loopback
    endpoint (127.0.0.0/8, ::1, localhost): a node elsewhere, even on a private
    network, is reached with ``tls: true`` or through a loopback tunnel. ``receiver: process`` reads the stream
    in a child process (:mod:`plugins.dydx.receiver`), so that this process
    being busy can never make the node drop the subscription.
    """

    endpoint: str = "127.0.0.1:9090"
    tls: bool = False
    markets: dict[str, int] = {}
    clob_pairs: list[int] = []
    subaccounts: list[str] = []  # "owner/number": own fills become OrderFilled
    oracle_markets: list[int] = []
    confirmed_only: bool = False
    # The stream's lifecycle (framework.StreamPolicy): silence before STALE; the
    # reopen backoff, doubling from min to max, scaled by a draw in
    # [1 - jitter, 1], restarting only after stable_after_ms of LIVE; and the
    # silence after STALE that reopens the stream (None: wait for data).
    stale_after_ms: int = 5_000
    reconnect_min_ms: int = 100
    reconnect_max_ms: int = 10_000
    reconnect_jitter: float = 0.2
    stable_after_ms: int = 10_000
    reconnect_after_stale_ms: int | None = None
    instruments: dict[str, ClobParams] = {}
    max_receive_mb: int = 64
    query_timeout_s: float = 10.0
    resync_on_crossed: bool = True
    # "process": a child process drains the node's stream (see plugins.dydx.receiver)
    receiver: Literal["inline", "process"] = "inline"

    def __post_init__(self) -> None:
        host = self.endpoint.rpartition(":")[0] if ":" in self.endpoint else ""
        if not host or not self.endpoint.rpartition(":")[2].isdigit():
            raise ValueError(f"endpoint {self.endpoint!r} must be host:port")
        for text in self.subaccounts:
            parse_subaccount(text)
        if not 0 < self.reconnect_min_ms <= self.reconnect_max_ms:
            raise ValueError("reconnect_min_ms must be > 0 and <= reconnect_max_ms")
        if self.stale_after_ms <= 0:
            raise ValueError("stale_after_ms must be > 0")
        self.stream_policy()  # the rest of its checks

    def stream_policy(self) -> StreamPolicy:
        """The order-book stream's :class:`~framework.StreamPolicy`."""
        return StreamPolicy(
            reconnect_min_ms=self.reconnect_min_ms, reconnect_max_ms=self.reconnect_max_ms,
            jitter=self.reconnect_jitter, stable_after_ms=self.stable_after_ms,
            stale_after_ms=self.stale_after_ms, reconnect_after_stale_ms=self.reconnect_after_stale_ms,
        )  # fmt: skip

    def pair_symbols(self) -> dict[int, str]:
        """clob pair id -> symbol, in subscription order (BTC-USD and ETH-USD if none is named)."""
        if not self.markets and not self.clob_pairs:
            return dict(DEFAULT_PAIRS)
        out = {pair: symbol for symbol, pair in self.markets.items()}
        for pair in self.clob_pairs:
            out.setdefault(pair, f"CLOB-{pair}")
        return out


def plaintext_issues(settings: DydxSettings) -> list[SettingsIssue]:
    """The endpoint, when ``tls: false`` would carry the stream unencrypted to a
    host that is not loopback (``config check`` reports it; the adapter refuses it)."""
    host = settings.endpoint.rpartition(":")[0].strip("[]")
    if settings.tls or is_loopback(host):
        return []
    return [SettingsIssue(
        ("endpoint",),
        f"tls: false would stream unencrypted from {settings.endpoint!r}, which is not a loopback address",
        "set tls: true, or reach the node through a loopback tunnel "
        "(e.g. ssh -L 9090:NODE:9090 and endpoint: 127.0.0.1:9090)",
    )]  # fmt: skip


def parse_subaccount(text: str) -> tuple[str, int]:
    """``"owner/number"`` -> ``(owner, number)``; ValueError if malformed."""
    owner, sep, number = text.partition("/")
    if not sep or not owner or not number.isdigit():
        raise ValueError(f"subaccount {text!r} must be owner/number")
    return owner, int(number)
