"""The ``risk:`` section of a run config.

::

    risk:
      backend: memory              # or redis://127.0.0.1:6379/0 for a firm-wide budget
      margin: 0.95                 # use at most 95 % of each venue's stated budget
      new_order_wait: 250ms        # then a new order is denied RATE_LIMITED
      bucket_allowance: 250ms      # gate-to-venue delay each method bucket keeps room for
      on_halt: cancel              # a halt pulls resting orders (also on_stale, on_disconnect; or keep)
      checks:                      # built-in or plugin checks, by name, for everyone
        max_order_size: {max_size: 500}
        price_band: {max_ticks: 50}
      venues:
        pm:
          account: firm-a          # venues sharing an account share budget and slots
          rate_per_s: 100          # overrides what the adapter declares
          checks: {max_order_size: {max_size: 100}}
      strategies:
        mm1:
          state: reducing
          loss_limit: {max_loss: "250", action: halted}
          checks: {max_open_orders: {per_strategy: 40}}

Check settings layer per key: global, then the venue's, then the strategy's;
``enabled: false`` at any layer turns a check off below it. Their types are the
settings Structs the check plugins declare, checked by :meth:`RiskConfig.check_issues`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from framework.config.duration import MILLISECOND, SECOND, Duration
from framework.plugin.specs import RiskCheckSpec
from framework.plugin.venue import RateRule, VenueLimits
from framework.risk.slots import check_stream_caps
from framework.risk.window import BudgetRule

__all__ = ["LossLimit", "RiskConfig", "StrategyRisk", "TradingState", "VenueRisk"]

Checks = dict[str, dict[str, Any]]


class TradingState(enum.IntEnum):
    """What a run or strategy may send. Higher is stricter; the strictest applies."""

    ACTIVE = 0  # anything the checks allow
    REDUCING = 1  # only orders that shrink a position, and cancels
    HALTED = 2  # cancels only

    @classmethod
    def parse(cls, name: str) -> TradingState:
        return cls[name.upper()]


StateName = Literal["active", "reducing", "halted"]
#: What protection does with resting orders (see :mod:`framework.execution.protection`).
Protect = Literal["cancel", "keep"]


class LossLimit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Past ``max_loss`` (quote currency, fees included) the strategy (or run)
    moves to ``action``."""

    max_loss: Annotated[Decimal, msgspec.Meta(description="loss that triggers the action, e.g. '250'")]
    action: Annotated[
        Literal["reducing", "halted"], msgspec.Meta(description="state to move to past the loss")
    ] = "halted"

    def __post_init__(self) -> None:
        if not self.max_loss.is_finite() or self.max_loss <= 0:
            raise ValueError(f"max_loss must be a positive amount, not {self.max_loss}")


class VenueRisk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Per-venue overrides of what the adapter declares, and per-venue check settings."""

    account: Annotated[str | None, msgspec.Meta(
        description="venue account (firm) the budget belongs to; default: the venue name")] = None
    rate_per_s: Annotated[int, msgspec.Meta(ge=1, description="messages per second, averaged")] | None = None
    window_s: Annotated[int, msgspec.Meta(ge=1, description="averaging window in seconds")] | None = None
    burst: Annotated[int, msgspec.Meta(ge=0, description="most messages in any one second (0: none)")] | None = None
    max_streams: Annotated[int, msgspec.Meta(ge=0, description="concurrent streams (0: no cap)")] | None = None
    symbols_per_stream: Annotated[int, msgspec.Meta(ge=0, description="symbols on one stream")] | None = None
    margin: Annotated[float, msgspec.Meta(gt=0, le=1, description="share of the budget to use")] | None = None
    new_order_wait: Annotated[Duration | None, msgspec.Meta(
        description="longest wait for budget before a new order is denied")] = None
    checks: Annotated[Checks, msgspec.Meta(description="check settings for this venue")] = {}


class StrategyRisk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A strategy's starting trading state, loss limit and check settings."""

    state: Annotated[StateName, msgspec.Meta(description="trading state at start")] = "active"
    loss_limit: LossLimit | None = None
    checks: Annotated[Checks, msgspec.Meta(description="check settings for this strategy")] = {}


class RiskConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Limits for every message that leaves the process; see the module docs."""

    backend: Annotated[str, msgspec.Meta(
        description="'memory' (one process) or a redis:// URL (budget and slots shared firm-wide)")] = "memory"
    margin: Annotated[float, msgspec.Meta(gt=0, le=1, description="share of each venue budget to use")] = 0.95
    cancel_reserve: Annotated[float, msgspec.Meta(
        ge=0, lt=0.5, description="share of the budget only cancels and replaces may use")] = 0.02
    new_order_wait: Annotated[Duration, msgspec.Meta(
        ge=0, description="longest wait for budget before a new order or replace is denied")] = 250 * MILLISECOND
    query_wait: Annotated[Duration | None, msgspec.Meta(
        description="longest wait for a query or subscription; unset: as long as it takes")] = None
    granularity: Annotated[Duration, msgspec.Meta(
        ge=MILLISECOND, description="bucket of the sliding window (must divide 1 s)")] = 10 * MILLISECOND
    throttle_recover: Annotated[Duration, msgspec.Meta(
        ge=SECOND, description="after a venue throttle, time to regain a whole budget")] = 60 * SECOND
    bucket_allowance: Annotated[Duration, msgspec.Meta(
        ge=0, description="delay a message may take from the gate to the venue: that much of "
        "each method bucket's burst is kept unspent")] = 250 * MILLISECOND
    lease_ttl: Annotated[Duration, msgspec.Meta(
        ge=SECOND, description="redis: a stream slot's lease, renewed every third of it")] = 10 * SECOND
    kill_poll: Annotated[Duration, msgspec.Meta(
        ge=10 * MILLISECOND, description="how often the kill-switch file is read")] = 500 * MILLISECOND
    key_prefix: Annotated[str, msgspec.Meta(min_length=1, description="redis key prefix")] = "backplane"
    state: Annotated[StateName, msgspec.Meta(description="the run's trading state at start")] = "active"
    on_halt: Annotated[Protect, msgspec.Meta(
        description="run or strategy halted (kill switch, loss limit, schedule): cancel its resting orders "
        "(reducing: those that would grow the position), or keep them")] = "cancel"
    on_stale: Annotated[Protect, msgspec.Meta(
        description="a strategy's market data stale (see its stale_after_ms): cancel its resting orders, "
        "or keep them; new orders are denied either way until the feed is live")] = "cancel"
    on_disconnect: Annotated[Protect, msgspec.Meta(
        description="a venue's order stream down: cancel the venue's resting orders, or keep them; "
        "new orders are denied either way until it is live")] = "cancel"
    loss_limit: Annotated[LossLimit | None, msgspec.Meta(description="loss limit of the whole run")] = None
    checks: Annotated[Checks, msgspec.Meta(description="check name -> settings, for everyone")] = {}
    venues: dict[str, VenueRisk] = {}
    strategies: dict[str, StrategyRisk] = {}

    def __post_init__(self) -> None:
        if self.backend != "memory" and not self.backend.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"backend must be 'memory' or a redis:// URL, not {self.backend!r}")
        if SECOND % self.granularity:
            raise ValueError(f"granularity must divide one second, not {self.granularity} ns")

    # -- limits -----------------------------------------------------------

    def account(self, venue: str) -> str:
        """The venue account whose budget and slots ``venue`` uses."""
        override = self.venues.get(venue)
        return (override.account if override else None) or venue

    def rate_rule(self, venue: str, declared: VenueLimits) -> RateRule | None:
        """The venue's ingress rule: the adapter's, with this config's overrides."""
        o = self.venues.get(venue, VenueRisk())
        base = declared.ingress
        if base is None and o.rate_per_s is None:
            return None
        rate = o.rate_per_s or (base.rate_per_s if base else 0)
        window = o.window_s or (base.window_s if base else 1)
        burst = o.burst if o.burst is not None else (base.burst if base else 0)
        return RateRule(rate, window, burst)

    def margin_of(self, venue: str) -> float:
        """The share of ``venue``'s stated limits to use: its own margin, else the global one."""
        return self.venues.get(venue, VenueRisk()).margin or self.margin

    def budget_rule(self, venue: str, declared: VenueLimits) -> BudgetRule | None:
        """The :class:`BudgetRule` the limiter of ``venue`` enforces (``None``: unlimited)."""
        rule = self.rate_rule(venue, declared)
        if rule is None:
            return None
        return BudgetRule.from_rate(
            rule,
            margin=self.margin_of(venue),
            reserve_fraction=self.cancel_reserve,
            granularity_ms=self.granularity // MILLISECOND,
            recover_s=self.throttle_recover / SECOND,
        )

    def stream_limits(self, venue: str, declared: VenueLimits) -> VenueLimits:
        """The adapter's stream limits with this config's overrides."""
        o = self.venues.get(venue, VenueRisk())
        return msgspec.structs.replace(
            declared,
            max_streams=declared.max_streams if o.max_streams is None else o.max_streams,
            symbols_per_stream=declared.symbols_per_stream if o.symbols_per_stream is None else o.symbols_per_stream,
        )

    def stream_issues(
        self,
        symbols_by_venue: Mapping[str, Collection[str]],
        declared: Mapping[str, VenueLimits],
        other_streams: Mapping[str, int] | None = None,
    ) -> list[str]:
        """What ``config check`` and start-up report when a run needs more streams than
        an account allows (with this section's overrides and shared accounts)."""
        limits = {venue: self.stream_limits(venue, d) for venue, d in declared.items()}
        accounts = {venue: self.account(venue) for venue in set(symbols_by_venue) | set(declared)}
        return check_stream_caps(symbols_by_venue, limits, other_streams, accounts=accounts)

    def new_order_wait_ns(self, venue: str) -> int:
        o = self.venues.get(venue)
        return o.new_order_wait if o is not None and o.new_order_wait is not None else self.new_order_wait

    # -- checks -------------------------------------------------------------

    def check_settings(self, name: str, venue: str, strategy: str) -> dict[str, Any] | None:
        """Settings of check ``name`` for orders of ``strategy`` on ``venue``, layered
        global -> venue -> strategy; ``None`` when the check is off for them."""
        merged: dict[str, Any] | None = None
        layers = (
            self.checks,
            self.venues.get(venue, VenueRisk()).checks,
            self.strategies.get(strategy, StrategyRisk()).checks,
        )
        for layer in layers:
            if name in layer:
                merged = {**(merged or {}), **(layer[name] or {})}
        if merged is None or merged.pop("enabled", True) is False:
            return None
        return merged

    def check_names(self) -> set[str]:
        """Every check named anywhere in the section."""
        names = set(self.checks)
        for v in self.venues.values():
            names |= set(v.checks)
        for s in self.strategies.values():
            names |= set(s.checks)
        return names

    def check_issues(
        self, specs: Mapping[str, RiskCheckSpec], pairs: Iterable[tuple[str, str]] = ()
    ) -> list[str]:
        """One message per unknown check or bad setting, with its key path.

        Each layer is checked key by key; for each ``(venue, strategy)`` in
        ``pairs`` the layered settings must also be complete.
        """
        issues = []
        for path, checks in self._check_layers():
            for name, settings in checks.items():
                where = f"risk.{path}checks.{name}"
                if name not in specs:
                    known = ", ".join(sorted(specs)) or "none installed"
                    issues.append(f"{where}: no risk check named {name!r} (known: {known})")
                elif not isinstance(settings, dict):
                    issues.append(f"{where}: expected a mapping of settings, found {type(settings).__name__}")
                else:
                    issues += [f"{where}.{p}" for p in _partial_issues(settings, specs[name].settings)]
        if issues:
            return issues
        for venue, strategy in pairs:
            for name in sorted(self.check_names()):
                merged = self.check_settings(name, venue, strategy)
                if merged is None:
                    continue
                try:
                    msgspec.convert(merged, specs[name].settings, strict=False)
                except (msgspec.ValidationError, TypeError, ValueError) as exc:
                    issues.append(f"risk.checks.{name} for strategy {strategy} on venue {venue}: {exc}")
        return issues

    def _check_layers(self) -> list[tuple[str, Checks]]:
        layers: list[tuple[str, Checks]] = [("", self.checks)]
        layers += [(f"venues.{v}.", o.checks) for v, o in self.venues.items()]
        layers += [(f"strategies.{s}.", o.checks) for s, o in self.strategies.items()]
        return layers


def _partial_issues(body: dict[str, Any], settings: type[msgspec.Struct]) -> list[str]:
    """``key: message`` for every key that is not a field of ``settings`` or has a
    value not of its type (``enabled`` is every check's on/off switch)."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(settings)}
    issues = []
    for key, value in body.items():
        if key == "enabled":
            if not isinstance(value, bool):
                issues.append("enabled: expected true or false")
        elif key not in fields:
            issues.append(f"{key}: unknown setting (settings: {', '.join(sorted(fields)) or 'none'})")
        else:
            try:
                msgspec.convert({key: value}, settings, strict=False)
            except msgspec.ValidationError as exc:
                if f"`$.{key}`" in str(exc):  # not the other fields this partial layer leaves out
                    issues.append(f"{key}: {exc}")
    return issues

