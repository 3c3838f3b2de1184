"""What a running run shows a person: a live status line and a final summary.

The status line is rewritten in place once a second on a terminal (one line
every ``every_s`` seconds otherwise, so CI logs stay short): events per
second, orders sent and denied, fills, PnL, ingress budget used and streams
held against the venue cap, each venue stream's state as its last
``StreamStatus`` said (``streams pm:md0 live, pm:orders stale``), and every
scope (the run, a strategy) that is HALTED or REDUCING. The summary is a table per strategy at the end; its state
column says failed, halted, reducing or ok, and a last line names each
restricted scope with its reason.
PnL figures are shown in price-tick x lot units of each instrument.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from framework.runtime.clock import NS_PER_S
from framework.runtime.stats import RunStats, gate_usage

if TYPE_CHECKING:
    from framework.runtime.run import Run

__all__ = ["StatusLine", "restricted_scopes", "summary_table"]


class StatusLine:
    """Prints the run's vital signs on a timer of the run's clock."""

    def __init__(self, run: Run, stats: RunStats, out: TextIO | None = None, every_s: int = 10) -> None:
        self._run = run
        self._stats = stats
        self._out = out or sys.stderr
        self._tty = self._out.isatty()
        self._period_ns = NS_PER_S if self._tty else every_s * NS_PER_S
        self._last = (run.clock.now_ns(), 0)
        self._handle: Any = None

    def start(self) -> None:
        self._handle = self._run.clock.call_later(self._period_ns, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._tty:
            self._out.write("\n")

    def _tick(self) -> None:
        self._out.write(("\r" if self._tty else "") + self.render() + ("" if self._tty else "\n"))
        self._out.flush()
        self._handle = self._run.clock.call_later(self._period_ns, self._tick)

    def render(self) -> str:
        now = self._run.clock.now_ns()
        then, events_then = self._last
        rate = (self._stats.events - events_then) * NS_PER_S // max(now - then, 1)
        self._last = (now, self._stats.events)
        router = self._run.router
        parts = [
            f"{rate:,} ev/s",
            f"orders {router.sent:,} (denied {router.denied:,})",
            f"fills {self._stats.fills:,}",
            f"pnl {_fmt(self._run.total_pnl())}",
        ]
        for name, gate in self._run.gates.items():
            parts.append(f"{name}: {_gate_usage(gate, now)}")
        if self._stats.streams:
            parts.append("streams " + ", ".join(f"{k} {s.value}" for k, s in sorted(self._stats.streams.items())))
        parts += [f"{state}: {', '.join(scopes)}" for state, scopes in _restricted_by_state(self._run).items()]
        return " | ".join(parts)


def restricted_scopes(run: Run) -> dict[str, tuple[str, str]]:
    """Every scope of ``run`` that is not ACTIVE on its own: ``{"the run" | strategy:
    (state name, reason)}``, the run first (empty without a risk layer)."""
    risk = getattr(run, "risk", None)
    if risk is None:
        return {}
    return {(scope or "the run"): (state.name, why) for scope, (state, why) in risk.restricted().items()}


def _restricted_by_state(run: Run) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for scope, (state, _) in restricted_scopes(run).items():
        out.setdefault(state, []).append(scope)
    return dict(sorted(out.items()))  # HALTED before REDUCING


def _state_of(run: Run, strategy: str) -> str:
    """The summary's state column: failed, else halted / reducing (its own or the run's), else ok."""
    if strategy in run.failed_strategies:
        return "failed"
    risk = getattr(run, "risk", None)
    state = risk.trading_state(strategy).name.lower() if risk is not None else "active"
    return "ok" if state == "active" else state


def _gate_usage(gate: Any, now_ns: int) -> str:
    used, cap, held, stream_cap = gate_usage(gate, now_ns)
    budget = f"budget {used}/{cap}" if cap else "budget -"
    return f"{budget} streams {held}/{stream_cap or '-'}"


def summary_table(run: Run, stats: RunStats) -> str:
    """The end-of-run table: per strategy and instrument, position and PnL.

    Money columns are in the instrument's quote currency (tick x lot units
    turned into a decimal amount at this edge only); ``?`` where the venue did
    not describe the instrument.
    """
    header = ("strategy", "venue", "symbol", "position", "realized", "fees", "unrealized", "net", "state")
    rows: list[tuple[str, ...]] = [header]
    exact = True
    for (strategy, venue, symbol), pos in sorted(run.tracker.positions.items()):
        mark = run.mark(venue, symbol)
        unreal = pos.unrealized(mark) if mark is not None else 0

        def money(units: int, venue: str = venue, symbol: str = symbol) -> Decimal | str:
            value = run.money(venue, symbol, units)
            return f"{units:+,}?" if value is None else value

        net = money(run.net_units(venue, symbol, pos))
        exact = exact and isinstance(net, Decimal)
        state = _state_of(run, strategy)
        rows.append((strategy, venue, symbol, f"{pos.qty:+,}", _fmt(money(pos.realized)), _fmt(money(pos.fees)),
                     _fmt(money(unreal)), _fmt(net), state))  # fmt: skip
    traded = {key[0] for key, _ in run.tracker.positions.items()}
    for name, part in sorted(run.strategies.items()):
        if name not in traded:
            state = _state_of(run, name)
            rows.append((name, part.ctx.venue, "-", "+0", "0", "0", "0", "0", state))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.rjust(w) if 3 <= i < 8 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    denied = ", ".join(f"{k} {v}" for k, v in sorted(stats.denials.items())) or "none"
    lines.append(
        f"fills {stats.fills:,}  volume {stats.volume:,} lots  orders sent {run.router.sent:,}  "
        f"denied {run.router.denied:,} ({denied})  net pnl {_fmt(run.total_pnl())}{'' if exact else ' (+ instruments without a price unit)'}"
    )
    if run.differences or run.reconciled:
        done = ", ".join(f"{action} {n}" for action, n in sorted(run.reconciled.items())) or "nothing to do"
        lines.append(f"reconciled at resume: {len(run.differences)} differences ({done}); listed in the log and the journal")
    failed = ", ".join(f"{n} ({why})" for n, why in run.failed_strategies.items())
    if failed:
        lines.append(f"failed strategies: {failed}")
    restricted = [f"{scope} {state}" + (f" ({why})" if why else "") for scope, (state, why) in restricted_scopes(run).items()]
    if restricted:
        lines.append(f"trading states: {'; '.join(restricted)}")
    lines += simulator_lines(run)
    return "\n".join(lines)


def simulator_lines(run: Run) -> list[str]:
    """What each in-process simulator of the run counted (``run.simulators``): its
    limit violations by kind, the orders resting there that the run believes
    closed, and the messages it accepted per second over the run's duration as
    a share of its nominal ingress rate."""
    duration = getattr(getattr(run.config, "run", None), "duration", None)
    lines = []
    for name, simulator in sorted(getattr(run, "simulators", {}).items()):
        figures = sim_figures(simulator)
        if figures is None:
            continue
        violations, accepted, nominal, resting = figures
        kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(violations.items()) if v) or "none"
        believed_closed = [cid for cid in resting if not _open_in_run(run, cid)]
        rate = ""
        if duration and nominal:
            per_s = accepted * NS_PER_S / duration
            rate = f"  ingress {per_s:,.1f} msg/s = {100 * per_s / nominal:.1f}% of nominal {nominal:g}/s"
        lines.append(
            f"{name} (simulator): violations {sum(violations.values()):,} ({kinds})  "
            f"resting {len(resting):,} (believed closed {len(believed_closed):,})  "
            f"accepted {accepted:,} messages{rate}"
        )
    return lines


def sim_figures(simulator: Any) -> tuple[dict[str, int], int, float, list[str]] | None:
    """``(violations by kind, messages accepted, nominal msg/s, client ids resting)``
    of a Polymarket-style simulator (None for one that does not count them).

    Reads the exchange's engines directly; ``Exchange.resting_orders()`` /
    ``counters()`` would say the same once the simulator has them.
    """
    exchange: Any = getattr(simulator, "exchange", None)
    limits = getattr(exchange, "limits", None)
    if limits is None:
        return None
    violations = {kind: 0 for kind in ("ingress", "streams", "symbols")}
    violations.update(limits.violations)
    resting = [o.clord_id for engine in exchange.engines.values() for o in engine.orders.values() if o.clord_id]
    return violations, limits.ingress_total, float(limits.settings.ingress_rate_per_s), resting


def _open_in_run(run: Run, client_order_id: str) -> bool:
    order = run.tracker.order(client_order_id)
    return order is not None and order.is_open


def _fmt(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():+,.4f}".rstrip("0").rstrip(".") if value else "0"
    return str(value)
