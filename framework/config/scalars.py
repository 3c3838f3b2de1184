"""Reading one scalar YAML node as a wanted type, and the bookkeeping of a walk.

:class:`ScalarReader` is the base of :class:`~framework.config.validate.Validator`:
it holds what a walk collects (issues, secret paths, the node of each path) and
reads booleans, numbers, decimals, strings, literals, enums, secrets, paths and
durations, each mistake a located :class:`~framework.config.issues.ConfigIssue`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, NamedTuple

import msgspec.inspect as mi
import yaml

from .duration import format_duration, parse_duration
from .issues import ConfigIssue, format_path
from .secret import InterpolationError, Secret, interpolate
from .typeinfo import (
    bounds,
    describe_type,
    did_you_mean,
    enum_names,
    in_bounds,
    length_ok,
)
from .yamlnodes import (
    NULL_TAG,
    STR_TAG,
    Node,
    construct_scalar,
    describe_node,
    position,
    resolve_scalar,
)

__all__ = ["INVALID", "Path", "Scalar", "ScalarReader"]

Path = tuple[str | int, ...]


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


#: Returned instead of a value when the node had a problem (already reported).
INVALID: Any = _Invalid()


class Scalar(NamedTuple):
    value: Any  # what YAML says it is (env values parsed as unquoted YAML)
    text: str  # the characters, after interpolation
    secret: bool
    names: list[str]  # environment variables used


class ScalarReader:
    """Reads scalar nodes of one file; collects issues, secret paths and node positions."""

    def __init__(self, file: str, env: Mapping[str, str], _secrets: set[str] | None = None) -> None:
        self.file = file
        self.env = env
        self.issues: list[ConfigIssue] = []
        self.secret_paths: set[str] = set()
        #: the node each checked path came from, for checks made after the walk
        self.nodes: dict[Path, Node] = {}
        self._secret_texts = _secrets if _secrets is not None else set()

    # -- bookkeeping ---------------------------------------------------------

    def issue(self, node: Node | None, path: Path, message: str, hint: str = "") -> None:
        """Record a problem at ``node``'s position."""
        line, col = position(node)
        self.issues.append(ConfigIssue(self.file, line, col, format_path(path),
                                       self.redact(message), self.redact(hint)))

    def redact(self, text: str) -> str:
        """``text`` with every secret seen so far replaced by ``***``.

        Messages never quote secrets to begin with; this is the backstop for
        messages written by others (a plugin's ``__post_init__``).
        """
        for secret in sorted(self._secret_texts, key=len, reverse=True):
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        return text

    def _scalar(self, node: Node, path: Path, t: mi.Type) -> Scalar | Any:
        if not isinstance(node, yaml.ScalarNode):
            self.issue(node, path, f"expected {describe_type(t)}, found {describe_node(node)}")
            return INVALID
        if node.tag == STR_TAG and "${" in node.value:
            try:
                text, names = interpolate(node.value, self.env)
            except InterpolationError as exc:
                hint = f"set it in the environment (export {exc.names[0]}=...)" if exc.missing else ""
                self.issue(node, path, str(exc), hint)
                return INVALID
            if names:
                self._secret_texts.add(text)
                self.secret_paths.add(format_path(path))
                return Scalar(resolve_scalar(text), text, True, names)
            return Scalar(text, text, False, [])
        return Scalar(construct_scalar(node), node.value, False, [])

    def _found(self, node: Node, sc: Scalar | None = None) -> str:
        if sc is not None and sc.secret:
            return describe_node(node, True, sc.names)
        return describe_node(node)

    def _bool(self, node: Node, t: mi.BoolType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        if isinstance(sc.value, bool):
            return sc.value
        hint = "remove the quotes" if sc.text.lower() in ("true", "false") else "write true or false"
        self.issue(node, path, f"expected true or false, found {self._found(node, sc)}", hint)
        return INVALID

    def _number(self, node: Node, t: mi.IntType | mi.FloatType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        want_int = isinstance(t, mi.IntType)
        v = sc.value
        ok = isinstance(v, int) if want_int else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok:
            hint = ""
            if isinstance(v, str) and not sc.secret and isinstance(resolve_scalar(v), (int, float)):
                hint = "remove the quotes"
            elif want_int and isinstance(v, float):
                hint = "a whole number is needed here"
            self.issue(node, path, f"expected {describe_type(t)}, found {self._found(node, sc)}", hint)
            return INVALID
        v = v if want_int else float(v)
        if not in_bounds(t, v):
            shown = self._found(node, sc) if sc.secret else sc.text
            self.issue(node, path, f"expected {describe_type(t)}, found {shown}")
            return INVALID
        return v

    def _decimal(self, node: Node, t: mi.DecimalType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        value = None
        if not isinstance(sc.value, bool) and isinstance(sc.value, (int, float, str)):
            try:
                value = Decimal(sc.text.strip())
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.issue(node, path, f"expected a decimal number, found {self._found(node, sc)}")
            return INVALID
        return value

    def _str(self, node: Node, t: mi.StrType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        if sc.value is None and node.tag == NULL_TAG:
            self.issue(node, path, f"expected {describe_type(t)}, found nothing (null)")
            return INVALID
        text = sc.text
        if not length_ok(t, len(text)) or (t.pattern and not re.search(t.pattern, text)):
            self.issue(node, path, f"expected {describe_type(t)}, found {self._found(node, sc)}")
            return INVALID
        return Secret(text) if sc.secret else text

    def _literal(self, node: Node, t: mi.LiteralType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        for want in t.values:
            if isinstance(want, str) and sc.value is not None and sc.text == want:
                return want
            if (want is None and sc.value is None) or (
                type(want) is type(sc.value) and want == sc.value):
                return want
        names = [v for v in t.values if isinstance(v, str)]
        hint = "" if sc.secret else did_you_mean(sc.text, names)
        self.issue(node, path, f"expected {describe_type(t)}, found {self._found(node, sc)}", hint)
        return INVALID

    def _enum(self, node: Node, t: mi.EnumType, path: Path) -> Any:
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        for member in t.cls:
            if sc.text.lower() == member.name.lower() or (
                type(member.value) is type(sc.value) and member.value == sc.value):
                return member
        hint = "" if sc.secret else did_you_mean(sc.text.lower(), enum_names(t.cls))
        self.issue(node, path, f"expected {describe_type(t)}, found {self._found(node, sc)}", hint)
        return INVALID

    def _custom(self, node: Node, t: mi.CustomType, path: Path) -> Any:
        if not issubclass(t.cls, (Secret, PurePath)):
            self.issue(node, path, f"this field's type ({t.cls.__name__}) cannot be written in a "
                       "config file", "a bug in the code that declares the field")
            return INVALID
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        if sc.value is None and node.tag == NULL_TAG:
            self.issue(node, path, "expected a string, found nothing (null)")
            return INVALID
        if issubclass(t.cls, Secret):
            # Written in the file or interpolated: either way hidden from now on.
            self._secret_texts.add(sc.text)
            self.secret_paths.add(format_path(path))
            return t.cls(sc.text)
        return t.cls(sc.text)

    def _duration(self, node: Node, t: mi.IntType, path: Path) -> Any:
        sc = self._scalar(node, path, mi.Metadata(t, None, {"backplane": "duration"}))
        if sc is INVALID:
            return INVALID
        # Whole numbers as read; anything else from its text, so 1.5 is exact.
        exact = isinstance(sc.value, int) and not isinstance(sc.value, bool)
        try:
            ns = parse_duration(sc.value if exact else sc.text)
        except ValueError as exc:
            self.issue(node, path, f"expected a duration, found {self._found(node, sc)}", str(exc))
            return INVALID
        if not in_bounds(t, ns):
            rule = bounds(t, format_duration)
            shown = self._found(node, sc) if sc.secret else format_duration(ns)
            self.issue(node, path, f"expected a duration {rule}, found {shown}")
            return INVALID
        return ns

    def _none(self, node: Node, t: mi.NoneType, path: Path) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            return None
        self.issue(node, path, f"expected nothing (null), found {describe_node(node)}")
        return INVALID
