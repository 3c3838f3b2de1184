"""Checking a YAML node tree against a ``msgspec`` type, reporting every problem.

:class:`Validator` walks the nodes and the ``msgspec.inspect`` description of
the wanted type side by side. Each value is read once, at its own position,
against the field receiving it; each mistake becomes a located
:class:`~framework.config.issues.ConfigIssue` and the walk goes on, so one run
reports everything. Nothing is built unless its whole subtree is valid; then
Structs are built by calling the class (defaults and ``__post_init__`` apply).

Rules a config author sees:

* unknown keys are errors, with a did-you-mean, whether or not the Struct sets
  ``forbid_unknown_fields`` (a typo must never fall back to a default);
* a plain (unquoted) scalar is accepted for a ``str`` field as written, so
  ``symbol: 0x1F`` or a numeric market id stays exactly what was typed;
* ``Decimal`` fields read the written digits, never through a float;
* an empty value (``journal:``) for a Struct, dict or list means "empty";
* ``${NAME}`` is read from the environment; the value is a :class:`Secret` for
  string fields and is parsed as YAML for other types (``port: ${PORT}``);
  either way its key path is recorded as secret and no message shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec.inspect as mi
import yaml

from .duration import is_duration
from .issues import format_path
from .scalars import INVALID, Path, ScalarReader
from .secret import Secret
from .typeinfo import (
    accepts,
    describe_type,
    description,
    did_you_mean,
    length_ok,
    length_rule,
)
from .yamlnodes import (
    NULL_TAG,
    Node,
    describe_node,
    empty_mapping,
    kind_of,
    mapping_items,
)

__all__ = ["INVALID", "Path", "Validator"]


class Validator(ScalarReader):
    """Validates nodes of one file against a type; collects issues, secret paths and node positions."""

    def _fork(self) -> Validator:
        return Validator(self.file, self.env, self._secret_texts)

    def _absorb(self, other: Validator) -> None:
        self.issues += other.issues
        self.secret_paths |= other.secret_paths
        self.nodes.update(other.nodes)

    # -- entry point ---------------------------------------------------------

    def check(self, node: Node, t: mi.Type, path: Path,
              overrides: Mapping[str, mi.Type] | None = None) -> Any:
        """The value for ``node`` as type ``t``, or :data:`INVALID` (reported).

        ``overrides`` replaces the types of some fields of a Struct ``t`` (and
        makes them default to an empty mapping): how a venue entry's
        ``settings`` gets the chosen plugin's Struct.
        """
        self.nodes[path] = node
        if isinstance(t, mi.Metadata):
            if is_duration(t.extra) and isinstance(t.type, mi.IntType):
                return self._duration(node, t.type, path)
            return self.check(node, t.type, path, overrides)
        if isinstance(t, mi.StructType):
            return self._struct(node, t, path, overrides or {})
        handler = _HANDLERS.get(type(t))
        if handler is None:
            self.issue(node, path, f"this field's type ({t!r}) cannot be written in a config file",
                       "a bug in the code that declares the field")
            return INVALID
        return handler(self, node, t, path)

    def _any(self, node: Node, t: mi.Type, path: Path) -> Any:
        """A value of no declared type: built as YAML says, ``${NAME}`` still applied."""
        if isinstance(node, yaml.MappingNode):
            out = {k: self._any(v, t, path + (k,)) for k, _, v in self.items(node, path)}
            return INVALID if INVALID in out.values() else out
        if isinstance(node, yaml.SequenceNode):
            items = [self._any(v, t, path + (i,)) for i, v in enumerate(node.value)]
            return INVALID if INVALID in items else items
        sc = self._scalar(node, path, t)
        if sc is INVALID:
            return INVALID
        return Secret(sc.text) if sc.secret and isinstance(sc.value, str) else sc.value

    # -- containers ----------------------------------------------------------

    def items(self, node: yaml.MappingNode, path: Path) -> list[tuple[str, Node, Node]]:
        """The entries of a mapping node; duplicate keys are reported."""
        return list(mapping_items(
            node, lambda n, k, m, h: self.issue(n, path if k is None else path + (k,), m, h)))

    def _struct(self, node: Node, t: mi.StructType, path: Path,
                overrides: Mapping[str, mi.Type]) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            node = empty_mapping(node)
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, path, f"expected a mapping, found {describe_node(node)}")
            return INVALID
        fields = {f.encode_name: f for f in t.fields}
        values: dict[str, Any] = {}
        ok = True
        items = self.items(node, path)
        present = {key for key, _, _ in items}
        for key, key_node, value_node in items:
            if t.tag_field is not None and key == t.tag_field:
                if not (isinstance(value_node, yaml.ScalarNode) and value_node.value == str(t.tag)):
                    self.issue(value_node, path + (key,), f"expected {str(t.tag)!r}, found "
                               + describe_node(value_node))
                    ok = False
                continue
            field = fields.get(key)
            if field is None:
                self.unknown_key(key_node, key, list(fields), path)
                ok = False
                continue
            value = self.check(value_node, overrides.get(field.name, field.type), path + (key,))
            if value is INVALID:
                ok = False
            else:
                values[field.name] = value
        for field in t.fields:
            if field.encode_name in present:
                continue
            if isinstance(overrides.get(field.name), mi.StructType):
                value = self.check(empty_mapping(node), overrides[field.name],
                                   path + (field.encode_name,))
                if value is INVALID:
                    ok = False
                else:
                    values[field.name] = value
            elif field.required:
                self._missing(node, field, path)
                ok = False
        if not ok:
            return INVALID
        try:
            return t.cls(**values)
        except (ValueError, TypeError) as exc:
            self.issue(node, path, str(exc))
            return INVALID

    def unknown_key(self, key_node: Node, key: str, known: list[str], path: Path) -> None:
        """Report ``key`` as unknown here, suggesting the close ``known`` ones."""
        hint = did_you_mean(key, known)
        if not hint:
            hint = ("valid keys here: " + ", ".join(known)) if known else "nothing goes here"
        self.issue(key_node, path + (key,), f"unknown key {key!r}", hint)

    def _missing(self, node: Node, field: mi.Field, path: Path) -> None:
        doc = description(field.type)
        where = f"under `{format_path(path)}`" if path else "at the top level"
        self.issue(node, path + (field.encode_name,),
                   f"missing required key {field.encode_name!r}" + (f" ({doc})" if doc else ""),
                   f"add `{field.encode_name}: <{describe_type(field.type)}>` {where}")

    def _dict(self, node: Node, t: mi.DictType, path: Path) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            node = empty_mapping(node)
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, path, f"expected a mapping, found {describe_node(node)}")
            return INVALID
        out: dict[Any, Any] = {}
        ok = True
        items = self.items(node, path)
        for key, key_node, value_node in items:
            k = self.check(key_node, t.key_type, path + (key,))
            v = self.check(value_node, t.value_type, path + (key,))
            if k is INVALID or v is INVALID:
                ok = False
            else:
                out[k] = v
        if not length_ok(t, len(items)):
            self.issue(node, path, f"expected {length_rule(t, 'entry')}, found {len(items)}")
            ok = False
        return out if ok else INVALID

    def _sequence(self, node: Node, t: Any, path: Path) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            node = yaml.SequenceNode("tag:yaml.org,2002:seq", [], start_mark=node.start_mark)
        if not isinstance(node, yaml.SequenceNode):
            hint = ""
            if isinstance(node, yaml.ScalarNode):
                hint = f"write a list: [{node.value}], or one `- item` per line"
            self.issue(node, path, f"expected {describe_type(t)}, found {describe_node(node)}", hint)
            return INVALID
        if isinstance(t, mi.TupleType):
            if len(node.value) != len(t.item_types):
                self.issue(node, path, f"expected a list of exactly {len(t.item_types)} items, "
                           f"found {len(node.value)}")
                return INVALID
            items = [self.check(n, it, path + (i,))
                     for i, (n, it) in enumerate(zip(node.value, t.item_types, strict=True))]
        else:
            items = [self.check(n, t.item_type, path + (i,)) for i, n in enumerate(node.value)]
        if not length_ok(t, len(items)):
            self.issue(node, path, f"expected {describe_type(t)}, found {len(items)}")
            return INVALID
        if any(i is INVALID for i in items):
            return INVALID
        if isinstance(t, (mi.SetType, mi.FrozenSetType)):
            return set(items) if isinstance(t, mi.SetType) else frozenset(items)
        return tuple(items) if isinstance(t, (mi.VarTupleType, mi.TupleType)) else items

    def _union(self, node: Node, t: mi.UnionType, path: Path) -> Any:
        has_none = any(isinstance(m, mi.NoneType) for m in t.types)
        others = [m for m in t.types if not isinstance(m, mi.NoneType)]
        if has_none and isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            return None
        if len(others) == 1:
            return self.check(node, others[0], path)
        tagged = self._tagged(node, others, path)
        if tagged is not None:
            return tagged
        tried: list[tuple[mi.Type, Validator]] = []
        for member in others:
            trial = self._fork()
            value = trial.check(node, member, path)
            if value is not INVALID:
                self._absorb(trial)
                return value
            tried.append((member, trial))
        fitting = [trial for member, trial in tried if accepts(member, kind_of(node))]
        if len(fitting) == 1:
            self._absorb(fitting[0])
        else:
            self.issue(node, path, f"expected {describe_type(t)}, found {describe_node(node)}")
        return INVALID


    def _tagged(self, node: Node, members: list[mi.Type], path: Path) -> Any:
        """A union of tagged Structs (``type: limit``) picks its member by tag.

        Returns ``None`` when the union is not one, else the value or INVALID.
        """
        if not isinstance(node, yaml.MappingNode) or not all(
                isinstance(m, mi.StructType) and m.tag_field for m in members):
            return None
        structs = [m for m in members if isinstance(m, mi.StructType)]
        fields = {m.tag_field for m in structs}
        if len(fields) != 1:
            return None
        field = fields.pop()
        assert field is not None
        by_tag = {str(m.tag): m for m in structs}
        tag = next((v for k, _, v in mapping_items(node, lambda *_: None) if k == field), None)
        if isinstance(tag, yaml.ScalarNode) and tag.value in by_tag:
            return self.check(node, by_tag[tag.value], path)
        choices = ", ".join(repr(k) for k in by_tag)
        if tag is None:
            self.issue(node, path + (field,), f"missing required key {field!r}",
                       f"add `{field}: <one of {choices}>`")
        else:
            hint = did_you_mean(tag.value, by_tag) if isinstance(tag, yaml.ScalarNode) else ""
            self.issue(tag, path + (field,), f"expected one of {choices}, found {describe_node(tag)}",
                       hint)
        return INVALID


_HANDLERS: dict[type, Callable[[Validator, Node, Any, Path], Any]] = {
    mi.AnyType: Validator._any,
    mi.NoneType: Validator._none,
    mi.BoolType: Validator._bool,
    mi.IntType: Validator._number,
    mi.FloatType: Validator._number,
    mi.DecimalType: Validator._decimal,
    mi.StrType: Validator._str,
    mi.LiteralType: Validator._literal,
    mi.EnumType: Validator._enum,
    mi.CustomType: Validator._custom,
    mi.DictType: Validator._dict,
    mi.ListType: Validator._sequence,
    mi.VarTupleType: Validator._sequence,
    mi.SetType: Validator._sequence,
    mi.FrozenSetType: Validator._sequence,
    mi.TupleType: Validator._sequence,
    mi.UnionType: Validator._union,
}
