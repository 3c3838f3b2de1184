"""Event records and instruments."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from framework.model.events import BookDelta, Instrument, OrderFilled, Side


def test_events_are_immutable_and_positional() -> None:
    e = BookDelta("pm", "X", 1, 2, ((1, 45, 10),))
    assert (e.venue, e.symbol, e.ts_event, e.ts_recv) == ("pm", "X", 1, 2)
    with pytest.raises(AttributeError):
        e.venue = "other"  # type: ignore[misc]
    assert BookDelta.conflatable and not OrderFilled.conflatable


def test_fill_knows_whether_it_is_full() -> None:
    partial = OrderFilled("v", "s", 0, 0, "c1", execution_id="e1", size=2, filled=2, remaining=3)
    full = msgspec.structs.replace(partial, execution_id="e2", size=3, filled=5, remaining=0)
    assert not partial.is_full and full.is_full


def test_side_sign_and_opposite() -> None:
    assert Side.BUY * 5 == 5 and Side.SELL * 5 == -5
    assert Side.BUY.opposite is Side.SELL


def test_instrument_converts_exactly_at_the_edges() -> None:
    ins = Instrument("pm", "X", Decimal("0.001"), Decimal("0.01"), 1, 999)
    assert ins.to_ticks("0.450") == 450
    assert ins.price(450) == Decimal("0.450")
    assert ins.to_lots(Decimal("12.34")) == 1234
    assert ins.size(1234) == Decimal("12.34")
    assert ins.in_bounds(999) and not ins.in_bounds(1000)
    with pytest.raises(ValueError, match="not a multiple of 0.001"):
        ins.to_ticks("0.4505")
    with pytest.raises(ValueError, match="not a finite number"):
        ins.to_lots(Decimal("NaN"))
