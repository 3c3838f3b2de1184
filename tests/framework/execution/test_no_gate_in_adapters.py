"""No adapter reaches the risk gate: plugins, the example venue, strategies and
the scaffold's generated code send through ``ctx.sender`` only. A call such as
``ctx.gate.admit(...)`` or ``self.gate.throttled()`` appearing in any of them
fails this test, naming the file and line."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("plugins", "examples", "strategies", "framework/scaffold")

# Calling the gate, reaching for it through the context, or building one.
FORBIDDEN = re.compile(
    r"\.admit\s*\("  # gate.admit / anything.admit
    r"|\.throttled\s*\("  # the throttle signal is the sender's to give
    r"|\bgate\s*\.\s*open_stream\b"
    r"|\bctx\s*\.\s*gate\b"
    r"|\bsender\s*\.\s*_?gate\b"  # through the sender's back
    r"|\b(RiskGate|open_gates)\b"
)


def offences(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every forbidden gate call in ``text``."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if FORBIDDEN.search(line)]


def test_the_scan_catches_each_way_of_reaching_the_gate() -> None:
    bad = """
        await self.ctx.gate.admit(kind)
        self.gate.throttled()
        lease = await gate.open_stream("main")
        g = self.ctx.gate
        from framework.risk.gate import RiskGate
        self.ctx.sender._gate.admit
        g = ctx.sender.gate
    """
    assert [n for n, _ in offences(bad)] == [2, 3, 4, 5, 6, 7, 8]
    good = """
        await self.ctx.sender.send(Outbound(kind, "", line), self._write)
        self._lease = await self.ctx.sender.lease("main")
        if not x.limits.open_stream(client.firm):  # a simulator's own accounting
    """
    assert offences(good) == []


def test_no_adapter_plugin_or_scaffold_calls_the_gate() -> None:
    files = [p for d in SCANNED for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(files) > 50 and any(p.name == "venue.py" for p in files)  # the scan really ran
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line}"
        for p in files
        for n, line in offences(p.read_text(encoding="utf-8"))
    ]
    assert not found, "the gate is the framework's: send an Outbound through ctx.sender instead\n" + "\n".join(found)
