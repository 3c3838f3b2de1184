"""Settings of the Polymarket US exchange adapter (``venues.<name>`` in a run config)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from framework.config import Secret
from framework.plugin.specs import SettingsIssue

__all__ = ["PolymarketSettings", "is_loopback", "plaintext_issues", "reveal", "settings_from"]


def reveal(value: Any) -> str:
    """The plain text of a config value that may be a ``Secret`` (``.reveal()``) or a str."""
    return str(getattr(value, "reveal", lambda: value)() or "")


class PolymarketSettings(msgspec.Struct, forbid_unknown_fields=True):
    """How to reach and authenticate with the venue, and how to behave on the wire.

    For example (preprod)::

        venues:
          pm:
            plugin: polymarket
            settings:
              grpc_target: grpc-api.preprod.polymarketexchange.com:443
              rest_base: https://api.preprod.polymarketexchange.com
              token_url: https://pmx-preprod.us.auth0.com/oauth/token
              client_id: ${PM_CLIENT_ID}
              private_key_pem: ${PM_PRIVATE_KEY_PEM}
              participant_id: firms/acme/users/bot
              account: firms/acme/accounts/main
              tier: 2

    Secrets (``client_id``, ``private_key_pem``) come from ``${ENV}`` in the
    YAML as :class:`~framework.config.Secret`; :func:`reveal` also accepts
    plain strings.
    ``private_key_path`` names a PEM file instead of ``private_key_pem``.
    ``tls: false`` is accepted only for a loopback ``grpc_target``, and an
    ``http://`` ``rest_base`` or ``token_url`` only to a loopback host
    (127.0.0.0/8, ::1, localhost): see :func:`plaintext_issues`.
    """

    grpc_target: str = "grpc-api.prod.polymarketexchange.com:443"
    rest_base: str = "https://api.prod.polymarketexchange.com"
    token_url: str = "https://pmx-prod.us.auth0.com/oauth/token"
    audience: str = ""  # "" = rest_base (the docs: audience is the REST base)
    client_id: Secret = ""  # type: ignore[assignment]  # a plain default keeps the JSON Schema encodable
    private_key_pem: Secret = ""  # type: ignore[assignment]
    private_key_path: str = ""
    participant_id: str = ""  # firms/{firm}/users/{user}
    account: str = ""  # firms/{firm}/accounts/{id}
    tls: bool = True
    order_entry: Literal["rest", "grpc"] = "rest"  # REST (the usual way) or unary gRPC (lower latency)
    # Resume executions from the drop-copy stream after a reconnect, so fills
    # made while disconnected arrive as the venue's own executions (one more
    # stream). Off: they are synthesized from the order snapshot, and orders
    # that ended while disconnected are reported as OrderUnresolved.
    drop_copy: bool = True
    tier: Annotated[int, msgspec.Meta(ge=1, le=4)] = 1  # REST rate-limit tier
    depth: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10  # market-data levels per side
    symbols: list[str] = []  # added to the run's symbols
    stale_after_s: Annotated[float, msgspec.Meta(gt=0)] = 180.0  # silence on a stream before it is stale (docs: 180 s)
    keepalive_s: Annotated[float, msgspec.Meta(ge=10)] = 60.0  # gRPC keepalive ping interval (docs: 60 s)
    reconnect_initial_s: Annotated[float, msgspec.Meta(gt=0)] = 1.0  # docs: 1 s doubling to 30 s
    reconnect_max_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    reconnect_jitter: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5  # a delay is scaled by a uniform draw in [1 - jitter, 1]
    reconnect_stable_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0  # LIVE this long before the backoff restarts from reconnect_initial_s
    token_renew_before_s: Annotated[float, msgspec.Meta(ge=0)] = 30.0  # mint a new token this long before expiry
    http_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    http_max_connections: Annotated[int, msgspec.Meta(ge=1)] = 16
    start_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    slow_consumer_skip_to_head: bool = False
    seed: int | None = None  # jitter RNG seed (None = OS entropy)


def _dec_hook(tp: type, value: Any) -> Any:
    if tp is Secret and isinstance(value, str):
        return Secret(value)
    raise NotImplementedError(f"cannot convert {type(value).__name__} to {tp}")


def settings_from(values: dict[str, Any]) -> PolymarketSettings:
    """Validated settings from a plain mapping (the run config's loader does
    the same from YAML); plain strings become :class:`Secret` where declared."""
    return msgspec.convert(values, PolymarketSettings, dec_hook=_dec_hook)


_LOOPBACK = "127.0.0.0/8, ::1 or localhost"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127/8, ::1)."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plaintext_issues(settings: PolymarketSettings) -> list[SettingsIssue]:
    """Every target that would carry orders or credentials unencrypted to a
    host that is not loopback: an ``http://`` (or scheme-less) ``rest_base`` /
    ``token_url``, a ``grpc_target`` with ``tls: false``. ``config check`` reports
    them (the venue's ``settings_issues``); the adapter refuses them at start."""
    issues = [issue for key in ("rest_base", "token_url") if (issue := _url_issue(key, getattr(settings, key), is_loopback))]
    target = reveal(settings.grpc_target)
    if not settings.tls and not is_loopback(_grpc_host(target)):
        issues.append(SettingsIssue(
            ("grpc_target",),
            f"tls: false would send orders and credentials unencrypted to {_shown(settings.grpc_target)}",
            f"set tls: true, or use tls: false only with a loopback grpc_target ({_LOOPBACK})",
        ))  # fmt: skip
    return issues


def _url_issue(key: str, value: Any, is_loopback: Any) -> SettingsIssue | None:
    url = reveal(value)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed [IPv6] literal
        parts, host = urlsplit(""), ""
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and is_loopback(host):
        return None
    if parts.scheme == "http":
        return SettingsIssue((key,), f"plain http:// would send orders and credentials unencrypted to {_shown(value)}",
                             f"use https://, or http:// only to a loopback host ({_LOOPBACK})")  # fmt: skip
    return SettingsIssue((key,), f"expected an https:// URL, found {_shown(value)}",
                         "write the full URL, e.g. https://api.prod.polymarketexchange.com")  # fmt: skip


def _grpc_host(target: str) -> str:
    """The host of a gRPC target: ``host:port``, ``[::1]:port``, ``dns:///host:port``."""
    rest = target.split("://", 1)[-1].lstrip("/") if "://" in target else target
    try:
        return urlsplit("//" + rest).hostname or ""
    except ValueError:
        return ""


def _shown(value: Any) -> str:
    """A value for a message: quoted, or ``'***'`` when it came from the environment."""
    return "'***'" if isinstance(value, Secret) else repr(str(value))
