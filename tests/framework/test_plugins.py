"""Plugin discovery through real entry points, good and broken."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from framework.plugin.manager import PluginHost

GOOD = '''
import msgspec
from framework.plugin.hookspecs import hookimpl
from framework.plugin.specs import StrategySpec

class Params(msgspec.Struct, forbid_unknown_fields=True):
    size: int = 1

class Echo:
    def __init__(self, ctx, params):
        self.ctx, self.params = ctx, params

@hookimpl
def backplane_strategies():
    return [StrategySpec("echo", Echo, Params, "repeats what it sees")]
'''

BAD_SIGNATURE = '''
from framework.plugin.hookspecs import hookimpl

@hookimpl
def backplane_strategies(extra_argument):
    return []
'''

RAISES = '''
from framework.plugin.hookspecs import hookimpl

@hookimpl
def backplane_venues():
    raise RuntimeError("cannot reach the vendor SDK")
'''

DUPLICATE = GOOD.replace('"repeats what it sees"', '"a second echo"')


def make_distribution(site: Path, name: str, version: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
    """An installed distribution, exactly as pip leaves it: modules + dist-info."""
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[backplane]\n{lines}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    make_distribution(
        site,
        "acme-plugins",
        "1.2.3",
        {"acme_good": GOOD, "acme_badsig": BAD_SIGNATURE, "acme_raises": RAISES, "acme_dup": DUPLICATE},
        {
            "acme_good": "acme_good",
            "acme_missing": "acme_not_installed",
            "acme_badsig": "acme_badsig",
            "acme_raises": "acme_raises",
            "acme_zdup": "acme_dup",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def test_installed_entry_point_is_discovered_with_its_distribution(site: Path) -> None:
    host = PluginHost()
    host.load_entry_points()
    info = next(i for i in host.infos if i.name == "echo")
    assert (info.kind, info.version, info.distribution, info.plugin) == ("strategy", "1.2.3", "acme-plugins", "acme_good")
    assert host.strategies["echo"].description == "repeats what it sees"


def test_broken_plugins_are_reported_by_name_and_hook_and_the_rest_loads(site: Path) -> None:
    host = PluginHost()
    host.load_entry_points()
    problems = {p.plugin: p for p in host.problems}
    assert "cannot import 'acme_not_installed'" in str(problems["acme_missing"])
    assert problems["acme_badsig"].hook == "backplane_strategies"
    assert "extra_argument" in str(problems["acme_badsig"])
    assert problems["acme_raises"].hook == "backplane_venues"
    assert "cannot reach the vendor SDK" in str(problems["acme_raises"])
    assert "already registered by plugin 'acme_good'" in str(problems["acme_zdup"])
    assert "echo" in host.strategies  # the good one still loaded


def test_unknown_hook_is_refused_with_a_suggestion() -> None:
    from framework.plugin.hookspecs import hookimpl

    class Typo:
        @hookimpl
        def backplane_strategy(self) -> list:
            return []

    host = PluginHost()
    assert not host.register(Typo(), "typo")
    assert "did you mean backplane_strategies" in str(host.problems[0])


def test_wrong_return_type_is_refused() -> None:
    from framework.plugin.hookspecs import hookimpl

    class Wrong:
        @hookimpl
        def backplane_venues(self) -> list:
            return ["not a spec"]

    host = PluginHost()
    assert not host.register(Wrong(), "wrong")
    assert "returned str, expected VenueSpec" in str(host.problems[0])


def test_cli_lists_plugins_and_reports_broken_ones(site: Path) -> None:
    env_path = f"{site}"
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from framework.tools.cli import main; sys.exit(main(['plugins']))"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert any(line.split()[:4] == ["echo", "strategy", "1.2.3", "acme-plugins"] for line in proc.stdout.splitlines())
    assert "plugin 'acme_badsig', hook 'backplane_strategies'" in proc.stderr
