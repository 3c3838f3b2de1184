"""Plaintext to a remote host is refused for every Polymarket target: at
``config check`` (file, line, key and the fix, all in one pass) and again by
the adapter when settings reach it another way."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.model.errors import ConfigError
from framework.plugin.venue import VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock
from framework.tools.cli import main
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.settings import plaintext_issues, settings_from

LOOPBACK = ["127.0.0.1", "127.3.2.1", "localhost", "[::1]"]
REMOTE = ["api.example.com", "10.0.0.7", "[2001:db8::1]", "8.8.8.8"]


def keys(**settings: object) -> list[tuple[str, ...]]:
    return [issue.key for issue in plaintext_issues(settings_from(settings))]


def test_the_defaults_are_https_and_tls() -> None:
    assert keys() == []


@pytest.mark.parametrize("host", LOOPBACK)
def test_plaintext_to_loopback_is_accepted(host: str) -> None:
    assert keys(rest_base=f"http://{host}:8080", token_url=f"http://{host}:8080/oauth/token",
                grpc_target=f"{host}:50051", tls=False) == []  # fmt: skip


@pytest.mark.parametrize("host", REMOTE)
def test_plaintext_to_a_remote_host_is_refused_for_every_target(host: str) -> None:
    assert keys(rest_base=f"http://{host}", token_url=f"http://{host}/oauth/token", grpc_target=f"{host}:443",
                tls=False) == [("rest_base",), ("token_url",), ("grpc_target",)]  # fmt: skip
    # https and TLS to the same host are fine
    assert keys(rest_base=f"https://{host}", token_url=f"https://{host}/oauth/token", grpc_target=f"{host}:443") == []


@pytest.mark.parametrize("url", ["api.example.com", "ftp://api.example.com", "https://", "http://[::1"])
def test_a_url_that_is_not_https_is_refused_with_an_example(url: str) -> None:
    [issue] = plaintext_issues(settings_from({"rest_base": url}))
    assert issue.key == ("rest_base",) and "https://" in issue.message + issue.hint


def test_grpc_target_forms() -> None:
    assert keys(grpc_target="dns:///localhost:50051", tls=False) == []
    assert keys(grpc_target="dns:///grpc.example.com:443", tls=False) == [("grpc_target",)]


CONFIG = """\
run: {{name: pt, mode: live}}
venues:
  pm:
    plugin: polymarket
    simulate: {simulate}
    settings:
      rest_base: http://api.example.com
      token_url: ${{PM_TOKEN_URL}}
      grpc_target: grpc.example.com:443
      tls: false
strategies:
  mm: {{plugin: market_maker, venue: pm, symbols: [A]}}
"""


def test_config_check_names_file_line_key_and_fix_for_every_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_TOKEN_URL", "http://auth.internal.example/oauth/token")
    path = tmp_path / "pt.yaml"
    path.write_text(CONFIG.format(simulate="false"))
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:7:18: venues.pm.settings.rest_base: plain http:// would send orders and credentials" in err
    assert f"{path}:8:18: venues.pm.settings.token_url: plain http://" in err
    assert f"{path}:9:20: venues.pm.settings.grpc_target: tls: false would send" in err
    assert err.count("hint: ") == 3 and "3 problem(s)" in err
    assert "auth.internal" not in err  # a URL from the environment is shown as '***'
    # The same file refuses to run, before anything connects.
    assert main(["run", str(path), "--quiet"]) == 1
    assert "venues.pm.settings.grpc_target" in capsys.readouterr().err
    # With simulate: true the run talks to the simulator on 127.0.0.1, not these targets.
    path.write_text(CONFIG.format(simulate="true"))
    assert main(["config", "check", str(path)]) == 0


def test_the_adapter_refuses_plaintext_urls_itself() -> None:
    ctx = VenueContext("pm", Bus(), SimClock(), None, [])
    with pytest.raises(ConfigError, match=r"venues\.pm\.settings\.token_url: plain http://"):
        PolymarketAdapter(ctx, settings_from({"token_url": "http://auth.example.com/token"}))
