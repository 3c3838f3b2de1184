"""Settings validation and registration through the backplane entry points."""

from __future__ import annotations

import msgspec
import pytest

from framework.model.errors import ConfigError
from framework.plugin.manager import PluginHost
from framework.plugin.venue import VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock
from plugins.dydx import LIVE_REFUSAL
from plugins.dydx.adapter import DydxAdapter
from plugins.dydx.settings import DydxSettings, plaintext_issues


@pytest.mark.parametrize("host", ["127.0.0.1", "127.9.9.9", "localhost", "[::1]"])
def test_plaintext_is_allowed_to_loopback(host):
    assert plaintext_issues(DydxSettings(endpoint=f"{host}:9090", markets={"BTC-USD": 0})) == []


@pytest.mark.parametrize("host", ["8.8.8.8", "10.1.2.3", "192.168.1.5", "dydx-node.example.com"])
def test_plaintext_to_any_other_host_is_refused_naming_the_key_and_the_fix(host):
    settings = DydxSettings(endpoint=f"{host}:9090", markets={"BTC-USD": 0})
    [issue] = plaintext_issues(settings)
    assert issue.key == ("endpoint",) and "not a loopback address" in issue.message and "tls: true" in issue.hint
    assert plaintext_issues(msgspec.structs.replace(settings, tls=True)) == []
    # The adapter refuses it too when the settings never went through `config check`.
    with pytest.raises(ConfigError, match=r"venues\.dx\.settings\.endpoint: tls: false"):
        DydxAdapter(VenueContext("dx", Bus(), SimClock(), None, ["BTC-USD"]), settings)


def test_settings_default_to_the_first_two_markets_and_need_valid_subaccounts():
    assert DydxSettings().pair_symbols() == {0: "BTC-USD", 1: "ETH-USD"}
    with pytest.raises(ValueError, match="owner/number"):
        DydxSettings(markets={"BTC-USD": 0}, subaccounts=["dydx1abc"])
    s = DydxSettings(markets={"BTC-USD": 0}, clob_pairs=[0, 5])
    assert s.pair_symbols() == {0: "BTC-USD", 5: "CLOB-5"}


def test_plugin_registers_venue_simulator_and_commands_through_entry_points():
    host = PluginHost()
    host.load_entry_points()
    assert not [p for p in host.problems if "dydx" in str(p)]
    spec = host.venues["dydx"]
    assert spec.settings is DydxSettings and spec.simulator == "dydx"
    assert spec.unsupported_modes["live"] == LIVE_REFUSAL
    assert "not available yet" in LIVE_REFUSAL
    assert "dydx" in host.simulators
    assert {"book-dydx", "simulate-dydx"} <= set(host.commands)
