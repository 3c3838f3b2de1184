"""The run report: a summary table and a picture of PnL and inventory over time.

``backplane report runs/<run-id>`` reads the run's journal (read-only, so it
works while the run is still writing) and prints :func:`format_summary` of
:func:`summarize`, then writes :func:`write_picture`: one self-contained HTML
file with inline SVG charts (:mod:`framework.tools.svgchart`).

PnL is computed from the journalled executions with
:class:`~framework.model.positions.PositionBook` (integers, tick x lot units). It is
shown in money when the journal knows the instrument (``record_instrument``:
one tick x lot is ``tick_size x lot_size``), else in tick x lot units. The
mark for unrealised PnL is the latest ``mark.<venue>.<symbol>`` metric if the
runner samples one, else the latest fill price of that instrument.
Budget utilisation and other samples come from the ``metrics`` table.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from framework.journal.schema import connect
from framework.journal.store import JOURNAL_FILE
from framework.model.positions import PositionBook
from framework.tools.svgchart import Series, svg_chart

__all__ = [
    "KeySummary",
    "MetricSummary",
    "Summary",
    "format_summary",
    "mark_metric",
    "summarize",
    "write_picture",
]

REPORT_FILE = "report.html"


def mark_metric(venue: str, symbol: str) -> str:
    """Name of the metric a runner samples an instrument's mark price into (ticks)."""
    return f"mark.{venue}.{symbol}"


class KeySummary(msgspec.Struct, frozen=True):
    """One ``(strategy, venue, symbol)``: sizes in lots, money in tick x lot units.

    ``unit`` is the money value of one tick x lot, when the instrument is known.
    """

    strategy: str
    venue: str
    symbol: str
    fills: int
    volume: int
    notional: int
    max_inventory: int
    position: int
    realized: int
    fees: int
    unrealized: int
    mark: int
    unit: Decimal | None = None

    @property
    def net(self) -> int:
        return self.realized - self.fees + self.unrealized

    def money(self, units: int) -> Decimal | None:
        """``units`` tick x lot in money, or None when the instrument is unknown."""
        return None if self.unit is None else (units * self.unit).normalize()


class MetricSummary(msgspec.Struct, frozen=True):
    samples: int
    last: float
    max: float
    mean: float


class Summary(msgspec.Struct, frozen=True):
    """What ``backplane report`` prints about one run."""

    run_id: str
    mode: str
    sessions: int
    executions: int
    orders_by_state: dict[str, int]
    keys: list[KeySummary]
    denials: dict[str, int]
    errors: int
    differences: int
    metrics: dict[str, MetricSummary]
    first_ns: int
    last_ns: int

    @property
    def net_money(self) -> Decimal | None:
        """Net PnL of the whole run in money; None unless every instrument is known."""
        if any(k.unit is None for k in self.keys):
            return None
        return sum((k.net * k.unit for k in self.keys if k.unit is not None), Decimal(0)).normalize()


# -- reading the journal ---------------------------------------------------------


def _open(run_dir: Path | str) -> Any:
    path = Path(run_dir) / JOURNAL_FILE
    if not path.exists():
        raise FileNotFoundError(f"no journal at {path}")
    return connect(str(path), readonly=True)


def _units(db: Any) -> dict[tuple[str, str], Decimal]:
    return {
        (r["venue"], r["symbol"]): Decimal(r["tick_size"]) * Decimal(r["lot_size"])
        for r in db.execute("SELECT * FROM instruments")
    }


def _marks(db: Any) -> dict[tuple[str, str], int]:
    marks: dict[tuple[str, str], int] = {}
    for r in db.execute("SELECT venue, symbol, price FROM executions ORDER BY seq"):
        marks[(r[0], r[1])] = r[2]
    for venue, symbol in list(marks):
        row = db.execute(
            "SELECT value FROM metrics WHERE name = ? ORDER BY seq DESC LIMIT 1", (mark_metric(venue, symbol),)
        ).fetchone()
        if row is not None:
            marks[(venue, symbol)] = int(row[0])
    return marks


def summarize(run_dir: Path | str) -> Summary:
    """Read ``run_dir``'s journal and summarise the run."""
    db = _open(run_dir)
    try:
        return _summarize(db)
    finally:
        db.close()


def _summarize(db: Any) -> Summary:
    run = db.execute("SELECT run_id, mode FROM run").fetchone()
    units, marks = _units(db), _marks(db)
    book = PositionBook()
    fills: Counter[tuple[str, str, str]] = Counter()
    volume: Counter[tuple[str, str, str]] = Counter()
    notional: Counter[tuple[str, str, str]] = Counter()
    max_inv: Counter[tuple[str, str, str]] = Counter()
    first = last = 0
    for r in db.execute("SELECT strategy, venue, symbol, side, price, size, fee, ts_ns FROM executions ORDER BY seq"):
        key = (r[0], r[1], r[2])
        pos = book.apply_fill(*key, r[3], r[4], r[5], r[6])
        fills[key] += 1
        volume[key] += r[5]
        notional[key] += r[4] * r[5]
        max_inv[key] = max(max_inv[key], abs(pos.qty))
        first, last = first or r[7], r[7]
    keys = []
    for key, pos in sorted(book.items()):
        mark = marks[(key[1], key[2])]
        keys.append(
            KeySummary(*key, fills[key], volume[key], notional[key], max_inv[key], pos.qty, pos.realized,
                       pos.fees, pos.unrealized(mark), mark, units.get((key[1], key[2])))
        )
    return Summary(
        run_id=run["run_id"] if run else "",
        mode=run["mode"] if run else "",
        sessions=db.execute("SELECT count(*) FROM sessions").fetchone()[0],
        executions=sum(fills.values()),
        orders_by_state=dict(db.execute("SELECT state, count(*) FROM orders GROUP BY state ORDER BY state").fetchall()),
        keys=keys,
        denials=dict(db.execute("SELECT reason, count(*) FROM denials GROUP BY reason ORDER BY 2 DESC, 1").fetchall()),
        errors=db.execute("SELECT count(*) FROM errors").fetchone()[0],
        differences=db.execute("SELECT count(*) FROM differences").fetchone()[0],
        metrics=_metric_summaries(db),
        first_ns=first,
        last_ns=last,
    )


def _metric_summaries(db: Any) -> dict[str, MetricSummary]:
    out = {}
    for name, n, mx, mean in db.execute("SELECT name, count(*), max(value), avg(value) FROM metrics GROUP BY name"):
        last = db.execute("SELECT value FROM metrics WHERE name = ? ORDER BY seq DESC LIMIT 1", (name,)).fetchone()[0]
        out[name] = MetricSummary(n, float(last), float(mx), float(mean))
    return out


# -- the summary as text ------------------------------------------------------------


def _money(k: KeySummary, units: int) -> str:
    value = k.money(units)
    return str(units) if value is None else f"{value:f}"


def format_summary(summary: Summary) -> str:
    """The summary as a plain-text table."""
    lines = [
        (
            f"run {summary.run_id} ({summary.mode or '?'}): {summary.sessions} session(s), "
            f"{summary.executions} fill(s) over {(summary.last_ns - summary.first_ns) / 1e9:.1f} s"
        ),
        "orders: " + (", ".join(f"{s} {n}" for s, n in summary.orders_by_state.items()) or "none"),
        "",
    ]
    header = ("strategy", "venue", "symbol", "fills", "volume", "max inv", "position", "realized", "fees",
              "unrealized", "net", "mark")
    rows = [
        (k.strategy, k.venue, k.symbol, str(k.fills), str(k.volume), str(k.max_inventory), str(k.position),
         _money(k, k.realized), _money(k, k.fees), _money(k, k.unrealized), _money(k, k.net), str(k.mark))
        for k in summary.keys
    ]
    lines += _table(header, rows, 3) if rows else ["no fills"]
    if any(k.unit is None for k in summary.keys):
        lines.append("(PnL in tick x lot units where the instrument is not journalled)")
    elif summary.keys:
        lines.append(f"net PnL: {summary.net_money:f}")
    lines.append("")
    lines.append("denials: " + (", ".join(f"{r} {n}" for r, n in summary.denials.items()) or "none"))
    lines.append(f"strategy errors: {summary.errors}   reconciliation differences: {summary.differences}")
    if summary.metrics:
        lines.append("")
        mrows = [(name, str(m.samples), _num(m.last), _num(m.max), _num(m.mean)) for name, m in sorted(summary.metrics.items())]
        lines += _table(("metric", "samples", "last", "max", "mean"), mrows, 1)
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:.4g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], names: int) -> list[str]:
    """Aligned columns: the first ``names`` to the left, numbers to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < names else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return [fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


# -- the picture -----------------------------------------------------------------------

def _history(db: Any) -> tuple[Series, Series, str]:
    """PnL and inventory step series per key over seconds since the first fill."""
    units, marks_now = _units(db), {}
    rows = db.execute(
        "SELECT ts_ns, strategy, venue, symbol, qty, cost, realized, fees, mark FROM positions ORDER BY seq"
    ).fetchall()
    if not rows:
        return {}, {}, ""
    t0 = rows[0]["ts_ns"]
    state: dict[tuple[str, str, str], tuple[int, int, int, int]] = {}
    pnl: Series = {}
    inventory: Series = {}
    in_money = all((r["venue"], r["symbol"]) in units for r in rows)
    for r in rows:
        key = (r["strategy"], r["venue"], r["symbol"])
        t = (r["ts_ns"] - t0) / 1e9
        marks_now[(r["venue"], r["symbol"])] = r["mark"]
        state[key] = (r["qty"], r["cost"], r["realized"], r["fees"])
        label = "/".join(key)
        inventory.setdefault(label, []).append((t, r["qty"]))
        total = Decimal(0)
        for k, (qty, cost, realized, fees) in state.items():
            net = realized - fees + marks_now[(k[1], k[2])] * qty - cost
            value = net * units[(k[1], k[2])] if in_money else Decimal(net)
            pnl.setdefault("/".join(k), []).append((t, float(value)))
            total += value
        if len(state) > 1:
            pnl.setdefault("total", []).append((t, float(total)))
    return pnl, inventory, "money" if in_money else "tick x lot units"


def _budget_series(db: Any) -> Series:
    rows = db.execute("SELECT ts_ns, name, value FROM metrics WHERE name LIKE 'budget%' ORDER BY seq").fetchall()
    if not rows:
        return {}
    t0 = rows[0]["ts_ns"]
    out: Series = {}
    for r in rows:
        out.setdefault(r["name"], []).append(((r["ts_ns"] - t0) / 1e9, float(r["value"])))
    return out


_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; }
svg { display: block; margin: 16px 0; }
.t { font-weight: 600; font-size: 14px; }
.frame { fill: none; stroke: #999; }
.grid { stroke: #e4e4e4; }
.zero { stroke: #777; stroke-dasharray: 4 3; }
.yl { font-size: 11px; text-anchor: end; }
.xl { font-size: 11px; text-anchor: middle; }
.lg { font-size: 11px; }
"""


def write_picture(run_dir: Path | str, path: Path | str | None = None) -> Path:
    """Write the report page (summary, PnL, inventory and budget charts) and
    return its path (default ``run_dir/report.html``)."""
    db = _open(run_dir)
    try:
        summary = _summarize(db)
        pnl, inventory, pnl_unit = _history(db)
        budget = _budget_series(db)
    finally:
        db.close()
    charts = [
        svg_chart("PnL over time (realised - fees + unrealised)", pnl, pnl_unit),
        svg_chart("Inventory over time", inventory, "lots"),
    ]
    if budget:
        charts.append(svg_chart("Budget utilisation", budget, "fraction"))
    page = _page(f"backplane run {summary.run_id}", format_summary(summary), charts)
    out = Path(path) if path is not None else Path(run_dir) / REPORT_FILE
    out.write_text(page, encoding="utf-8")
    return out


def _page(title: str, summary_text: str, charts: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<pre>{html.escape(summary_text)}</pre>",
            *charts,
            "</body></html>",
        ]
    )
