"""docs/plugins.md carries the hook reference and kit cases generated from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.kit.venue import CASES
from framework.plugin import hookspecs, specs
from framework.tools import docgen


def test_the_plugin_guide_is_up_to_date() -> None:
    text = docgen.DOC.read_text()
    assert docgen.regenerate(text) == text, "docs/plugins.md is stale: run `python -m framework.tools.docgen`"


def test_every_hook_and_spec_is_documented_under_its_phase() -> None:
    reference = docgen.hook_reference()
    hooks = [name for name in dir(hookspecs) if name.startswith("backplane_")]
    assert hooks and all(f"#### `{name}(" in reference for name in hooks)
    assert reference.index("### Registration") < reference.index("`backplane_venues(") < reference.index("### Run lifecycle")
    assert reference.index("### Run lifecycle") < reference.index("`backplane_run_started(run: RunView) -> None`")
    for name in specs.__all__:
        assert f"#### `{name}`" in reference
    assert "| `simulator` | `str \\| None` | `None` |" in reference


def test_every_kit_case_is_listed_with_its_statement() -> None:
    table = docgen.kit_cases()
    for case in CASES:
        assert f"| `{case.id}` | {case.statement} |" in table


def test_sections_are_replaced_between_markers_only() -> None:
    start, end = docgen._markers("demo")
    text = f"before\n{start}\nold\n{end}\nafter\n"
    new = docgen.replace_section(text, "demo", "new body")
    assert new == f"before\n{start}\n\nnew body\n\n{end}\nafter\n"
    assert docgen.replace_section(new, "demo", "new body") == new
    with pytest.raises(ValueError, match="no 'other' section"):
        docgen.replace_section(text, "other", "x")


def test_check_fails_on_a_stale_guide_and_regenerating_fixes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guide = tmp_path / "plugins.md"
    guide.write_text(docgen.DOC.read_text().replace("#### `backplane_venues() -> list[VenueSpec]`", "#### `old`"))
    assert docgen.main(["--path", str(guide), "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert docgen.main(["--path", str(guide)]) == 0
    assert docgen.main(["--path", str(guide), "--check"]) == 0
    matrix = tmp_path / "matrix.md"
    matrix.write_text("| case | statement | v |\n")
    assert docgen.main(["--path", str(guide), "--matrix", str(matrix)]) == 0
    assert "| case | statement | v |" in guide.read_text()
