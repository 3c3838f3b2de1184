"""backplane's core. The folders name the architecture:

- ``framework.model`` -- events, order intents, positions, client ids, errors.
- ``framework.books`` -- L2 / L3 books in integer ticks and lots, wire reading.
- ``framework.runtime`` -- clock, bus, stream supervision (streams), run assembly, runner.
- ``framework.execution`` -- the order lifecycle, router, tracker, gated sender.
- ``framework.risk`` -- the risk layer: gate, limiter, stream slots, checks.
- ``framework.plugin`` -- the plugin contracts: hooks, specs, venue and strategy APIs.
- ``framework.config``, ``framework.journal``, ``framework.paper`` -- config
  loading, the SQLite journal, the paper exchange.
- ``framework.kit``, ``framework.scaffold``, ``framework.tools`` -- the
  conformance kit, plugin templates, CLI / report / docs generation.

Everything a plugin or strategy needs is re-exported here: import it from
``framework``, and a later move inside the core does not break a plugin.
"""

from framework.books.l2book import (
    L2Book,
)
from framework.books.l3book import (
    L3Book,
)
from framework.execution.sender import (
    Outbound,
)
from framework.model.errors import (
    ConfigError,
    Denied,
    Desync,
    VenueError,
    VenueRejected,
    VenueThrottled,
    VenueUnavailable,
)
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    DenyReason,
    Event,
    Instrument,
    InstrumentStatus,
    Level,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    Side,
    StreamState,
    StreamStatus,
    TimerFired,
    Trade,
)
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.plugin.hookspecs import (
    hookimpl,
)
from framework.plugin.specs import (
    CommandSpec,
    ConfigSectionSpec,
    FaultSpec,
    RiskCheckSpec,
    SimulatorSpec,
    StrategySpec,
    VenueSpec,
)
from framework.plugin.strategy import (
    Strategy,
    StrategyContext,
)
from framework.plugin.venue import (
    MessageKind,
    RateRule,
    VenueContext,
    VenueLimits,
)
from framework.plugin.view import (
    RunView,
    VenueView,
)
from framework.risk.checks import (
    Denial,
)
from framework.risk.state import (
    RiskState,
)
from framework.runtime.bus import (
    Bus,
    ErrorPolicy,
)
from framework.runtime.clock import (
    NS_PER_MS,
    NS_PER_S,
    Clock,
    LiveClock,
    SimClock,
)
from framework.runtime.episode import (
    Episode,
)
from framework.runtime.streams import (
    StreamPolicy,
    StreamSource,
    SupervisedStream,
)
from framework.tools.native import (
    warn_if_stale,
)

__all__ = [
    "NS_PER_MS",
    "NS_PER_S",
    "BookDelta",
    "BookSnapshot",
    "Bus",
    "CancelOrder",
    "CancelRejected",
    "Clock",
    "CommandSpec",
    "ConfigError",
    "ConfigSectionSpec",
    "Denial",
    "Denied",
    "DenyReason",
    "Desync",
    "Episode",
    "ErrorPolicy",
    "Event",
    "FaultSpec",
    "Instrument",
    "InstrumentStatus",
    "L2Book",
    "L3Book",
    "Level",
    "LiveClock",
    "MessageKind",
    "OrderAccepted",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderFilled",
    "OrderRejected",
    "OrderType",
    "Outbound",
    "RateRule",
    "ReplaceOrder",
    "RiskCheckSpec",
    "RiskState",
    "RunView",
    "Side",
    "SimClock",
    "SimulatorSpec",
    "Strategy",
    "StrategyContext",
    "StrategySpec",
    "StreamPolicy",
    "StreamSource",
    "StreamState",
    "StreamStatus",
    "SubmitOrder",
    "SupervisedStream",
    "TimeInForce",
    "TimerFired",
    "Trade",
    "VenueContext",
    "VenueError",
    "VenueLimits",
    "VenueRejected",
    "VenueSpec",
    "VenueThrottled",
    "VenueUnavailable",
    "VenueView",
    "hookimpl",
]

# A source checkout whose compiled hot paths are older than their sources
# would run the old code: say so (see framework.tools.native).
warn_if_stale()
