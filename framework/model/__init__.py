"""The domain model: events on the bus, order intents, positions, client ids
and the one exception tree. Plain records and arithmetic; no I/O, no asyncio."""
