"""Adapter pieces without a network: declared limits, the client assertion,
the plugin registration, settings from YAML."""

from __future__ import annotations

import jwt
import pytest

from framework.config import Secret
from framework.execution import GatedSender
from framework.plugin.venue import CountingGate, TokenBucketRule, VenueContext
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock
from plugins.polymarket.adapter import PolymarketAdapter
from plugins.polymarket.auth import TokenSource, load_private_key
from plugins.polymarket.limits import venue_limits
from plugins.polymarket.scales import Scales
from plugins.polymarket.settings import PolymarketSettings, reveal
from plugins.polymarket.sim import demo_keypair


class FakeSecret:
    def __init__(self, v: str) -> None:
        self._v = v

    def reveal(self) -> str:
        return self._v


def offline_adapter(**kw) -> PolymarketAdapter:
    clock = SimClock()
    settings = PolymarketSettings(client_id=Secret("cid"), private_key_pem=Secret(demo_keypair()[0].decode()),
                                  account="firms/f/accounts/a", participant_id="firms/f/users/u", **kw)
    ad = PolymarketAdapter(VenueContext("pm", Bus(clock), clock, GatedSender(CountingGate()), ["S"]), settings)
    ad.scales["S"] = Scales("S", 1000, 100, "0.01")
    return ad


def test_declared_limits_by_tier():
    lim = venue_limits(3)
    assert (lim.ingress.rate_per_s, lim.ingress.window_s, lim.max_streams, lim.symbols_per_stream) == (100, 60, 20, 1000)
    assert lim.method_buckets["InsertOrder"] == TokenBucketRule(200, 200)
    assert lim.method_buckets["CancelOrder"] == TokenBucketRule(600, 600)
    assert lim.method_buckets["InsertOrderList"] == TokenBucketRule(50, 50)
    assert offline_adapter(tier=4).limits.method_buckets["CancelReplaceOrder"].rate_per_s == 400
    with pytest.raises(ValueError, match="tier"):
        venue_limits(5)


def test_client_assertion_claims_use_the_injected_clock():
    clock = SimClock()
    key = load_private_key("pm", demo_keypair()[0].decode())
    ts = TokenSource(venue="pm", http=None, clock=clock, sender=GatedSender(CountingGate()), token_url="https://auth/oauth/token",
                     audience="https://api", client_id="cid", key=key, renew_before_s=30)
    a, b = ts.assertion(), ts.assertion()
    claims = jwt.decode(a, demo_keypair()[1], algorithms=["RS256"], audience="https://auth/oauth/token",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == claims["sub"] == "cid"
    assert claims["iat"] == clock.wall_ns() // 10**9 and claims["exp"] - claims["iat"] <= 300
    assert jwt.get_unverified_header(a)["alg"] == "RS256"
    assert claims["jti"] != jwt.decode(b, options={"verify_signature": False})["jti"]


def test_reveal_accepts_secrets_and_strings():
    assert reveal(Secret("x")) == "x" and reveal(FakeSecret("x")) == "x" and reveal("y") == "y" and reveal(None) == ""


def test_plugin_registers_venue_simulator_and_command():
    from framework.plugin.manager import load_host

    host = load_host()
    assert host.venues["polymarket"].settings is PolymarketSettings
    assert host.venues["polymarket"].simulator == "polymarket"
    assert "polymarket" in host.simulators
    assert "simulate-polymarket" in host.commands


def test_settings_from_yaml_with_env_secrets(tmp_path):
    from framework.config import Schema, Secret, load_config
    from framework.model.errors import ConfigError

    yaml = """
run:
  name: pm-test
venues:
  pm:
    plugin: polymarket
    settings:
      client_id: ${PM_CLIENT_ID}
      private_key_pem: ${PM_KEY}
      participant_id: firms/f/users/u
      tier: %s
strategies: {}
"""
    env = {"PM_CLIENT_ID": "cid-123", "PM_KEY": demo_keypair()[0].decode()}
    schema = Schema(venues={"polymarket": PolymarketSettings})
    path = tmp_path / "run.yaml"
    path.write_text(yaml % 2)
    cfg = load_config(path, schema, env=env)
    s = cfg.venues["pm"].settings
    assert isinstance(s, PolymarketSettings) and isinstance(s.client_id, Secret)
    assert reveal(s.client_id) == "cid-123" and "cid-123" not in repr(s)
    assert offline_adapter(tier=s.tier).limits.method_buckets["InsertOrder"].rate_per_s == 100
    path.write_text(yaml % 7)
    with pytest.raises(ConfigError, match="tier"):
        load_config(path, schema, env=env)
