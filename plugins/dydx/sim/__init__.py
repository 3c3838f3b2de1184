"""The dYdX simulator: a fake full node on 127.0.0.1 (:mod:`~plugins.dydx.sim.server`)
serving what its matching engine (:mod:`~plugins.dydx.sim.engine`) emits under
synthetic flow (:mod:`~plugins.dydx.sim.flow`), or a recorded stream."""
