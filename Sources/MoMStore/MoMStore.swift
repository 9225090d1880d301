import Foundation
import GRDB
import MoMCore

/// The SQLite store of every document: configurations, LZ4 snapshots, the journal of input not
/// yet covered by a snapshot, and the routing history (per chunk, and per token where recorded).
///
/// A value over any GRDB writer: a `DatabasePool` (WAL) in production, a `DatabaseQueue` in
/// tests. Reads are consistent snapshots of the database; one document's writes go through one
/// `DocumentSession`, which checks in every transaction that nobody else moved the document.
public struct MoMStore: Sendable {
    public let writer: any DatabaseWriter

    /// Takes over an open database: refuses it unless it is a momd database (or empty), then
    /// applies the migrations it lacks.
    public init(writer: any DatabaseWriter) throws {
        let path = writer.path
        try Self.mapErrors {
            try writer.read { db in try StoreSchema.checkOwnership(db, path: path) }
            try StoreSchema.migrator.migrate(writer)
        }
        self.writer = writer
    }

    /// Opens the database at `path` as a WAL `DatabasePool`, creating it if needed.
    ///
    /// The file is checked before anything writes to it: a file that is not a momd database, or
    /// carries a newer schema, is refused and left byte for byte as it was. Commits are
    /// `synchronous = FULL`, so an acknowledged append survives power loss, not only a crash.
    ///
    /// - Parameter createIfMissing: if false, a missing file is not created: it throws
    ///   `unknownDocument` (no database holds no document).
    public static func open(path: String, createIfMissing: Bool = true) throws -> MoMStore {
        try mapErrors {
            if !createIfMissing && !FileManager.default.fileExists(atPath: path) {
                throw StoreError(
                    .unknownDocument, "no momd database at \(path): ingest a document first, or pick one with --db or MOMD_DB")
            }
            try StoreSchema.probe(path: path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.label = "momd"
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return try MoMStore(writer: pool)
        }
    }

    /// A fresh store in memory, for tests and throwaway work.
    public static func inMemory() throws -> MoMStore {
        try MoMStore(writer: try mapErrors { try DatabaseQueue() })
    }

    // MARK: Documents

    /// Every document, by name, with its stats.
    public func documents() throws -> [DocumentInfo] {
        try Self.mapErrors {
            try writer.read { db in
                try Row.fetchAll(db, sql: Self.documentQuery + " ORDER BY d.name").map(Self.documentInfo)
            }
        }
    }

    /// One document with its stats.
    public func document(named name: String) throws -> DocumentInfo {
        try DocumentName.validate(name)
        return try Self.mapErrors { try writer.read { db in try Self.fetchDocument(db, named: name) } }
    }

    /// Creates a document, or returns the existing one if its configuration is the same.
    ///
    /// - Throws: `configurationMismatch` if the document exists with another configuration.
    @discardableResult
    public func createDocument(named name: String, configuration: MoMConfiguration = .default) throws -> DocumentInfo {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try configuration.validate()
            return try writer.write { db in
                if try DocumentRecord.filter(Column("name") == name).fetchOne(db) == nil {
                    var record = try DocumentRecord(name: name, configuration: configuration, now: Date().timeIntervalSince1970)
                    try record.insert(db)
                }
                let document = try Self.fetchDocument(db, named: name)
                guard document.configuration.fingerprint == configuration.fingerprint else {
                    throw StoreError(
                        .configurationMismatch,
                        "document '\(name)' exists with configuration \(document.configuration.fingerprintHex), not \(configuration.fingerprintHex): drop the memory-model options, or use another name"
                    )
                }
                return document
            }
        }
    }

    /// Deletes a document with its snapshots, journal, routing history and token routes.
    public func deleteDocument(named name: String) throws {
        try DocumentName.validate(name)
        try Self.mapErrors {
            try writer.write { db in
                guard try DocumentRecord.filter(Column("name") == name).deleteAll(db) == 1 else {
                    throw Self.unknownDocument(name)
                }
            }
        }
    }

    // MARK: Snapshots and routing history

    /// The kept snapshots of a document, oldest first.
    public func snapshots(of name: String) throws -> [SnapshotInfo] {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try writer.read { db in
                let document = try Self.fetchDocument(db, named: name)
                return try Self.snapshotRows(db, documentID: document.id).reversed().map(\.info)
            }
        }
    }

    /// The routing history of a document: chunks `from ..< from + limit`, in order.
    public func routingHistory(of name: String, from first: UInt64 = 0, limit: Int = .max) throws -> [RoutingChunk] {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try writer.read { db in
                let document = try Self.fetchDocument(db, named: name)
                return try RoutingChunkRecord
                    .filter(Column("document_id") == document.id && Column("chunk_index") >= Int64(clamping: first))
                    .order(Column("chunk_index"))
                    .limit(limit)
                    .fetchAll(db)
                    .map { try $0.chunk() }
            }
        }
    }

    /// The stored per-token routes of a document: up to `limit` tokens from token `first` on, in
    /// order. Only tokens appended by a session that recorded them
    /// (`DocumentSession.startRecordingTokenRoutes()`) have one, so indices skip the others.
    ///
    /// - Throws: `unknownDocument`; `corruptData` for a damaged row.
    public func tokenRoutes(of name: String, from first: UInt64 = 0, limit: Int = .max) throws -> [TokenRoute] {
        try DocumentName.validate(name)
        guard limit > 0 else { return [] }
        return try Self.mapErrors {
            try writer.read { db in
                let document = try Self.fetchDocument(db, named: name)
                // Rows that end after `first`, in order; the cursor stops reading once `limit` are out.
                let rows = try TokenRouteRecord.fetchCursor(
                    db,
                    sql: """
                        SELECT * FROM token_route WHERE document_id = ? AND first_token + token_count > ?
                        ORDER BY first_token
                        """,
                    arguments: [document.id, Int64(clamping: first)])
                var routes: [TokenRoute] = []
                while routes.count < limit, let row = try rows.next() {
                    let stored = try row.routes()
                    let skip = stored.firstToken < first ? Int(first - stored.firstToken) : 0
                    for offset in skip..<stored.tokenCount {
                        guard routes.count < limit else { break }
                        routes.append(stored.route(at: offset))
                    }
                }
                return routes
            }
        }
    }

    // MARK: Queries

    static let documentQuery = """
        SELECT d.*,
            (SELECT count(*) FROM snapshot s WHERE s.document_id = d.id) AS snapshot_count,
            (SELECT coalesce(sum(length(s.state)), 0) FROM snapshot s WHERE s.document_id = d.id) AS snapshot_bytes,
            (SELECT coalesce(sum(length(j.data)), 0) FROM journal j WHERE j.document_id = d.id) AS journal_bytes,
            (SELECT count(*) FROM routing_chunk r WHERE r.document_id = d.id) AS routing_chunk_count
        FROM document d
        """

    static func documentInfo(_ row: Row) throws -> DocumentInfo {
        let record = try DocumentRecord(row: row)
        return DocumentInfo(
            id: record.id!, name: record.name, configuration: try record.decodedConfiguration(),
            byteCount: UInt64(record.byteCount), tokenCount: UInt64(record.tokenCount),
            createdAt: Date(timeIntervalSince1970: record.createdAt),
            updatedAt: Date(timeIntervalSince1970: record.updatedAt),
            snapshotCount: row["snapshot_count"], snapshotBytes: row["snapshot_bytes"],
            journalBytes: row["journal_bytes"], routingChunkCount: row["routing_chunk_count"])
    }

    static func fetchDocument(_ db: Database, named name: String) throws -> DocumentInfo {
        guard let row = try Row.fetchOne(db, sql: documentQuery + " WHERE d.name = ?", arguments: [name]) else {
            throw unknownDocument(name)
        }
        return try documentInfo(row)
    }

    /// Snapshot rows of a document, newest first.
    static func snapshotRows(_ db: Database, documentID: Int64) throws -> [SnapshotRow] {
        try SnapshotRow.fetchAll(
            db, sql: "SELECT \(SnapshotRow.columns) FROM snapshot WHERE document_id = ? ORDER BY byte_count DESC",
            arguments: [documentID])
    }

    static func unknownDocument(_ name: String) -> StoreError {
        StoreError(.unknownDocument, "no document named '\(name)': `momd docs` lists them")
    }

    // MARK: Errors

    /// Runs `body`, turning engine and SQLite errors into `StoreError`s.
    static func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as MoMError {
            throw StoreError(error)
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw StoreError(.database, "the database is busy: another process holds it locked; try again")
            case .SQLITE_NOTADB:
                throw StoreError(.notMomdDatabase, "the file is not a momd database (\(error.message ?? "not a database"))")
            default:
                throw StoreError(.database, "database error: \(error.message ?? "\(error.resultCode)")")
            }
        }
    }
}

extension StoreError {
    /// The store's view of an engine error.
    public init(_ error: MoMError) {
        switch error.code {
        case .invalidConfiguration, .emptyCue, .invalidQuestion, .emptyDocument:
            self.init(.invalidArgument, error.message)
        case .configurationMismatch:
            self.init(.configurationMismatch, error.message)
        case .corruptState, .unsupportedStateVersion:
            self.init(.corruptData, error.message)
        }
    }
}
