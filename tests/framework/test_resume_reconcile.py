"""Resume: what reconciliation decides (close / cancel / adopt), the risk state
restored from the journal, and the ``reconcile:`` section's config errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from framework.config import check_config
from framework.journal import DifferenceKind, OpenOrder, settle
from framework.model.events import Liquidity, OrderFilled, Side
from framework.model.positions import PositionBook
from framework.plugin.manager import load_host
from framework.risk.state import RiskState

V, S = "pm", "demo-a"


def order(cid: str, *, strategy: str = "mm", side: Side = Side.BUY, filled: int = 0, vid: str = "") -> OpenOrder:
    return OpenOrder(cid, strategy, V, S, side, 50, 10, filled, vid or f"v-{cid}")


def test_settle_closes_ours_the_venue_lacks_and_cancels_what_only_it_has() -> None:
    ours = [order("mm-t1-1"), order("mm-t1-2", filled=2)]
    venue = [order("mm-t1-2", filled=5, strategy="mm"), order("mm-t2-7", strategy=""), order("manual-1", strategy="")]
    found = settle(ours, venue)
    assert [o.client_order_id for o in found.close] == ["mm-t1-1"]
    assert [o.client_order_id for o in found.cancel] == ["mm-t2-7", "manual-1"]
    assert found.adopt == []
    kinds = [(d.kind, d.key) for d in found.differences]
    assert (DifferenceKind.MISSING_AT_VENUE, "mm-t1-1") in kinds
    assert (DifferenceKind.UNKNOWN_TO_US, "mm-t2-7") in kinds
    assert (DifferenceKind.ORDER_MISMATCH, "mm-t1-2") in kinds
    assert found.fill_gaps == {(V, S): 3}  # the venue filled 3 lots of a buy we did not journal


def test_settle_adopts_only_orders_a_running_strategy_owns() -> None:
    venue = [order("mm-t2-7", strategy=""), order("other-t2-1", strategy=""), order("manual-1", strategy="")]
    found = settle([], venue, policy="adopt", strategies=["mm"])
    assert [(o.client_order_id, o.strategy) for o in found.adopt] == [("mm-t2-7", "mm")]
    assert [o.client_order_id for o in found.cancel] == ["other-t2-1", "manual-1"]  # nobody here can own them


def fill(book: PositionBook, state: RiskState, side: Side, price: int, size: int, n: int) -> None:
    book.apply_fill("mm", V, S, side, price, size, 1)
    state.on_event(OrderFilled(V, S, 0, 0, f"c{n}", "mm", "", f"e{n}", side, price, size, size, 0, 1, Liquidity.MAKER))


def test_risk_state_restored_from_the_journal_counts_positions_pnl_and_open_orders() -> None:
    book, live = PositionBook(), RiskState(mid_source=lambda v, s: 55)
    for n, (side, price, size) in enumerate([(Side.BUY, 50, 10), (Side.SELL, 60, 4), (Side.BUY, 52, 3)]):
        fill(book, live, side, price, size, n)
    restored = RiskState(mid_source=lambda v, s: 55)
    restored.restore(dict(book.items()), [order("a", side=Side.SELL, filled=4), order("b", filled=10)])
    assert restored.position("mm", V, S) == live.position("mm", V, S) == 9
    assert restored.pnl("mm") == live.pnl("mm") != Decimal(0)
    assert restored.open_orders("mm") == 1  # the fully filled one is not open
    assert restored.open_lots("mm", V, S) == (0, 6)


def test_a_wrong_reconcile_policy_names_file_line_key_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "run: {name: t, mode: live}\n"
        "venues:\n  pm: {plugin: polymarket, simulate: true}\n"
        "reconcile:\n  unknown_orders: keep\n"
    )
    host = load_host()
    text = "\n".join(str(i) for i in check_config(path, host.config_schema()))
    assert f"{path}:5:" in text and "reconcile.unknown_orders" in text
    assert "cancel" in text and "adopt" in text
