-- momd database schema, version 1.
-- A shipped migration never changes: a later change is a new file, 0002_*.sql, that also
-- raises user_version. Sources/MoMStore/StoreSchema+Migrations.swift embeds this file byte for
-- byte (a test holds them equal).

-- Marks the file as a momd database ('momd' as a big-endian 32-bit integer) and records the
-- schema version, so that momd refuses, untouched, files that are not its own or are newer.
PRAGMA application_id = 1836019044;
PRAGMA user_version = 1;

-- One row per named document. byte_count and token_count are what has been acknowledged: every
-- byte below byte_count is covered by a snapshot or by the journal.
CREATE TABLE document (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    configuration TEXT NOT NULL,          -- MoMConfiguration as JSON
    fingerprint TEXT NOT NULL,            -- MoMConfiguration.fingerprint, 16 hex digits
    byte_count INTEGER NOT NULL DEFAULT 0 CHECK (byte_count >= 0),
    token_count INTEGER NOT NULL DEFAULT 0 CHECK (token_count >= 0),
    created_at REAL NOT NULL,             -- seconds since 1970
    updated_at REAL NOT NULL
) STRICT;

-- The document's state at byte_count: MoMState.encoded() in one LZ4 frame (schemas/snapshot.md).
-- The newest few are kept; an older one answers `ask --at`. Ids are never reused.
CREATE TABLE snapshot (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
    token_count INTEGER NOT NULL CHECK (token_count >= 0),
    state_bytes INTEGER NOT NULL CHECK (state_bytes > 0),   -- length of the encoded state
    digest TEXT NOT NULL,                 -- MoMState.digest of the encoded state
    created_at REAL NOT NULL,
    state BLOB NOT NULL,
    UNIQUE (document_id, byte_count)
) STRICT;

-- Input bytes start_offset ..< end_offset, one LZ4 frame per acknowledged append. Rows are
-- deleted once the oldest kept snapshot covers them, so any kept snapshot plus the journal
-- after it rebuilds the current state.
CREATE TABLE journal (
    document_id INTEGER NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    start_offset INTEGER NOT NULL CHECK (start_offset >= 0),
    end_offset INTEGER NOT NULL CHECK (end_offset > start_offset),
    data BLOB NOT NULL,
    PRIMARY KEY (document_id, start_offset)
) STRICT;

-- Routing history: per chunk of MoMConfiguration.routingChunkTokens tokens, the tokens each
-- memory took (u32 little-endian per memory) and their mean routing weight (f32 little-endian
-- per memory). Written with INSERT OR REPLACE, so replaying the journal is idempotent.
CREATE TABLE routing_chunk (
    document_id INTEGER NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),
    tokens INTEGER NOT NULL,
    counts BLOB NOT NULL,
    mean_weights BLOB NOT NULL,
    PRIMARY KEY (document_id, chunk_index)
) STRICT, WITHOUT ROWID;

-- Per-token routes, stored only by a session that records them (`momd ingest
-- --record-token-routes`): the tokens first_token ..< first_token + token_count that one
-- acknowledged append folded, written in that append's transaction. frame is one LZ4 frame
-- (as a snapshot's) of token_count · top_k u8 memory indices, best first per token (255 = the
-- token was not routed), then as many u16 little-endian weights round(w · 65535)
-- (schemas/snapshot.md, section 4).
CREATE TABLE token_route (
    document_id INTEGER NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    first_token INTEGER NOT NULL CHECK (first_token >= 0),
    token_count INTEGER NOT NULL CHECK (token_count > 0),
    top_k INTEGER NOT NULL CHECK (top_k BETWEEN 1 AND 255),
    frame BLOB NOT NULL,
    PRIMARY KEY (document_id, first_token)
) STRICT, WITHOUT ROWID;
