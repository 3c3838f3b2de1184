"""The simulator's token endpoint logic (Auth0 M2M, private-key JWT).

The client posts a client assertion signed RS256 with its private key; we
verify it against the registered public key (iss = sub = client_id, aud = the
token URL, exp no more than 5 minutes after iat, jti never seen) and issue an
opaque access token that expires after ``token_ttl_s``.
"""

from __future__ import annotations

from typing import Any

import jwt

from framework.runtime.clock import NS_PER_S
from plugins.polymarket.sim.exchange import Exchange

__all__ = ["ASSERTION_TYPE", "TokenError", "issue"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenError(Exception):
    """An OAuth error: ``error`` is the Auth0 code (``invalid_client`` ...)."""

    def __init__(self, error: str, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def issue(exchange: Exchange, body: dict[str, Any], token_url: str, audience: str, seen_jti: set[str]) -> dict[str, Any]:
    """Verify a token request; returns the token response body."""
    if body.get("grant_type") != "client_credentials":
        raise TokenError("unsupported_grant_type", "grant_type must be client_credentials", 400)
    if body.get("client_assertion_type") != ASSERTION_TYPE:
        raise TokenError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}", 400)
    if body.get("audience") != audience:
        raise TokenError("access_denied", f"unknown audience {body.get('audience')!r}", 403)
    client = exchange.clients.get(str(body.get("client_id", "")))
    if client is None:
        raise TokenError("invalid_client", "unknown client_id")
    now_s = exchange.clock.wall_ns() / NS_PER_S
    try:
        claims = jwt.decode(
            str(body.get("client_assertion", "")), client.public_key_pem, algorithms=["RS256"],
            audience=token_url, issuer=client.client_id, options={"require": ["exp", "iat", "jti", "sub"], "verify_iat": False},
            leeway=5,
        )
    except jwt.InvalidSignatureError as exc:
        raise TokenError("invalid_client", f"assertion signature does not match the registered key: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid_client_assertion", str(exc)) from exc
    # pyjwt checks exp against the OS clock; check it against ours as well.
    if claims["sub"] != client.client_id:
        raise TokenError("invalid_client_assertion", "sub must equal client_id")
    if claims["exp"] - claims["iat"] > 300 or claims["exp"] < now_s - 5:
        raise TokenError("invalid_client_assertion", "exp must be within 5 minutes of iat and in the future")
    if claims["jti"] in seen_jti:
        raise TokenError("invalid_client_assertion", "jti was already used")
    seen_jti.add(claims["jti"])
    token, ttl_ns = exchange.issue_token(client)
    return {"access_token": token, "token_type": "Bearer", "expires_in": round(ttl_ns / NS_PER_S),
            "scope": "read:marketdata read:instruments read:orders write:orders"}
