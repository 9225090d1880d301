import Foundation
import Logging
import MoMCore
import MoMStore
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The shared backend: a PostgreSQL database through postgres-nio, which any number of daemons
/// (on one machine or many) use at once. Same data model as SQLite (schemas/postgres/), plus
/// the lease table: every write carries the writer's fencing token and is refused, whole, unless
/// that token still holds the document's unexpired lease.
///
/// The store's interface is synchronous (the daemon's document actors and the CLI call it in
/// line), so the backend drives postgres-nio through its `EventLoopFuture` interface and waits
/// for each result on the calling thread, never on an event loop. Connections are kept in a
/// small pool; each transaction holds one for its duration.
struct PostgresBackend: StoreBackend {
    let url: PostgresURL
    let connections: PostgresConnections

    var location: String { url.redacted }
    var leases: (any LeaseKeeping)? { PostgresLeases(backend: self) }

    func close() throws { connections.closeIdle() }

    /// Connects, checks that the database is momd's (or empty) and not newer, and applies the
    /// migrations it lacks, under an advisory lock so daemons starting together migrate once.
    init(url: PostgresURL) throws {
        self.url = url
        connections = try PostgresConnections(url: url)
        try connections.transaction { connection in try PostgresSchema.prepare(connection, url: url) }
    }

    // MARK: Reads

    func read<T>(_ body: (any StoreReading) throws -> T) throws -> T {
        try connections.transaction(readOnly: true) { connection in try body(PostgresReader(connection: connection)) }
    }

    // MARK: Writes

    func createDocument(named name: String, configuration: MoMConfiguration) throws -> DocumentInfo {
        let record = try DocumentRecord(name: name, configuration: configuration, now: Date().timeIntervalSince1970)
        return try connections.transaction { connection in
            try connection.run(
                """
                INSERT INTO document (name, configuration, fingerprint, created_at, updated_at)
                VALUES (\(record.name), \(record.configuration), \(record.fingerprint), \(record.createdAt), \(record.updatedAt))
                ON CONFLICT (name) DO NOTHING
                """)
            return try PostgresReader(connection: connection).requireDocument(named: name)
        }
    }

    func deleteDocument(named name: String) throws -> Bool {
        try connections.transaction { connection in
            try connection.run("DELETE FROM document WHERE name = \(name)").metadata.rows == 1
        }
    }

    func commitAppend(_ append: AppendCommit) throws {
        let fence = try requireFence(append.fence, name: append.name)
        try connections.transaction { connection in
            try checkLease(connection, documentID: append.documentID, name: append.name, fence: fence, renewing: append.leaseDuration)
            let now = Date().timeIntervalSince1970
            let moved = try connection.run(
                """
                UPDATE document SET byte_count = \(Int64(append.end)), token_count = \(Int64(append.tokenCount)),
                    updated_at = \(now), fence = \(fence.token)
                WHERE id = \(append.documentID) AND byte_count = \(Int64(append.start)) AND fence <= \(fence.token)
                """)
            guard moved.metadata.rows == 1 else {
                throw try lostDocument(connection, documentID: append.documentID, name: append.name)
            }
            try connection.run(
                """
                INSERT INTO journal (document_id, start_offset, end_offset, fence, data)
                VALUES (\(append.documentID), \(Int64(append.start)), \(Int64(append.end)), \(fence.token), \(ByteBuffer(bytes: append.frame)))
                """)
            for chunk in append.chunks {
                let record = RoutingChunkRecord(documentID: append.documentID, chunk: chunk)
                try connection.run(
                    """
                    INSERT INTO routing_chunk (document_id, chunk_index, tokens, counts, mean_weights)
                    VALUES (\(record.documentID), \(record.chunkIndex), \(record.tokens), \(ByteBuffer(data: record.counts)), \(ByteBuffer(data: record.meanWeights)))
                    ON CONFLICT (document_id, chunk_index) DO UPDATE
                        SET tokens = EXCLUDED.tokens, counts = EXCLUDED.counts, mean_weights = EXCLUDED.mean_weights
                    """)
            }
            if let routes = append.routes {
                try connection.run(
                    """
                    INSERT INTO token_route (document_id, first_token, token_count, top_k, frame)
                    VALUES (\(routes.documentID), \(routes.firstToken), \(routes.tokenCount), \(routes.topK), \(ByteBuffer(data: routes.frame)))
                    ON CONFLICT (document_id, first_token) DO UPDATE
                        SET token_count = EXCLUDED.token_count, top_k = EXCLUDED.top_k, frame = EXCLUDED.frame
                    """)
            }
        }
    }

    func commitSnapshot(_ snapshot: SnapshotCommit) throws -> SnapshotInfo {
        let fence = try requireFence(snapshot.fence, name: snapshot.name)
        let documentID = snapshot.documentID
        return try connections.transaction { connection in
            try checkLease(connection, documentID: documentID, name: snapshot.name, fence: fence, renewing: snapshot.leaseDuration)
            let stored = try connection.run("SELECT byte_count FROM document WHERE id = \(documentID) FOR UPDATE")
                .first.map { try $0.decode(Int64.self) }
            guard stored == Int64(snapshot.byteCount) else {
                throw try lostDocument(connection, documentID: documentID, name: snapshot.name)
            }
            for id in snapshot.discarding {
                try connection.run("DELETE FROM snapshot WHERE id = \(id) AND document_id = \(documentID)")
            }
            let inserted = try connection.run(
                """
                INSERT INTO snapshot (document_id, byte_count, token_count, state_bytes, digest, created_at, fence, state)
                VALUES (\(documentID), \(Int64(snapshot.byteCount)), \(Int64(snapshot.tokenCount)), \(Int64(snapshot.stateBytes)),
                    \(snapshot.digest), \(snapshot.createdAt), \(fence.token), \(ByteBuffer(bytes: snapshot.blob)))
                ON CONFLICT (document_id, byte_count) DO UPDATE
                    SET token_count = EXCLUDED.token_count, state_bytes = EXCLUDED.state_bytes, digest = EXCLUDED.digest,
                        created_at = EXCLUDED.created_at, fence = EXCLUDED.fence, state = EXCLUDED.state
                RETURNING id
                """)
            guard let id = try inserted.first?.decode(Int64.self) else {
                throw StoreError(.database, "PostgreSQL stored the snapshot of '\(snapshot.name)' without returning its id")
            }
            try connection.run(
                """
                DELETE FROM snapshot WHERE document_id = \(documentID) AND id NOT IN
                    (SELECT id FROM snapshot WHERE document_id = \(documentID) ORDER BY byte_count DESC LIMIT \(Int64(snapshot.retained)))
                """)
            try connection.run(
                """
                DELETE FROM journal WHERE document_id = \(documentID)
                    AND end_offset <= (SELECT min(byte_count) FROM snapshot WHERE document_id = \(documentID))
                """)
            return SnapshotInfo(
                id: id, byteCount: snapshot.byteCount, tokenCount: snapshot.tokenCount, stateBytes: snapshot.stateBytes,
                storedBytes: snapshot.blob.count, digest: snapshot.digest, createdAt: Date(timeIntervalSince1970: snapshot.createdAt))
        }
    }

    // MARK: Fencing

    /// A shared store takes writes only under a lease.
    func requireFence(_ fence: Fence?, name: String) throws -> Fence {
        guard let fence else {
            throw StoreError(.invalidArgument, "a write to '\(name)' in \(location) needs the document's lease: open the session with a lease owner")
        }
        return fence
    }

    /// Refuses the transaction unless `fence` is the document's current, unexpired lease, and
    /// extends that lease by `duration`: a writer that keeps writing keeps its document. The
    /// lease row stays locked until commit, so a takeover waits for this write to finish (and
    /// then sees it) instead of racing it.
    func checkLease(_ connection: PostgresConnection, documentID: Int64, name: String, fence: Fence, renewing duration: Duration) throws {
        let milliseconds = Int64(duration.seconds * 1000)
        let renewed = try connection.run(
            """
            UPDATE lease SET expires_at = clock_timestamp() + \(milliseconds) * interval '1 millisecond'
            WHERE document_id = \(documentID) AND token = \(fence.token) AND expires_at > clock_timestamp()
            """)
        guard renewed.metadata.rows != 1 else { return }
        if try connection.run("SELECT 1 FROM document WHERE id = \(documentID)").first == nil {
            throw MoMStore.lostDocument(name: name, exists: false)
        }
        throw StoreError(
            .leaseLost,
            "the lease on '\(name)' under \(fence) expired or was taken over by another daemon: nothing was stored; retry, and it goes to the document's current holder"
        )
    }

    func lostDocument(_ connection: PostgresConnection, documentID: Int64, name: String) throws -> StoreError {
        let exists = try connection.run("SELECT 1 FROM document WHERE id = \(documentID)").first != nil
        return MoMStore.lostDocument(name: name, exists: exists)
    }
}

// MARK: Reading

/// Reads within one REPEATABLE READ transaction: one committed state of the whole database.
struct PostgresReader: StoreReading {
    let connection: PostgresConnection

    static let documentColumns = """
        SELECT d.id, d.name, d.configuration, d.fingerprint, d.byte_count, d.token_count, d.created_at, d.updated_at,
            (SELECT count(*) FROM snapshot s WHERE s.document_id = d.id),
            (SELECT coalesce(sum(octet_length(s.state)), 0) FROM snapshot s WHERE s.document_id = d.id)::bigint,
            (SELECT coalesce(sum(octet_length(j.data)), 0) FROM journal j WHERE j.document_id = d.id)::bigint,
            (SELECT count(*) FROM routing_chunk r WHERE r.document_id = d.id)
        FROM document d
        """

    static func documentInfo(_ row: PostgresRow) throws -> DocumentInfo {
        let (id, name, configuration, fingerprint, byteCount, tokenCount, createdAt, updatedAt, snapshots, snapshotBytes, journalBytes, chunks) =
            try row.decode((Int64, String, String, String, Int64, Int64, Double, Double, Int64, Int64, Int64, Int64).self)
        return DocumentInfo(
            id: id, name: name,
            configuration: try DocumentRecord.decodeConfiguration(configuration, fingerprint: fingerprint, document: name),
            byteCount: UInt64(byteCount), tokenCount: UInt64(tokenCount),
            createdAt: Date(timeIntervalSince1970: createdAt), updatedAt: Date(timeIntervalSince1970: updatedAt),
            snapshotCount: Int(snapshots), snapshotBytes: snapshotBytes, journalBytes: journalBytes, routingChunkCount: Int(chunks))
    }

    func documents() throws -> [DocumentInfo] {
        try connection.run(PostgresQuery(unsafeSQL: Self.documentColumns + " ORDER BY d.name COLLATE \"C\"")).map(Self.documentInfo)
    }

    func document(named name: String) throws -> DocumentInfo? {
        var bindings = PostgresBindings()
        bindings.append(name)
        return try connection.run(PostgresQuery(unsafeSQL: Self.documentColumns + " WHERE d.name = $1", binds: bindings))
            .first.map(Self.documentInfo)
    }

    func position(named name: String) throws -> DocumentPosition? {
        try connection.run("SELECT id, byte_count FROM document WHERE name = \(name)").first.map { row in
            let (id, byteCount) = try row.decode((Int64, Int64).self)
            return DocumentPosition(id: id, byteCount: UInt64(byteCount))
        }
    }

    func snapshotRows(documentID: Int64) throws -> [SnapshotRow] {
        try connection.run(
            """
            SELECT id, byte_count, token_count, state_bytes, octet_length(state)::bigint, digest, created_at
            FROM snapshot WHERE document_id = \(documentID) ORDER BY byte_count DESC
            """
        ).map { row in
            let (id, byteCount, tokenCount, stateBytes, storedBytes, digest, createdAt) =
                try row.decode((Int64, Int64, Int64, Int64, Int64, String, Double).self)
            return SnapshotRow(
                id: id, byteCount: byteCount, tokenCount: tokenCount, stateBytes: stateBytes, storedBytes: storedBytes,
                digest: digest, createdAt: createdAt)
        }
    }

    func snapshotBlob(id: Int64) throws -> (any SnapshotBytes)? {
        try connection.run("SELECT state FROM snapshot WHERE id = \(id)").first.map { row in
            InMemorySnapshotBytes(bytes: Array(try row.decode(ByteBuffer.self).readableBytesView))
        }
    }

    func journal(documentID: Int64, endingAfter offset: UInt64, _ body: (JournalEntry) throws -> Bool) throws {
        let rows = try connection.run(
            """
            SELECT start_offset, end_offset, data, fence FROM journal
            WHERE document_id = \(documentID) AND end_offset > \(Int64(clamping: offset)) ORDER BY start_offset
            """)
        for row in rows {
            let (start, end, data, fence) = try row.decode((Int64, Int64, ByteBuffer?, Int64).self)
            let entry = JournalEntry(
                start: UInt64(start), end: UInt64(end), frame: data.map { Array($0.readableBytesView) }, fence: Fence(token: fence))
            guard try body(entry) else { return }
        }
    }

    func routingChunks(documentID: Int64, from first: UInt64, limit: Int) throws -> [RoutingChunk] {
        try connection.run(
            """
            SELECT chunk_index, tokens, counts, mean_weights FROM routing_chunk
            WHERE document_id = \(documentID) AND chunk_index >= \(Int64(clamping: first))
            ORDER BY chunk_index LIMIT \(Int64(limit))
            """
        ).map { row in
            let (index, tokens, counts, weights) = try row.decode((Int64, Int64, ByteBuffer, ByteBuffer).self)
            return try RoutingChunkRecord(
                documentID: documentID, chunkIndex: index, tokens: tokens, counts: Data(counts.readableBytesView),
                meanWeights: Data(weights.readableBytesView)
            ).chunk()
        }
    }

    func tokenRoutes(documentID: Int64, endingAfter first: UInt64, _ body: (TokenRouteRecord) throws -> Bool) throws {
        let rows = try connection.run(
            """
            SELECT first_token, token_count, top_k, frame FROM token_route
            WHERE document_id = \(documentID) AND first_token + token_count > \(Int64(clamping: first)) ORDER BY first_token
            """)
        for row in rows {
            let (firstToken, tokenCount, topK, frame) = try row.decode((Int64, Int64, Int64, ByteBuffer).self)
            let record = TokenRouteRecord(
                documentID: documentID, firstToken: firstToken, tokenCount: tokenCount, topK: topK,
                frame: Data(frame.readableBytesView))
            guard try body(record) else { return }
        }
    }
}
