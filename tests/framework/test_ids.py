"""Client order ids: unique across sessions and runs, repeatable on one clock, within 64 characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.config import load_config
from framework.model.ids import (
    MAX_CLIENT_ID,
    MAX_STRATEGY_NAME,
    id_prefix,
    session_tag,
    strategy_of,
)
from framework.plugin.manager import load_host
from framework.plugin.strategy import StrategyContext
from framework.runtime.clock import SimClock
from framework.runtime.runner import plan_issues

RUN_IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", fullmatch=True)
NAMES = st.from_regex(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_STRATEGY_NAME - 1}}}", fullmatch=True)
WALL = st.integers(0, 2**63 - 1)


class Sink:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, intent: object) -> None:
        self.sent.append(intent)


def ids_of(run_id: str, session: int, wall_ns: int, n: int = 3, name: str = "mm") -> list[str]:
    router = Sink()
    ctx = StrategyContext(name, "pm", ["x"], SimClock(), router, lambda s: None, None,  # type: ignore[arg-type]
                          id_tag=session_tag(run_id, session, wall_ns))
    return [ctx.submit_limit("x", 1, 10, 1) for _ in range(n)]  # type: ignore[arg-type]


@given(RUN_IDS, st.lists(st.integers(0, 5000), min_size=2, max_size=6, unique=True), WALL, WALL)
def test_sessions_of_one_run_never_share_an_id(run_id: str, sessions: list[int], wall_a: int, wall_b: int) -> None:
    # whatever the wall clock says at each start (a restarted sim clock starts at the same time)
    seen: set[str] = set()
    for i, session in enumerate(sessions):
        ids = ids_of(run_id, session, wall_a if i % 2 else wall_b)
        assert not seen & set(ids)
        seen |= set(ids)


@given(RUN_IDS, st.integers(0, 5000), WALL)
def test_ids_repeat_for_the_same_run_session_and_clock(run_id: str, session: int, wall_ns: int) -> None:
    assert ids_of(run_id, session, wall_ns) == ids_of(run_id, session, wall_ns)


def test_different_runs_and_restarted_journals_get_different_tags() -> None:
    tags = {session_tag(f"run-{i}", 1, 0) for i in range(5000)}
    assert len(tags) == 5000
    # a run id whose journal was deleted starts at session 1 again, but later
    assert session_tag("r", 1, 10**18) != session_tag("r", 1, 10**18 + 1)


@given(NAMES, RUN_IDS, st.integers(0, 36**2 - 1), WALL, st.integers(1, 10**12 - 1))
def test_ids_fit_the_venue_and_name_their_strategy(name: str, run_id: str, session: int, wall_ns: int, n: int) -> None:
    tag = session_tag(run_id, session, wall_ns)
    assert re.fullmatch(r"[0-9a-z]{9,10}", tag)
    cid = f"{id_prefix(name, tag)}{n}"
    assert len(cid) <= MAX_CLIENT_ID and cid.isascii() and cid.isprintable()
    assert strategy_of(cid) == name


def test_a_name_too_long_for_the_ids_is_refused() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_STRATEGY_NAME}"):
        id_prefix("m" * (MAX_STRATEGY_NAME + 1), "tag")
    assert strategy_of("mm-12") == "" and strategy_of("no-counter-x") == ""


def test_config_check_names_a_strategy_name_too_long(tmp_path: Path) -> None:
    long = "m" * (MAX_STRATEGY_NAME + 1)
    path = tmp_path / "long.yaml"
    path.write_text(
        "run: {name: t, mode: paper}\n"
        "venues:\n  v: {plugin: scripted}\n"
        f"strategies:\n  {long}:\n    plugin: market_maker\n    venue: v\n    symbols: [a]\n"
    )
    host = load_host()
    issues = plan_issues(host, load_config(path, host.config_schema()))
    text = "\n".join(map(str, issues))
    assert f"{path}:6:5: strategies.{long}" in text and f"at most {MAX_STRATEGY_NAME}" in text
