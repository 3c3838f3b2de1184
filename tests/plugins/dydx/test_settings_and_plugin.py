"""Settings validation and registration through the backplane entry points."""

from __future__ import annotations

import msgspec
import pytest

from framework.plugins import PluginHost
from plugins.dydx import LIVE_REFUSAL
from plugins.dydx.settings import DydxSettings, plaintext_allowed


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "172.16.0.9", "172.31.255.1", "192.168.1.5", "[::1]"])
def test_plaintext_is_allowed_to_loopback_and_private_addresses(host):
    assert plaintext_allowed(host)
    DydxSettings(endpoint=f"{host}:9090", markets={"BTC-USD": 0})


@pytest.mark.parametrize("host", ["8.8.8.8", "172.32.0.1", "dydx-node.example.com"])
def test_plaintext_to_a_public_host_is_refused_with_a_clear_error(host):
    with pytest.raises(msgspec.ValidationError, match="plaintext gRPC is allowed only"):
        msgspec.convert({"endpoint": f"{host}:9090", "markets": {"BTC-USD": 0}}, DydxSettings)
    DydxSettings(endpoint=f"{host}:443", tls=True, markets={"BTC-USD": 0})


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
