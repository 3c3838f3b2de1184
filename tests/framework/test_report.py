"""The run report: summary numbers, the text table and the self-contained picture."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from framework.journal import Journal
from framework.model.events import (
    DenyReason,
    Instrument,
    Liquidity,
    OrderDenied,
    OrderFilled,
    Side,
)
from framework.runtime.clock import NS_PER_S, SimClock
from framework.tools.report import (
    format_summary,
    mark_metric,
    summarize,
    write_picture,
)
from framework.tools.svgchart import svg_chart

V, S = "simv", "BTC-USD"


def fill(n: int, side: Side, price: int, size: int, fee: int = 0, strategy: str = "mm", symbol: str = S) -> OrderFilled:
    return OrderFilled(V, symbol, 0, 0, f"c{n}", strategy, "", f"x{n}", side, price, size, size, 0, Liquidity.TAKER, fee)


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, Journal, SimClock]:
    clock = SimClock()
    journal = Journal(tmp_path / "r1", "r1", clock=clock)
    journal.start(mode="paper", config_text="")
    return tmp_path / "r1", journal, clock


def script(journal: Journal, clock: SimClock) -> None:
    journal.record_instrument(Instrument(V, S, Decimal("0.01"), Decimal("0.001")))
    steps = [
        fill(1, Side.BUY, 10_000, 5, 2),
        fill(2, Side.BUY, 10_010, 5, 2),
        fill(3, Side.SELL, 10_030, 8, 3),
        fill(4, Side.SELL, 10_020, 6, 2),
        fill(5, Side.BUY, 10_000, 4, 1),
    ]
    for f in steps:
        clock.advance(NS_PER_S)
        journal.record_fill(f)
        journal.record_metric("budget_utilisation.simv", 0.25)
    journal.record_metric("budget_utilisation.simv", 0.75)
    journal.record_metric(mark_metric(V, S), 10_005)
    journal.on_event(OrderDenied(V, S, 0, 0, "d1", "mm", "", DenyReason.RATE_LIMITED, ""))
    journal.on_event(OrderDenied(V, S, 0, 0, "d2", "mm", "", DenyReason.RATE_LIMITED, ""))
    journal.on_event(OrderDenied(V, S, 0, 0, "d3", "mm", "", DenyReason.MAX_POSITION, ""))
    journal.record_error("mm", "ZeroDivisionError()", "Traceback")


def test_summary_counts_fills_volume_pnl_inventory_denials_and_budget(run: tuple[Path, Journal, SimClock]) -> None:
    run_dir, journal, clock = run
    script(journal, clock)
    summary = summarize(run_dir)  # read while the journal is still open for writing
    assert (summary.run_id, summary.mode, summary.sessions, summary.executions) == ("r1", "paper", 1, 5)
    (k,) = summary.keys
    assert (k.fills, k.volume, k.max_inventory, k.position) == (5, 28, 10, 0)
    # FIFO: 5 @10000 and 3 @10010 sold @10030 (150 + 60), 2 @10010 sold @10020 (20),
    # then short 4 @10020 bought back @10000 (80).
    assert k.realized == 150 + 60 + 20 + 80 and k.fees == 10 and k.unrealized == 0
    assert k.mark == 10_005  # the sampled mark wins over the last fill price
    assert k.money(k.net) == Decimal("0.003")  # 300 tick x lot x 0.00001
    assert summary.net_money == Decimal("0.003")
    assert summary.denials == {"rate_limited": 2, "max_position": 1}
    assert summary.errors == 1
    budget = summary.metrics["budget_utilisation.simv"]
    assert (budget.samples, budget.last, budget.max, budget.mean) == (6, 0.75, 0.75, pytest.approx(1 / 3))
    assert summary.last_ns - summary.first_ns == 4 * NS_PER_S
    journal.close()


def test_unknown_instruments_are_reported_in_tick_lot_units(run: tuple[Path, Journal, SimClock]) -> None:
    run_dir, journal, clock = run
    journal.record_fill(fill(1, Side.BUY, 100, 3, 1))
    clock.advance(NS_PER_S)
    journal.record_fill(fill(2, Side.BUY, 104, 1, 0, strategy="other", symbol="ETH"))
    journal.close()
    summary = summarize(run_dir)
    assert [(k.strategy, k.position, k.unrealized, k.money(1)) for k in summary.keys] == [
        ("mm", 3, 0, None),
        ("other", 1, 0, None),
    ]
    assert summary.net_money is None
    text = format_summary(summary)
    assert "tick x lot units" in text


def test_format_summary_is_an_aligned_table(run: tuple[Path, Journal, SimClock]) -> None:
    run_dir, journal, clock = run
    script(journal, clock)
    journal.close()
    text = format_summary(summarize(run_dir))
    lines = text.splitlines()
    assert lines[0] == "run r1 (paper): 1 session(s), 5 fill(s) over 4.0 s"
    header = next(i for i, line in enumerate(lines) if line.startswith("strategy"))
    assert len(lines[header]) == len(lines[header + 1]) == len(lines[header + 2])
    assert lines[header + 2].split() == ["mm", "simv", "BTC-USD", "5", "28", "10", "0", "0.0031", "0.0001", "0", "0.003", "10005"]
    assert "net PnL: 0.003" in text
    assert "denials: rate_limited 2, max_position 1" in text
    assert "strategy errors: 1" in text


def test_picture_is_one_self_contained_html_file_with_svg_charts(run: tuple[Path, Journal, SimClock]) -> None:
    run_dir, journal, clock = run
    script(journal, clock)
    journal.close()
    path = write_picture(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|src=|href=|@import|url\(", page)
    svgs = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert len(svgs) == 3  # PnL, inventory, budget
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "Inventory over time" in page and "mm/simv/BTC-USD" in page
    # The inventory line steps through 5, 10, 2, -4, 0 lots.
    inv = ET.fromstring(svgs[1])
    path_d = next(e.get("d") for e in inv.iter() if e.tag.endswith("path"))
    assert path_d is not None and path_d.count("V") == 4


def test_chart_of_a_single_point_and_an_empty_run(tmp_path: Path) -> None:
    svg = svg_chart("one", {"a<b": [(0.0, 5.0)]}, "lots")
    assert "a&lt;b" in ET.tostring(ET.fromstring(svg), encoding="unicode")
    Journal(tmp_path, "empty").close()
    assert format_summary(summarize(tmp_path)).splitlines()[3] == "no fills"
    page = write_picture(tmp_path, tmp_path / "x.html").read_text()
    assert page.count("<svg") == 2


def test_missing_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no journal"):
        summarize(tmp_path / "nope")


def test_thinning_keeps_extremes_and_bounds_the_points() -> None:
    from framework.tools.svgchart import thin

    pts = [(float(i), float((i * 7919) % 1000)) for i in range(20_000)]
    pts[12_345] = (12_345.0, 5_000.0)  # a spike
    out = thin(pts, 100)
    assert len(out) <= 300
    assert (12_345.0, 5_000.0) in out
    assert min(y for _, y in out) == 0.0
    assert [x for x, _ in out] == sorted(x for x, _ in out)
    assert out[-1] == pts[-1]
    assert thin(pts[:50], 100) == pts[:50]
