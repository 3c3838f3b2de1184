"""M2M authentication: a private-key JWT client assertion (RS256) exchanged for
an access token of about 180 s, minted again before it expires (reference §8).

The assertion: ``iss = sub = client_id``, ``aud`` = the token URL, ``iat``,
``exp`` = iat + 60 s, a fresh ``jti``. Times come from the injected clock.
A token is attached to every request as ``authorization: Bearer``; a live
stream keeps the token it opened with (the venue checks it only at open).
A token request is itself a message the venue counts: it goes through the
framework's sender like every other. A request whose token the venue refuses
is sent once more with a fresh one (:func:`send_authed`); the refusal is
logged once (WARNING), the new token once (INFO).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from framework.execution import GatedSender, Outbound
from framework.model.errors import (
    ConfigError,
    VenueAuthError,
    VenueError,
    VenueProtocolError,
    VenueUnavailable,
)
from framework.plugin.venue import MessageKind
from framework.runtime.clock import NS_PER_S, Clock
from framework.runtime.episode import Episode

__all__ = ["ASSERTION_TYPE", "TokenRefused", "TokenSource", "load_private_key", "send_authed"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

log = logging.getLogger(__name__)

T = TypeVar("T")


class TokenRefused(Exception):
    """A write's answer was 401 / UNAUTHENTICATED: ``token`` was refused;
    ``answer`` is the venue's answer (the HTTP response or the gRPC error)."""

    def __init__(self, token: str, answer: Any) -> None:
        self.token = token
        self.answer = answer


async def send_authed(sender: GatedSender, tokens: Any, out: Outbound, write: Callable[[Any], Awaitable[T]]) -> T:
    """``sender.send(out, write)``; when the write raises :class:`TokenRefused`
    (expired or revoked early), mint a new token and send once more -- a second
    message, admitted again. A second refusal propagates for the caller to map."""
    try:
        return await sender.send(out, write)
    except TokenRefused as exc:
        tokens.invalidate(exc.token)
    return await sender.send(out, write)


def load_private_key(venue: str, pem: str, path: str = "") -> rsa.RSAPrivateKey:
    """The RSA private key from PEM text or a PEM file; ``ConfigError`` saying what is wrong."""
    where = f"venues.{venue}.private_key_{'path' if path and not pem else 'pem'}"
    if not pem and path:
        try:
            pem = Path(path).expanduser().read_text()
        except OSError as exc:
            raise ConfigError([f"{where}: cannot read the key file: {exc.strerror}"]) from exc
    if not pem.strip():
        raise ConfigError([f"{where}: no private key given (set private_key_pem from ${{ENV}} or private_key_path)"])
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError([f"{where}: not a valid unencrypted PEM private key ({exc})"]) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError([f"{where}: the key must be RSA (the venue verifies RS256), not {type(key).__name__}"])
    if key.key_size < 2048:
        raise ConfigError([f"{where}: RSA key of {key.key_size} bits; RS256 needs at least 2048"])
    return key


class TokenSource:
    """Mints and caches access tokens. ``await token()`` is cheap when the cached
    one is fresh; ``run()`` renews it ahead of expiry in the background."""

    def __init__(self, *, venue: str, http: httpx.AsyncClient, clock: Clock, sender: GatedSender, token_url: str,
                 audience: str, client_id: str, key: rsa.RSAPrivateKey, renew_before_s: float) -> None:
        self.venue = venue
        self.http = http
        self.clock = clock
        self.sender = sender
        self.token_url = token_url
        self.audience = audience
        self.client_id = client_id
        self.key = key
        self.renew_before_ns = int(renew_before_s * NS_PER_S)
        self.mints = 0
        self._token = ""
        self._expires_ns = 0
        self._renew_ns = 0
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        # A refused token is logged once (WARNING) and its replacement once (INFO).
        self.refused = Episode(log, clock, f"{venue}: the venue refused our access token "
                               "(UNAUTHENTICATED: expired or revoked early)", "minting a new one")

    @property
    def expires_ns(self) -> int:
        return self._expires_ns

    async def token(self) -> str:
        """A token valid for at least a moment longer; mints one when due."""
        if self._token and self.clock.now_ns() < self._renew_ns:
            return self._token
        async with self._lock:
            if not self._token or self.clock.now_ns() >= self._renew_ns:
                await self._mint()
            return self._token

    def invalidate(self, token: str) -> None:
        """The venue refused ``token`` (401 / UNAUTHENTICATED): mint anew next time."""
        if token == self._token:
            self._token = ""
            self.refused.seen()
            self._changed.set()

    async def run(self) -> None:
        """Keep a fresh token: mint ``renew_before_s`` ahead of each expiry."""
        while True:
            if self._token:
                delay = self._renew_ns - self.clock.now_ns()
                if delay > 0:
                    self._changed.clear()
                    sleeper = asyncio.ensure_future(self.clock.sleep_ns(delay))
                    waiter = asyncio.ensure_future(self._changed.wait())
                    try:
                        await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        sleeper.cancel()
                        waiter.cancel()
                    continue
            try:
                await self.token()
            except VenueError:
                # Down or refusing for now; the next caller of token() sees the error.
                await self.clock.sleep_ns(NS_PER_S)

    def assertion(self) -> str:
        """A signed client assertion for one token request."""
        now_s = self.clock.wall_ns() // NS_PER_S
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
                  "iat": now_s, "exp": now_s + 60, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.key, algorithm="RS256")

    async def _mint(self) -> None:
        body = {
            "client_id": self.client_id, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(), "audience": self.audience, "grant_type": "client_credentials",
        }
        sent_ns, r = await self.sender.send(Outbound(MessageKind.QUERY, "Token", body), self._post)
        if r.status_code >= 500:
            raise VenueUnavailable(self.venue, "token endpoint failed", r.status_code)
        try:
            data = r.json()
        except ValueError as exc:
            raise VenueProtocolError(self.venue, "token response is not JSON", r.status_code) from exc
        if r.status_code != 200 or "access_token" not in data:
            raise VenueAuthError(
                self.venue,
                f"token request refused: {data.get('error', '?')}: {data.get('error_description', '')} "
                "(check client_id and that the registered public key matches private_key_pem)",
                r.status_code,
            )
        ttl_ns = int(float(data.get("expires_in", 180)) * NS_PER_S)
        self._token = data["access_token"]
        self._expires_ns = sent_ns + ttl_ns
        # Renew ahead of expiry, but never sooner than half the lifetime.
        self._renew_ns = sent_ns + max(ttl_ns - self.renew_before_ns, ttl_ns // 2)
        self.mints += 1
        self.refused.over()
        self._changed.set()

    async def _post(self, body: dict[str, Any]) -> tuple[int, httpx.Response]:
        """The token request itself: ``(when it was sent, the response)``."""
        sent_ns = self.clock.now_ns()
        try:
            return sent_ns, await self.http.post(self.token_url, json=body)
        except httpx.HTTPError as exc:
            raise VenueUnavailable(self.venue, f"token endpoint unreachable: {exc!r}") from exc
