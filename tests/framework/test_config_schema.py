"""``config schema``: the JSON Schema editors use agrees with the loader.

The same files go through ``check_config`` and a draft 2020-12 validator;
for everything a schema can express (types, keys, plugin-specific settings,
durations, bounds) both must accept or both must reject.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
import yaml

from framework.config import SECOND, Duration, Schema, Secret, check_config, json_schema

jsonschema = pytest.importorskip("jsonschema")


class DexSettings(msgspec.Struct):
    """Settings of the dex venue."""

    address: str
    mnemonic: Secret
    timeout: Annotated[Duration, msgspec.Meta(ge=SECOND, description="request timeout")] = 5 * SECOND


class BookSettings(msgspec.Struct):
    url: str = "ws://127.0.0.1:1"


class MakerParams(msgspec.Struct):
    spread: Annotated[int, msgspec.Meta(ge=1)]
    edge: Decimal = Decimal("0.01")


class Risk(msgspec.Struct):
    max_position: Annotated[int, msgspec.Meta(ge=0, description="lots")] = 100


SCHEMA = Schema(venues={"dex": DexSettings, "book": BookSettings},
                strategies={"maker": MakerParams, "idle": None},
                sections={"risk": Risk})

BASE = """\
run: {name: demo, mode: paper, duration: 30m}
venues:
  d:
    plugin: dex
    settings: {address: a1, mnemonic: not-a-real-one, timeout: 2s}
  b: {plugin: book, simulate: true}
strategies:
  mm:
    plugin: maker
    venue: d
    symbols: [ETH-USD, 12345]
    params: {spread: 2, edge: 0.015}
  quiet: {plugin: idle, venue: b, symbols: [x]}
schedule:
  - {name: eod, cron: "0 21 * * mon-fri", timezone: Europe/London, action: flatten}
  - {name: tick, every: 1m, action: halt}
risk: {max_position: 5}
"""


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json_schema(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def loader_ok(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "run.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return not check_config(path, SCHEMA, env={})


def schema_ok(validator: Any, text: str) -> bool:
    return validator.is_valid(yaml.safe_load(textwrap.dedent(text)))


def test_good_file_is_valid_for_both(validator: Any, tmp_path: Path) -> None:
    assert loader_ok(tmp_path, BASE)
    assert list(validator.iter_errors(yaml.safe_load(BASE))) == []


# (description, old text, new text, valid?)
EDITS = [
    ("unknown run key", "mode: paper,", "mood: paper,", False),
    ("bad mode", "mode: paper,", "mode: papr,", False),
    ("bad duration text", "duration: 30m", "duration: 30 minutes", False),
    ("bare seconds duration", "duration: 30m", "duration: 90", True),
    ("compound duration", "duration: 30m", "duration: 1h30m", True),
    ("duration below the field minimum, in seconds", "timeout: 2s", "timeout: 0.5", False),
    ("settings of another plugin", "settings: {address: a1, mnemonic: not-a-real-one, timeout: 2s}",
     "settings: {url: ws://x}", False),
    ("missing required setting", "address: a1, ", "", False),
    ("unknown setting", "timeout: 2s}", "timeout: 2s, extra: 1}", False),
    ("unknown venue plugin", "plugin: dex", "plugin: dexx", False),
    ("unknown strategy plugin", "plugin: maker", "plugin: makr", False),
    ("params below minimum", "spread: 2", "spread: 0", False),
    ("params wrong type", "spread: 2", "spread: two", False),
    ("decimal as string", "edge: 0.015", "edge: '0.015'", True),
    ("empty symbols", "symbols: [x]", "symbols: []", False),
    ("symbols not a list", "symbols: [x]", "symbols: x", False),
    ("params for a plugin without params", "symbols: [x]}", "symbols: [x], params: {a: 1}}", False),
    ("unknown top-level section", "risk: {", "risc: {", False),
    ("plugin section bound", "max_position: 5", "max_position: -5", False),
    ("schedule unknown key", "action: halt}", "action: halt, when: now}", False),
    ("bad entry name", "  quiet:", "  qu/iet:", False),
]


@pytest.mark.parametrize(("old", "new", "valid"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_loader_and_schema_agree(validator: Any, tmp_path: Path, old: str, new: str,
                                 valid: bool) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    assert loader_ok(tmp_path, text) is valid
    assert schema_ok(validator, text) is valid


def test_bounds_on_written_durations_are_the_loaders_job(validator: Any, tmp_path: Path) -> None:
    # JSON Schema bounds only apply to numbers; "500ms" is a string to it.
    text = BASE.replace("timeout: 2s", "timeout: 500ms")
    assert not loader_ok(tmp_path, text)
    assert schema_ok(validator, text)


def test_schema_describes_plugin_settings_per_plugin() -> None:
    schema = json_schema(SCHEMA)
    venue = schema["$defs"]["VenueEntry"]
    assert venue["properties"]["plugin"]["enum"] == ["book", "dex"]
    branches = {b["if"]["properties"]["plugin"]["const"]: b["then"]["properties"]["settings"]
                for b in venue["allOf"]}
    assert branches == {"book": {"$ref": "#/$defs/BookSettings"}, "dex": {"$ref": "#/$defs/DexSettings"}}
    strategy = schema["$defs"]["StrategyEntry"]
    idle = next(b for b in strategy["allOf"] if b["if"]["properties"]["plugin"]["const"] == "idle")
    assert idle["then"]["properties"]["params"] == {"type": "null"}
    assert schema["properties"]["risk"] == {"$ref": "#/$defs/Risk"}
    assert schema["$defs"]["Risk"]["properties"]["max_position"]["description"] == "lots"
    timeout = schema["$defs"]["DexSettings"]["properties"]["timeout"]
    # Nanosecond bounds and defaults are shown the way a person writes them.
    assert timeout["minimum"] == 1 and timeout["default"] == "5s"
    assert timeout["description"] == "request timeout"
    assert schema["$defs"]["DexSettings"]["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_with_no_plugins_is_still_valid() -> None:
    schema = json_schema(Schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    assert v.is_valid({"run": {"name": "r"}})
    assert not v.is_valid({"run": {"name": "r"}, "venues": {"a": {"plugin": "anything"}}})


def test_core_section_names_are_reserved() -> None:
    with pytest.raises(ValueError, match="core section names: run"):
        Schema(sections={"run": Risk})
