// The SQL migrations of schemas/postgres/, embedded because the binary cannot read schemas/ at
// run time. Each string equals its file byte for byte (PostgresSchemaTests checks). A shipped
// migration never changes: add a new one, with its file, at the end.

extension PostgresSchema {
    static let migration0001 = #"""
-- momd database schema for PostgreSQL, version 1: the data model of schemas/0001_initial.sql
-- (SQLite) plus the leases that let many daemons share one database.
-- A shipped migration never changes: a later change is a new file, 0002_*.sql, that also
-- raises momd_schema.version. Sources/MoMStore/PostgresSchema.swift embeds this file byte for
-- byte (a test holds them equal). momd applies it in one transaction, under an advisory lock.

-- Marks the database as momd's and records the schema version, so that momd refuses, untouched,
-- databases that are not its own or are newer.
CREATE TABLE momd_schema (
    application TEXT NOT NULL CHECK (application = 'momd'),
    version INTEGER NOT NULL
);
INSERT INTO momd_schema (application, version) VALUES ('momd', 1);

-- One row per named document. byte_count and token_count are what has been acknowledged: every
-- byte below byte_count is covered by a snapshot or by the journal. fence is the largest
-- fencing token that wrote the document; a write with a smaller one is refused.
CREATE TABLE document (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    configuration TEXT NOT NULL,          -- MoMConfiguration as JSON
    fingerprint TEXT NOT NULL,            -- MoMConfiguration.fingerprint, 16 hex digits
    byte_count BIGINT NOT NULL DEFAULT 0 CHECK (byte_count >= 0),
    token_count BIGINT NOT NULL DEFAULT 0 CHECK (token_count >= 0),
    created_at DOUBLE PRECISION NOT NULL, -- seconds since 1970
    updated_at DOUBLE PRECISION NOT NULL,
    fence BIGINT NOT NULL DEFAULT 0
);

-- The document's state at byte_count, in the blob format of schemas/snapshot.md (LZ4 frames,
-- one per piece of the state). Stored uncompressed by PostgreSQL: it is LZ4 already.
CREATE TABLE snapshot (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    byte_count BIGINT NOT NULL CHECK (byte_count >= 0),
    token_count BIGINT NOT NULL CHECK (token_count >= 0),
    state_bytes BIGINT NOT NULL CHECK (state_bytes > 0),
    digest TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    fence BIGINT NOT NULL DEFAULT 0,      -- the fencing token of the writer
    state BYTEA NOT NULL,
    UNIQUE (document_id, byte_count)
);
ALTER TABLE snapshot ALTER COLUMN state SET STORAGE EXTERNAL;

-- Input bytes start_offset ..< end_offset, one LZ4 frame per acknowledged append, with the
-- fencing token of the writer that acknowledged them. Rows are deleted once the oldest kept
-- snapshot covers them.
CREATE TABLE journal (
    document_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    start_offset BIGINT NOT NULL CHECK (start_offset >= 0),
    end_offset BIGINT NOT NULL CHECK (end_offset > start_offset),
    fence BIGINT NOT NULL DEFAULT 0,
    data BYTEA NOT NULL,
    PRIMARY KEY (document_id, start_offset)
);
ALTER TABLE journal ALTER COLUMN data SET STORAGE EXTERNAL;

-- Routing history, as in SQLite: per chunk, u32 little-endian counts and f32 little-endian mean
-- weights per memory.
CREATE TABLE routing_chunk (
    document_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    chunk_index BIGINT NOT NULL CHECK (chunk_index >= 0),
    tokens BIGINT NOT NULL,
    counts BYTEA NOT NULL,
    mean_weights BYTEA NOT NULL,
    PRIMARY KEY (document_id, chunk_index)
);

-- Per-token routes, as in SQLite (schemas/snapshot.md, section 4).
CREATE TABLE token_route (
    document_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    first_token BIGINT NOT NULL CHECK (first_token >= 0),
    token_count BIGINT NOT NULL CHECK (token_count > 0),
    top_k BIGINT NOT NULL CHECK (top_k BETWEEN 1 AND 255),
    frame BYTEA NOT NULL,
    PRIMARY KEY (document_id, first_token)
);

-- Who may fold each document: one row per document ever leased. token comes from lease_token
-- and grows with every new holder (a holder that renews keeps its token); expires_at is by the
-- database's clock, the one clock every daemon shares. address is where the holder serves its
-- API, so another daemon can forward writes to it.
CREATE SEQUENCE lease_token;
CREATE TABLE lease (
    document_id BIGINT PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    address TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

"""#
}
