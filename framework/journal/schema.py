"""The journal's SQLite schema and connection settings.

Durability: WAL with ``synchronous=FULL``. In WAL mode ``NORMAL`` already
survives a killed process (the WAL is in the OS page cache), but an OS crash
or power cut can roll back the last commits; a lost execution is exactly what
the journal exists to prevent, so every commit syncs the WAL. That costs one
fsync per commit, which order and fill rates afford (book events are never
journalled); :meth:`Journal.batch` groups many events into one commit.
"""

from __future__ import annotations

import sqlite3

from framework.model.errors import BackplaneError

__all__ = ["SCHEMA_VERSION", "JournalError", "connect", "create"]

SCHEMA_VERSION = 3  # 2: venue_checkpoints; 3: the core lifecycle's status names

class JournalError(BackplaneError):
    """The journal cannot be used: wrong run, newer schema, bad run id."""


_DDL = """
CREATE TABLE IF NOT EXISTS run (
    run_id        TEXT PRIMARY KEY,
    created_ns    INTEGER NOT NULL,
    mode          TEXT NOT NULL,
    config_text   TEXT NOT NULL,      -- resolved config, secrets already redacted
    meta_json     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_ns    INTEGER NOT NULL,
    ended_ns      INTEGER,            -- NULL: still running, or killed
    clean         INTEGER NOT NULL DEFAULT 0,
    pid           INTEGER NOT NULL,
    mode          TEXT NOT NULL,
    config_text   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instruments (
    venue         TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    tick_size     TEXT NOT NULL,      -- Decimal as text
    lot_size      TEXT NOT NULL,
    PRIMARY KEY (venue, symbol)
);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY,
    strategy      TEXT NOT NULL,
    venue         TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    side          INTEGER NOT NULL,   -- 1 buy, -1 sell, 0 not known
    price         INTEGER NOT NULL,
    size          INTEGER NOT NULL,   -- total size (FIX OrderQty), 0 not known
    order_type    TEXT NOT NULL DEFAULT '',
    tif           TEXT NOT NULL DEFAULT '',
    post_only     INTEGER NOT NULL DEFAULT 0,
    expire_ns     INTEGER NOT NULL DEFAULT 0,  -- GTT expiry, wall clock ns
    state         TEXT NOT NULL,
    venue_order_id TEXT NOT NULL DEFAULT '',
    filled        INTEGER NOT NULL DEFAULT 0,
    reason        TEXT NOT NULL DEFAULT '',
    created_ns    INTEGER NOT NULL,
    updated_ns    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_state ON orders (state);
CREATE TABLE IF NOT EXISTS order_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    client_order_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    state_before  TEXT NOT NULL,
    state_after   TEXT NOT NULL,
    ignored       INTEGER NOT NULL DEFAULT 0,  -- 1: no transition from state_before
    detail        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    venue         TEXT NOT NULL,
    execution_id  TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    side          INTEGER NOT NULL,
    price         INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    fee           INTEGER NOT NULL,
    liquidity     INTEGER NOT NULL,
    ts_event      INTEGER NOT NULL,
    ts_ns         INTEGER NOT NULL,
    UNIQUE (venue, execution_id)
);
CREATE TABLE IF NOT EXISTS positions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    execution_seq INTEGER NOT NULL REFERENCES executions (seq),
    strategy      TEXT NOT NULL,
    venue         TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    qty           INTEGER NOT NULL,
    cost          INTEGER NOT NULL,
    realized      INTEGER NOT NULL,
    fees          INTEGER NOT NULL,
    mark          INTEGER NOT NULL    -- the fill price
);
CREATE TABLE IF NOT EXISTS errors (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    strategy      TEXT NOT NULL,
    event_kind    TEXT NOT NULL,
    message       TEXT NOT NULL,
    traceback     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS denials (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    strategy      TEXT NOT NULL,
    venue         TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    reason        TEXT NOT NULL,
    message       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    name          TEXT NOT NULL,
    value         NUMERIC NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_name ON metrics (name, seq);
CREATE TABLE IF NOT EXISTS venue_checkpoints (
    venue         TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         BLOB NOT NULL,
    ts_ns         INTEGER NOT NULL,
    PRIMARY KEY (venue, key)
);
CREATE TABLE IF NOT EXISTS differences (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns         INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    field         TEXT NOT NULL,
    ours          TEXT NOT NULL,
    theirs        TEXT NOT NULL
);
"""


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the journal database at ``path`` (autocommit; transactions are explicit)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")  # a report may read while a run writes
    conn.row_factory = sqlite3.Row
    return conn


def create(conn: sqlite3.Connection) -> None:
    """Create missing tables; refuse a journal written by a newer schema."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise JournalError(f"journal schema {version} is newer than this backplane ({SCHEMA_VERSION})")
    conn.executescript(_DDL)
    if 0 < version < 3:
        # The journal's own state names before the one lifecycle (pending, canceled).
        for old, new in (("pending", "pending_new"), ("canceled", "cancelled")):
            conn.execute("UPDATE orders SET state = ? WHERE state = ?", (new, old))
            conn.execute("UPDATE order_events SET state_before = ? WHERE state_before = ?", (new, old))
            conn.execute("UPDATE order_events SET state_after = ? WHERE state_after = ?", (new, old))
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
