"""Run config loading: good files build typed configs; every mistake is located.

Each error test writes a small YAML file, checks it, and asserts the issue's
``file:line:column``, key path and message, as a user would read them.
"""

from __future__ import annotations

import enum
import tempfile
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.config import (
    HOUR,
    MILLISECOND,
    MINUTE,
    SECOND,
    ConfigIssue,
    Duration,
    Schema,
    Secret,
    check_config,
    format_duration,
    format_issues,
    issue_at,
    load_config,
    parse_duration,
    redacted_dict,
    show_config,
)
from framework.model.errors import ConfigError

# -- a small plugin world ---------------------------------------------------------


class Side(enum.IntEnum):
    BUY = 1
    SELL = -1


class DexSettings(msgspec.Struct):
    address: str
    mnemonic: Secret
    port: int = 9090
    timeout: Duration = 5 * SECOND


class BookSettings(msgspec.Struct):
    api_key: Secret | None = None
    url: str = "ws://127.0.0.1:1"


class MakerParams(msgspec.Struct):
    spread: Annotated[int, msgspec.Meta(ge=1, description="half-spread in ticks")]
    size: int = 1
    edge: Decimal = Decimal("0.01")
    side: Side = Side.BUY


class CheckedParams(msgspec.Struct):
    token: str = ""

    def __post_init__(self) -> None:
        if self.token and not self.token.startswith("tk-"):
            raise ValueError(f"token {self.token} must start with tk-")


class Risk(msgspec.Struct, forbid_unknown_fields=True):
    max_position: Annotated[int, msgspec.Meta(ge=0)] = 100
    cooldown: Annotated[Duration, msgspec.Meta(le=HOUR)] = 30 * SECOND


SCHEMA = Schema(
    venues={"dex": DexSettings, "book": BookSettings},
    strategies={"maker": MakerParams, "idle": None, "checked": CheckedParams},
    sections={"risk": Risk},
)
ENV = {"DEX_MNEMONIC": "alpha bravo charlie", "PORT": "7001"}

GOOD = """\
run:
  name: demo
  mode: paper
  duration: 30m
venues:
  dex:
    plugin: dex
    settings:
      address: dex1abc
      mnemonic: ${DEX_MNEMONIC}
      port: ${PORT}
      timeout: 500ms
  book:
    plugin: book
    mode: live
    simulate: true
strategies:
  mm:
    plugin: maker
    venue: dex
    symbols: [ETH-USD, 12345]
    params:
      spread: 3
      edge: 0.015
      side: sell
  nothing:
    plugin: idle
    venue: book
    symbols: [x]
    enabled: false
schedule:
  - name: eod
    cron: "0 21 * * mon-fri"
    timezone: America/New_York
    action: flatten
  - name: tick
    every: 1m
    action: strategy:mm.on_tick
    target: mm
risk:
  max_position: 50
"""


def write(tmp_path: Path, text: str, name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def issues_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> tuple[Path, list[ConfigIssue]]:
    path = write(tmp_path, text)
    return path, check_config(path, SCHEMA, env=ENV if env is None else env)


def the_issue(issues: list[ConfigIssue], path: str) -> ConfigIssue:
    found = [i for i in issues if i.path == path]
    assert len(found) == 1, f"expected one issue at {path}, got:\n{format_issues(issues)}"
    return found[0]


def assert_issue(file: Path, issues: list[ConfigIssue], path: str, line: int, column: int,
                 *fragments: str) -> ConfigIssue:
    issue = the_issue(issues, path)
    assert str(issue).startswith(f"{file}:{line}:{column}: {path}: "), str(issue)
    for fragment in fragments:
        assert fragment in str(issue), f"{fragment!r} not in {issue}"
    return issue


# -- a good file ------------------------------------------------------------------


def test_good_file_builds_typed_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD), SCHEMA, env=ENV)
    assert cfg.run.name == "demo" and cfg.run.mode == "paper" and cfg.run.duration == 30 * MINUTE
    dex = cfg.venues["dex"].settings
    assert isinstance(dex, DexSettings)
    assert dex.mnemonic.reveal() == "alpha bravo charlie"
    assert type(dex.mnemonic.reveal()) is str
    assert dex.port == 7001  # an env value parsed for an int field
    assert dex.timeout == 500 * MILLISECOND
    book = cfg.venues["book"]
    assert book.simulate is True and book.settings == BookSettings()
    mm = cfg.strategies["mm"]
    assert mm.symbols == ["ETH-USD", "12345"]  # unquoted numbers kept as written
    assert mm.params == MakerParams(spread=3, edge=Decimal("0.015"), side=Side.SELL)
    assert cfg.strategies["nothing"].params is None and not cfg.strategies["nothing"].enabled
    assert [s.name for s in cfg.schedule] == ["eod", "tick"]
    assert cfg.schedule[1].every == MINUTE and cfg.schedule[0].cron == "0 21 * * mon-fri"
    assert cfg.sections["risk"] == Risk(max_position=50)
    assert cfg.journal.path == "runs" and cfg.journal.enabled


def test_venue_mode_defaults_to_run_mode(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD), SCHEMA, env=ENV)
    assert cfg.venue_mode("dex") == "paper"
    assert cfg.venue_mode("book") == "live"


def test_omitted_optional_sections_take_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "run: {name: r}\njournal:\n"), SCHEMA, env={})
    assert cfg.venues == {} and cfg.strategies == {} and cfg.schedule == []
    assert cfg.sections["risk"] == Risk() and cfg.journal.path == "runs"


def test_merge_keys_share_settings_without_duplicate_complaints(tmp_path: Path) -> None:
    text = """\
    run: {name: r}
    venues:
      a: &base
        plugin: book
        settings: {url: "ws://127.0.0.1:2"}
      b:
        <<: *base
        mode: replay
    """
    cfg = load_config(write(tmp_path, text), SCHEMA, env={})
    assert cfg.venues["b"].settings.url == "ws://127.0.0.1:2"
    assert cfg.venues["b"].mode == "replay"


def test_dollar_escape_is_literal_and_not_secret(tmp_path: Path) -> None:
    text = """\
    run: {name: "cost $${NOT_A_VAR}"}
    """
    cfg = load_config(write(tmp_path, text), SCHEMA, env={})
    assert cfg.run.name == "cost ${NOT_A_VAR}"
    assert not isinstance(cfg.run.name, Secret) and not cfg.secret_paths


# -- secrets ----------------------------------------------------------------------


def test_secret_hides_from_every_formatting_path() -> None:
    s = Secret("hunter22")
    assert repr(s) == str(s) == f"{s}" == "%s" % s == "Secret('***')"
    assert s.reveal() == "hunter22"
    assert "hunter22" not in repr([s, {"k": s}])


def test_secrets_never_in_repr_show_or_errors(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    cfg = load_config(path, SCHEMA, env=ENV)
    shown = show_config(cfg)
    for text in (repr(cfg), shown, str(redacted_dict(cfg))):
        assert "alpha bravo" not in text
        assert "7001" not in text  # an int from the environment is redacted too
    assert "mnemonic: '***'" in shown and "port: '***'" in shown
    assert cfg.secret_paths == {"venues.dex.settings.mnemonic", "venues.dex.settings.port"}
    # A bad secret value: the error names the variable, never the value.
    bad = write(tmp_path, GOOD.replace("port: ${PORT}", "port: ${DEX_MNEMONIC}"), "bad.yaml")
    with pytest.raises(ConfigError) as err:
        load_config(bad, SCHEMA, env=ENV)
    assert "alpha" not in str(err.value) and "alpha" not in repr(err.value.issues)
    assert_issue(bad, err.value.issues, "venues.dex.settings.port", 11, 13,
                 "expected an integer, found the value of ${DEX_MNEMONIC} (a secret, not shown)")


def test_partial_interpolation_makes_the_whole_string_secret(tmp_path: Path) -> None:
    text = """\
    run: {name: r}
    venues:
      b:
        plugin: book
        settings: {url: "wss://host/?key=${KEY}"}
    """
    cfg = load_config(write(tmp_path, text), SCHEMA, env={"KEY": "zz-top-secret"})
    url = cfg.venues["b"].settings.url
    assert isinstance(url, Secret) and url.reveal() == "wss://host/?key=zz-top-secret"
    assert "zz-top" not in show_config(cfg) and "zz-top" not in repr(cfg)


def test_plugin_error_message_quoting_a_secret_is_redacted(tmp_path: Path) -> None:
    text = """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      s:
        plugin: checked
        venue: v
        symbols: [x]
        params: {token: "${TOKEN}"}
    """
    path, issues = issues_of(tmp_path, text, env={"TOKEN": "abc-very-secret"})
    issue = assert_issue(path, issues, "strategies.s.params", 8, 13, "must start with tk-")
    assert "very-secret" not in str(issue)


# -- mistakes, each located -------------------------------------------------------


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run:
      name: r
      duraton: 5m
    """)
    assert_issue(path, issues, "run.duraton", 3, 3, "unknown key 'duraton'", "did you mean 'duration'?")


def test_unknown_top_level_section_suggests_plugin_section(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run: {name: r}\nrisc: {max_position: 1}\n")
    assert_issue(path, issues, "risc", 2, 1, "unknown key 'risc'", "did you mean 'risk'?")


def test_wrong_type_says_expected_and_found(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      s:
        plugin: maker
        venue: v
        symbols: [x]
        params:
          spread: 2
          size: abc
    """)
    assert_issue(path, issues, "strategies.s.params.size", 10, 13,
                 "expected an integer, found 'abc' (a string)")


def test_quoted_number_hints_to_remove_quotes(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run: {name: r}\nrisk:\n  max_position: '10'\n")
    assert_issue(path, issues, "risk.max_position", 3, 17, "found '10' (a string)",
                 "hint: remove the quotes")


def test_missing_required_key_names_it_and_where(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run:
      mode: live
    """)
    assert_issue(path, issues, "run.name", 2, 3, "missing required key 'name'",
                 "add `name: <a string of at least 1 character>` under `run`")


def test_missing_run_section(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "journal: {path: x}\n")
    assert_issue(path, issues, "run", 1, 1, "missing required section 'run'")


def test_bad_enum_value_lists_choices(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run:\n  name: r\n  mode: papr\n")
    assert_issue(path, issues, "run.mode", 3, 9,
                 "expected one of 'live', 'paper', 'replay', found 'papr'", "did you mean 'paper'?")


def test_bad_python_enum_value_lists_names(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      s: {plugin: maker, venue: v, symbols: [x], params: {spread: 1, side: sel}}
    """)
    assert_issue(path, issues, "strategies.s.params.side", 4, 72,
                 "expected one of 'buy', 'sell', found 'sel'", "did you mean 'sell'?")


def test_unknown_venue_plugin_suggests_close_names(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues:
      main:
        plugin: dexx
        settings: {anything: 1}
    """)
    assert_issue(path, issues, "venues.main.plugin", 4, 13, "unknown venue plugin 'dexx'",
                 "did you mean 'dex'?")
    assert len(issues) == 1  # its settings are not judged against a guessed plugin


def test_unknown_strategy_plugin_lists_installed_when_nothing_close(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      s: {plugin: zzz, venue: v, symbols: [x]}
    """)
    assert_issue(path, issues, "strategies.s.plugin", 4, 15, "unknown strategy plugin 'zzz'",
                 "installed strategy plugins: checked, idle, maker")


def test_strategy_on_undefined_venue(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues:
      dexmain: {plugin: book}
    strategies:
      s:
        plugin: idle
        venue: dexmian
        symbols: [x]
    """)
    assert_issue(path, issues, "strategies.s.venue", 7, 12,
                 "unknown venue 'dexmian': no such entry under `venues`", "did you mean 'dexmain'?")


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues:
      d:
        plugin: dex
        settings:
          address: a
          mnemonic: ${DEX_MNEMONIC}
    """, env={})
    assert_issue(path, issues, "venues.d.settings.mnemonic", 7, 17,
                 "environment variable DEX_MNEMONIC not set")


def test_malformed_variable_reference(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, 'run: {name: "${BAD NAME}"}\n')
    assert_issue(path, issues, "run.name", 1, 13, "bad variable reference ${BAD NAME}")


def test_bad_duration(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run:\n  name: r\n  duration: 5 parsecs\n")
    assert_issue(path, issues, "run.duration", 3, 13, "expected a duration, found '5 parsecs'",
                 "like 500ms, 30s, 5m")


def test_duration_bound_is_shown_as_a_duration(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run: {name: r}\nrisk:\n  cooldown: 2h\n")
    assert_issue(path, issues, "risk.cooldown", 3, 13, "expected a duration <= 1h, found 2h")


def test_bad_cron_reports_apscheduler_reason(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    schedule:
      - name: open
        cron: "61 * * * *"
        action: halt
    """)
    assert_issue(path, issues, "schedule[0].cron", 4, 11, "invalid cron expression '61 * * * *'",
                 "higher than the maximum value (59)")


def test_bad_timezone(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    schedule:
      - name: open
        cron: "0 9 * * *"
        timezone: Europe/Londn
        action: halt
    """)
    assert_issue(path, issues, "schedule[0].timezone", 5, 15, "unknown time zone 'Europe/Londn'",
                 "did you mean 'Europe/London'")


def test_schedule_needs_exactly_one_of_every_and_cron(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    schedule:
      - name: neither
        action: halt
      - name: both
        every: 5m
        cron: "* * * * *"
        action: halt
    """)
    assert len(issues) == 2
    assert str(issues[0]).startswith(f"{path}:3:5: schedule[0]: set exactly one of `every` or `cron`, found neither")
    assert str(issues[1]).startswith(f"{path}:7:11: schedule[1]: set exactly one of `every` or `cron`, found both")


def test_schedule_actions_and_targets_must_exist(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      quoter: {plugin: idle, venue: v, symbols: [x]}
    schedule:
      - {name: a, every: 1s, action: flaten}
      - {name: b, every: 1s, action: "strategy:qouter.rebalance"}
      - {name: c, every: 1s, action: halt, target: quotr}
      - {name: a, every: 1s, action: "strategy:quoter.rebalance", target: quoter}
    """)
    assert_issue(path, issues, "schedule[0].action", 6, 34, "unknown action 'flaten'",
                 "did you mean 'flatten'?")
    assert_issue(path, issues, "schedule[1].action", 7, 34, "names unknown strategy 'qouter'",
                 "did you mean 'quoter'?")
    assert_issue(path, issues, "schedule[2].target", 8, 48, "unknown strategy 'quotr'",
                 "did you mean 'quoter'?")
    assert_issue(path, issues, "schedule[3].name", 9, 12,
                 "duplicate schedule name 'a' (first used at line 6)")
    assert len(issues) == 4


def test_constraint_violation_ge(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      mm:
        plugin: maker
        venue: v
        symbols: [x]
        params:
          spread: -3
    """)
    assert_issue(path, issues, "strategies.mm.params.spread", 9, 15,
                 "expected an integer >= 1, found -3")


def test_min_length_list_and_scalar_for_list(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run: {name: r}
    venues: {v: {plugin: book}}
    strategies:
      a: {plugin: idle, venue: v, symbols: []}
      b: {plugin: idle, venue: v, symbols: ETH-USD}
    """)
    assert_issue(path, issues, "strategies.a.symbols", 4, 40, "expected a list of at least 1 item, found 0")
    assert_issue(path, issues, "strategies.b.symbols", 5, 40, "found 'ETH-USD' (a string)",
                 "write a list: [ETH-USD]")


def test_duplicate_key_is_detected(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, """\
    run:
      name: first
      mode: paper
      name: second
    """)
    assert_issue(path, issues, "run.name", 4, 3, "duplicate key 'name' (first set at line 2)")


def test_yaml_syntax_error_is_an_issue_not_a_traceback(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run:\n  name: r\n  mode: [paper\n")
    assert len(issues) == 1
    assert str(issues[0]).startswith(f"{path}:4:1: YAML syntax error:"), str(issues[0])


@pytest.mark.parametrize(("text", "where", "fragments"), [
    ("run:\n  name: r\n mode: paper\n", "3:2", ["expected <block end>", "hint: check the indentation"]),
    ("run: {name: r}\n---\nrun: {name: s}\n", "2:1",
     ["expected a single document in the stream, but found another document", "remove the `---` line"]),
    ('run:\n  name: "abc\n', "3:1", ["found unexpected end of stream", "while scanning a quoted scalar at line 2"]),
])
def test_yaml_syntax_errors_explain_themselves(tmp_path: Path, text: str, where: str,
                                               fragments: list[str]) -> None:
    path, [issue] = issues_of(tmp_path, text)
    assert str(issue).startswith(f"{path}:{where}: YAML syntax error: ")
    for fragment in fragments:
        assert fragment in str(issue)


def test_tab_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run:\n\tname: r\n")
    assert str(issues[0]).startswith(f"{path}:2:1: YAML syntax error: found character '\\t'")


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "- run\n- venues\n")
    assert [str(i) for i in issues] == [
        (f"{path}:1:1: expected a mapping of sections (run, venues, strategies, ...), found a list "
         "(hint: start the file with `run:` and its keys indented below it)")]


def test_empty_and_missing_files(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "# nothing here\n")
    assert str(issues[0]).startswith(f"{path}:1:1: the file is empty")
    missing = tmp_path / "nope.yaml"
    assert [str(i) for i in check_config(missing, SCHEMA, env={})] == [
        f"{missing}: file not found (hint: check the path)"]


def test_bad_entry_names_are_rejected(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, "run: {name: r}\nvenues:\n  a/b: {plugin: book}\n")
    assert_issue(path, issues, "venues.a/b", 3, 3, "bad name 'a/b'")


def test_every_problem_is_reported_at_once_sorted(tmp_path: Path) -> None:
    path = write(tmp_path, """\
    run:
      name: r
      mode: papr
      duraton: 5m
    venues:
      d: {plugin: dexx}
    strategies:
      s: {plugin: maker, venue: e, symbols: [x], params: {spread: 0}}
    schedule:
      - {name: a, cron: "* * *", action: halt}
    risk: {max_position: -1}
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path, SCHEMA, env={})
    issues = err.value.issues
    assert [(i.line, i.path) for i in issues] == [
        (3, "run.mode"),
        (4, "run.duraton"),
        (6, "venues.d.plugin"),
        (8, "strategies.s.venue"),
        (8, "strategies.s.params.spread"),
        (10, "schedule[0].cron"),
        (11, "risk.max_position"),
    ]
    assert str(err.value) == format_issues(issues)
    assert str(err.value).count("\n") == len(issues) - 1


def test_issue_at_places_later_findings_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    cfg = load_config(path, SCHEMA, env=ENV)
    issue = issue_at(cfg, ("venues", "book", "mode"), "book cannot trade live")
    assert str(issue) == f"{path}:15:11: venues.book.mode: book cannot trade live"
    # A path left to its default points at its nearest written ancestor.
    issue = issue_at(cfg, ("venues", "dex", "mode"), "x")
    assert (issue.line, issue.column) == (7, 5)


# -- durations --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ns"), [
    (60, 60 * SECOND), ("60", 60 * SECOND), ("60s", 60 * SECOND), ("500ms", 500 * MILLISECOND),
    ("5m", 5 * MINUTE), ("1h", HOUR), ("1h30m", 90 * MINUTE), ("1.5s", 1500 * MILLISECOND),
    ("0.25", 250 * MILLISECOND), ("2us", 2000), ("7ns", 7),
])
def test_parse_duration(text: int | str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["-1s", "5x", "", "1e3", "1 h", "0.5ns", "nan", ".inf"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
    with pytest.raises(TypeError):
        parse_duration(True)


@pytest.mark.parametrize("written", ["true", "2024-01-01", "1.5e3", "[1]", ".inf"])
def test_written_non_durations_are_located(tmp_path: Path, written: str) -> None:
    path, issues = issues_of(tmp_path, f"run:\n  name: r\n  duration: {written}\n")
    assert_issue(path, issues, "run.duration", 3, 13, "expected a duration")


def test_fractional_seconds_are_exact(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "run: {name: r, duration: 0.1}\n"), SCHEMA, env={})
    assert cfg.run.duration == 100 * MILLISECOND


_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": SECOND, "m": MINUTE, "h": HOUR, "d": 24 * HOUR}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(_UNITS))), min_size=1, max_size=4))
def test_compound_durations_match_naive_sum(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_duration(text) == sum(n * _UNITS[u] for n, u in parts)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**18))
def test_format_duration_round_trips(ns: int) -> None:
    assert parse_duration(format_duration(ns)) == ns


# -- less common shapes -----------------------------------------------------------


class Limit(msgspec.Struct, tag_field="kind", tag="limit"):
    max_orders: int


class Window(msgspec.Struct, tag_field="kind", tag="window"):
    span: Duration
    count: int = 1


class Shapes(msgspec.Struct):
    either: int | str = 0
    rules: list[Limit | Window] = []
    ratio: float | None = None
    tags: frozenset[str] = frozenset()
    pair: tuple[int, str] = (0, "")


class Unwritable(msgspec.Struct):
    when: bytes = b""


SHAPES = Schema(sections={"shapes": Shapes, "broken": Unwritable})


def test_unions_tagged_unions_and_collections(tmp_path: Path) -> None:
    text = """\
    run: {name: r}
    shapes:
      either: abc
      rules:
        - {kind: limit, max_orders: 5}
        - {kind: window, span: 10s}
      ratio: 1
      tags: [a, b, a]
      pair: [1, x]
    """
    cfg = load_config(write(tmp_path, text), SHAPES, env={})
    assert cfg.sections["shapes"] == Shapes(
        either="abc", rules=[Limit(5), Window(10 * SECOND)], ratio=1.0,
        tags=frozenset({"a", "b"}), pair=(1, "x"))
    assert "span: 10s" in show_config(cfg)


def test_tagged_union_errors_name_the_tag(tmp_path: Path) -> None:
    path = write(tmp_path, """\
    run: {name: r}
    shapes:
      rules:
        - {kind: limt, max_orders: 5}
        - {max_orders: 5}
        - {kind: window, span: soon}
      pair: [1]
      ratio: [1]
    """)
    issues = check_config(path, SHAPES, env={})
    assert_issue(path, issues, "shapes.rules[0].kind", 4, 14, "expected one of 'limit', 'window', found 'limt'",
                 "did you mean 'limit'?")
    assert_issue(path, issues, "shapes.rules[1].kind", 5, 7, "missing required key 'kind'")
    assert_issue(path, issues, "shapes.rules[2].span", 6, 28, "expected a duration, found 'soon'")
    assert_issue(path, issues, "shapes.pair", 7, 9, "expected a list of exactly 2 items, found 1")
    assert_issue(path, issues, "shapes.ratio", 8, 10, "expected a number, found a list")
    assert len(issues) == 5


def test_field_type_a_file_cannot_express_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "run: {name: r}\nbroken: {when: abc}\n")
    issue = the_issue(check_config(path, SHAPES, env={}), "broken.when")
    assert "cannot be written in a config file" in issue.message


def test_several_missing_variables_in_one_value(tmp_path: Path) -> None:
    path, issues = issues_of(tmp_path, 'run: {name: "${A_ONE}-${B_TWO}"}\n', env={})
    assert_issue(path, issues, "run.name", 1, 13, "environment variables A_ONE, B_TWO not set",
                 "export A_ONE=")


def test_plain_secret_in_the_file_is_still_redacted(tmp_path: Path) -> None:
    text = """\
    run: {name: r}
    venues:
      d: {plugin: dex, settings: {address: a, mnemonic: written-in-clear}}
    """
    cfg = load_config(write(tmp_path, text), SCHEMA, env={})
    assert cfg.venues["d"].settings.mnemonic.reveal() == "written-in-clear"
    assert "written-in-clear" not in show_config(cfg) + repr(cfg)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("run: {name: caf\xe9}\n".encode("latin-1"))
    [issue] = check_config(path, SCHEMA, env={})
    assert str(issue).startswith(f"{path}: not UTF-8 text")


@settings(max_examples=150, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-50, 50), st.integers(0, 100))
def test_integer_bounds_match_naive_check(value: int, low: int, width: int) -> None:
    high = low + width

    bounded = msgspec.defstruct("Bounded", [("x", Annotated[int, msgspec.Meta(ge=low, le=high)])])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.yaml"
        path.write_text(f"run: {{name: r}}\nb: {{x: {value}}}\n", encoding="utf-8")
        issues = check_config(path, Schema(sections={"b": bounded}), env={})
    if low <= value <= high:
        assert issues == []
    else:
        assert [str(i) for i in issues] == [
            f"{path}:2:8: b.x: expected an integer >= {low} and <= {high}, found {value}"]
