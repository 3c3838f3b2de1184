"""The codec's counters: what it saw and what it absorbed instead of raising."""

from __future__ import annotations

from collections import Counter
from typing import Final

__all__ = ["FINALIZE", "PREPARE_CHECK_STATE", "CodecStats"]

# Final: the compiled build (setup.py) inlines these instead of global lookups.
FINALIZE: Final = 7
PREPARE_CHECK_STATE: Final = 102

# Counter names (CodecStats keys).
MESSAGES: Final = "messages"
UPDATES: Final = "updates"
PRE_SNAPSHOT_MESSAGES: Final = "pre_snapshot_messages"
PRE_SNAPSHOT_UPDATES: Final = "pre_snapshot_updates"
PRE_SNAPSHOT_FILLS: Final = "pre_snapshot_fills"
UNKNOWN_UPDATE: Final = "unknown_update"
UNKNOWN_REMOVE: Final = "unknown_remove"
UNKNOWN_FILL_ORDER: Final = "fill_order_off_book"
DUPLICATE_PLACE: Final = "duplicate_place"
OTHER_PAIR: Final = "other_pair"
SNAPSHOTS: Final = "snapshots"
SNAPSHOT_DIVERGENCE: Final = "snapshot_divergence"
FILLS: Final = "fills"
REPLAYED_FILLS: Final = "replayed_fills"
REPLACES: Final = "replaces"
MALFORMED: Final = "malformed"
OFF_GRID: Final = "off_grid"
CROSSED: Final = "crossed"
BAD_SIDE: Final = "bad_side"
FILL_MAKER_MISSING: Final = "fill_maker_missing"


class CodecStats(Counter[str]):
    """What the codec saw and absorbed, by kind (module constants name them)."""

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.items()))
