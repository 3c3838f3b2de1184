"""The venue contract suite fails broken adapters on the right case.

The adapter under test is the example third-party venue (examples/), loaded
from its source tree; each test breaks one promise of the contract in a
subclass and runs the case that must catch it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from framework.kit.matrix import render_markdown, render_text
from framework.kit.venue import CASES, CASES_BY_ID, VenueHarness, run_case, support
from framework.model.events import BookSnapshot

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "backplane-example-venue"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The example package's contract-test module (its ExampleHarness)."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    spec = importlib.util.spec_from_file_location("example_venue_contract_tests", EXAMPLE / "tests" / "test_contract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in [n for n in sys.modules if n == "example_venue" or n.startswith("example_venue.")]:
        del sys.modules[name]


def harness_with(example: Any, **overrides: Any) -> VenueHarness:
    """An ExampleHarness whose adapter class is swapped for a broken one."""
    adapter_cls = overrides.pop("adapter")

    class Broken(example.ExampleHarness):
        timeout_s = overrides.get("timeout_s", 1.0)

        def session(self, ctx: Any) -> Any:
            import contextlib

            @contextlib.asynccontextmanager
            async def cm() -> Any:
                async with self.sim:
                    settings = self.sim.venue_settings(example.ExampleSettings(stale_after_ms=200, reconnect_ms=20))
                    yield adapter_cls(ctx, settings)

            return cm()

    return Broken()


def run(harness: VenueHarness, case_id: str) -> None:
    asyncio.run(run_case(harness, CASES_BY_ID[case_id]))


def test_the_example_venue_passes_the_order_cases(example: Any) -> None:
    for case_id in ("order_accepted", "order_filled", "duplicate_execution", "gated_messages"):
        run(example.ExampleHarness(), case_id)


def test_an_adapter_that_skips_the_gate_fails_gated_messages_and_ingress_limit(example: Any) -> None:
    from example_venue.adapter import ExampleAdapter

    class Ungated(ExampleAdapter):
        async def submit(self, order: Any) -> None:
            stream = self._order_line
            assert stream is not None and stream._writer is not None
            stream._writer.write(self.orders.new(order))  # straight to the wire

    with pytest.raises(AssertionError, match=r"the venue received \d+ messages, the gate admitted"):
        run(harness_with(example, adapter=Ungated), "gated_messages")
    with pytest.raises(AssertionError, match=r"\['sent', 'sent', 'sent', 'sent'\]"):
        run(harness_with(example, adapter=Ungated), "ingress_limit")


def test_an_adapter_that_passes_duplicates_on_fails_duplicate_execution(example: Any) -> None:
    from example_venue.adapter import ExampleAdapter
    from example_venue.codec import OrderCodec

    class Forgetful(OrderCodec):
        def _decode(self, msg: dict[str, Any], ts: int) -> list[Any]:
            self._executions.clear()
            return super()._decode(msg, ts)

    class Duplicating(ExampleAdapter):
        def __init__(self, ctx: Any, settings: Any) -> None:
            super().__init__(ctx, settings)
            self.orders = Forgetful(ctx.name)

    with pytest.raises(AssertionError, match="fills delivered"):
        run(harness_with(example, adapter=Duplicating), "duplicate_execution")


def test_an_adapter_that_keeps_its_slots_fails_every_case(example: Any) -> None:
    from example_venue.adapter import ExampleAdapter

    class Leaky(ExampleAdapter):
        async def stop(self) -> None:
            self._tasks.clear()  # forgets to stop its streams: they keep their slots
            await super().stop()

    with pytest.raises(AssertionError, match="stream slots still held after stop"):
        run(harness_with(example, adapter=Leaky), "snapshot")


def test_an_adapter_without_stale_detection_fails_stale(example: Any) -> None:
    from example_venue.adapter import ExampleAdapter

    class Trusting(ExampleAdapter):
        def __init__(self, ctx: Any, settings: Any) -> None:  # an hour of silence is fine by it
            super().__init__(ctx, msgspec.structs.replace(settings, stale_after_ms=3_600_000))

    with pytest.raises(AssertionError, match="timed out after 1 s waiting for StreamStatus STALE"):
        run(harness_with(example, adapter=Trusting), "stale")


def test_an_adapter_publishing_under_another_name_fails(example: Any) -> None:
    from example_venue.adapter import ExampleAdapter

    class Misnamed(ExampleAdapter):
        def __init__(self, ctx: Any, settings: Any) -> None:
            super().__init__(ctx, settings)
            receive = self.market.receive

            def renamed(line: bytes, ts: int) -> list[Any]:
                return [BookSnapshot("elsewhere", e.symbol, 0, 0, e.bids, e.asks) if isinstance(e, BookSnapshot) else e
                        for e in receive(line, ts)]  # fmt: skip

            self.market.receive = renamed  # type: ignore[method-assign]

    with pytest.raises(AssertionError, match=r"events published under venue names \['elsewhere'\]"):
        run(harness_with(example, adapter=Misnamed), "snapshot")


def test_missing_drivers_and_declarations_make_cases_unsupported() -> None:
    class Minimal(VenueHarness):
        name = "minimal"
        unsupported = {"order_rejected": "the venue never rejects"}

    why = {c.id: support(Minimal(), c) for c in CASES}
    assert why["order_accepted"] == "" and why["cancel_unknown"] == ""
    assert why["order_filled"] == "no driver: make_trade"
    assert why["reconnect_resync"] == "no driver: venue_book, set_level, kill_stream"
    assert why["order_rejected"] == "declared unsupported: the venue never rejects"


def test_every_case_has_a_unique_id_and_a_statement() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.statement and c.id.isidentifier() for c in CASES)
    assert {d for c in CASES for d in c.needs} <= {n for n in dir(VenueHarness) if not n.startswith("_")}


def test_matrix_renders_each_adapter_as_a_column() -> None:
    matrix = {"b": {"snapshot": "pass", "stale": "unsupported"}, "a": {"snapshot": "FAIL"}}
    text = render_text(matrix).splitlines()
    assert text[0].split() == ["case", "a", "b"]
    assert text[1].split() == ["snapshot", "FAIL", "pass"]
    assert text[2].split() == ["stale", "-", "unsupported"]
    md = render_markdown(matrix)
    assert "| `stale` | stale stream detected" in md and md.count("\n") == 4


def test_the_kit_is_registered_as_a_pytest_plugin(pytestconfig: pytest.Config) -> None:
    import importlib.metadata as md

    entry = {ep.name: ep.value for ep in md.entry_points(group="pytest11")}
    assert entry.get("backplane") == "framework.kit.pytest_plugin"
    assert pytestconfig.pluginmanager.has_plugin("backplane-matrix")  # loaded through it, no conftest
