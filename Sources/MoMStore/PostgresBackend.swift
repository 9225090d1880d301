import Foundation
import Logging
import MoMCore
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

    /// Connects, checks that the database is momd's (or empty) and not newer, and applies the
    /// migrations it lacks, under an advisory lock so daemons starting together migrate once.
    init(url: PostgresURL) throws {
        self.url = url
        connections = PostgresConnections(url: url)
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

// MARK: Leases

/// The `lease` table: times are the database's (`clock_timestamp()`), the one clock every
/// daemon shares, so no two machines' clocks need to agree.
struct PostgresLeases: LeaseKeeping {
    let backend: PostgresBackend

    func acquire(documentID: Int64, name: String, owner: String, address: String, duration: Duration) throws -> LeaseAttempt {
        let milliseconds = Int64(duration.seconds * 1000)
        return try backend.connections.transaction { connection in
            let taken = try connection.run(
                """
                INSERT INTO lease AS l (document_id, owner, address, token, expires_at)
                VALUES (\(documentID), \(owner), \(address), nextval('lease_token'),
                    clock_timestamp() + \(milliseconds) * interval '1 millisecond')
                ON CONFLICT (document_id) DO UPDATE
                    SET owner = EXCLUDED.owner, address = EXCLUDED.address, expires_at = EXCLUDED.expires_at,
                        token = CASE WHEN l.owner = EXCLUDED.owner THEN l.token ELSE EXCLUDED.token END
                    WHERE l.owner = EXCLUDED.owner OR l.expires_at <= clock_timestamp()
                RETURNING owner, address, token, expires_at
                """)
            if let row = taken.first { return .acquired(try Self.lease(row, name: name)) }
            guard let held = try holder(connection, documentID: documentID, name: name) else {
                throw StoreError(.database, "the lease of '\(name)' was neither taken nor found")
            }
            return .heldBy(held)
        }
    }

    func release(documentID: Int64, fence: Fence) throws {
        try backend.connections.transaction { connection in
            try connection.run(
                "UPDATE lease SET expires_at = clock_timestamp() WHERE document_id = \(documentID) AND token = \(fence.token)")
        }
    }

    func holder(documentID: Int64, name: String) throws -> Lease? {
        try backend.connections.transaction(readOnly: true) { connection in
            try holder(connection, documentID: documentID, name: name)
        }
    }

    func holder(_ connection: PostgresConnection, documentID: Int64, name: String) throws -> Lease? {
        try connection.run("SELECT owner, address, token, expires_at FROM lease WHERE document_id = \(documentID)")
            .first.map { try Self.lease($0, name: name) }
    }

    static func lease(_ row: PostgresRow, name: String) throws -> Lease {
        let (owner, address, token, expires) = try row.decode((String, String, Int64, Date).self)
        return Lease(document: name, owner: owner, address: address, fence: Fence(token: token), expiresAt: expires)
    }
}

// MARK: Connections

/// Open connections to one database, reused across transactions, at most `maxOpen` at once. A
/// connection that failed is closed rather than reused.
final class PostgresConnections: Sendable {
    let url: PostgresURL
    let idle = Mutex<[PostgresConnection]>([])
    let logger: Logger
    let slots = DispatchSemaphore(value: PostgresConnections.maxOpen)
    static let maxIdle = 8
    /// Connections one process opens at most: 3 daemons take 48 of PostgreSQL's default 100.
    static let maxOpen = 16
    static let nextID = Atomic<Int>(0)

    init(url: PostgresURL) {
        self.url = url
        var logger = Logger(label: "momd.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit {
        for connection in idle.withLock({ $0 }) { try? connection.close().wait() }
    }

    /// Runs `body` in one transaction on one connection: committed if it returns, rolled back
    /// if it throws. Read-only transactions are REPEATABLE READ, so every read in `body` sees the
    /// same committed state; writes are READ COMMITTED with the rows they guard locked.
    func transaction<T>(readOnly: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        // At most `maxOpen` transactions at once per process, so many daemons stay within the
        // server's max_connections; the others wait here (the store's callers block anyway).
        slots.wait()
        defer { slots.signal() }
        let connection = try checkOut()
        do {
            try connection.run(PostgresQuery(unsafeSQL: readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"))
            let result: T
            do {
                result = try body(connection)
            } catch {
                _ = try? connection.run("ROLLBACK")
                throw error
            }
            try connection.run("COMMIT")
            checkIn(connection)
            return result
        } catch {
            // A failed statement may leave the connection mid-transaction or broken: never reuse it.
            try? connection.close().wait()
            throw PostgresStoreError.map(error, url: url)
        }
    }

    func checkOut() throws -> PostgresConnection {
        if let connection = idle.withLock({ $0.popLast() }), !connection.isClosed { return connection }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue, logger: logger
            ).wait()
        } catch {
            throw PostgresStoreError.map(error, url: url, connecting: true)
        }
    }

    func checkIn(_ connection: PostgresConnection) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.maxIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { try? connection.close().wait() }
    }
}

extension PostgresConnection {
    /// Runs one statement and waits for all its rows (never on an event loop).
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try self.query(query, logger: PostgresConnections.quiet).wait()
    }
}

extension PostgresConnections {
    static let quiet: Logger = {
        var logger = Logger(label: "momd.postgres")
        logger.logLevel = .critical
        return logger
    }()
}

// MARK: Errors

/// A PostgreSQL failure, already said as the store's error.
struct PostgresStoreError: Error {
    let storeError: StoreError

    /// The store's view of a postgres-nio error: unreachable servers and refused logins name the
    /// host and the reason (`unavailable`); a missing row for a foreign key is a deleted document.
    static func map(_ error: any Error, url: PostgresURL, connecting: Bool = false) -> any Error {
        if error is StoreError || error is PostgresStoreError || error is MoMError { return error }
        let server = "PostgreSQL at \(url.host):\(url.port)"
        guard let psql = error as? PSQLError else {
            let kind: StoreError.Code = connecting ? .unavailable : .database
            return PostgresStoreError(storeError: StoreError(kind, "\(server): \(error)"))
        }
        if let info = psql.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "an error"
            switch state {
            case "28P01", "28000":
                return PostgresStoreError(storeError: StoreError(
                    .unavailable, "\(server) refused user '\(url.user)': \(message); check the user and password in the URL"))
            case "3D000":
                return PostgresStoreError(storeError: StoreError(.unavailable, "\(server): \(message); create it first (createdb)"))
            case "23503":
                return PostgresStoreError(storeError: StoreError(.unknownDocument, "the document was deleted while it was being written"))
            case "40001", "40P01":
                return PostgresStoreError(storeError: StoreError(.concurrentWrite, "\(server): \(message); retry"))
            default:
                return PostgresStoreError(storeError: StoreError(.database, "\(server): \(message) (SQLSTATE \(state))"))
            }
        }
        let reason = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
        if connecting || psql.code == .connectionError || psql.code == .serverClosedConnection {
            return PostgresStoreError(storeError: StoreError(.unavailable, "cannot reach \(server): \(reason)"))
        }
        return PostgresStoreError(storeError: StoreError(.database, "\(server): \(reason)"))
    }
}

// MARK: URL

/// A `postgres://user:password@host:port/database` URL, as `--db` and `MOMD_DB` take it.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(parsing text: String) throws {
        func refuse(_ why: String) -> StoreError {
            StoreError(.invalidArgument, "'\(Self.redact(text))' is not a usable PostgreSQL URL: \(why) (postgres://user:password@host:port/database)")
        }
        guard Self.isPostgres(text), let components = URLComponents(string: text) else { throw refuse("it does not parse") }
        guard let host = components.host, !host.isEmpty else { throw refuse("it names no host") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw refuse("it names no database after the host") }
        if let query = components.queryItems, let item = query.first(where: { !["sslmode"].contains($0.name) }) {
            throw refuse("momd takes no '\(item.name)' parameter")
        }
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw refuse("momd connects without TLS (sslmode=disable); reach a remote server over a tunnel or a private network")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        password = components.password
        self.database = database
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}
