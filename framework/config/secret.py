"""Secrets and ``${NAME}`` interpolation from the environment.

A value written as ``${NAME}`` (or containing ``${NAME}`` inside a longer
string) is read from the environment mapping given to the loader. Whatever was
interpolated becomes a :class:`Secret`: it never appears in ``repr``, ``str``,
f-strings, logging, config errors or ``config show``. ``$${`` writes a literal
``${``.

:class:`Secret` subclasses ``str`` on purpose: a plugin that typed a field as
plain ``str`` still gets a value that works where the characters are consumed
(``encode()``, concatenation, HTTP headers, ``json.dumps``), while every
*formatting* path shows ``Secret('***')``. Plugins should still type secret
fields as ``Secret`` and call :meth:`Secret.reveal` where the real value is
needed, which makes the intent greppable. Serialising a config with
``msgspec``/``json`` writes real values; use ``show_config`` to display one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "Secret", "interpolate"]

_REF = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Secret(str):
    """A string whose value is hidden from every formatting path."""

    __slots__ = ()

    def reveal(self) -> str:
        """The real value, as a plain ``str``."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self.reveal(),))


class InterpolationError(ValueError):
    """A ``${...}`` reference could not be resolved; ``names`` lists the culprits,
    ``missing`` tells unset variables from malformed references."""

    def __init__(self, message: str, names: list[str], missing: bool) -> None:
        super().__init__(message)
        self.names = names
        self.missing = missing


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace every ``${NAME}`` in ``text`` from ``env``.

    Returns the new text and the names used (empty: nothing was interpolated,
    the text is not secret). Raises :class:`InterpolationError` naming every
    missing or malformed variable at once.
    """
    used: list[str] = []
    missing: list[str] = []
    bad: list[str] = []

    def sub(m: re.Match[str]) -> str:
        escaped, name = m.group(1), m.group(2)
        if escaped:
            return "${" + name + "}"
        if not _NAME.match(name):
            bad.append(name)
            return ""
        if name not in env:
            missing.append(name)
            return ""
        used.append(name)
        return env[name]

    out = _REF.sub(sub, text)
    if bad:
        raise InterpolationError(
            "bad variable reference " + ", ".join("${" + b + "}" for b in bad)
            + ": a name is letters, digits and '_', not starting with a digit",
            bad,
            missing=False,
        )
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InterpolationError(
            f"environment variable{plural} {', '.join(missing)} not set", missing, missing=True
        )
    return out, used
