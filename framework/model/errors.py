"""One exception tree for the whole project.

::

    BackplaneError
    ├── ConfigError              a run config is wrong (carries every ConfigIssue)
    ├── Desync                   ours: a venue stream's books can no longer be trusted; resubscribe
    ├── PluginError              a plugin failed to load or register
    ├── RiskError
    │   └── Denied               the risk layer refused a message (carries a DenyReason)
    └── VenueError               talking to a venue went wrong
        ├── VenueRejected        theirs: the venue refused the request (4xx, INVALID_ARGUMENT, ...)
        ├── VenueThrottled       theirs: rate limit (HTTP 429, RESOURCE_EXHAUSTED)
        ├── VenueAuthError       theirs: token missing, invalid or expired (401/403, UNAUTHENTICATED)
        ├── VenueUnavailable     the link: disconnected, timed out, 5xx, UNAVAILABLE
        └── VenueProtocolError   theirs: a message we could not make sense of

Foreign exceptions (grpc, httpx) are mapped at the adapter boundary and
re-raised ``from`` the original, so tracebacks keep the cause.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BackplaneError",
    "ConfigError",
    "Denied",
    "Desync",
    "PluginError",
    "RiskError",
    "VenueAuthError",
    "VenueError",
    "VenueProtocolError",
    "VenueRejected",
    "VenueThrottled",
    "VenueUnavailable",
]


class BackplaneError(Exception):
    """Base of every error backplane raises on purpose."""


class ConfigError(BackplaneError):
    """A run configuration is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Any]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid configuration")


class Desync(BackplaneError):
    """A venue stream's books can no longer be trusted (a sequence gap, a frame
    that cannot be decoded, a crossed book): the codec raises it, and the stream
    supervisor (:mod:`framework.runtime.streams`) counts it and resubscribes for a
    fresh snapshot. ``reason`` says what was wrong."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PluginError(BackplaneError):
    """A plugin could not be loaded or registered.

    ``plugin`` names it, ``hook`` the hook involved (if any).
    """

    def __init__(self, plugin: str, message: str, hook: str | None = None) -> None:
        self.plugin = plugin
        self.hook = hook
        where = f"plugin {plugin!r}" + (f", hook {hook!r}" if hook else "")
        super().__init__(f"{where}: {message}")


class RiskError(BackplaneError):
    """Base of risk-layer errors."""


class Denied(RiskError):
    """The risk layer refused a message; ``reason`` is a :class:`DenyReason`."""

    def __init__(self, reason: Any, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{getattr(reason, 'value', reason)}: {message}")


class VenueError(BackplaneError):
    """Talking to a venue went wrong. ``venue`` names it; ``status`` is the
    venue's own code (HTTP status or gRPC status name) where there was one."""

    def __init__(self, venue: str, message: str, status: str | int | None = None) -> None:
        self.venue = venue
        self.status = status
        super().__init__(f"{venue}: {message}" + (f" [{status}]" if status is not None else ""))


class VenueRejected(VenueError):
    """The venue refused the request."""


class VenueThrottled(VenueError):
    """The venue says we sent too much (HTTP 429, gRPC RESOURCE_EXHAUSTED)."""


class VenueAuthError(VenueError):
    """Credentials were missing, invalid or expired."""


class VenueUnavailable(VenueError):
    """The venue could not be reached, timed out or failed on its side."""


class VenueProtocolError(VenueError):
    """The venue sent something we could not decode or make sense of."""
