"""Reading a YAML file into a node tree that remembers where everything is.

``yaml.compose`` (safe) keeps each node's ``start_mark``; nothing is
constructed until the validator knows the type it wants, so a value is read
once, with its position, against the field that receives it. PyYAML silently
keeps the last of two equal keys; :func:`mapping_items` reports the repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

__all__ = [
    "NULL_TAG",
    "STR_TAG",
    "Node",
    "construct_scalar",
    "describe_node",
    "empty_mapping",
    "kind_of",
    "mapping_items",
    "position",
    "read_document",
    "resolve_scalar",
]

Node: TypeAlias = yaml.Node
STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
MAP_TAG = "tag:yaml.org,2002:map"

_resolver = Resolver()
_constructor = SafeConstructor()
_KINDS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    NULL_TAG: "nothing (null)",
    STR_TAG: "a string",
    "tag:yaml.org,2002:timestamp": "a date",
}


def position(node: Node | None) -> tuple[int, int]:
    """1-based (line, column) of ``node``; (1, 1) when there is none."""
    if node is None or node.start_mark is None:
        return (1, 1)
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def read_document(path: Path) -> tuple[Node | None, tuple[int, int, str, str] | None]:
    """The root node of ``path``, or a problem ``(line, column, message, hint)``.

    Unreadable file, undecodable bytes, a YAML syntax error and an empty
    document are all problems, never tracebacks.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, (0, 0, "file not found", "check the path")
    except IsADirectoryError:
        return None, (0, 0, "is a directory, not a config file", "")
    except UnicodeDecodeError as exc:
        return None, (0, 0, f"not UTF-8 text: {exc.reason} at byte {exc.start}", "")
    except OSError as exc:
        return None, (0, 0, f"cannot read the file: {exc.strerror or exc}", "")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return None, _syntax_problem(exc)
    except yaml.YAMLError as exc:
        return None, (1, 1, f"YAML error: {exc}", "")
    if root is None:
        return None, (1, 1, "the file is empty", "a run config is a mapping with at least a `run:` section")
    return root, None


def _syntax_problem(exc: yaml.MarkedYAMLError) -> tuple[int, int, str, str]:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem, context = exc.problem or "", exc.context or ""
    if problem.startswith("but ") and context:  # "expected X" + "but found Y"
        message, hint = f"{context}, {problem}", ""
    else:
        message = problem or context
        hint = f"{context} at line {exc.context_mark.line + 1}" if context and exc.context_mark else ""
    if "another document" in problem:
        hint = "a run config is one YAML document: remove the `---` line"
    elif "<block end>" in problem or "mapping values are not allowed" in problem:
        hint = "check the indentation: the keys of one mapping must line up" + (f" ({hint})" if hint else "")
    return line, col, f"YAML syntax error: {message}", hint


def kind_of(node: Node) -> str:
    """``"mapping"``, ``"sequence"`` or ``"scalar"``."""
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "sequence"
    return "scalar"


def resolve_scalar(text: str) -> Any:
    """What an unquoted YAML scalar ``text`` means: int, float, bool, None, str..."""
    tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return construct_scalar(yaml.ScalarNode(tag, text))


def construct_scalar(node: yaml.ScalarNode) -> Any:
    """The Python value of a scalar node, as the safe loader would build it."""
    try:
        return _constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError):
        return node.value


def scalar_kind(node: yaml.ScalarNode) -> str:
    """``"an integer"``, ``"a string"``... for messages."""
    return _KINDS.get(node.tag, "a value")


def describe_node(node: Node, secret: bool = False, names: list[str] | None = None) -> str:
    """How a found value is shown in a message, never echoing a secret."""
    if secret:
        refs = ", ".join("${" + n + "}" for n in names or [])
        return f"the value of {refs} (a secret, not shown)" if refs else "a secret value (not shown)"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    assert isinstance(node, yaml.ScalarNode)
    if node.tag == NULL_TAG:
        return "nothing (null)"
    text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    if node.tag == STR_TAG:
        return f"{text!r} (a string)"
    return f"{text} ({scalar_kind(node)})"


def empty_mapping(at: Node) -> yaml.MappingNode:
    """An empty mapping located at ``at``: stands in for an omitted section."""
    return yaml.MappingNode(MAP_TAG, [], start_mark=at.start_mark, end_mark=at.start_mark)


#: ``report(node, key or None, message, hint)``
Report = Callable[[Node, "str | None", str, str], None]


def mapping_items(node: yaml.MappingNode, report: Report) -> Iterator[tuple[str, Node, Node]]:
    """``(key, key_node, value_node)`` for each entry, after ``<<`` merges.

    A key written twice is reported at its second place and only the first
    is used. A key that came in through a ``<<: *anchor`` merge is overridden
    by an explicit one without complaint, as YAML intends. Non-scalar keys
    are reported.
    """
    explicit = [pair for pair in node.value if pair[0].tag != MERGE_TAG]
    seen: dict[str, Node] = {}
    keep: list[tuple[str, Node, Node]] = []
    for key_node, value_node in explicit:
        if not isinstance(key_node, yaml.ScalarNode):
            report(key_node, None, "a key must be a plain name, found " + describe_node(key_node), "")
            continue
        first = seen.get(key_node.value)
        if first is not None:
            report(key_node, key_node.value, f"duplicate key {key_node.value!r} (first set at line {position(first)[0]})",
                   "keep one of them; YAML would silently use the last")
            continue
        seen[key_node.value] = key_node
        keep.append((key_node.value, key_node, value_node))
    if len(explicit) != len(node.value):
        for key_node, value_node in _merged_pairs(node, report):
            if key_node.value not in seen:
                yield key_node.value, key_node, value_node
    yield from keep


def _merged_pairs(node: yaml.MappingNode, report: Report) -> list[tuple[Node, Node]]:
    """The entries ``<<`` brings in, earlier sources winning, as YAML says."""
    out: list[tuple[Node, Node]] = []
    names: set[str] = set()
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for src in sources:
            if not isinstance(src, yaml.MappingNode):
                report(src, None, "`<<` merges a mapping (or a list of mappings), found "
                       + describe_node(src), "")
                continue
            for k, v in src.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != MERGE_TAG and k.value not in names:
                    names.add(k.value)
                    out.append((k, v))
    return out
