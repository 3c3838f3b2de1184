"""The codec's counters: what it saw and what it absorbed instead of raising."""

from __future__ import annotations

from collections import Counter

__all__ = ["FINALIZE", "PREPARE_CHECK_STATE", "CodecStats"]

FINALIZE = 7
PREPARE_CHECK_STATE = 102

# Counter names (CodecStats keys).
MESSAGES = "messages"
UPDATES = "updates"
PRE_SNAPSHOT_MESSAGES = "pre_snapshot_messages"
PRE_SNAPSHOT_UPDATES = "pre_snapshot_updates"
PRE_SNAPSHOT_FILLS = "pre_snapshot_fills"
UNKNOWN_UPDATE = "unknown_update"
UNKNOWN_REMOVE = "unknown_remove"
UNKNOWN_FILL_ORDER = "fill_order_off_book"
DUPLICATE_PLACE = "duplicate_place"
OTHER_PAIR = "other_pair"
SNAPSHOTS = "snapshots"
SNAPSHOT_DIVERGENCE = "snapshot_divergence"
FILLS = "fills"
REPLAYED_FILLS = "replayed_fills"
REPLACES = "replaces"
MALFORMED = "malformed"
OFF_GRID = "off_grid"
CROSSED = "crossed"
BAD_SIDE = "bad_side"
FILL_MAKER_MISSING = "fill_maker_missing"


class CodecStats(Counter[str]):
    """What the codec saw and absorbed, by kind (module constants name them)."""

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.items()))
