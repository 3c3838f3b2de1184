"""``backplane book dydx FILE``: the L3 book a recorded stream builds, per clob pair.

Reads a recording (:mod:`plugins.dydx.recording`), runs every frame (up to
``--until-record N``) through the codec in native units, and prints each clob
pair's book -- bids then asks, best level first, queue order within a level --
with the codec's counters. ``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from plugins.dydx.codec import DydxCodec
from plugins.dydx.recording import RecordingError, read_frames

__all__ = ["books_as_dict", "build_books", "configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="recorded stream (length-prefixed StreamOrderbookUpdatesResponse frames)")
    parser.add_argument("--until-record", type=int, default=None, metavar="N",
                        help="stop after the first N records")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def build_books(path: str, until: int | None = None) -> tuple[DydxCodec, int, str]:
    """Feed the recording into a native-unit codec; returns it, the records read
    and what stopped the read early ("" when the file ended cleanly).

    A torn last frame (a recording cut while it was written) ends the read: the
    books built from the frames before it are still returned.
    """
    codec = DydxCodec("dydx", None, resync_on_crossed=False)
    n = 0
    try:
        for ms, body in read_frames(path):
            if until is not None and n >= until:
                break
            codec.feed(body, ms * 1_000_000)
            n += 1
    except RecordingError as exc:
        return codec, n, str(exc)
    return codec, n, ""


def books_as_dict(codec: DydxCodec, records: int) -> dict[str, Any]:
    """The books and counters as plain data (what ``--json`` prints)."""
    pairs = {}
    for pair in sorted(codec.states):
        book = codec.book(pair)
        sides = {}
        for name, side in (("bids", 1), ("asks", -1)):
            rows = []
            for key in book.orders_in_queue_order(side):
                o = book.order(key)
                owner, number, client_id, flags, clob = key
                rows.append({"owner": owner, "number": number, "client_id": client_id, "order_flags": flags,
                             "clob_pair_id": clob, "subticks": o.price, "quantums": o.size,
                             "filled": o.filled, "remaining": o.remaining})
            sides[name] = rows
        pairs[str(pair)] = {"ready": codec.ready(pair), **sides, "book_stats": dict(book.stats)}
    return {"records": records, "block_height": codec.block_height, "pairs": pairs,
            "counters": codec.stats.as_dict()}


def run(args: argparse.Namespace) -> int:
    try:
        codec, n, torn = build_books(args.file, args.until_record)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = books_as_dict(codec, n)
    data["counters"]["torn_frames"] = 1 if torn else 0
    if torn:
        print(f"warning: {torn}; books as of the frames before it", file=sys.stderr)
    if args.json:
        print(json.dumps(data, indent=1))
        return 0
    print(f"{n} records, block height {data['block_height']}")
    for pair, book in data["pairs"].items():
        print(f"\nclob pair {pair}{'' if book['ready'] else ' (no snapshot yet)'}")
        for name in ("bids", "asks"):
            print(f"  {name}:")
            for r in book[name]:
                print(f"    {r['owner']}/{r['number']} client {r['client_id']} flags {r['order_flags']} "
                      f"pair {r['clob_pair_id']}  {'BUY ' if name == 'bids' else 'SELL'} "
                      f"{r['subticks']} x {r['remaining']} (of {r['quantums']})")
    print("\ncounters:")
    for key, value in data["counters"].items():
        print(f"  {key}: {value}")
    return 0
