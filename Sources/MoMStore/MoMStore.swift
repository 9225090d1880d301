import Foundation
import GRDB
import MoMCore
import Synchronization

/// The store of every document: configurations, LZ4 snapshots, the journal of input not yet
/// covered by a snapshot, and the routing history (per chunk, and per token where recorded).
///
/// A value over one backend: SQLite (the embedded default: a WAL `DatabasePool` in production,
/// a `DatabaseQueue` in tests) or PostgreSQL (a server many daemons share). Everything above
/// the rows — restoring a state, checking a snapshot, replaying the journal — is done here, the
/// same way over either. Reads are consistent snapshots of the database; one document's writes
/// go through one `DocumentSession`, which checks in every transaction that nobody else moved
/// the document.
public struct MoMStore: Sendable {
    package let backend: any StoreBackend
    /// Where asks keep decoded states for the next cold read (`MoMStore.read`); nil keeps none.
    public var imageCache: StateImageCache?

    package init(backend: any StoreBackend) {
        self.backend = backend
    }

    /// Takes over an open SQLite database: refuses it unless it is a momd database (or empty),
    /// then applies the migrations it lacks.
    public init(writer: any DatabaseWriter) throws {
        backend = try Self.mapErrors { try SQLiteBackend(writer: writer) }
    }

    /// The SQLite database under the store, nil for another backend (for tests and tools that
    /// look at the rows themselves).
    public var sqliteWriter: (any DatabaseWriter)? { (backend as? SQLiteBackend)?.writer }

    /// Where the data lives: a path, or a URL without its password.
    public var location: String { backend.location }

    /// Opens the database at `path` as a WAL `DatabasePool`, creating it if needed.
    ///
    /// The file is checked before anything writes to it: a file that is not a momd database, or
    /// carries a newer schema, is refused and left byte for byte as it was. Commits are
    /// `synchronous = FULL`, so an acknowledged append survives power loss, not only a crash.
    ///
    /// - Parameter createIfMissing: if false, a missing file is not created: it throws
    ///   `unknownDocument` (no database holds no document).
    /// - Parameter readOnly: for a command that only reads: the file is opened without the
    ///   write that sets up a pool (`SQLiteBackend.openForReading`); a write through the store
    ///   then fails.
    public static func open(path: String, createIfMissing: Bool = true, readOnly: Bool = false) throws -> MoMStore {
        try mapErrors {
            if !createIfMissing && !FileManager.default.fileExists(atPath: path) {
                throw StoreError(
                    .unknownDocument, "no momd database at \(path): ingest a document first, or pick one with --db or MOMD_DB")
            }
            return MoMStore(backend: try readOnly ? SQLiteBackend.openForReading(path: path) : SQLiteBackend(path: path))
        }
    }

    /// Opens the store a `--db` value names: a `postgres://` (or `postgresql://`) URL, else an
    /// SQLite file path. A URL needs the PostgreSQL backend (`MoMStorePostgres`), which the
    /// executable that links it registers (`registerServerBackend`) before it opens a store.
    /// `passwordFile` (`--db-password-file`) holds the password of a URL that has none.
    public static func open(location: String, createIfMissing: Bool = true, passwordFile: String? = nil) throws -> MoMStore {
        if PostgresURL.isPostgres(location) {
            guard let open = serverBackend.withLock({ $0 }) else {
                throw StoreError(.unavailable, "this program has no PostgreSQL backend linked in: run momd-server for a postgres:// database")
            }
            return MoMStore(backend: try mapErrors { try open(try PostgresURL(parsing: location, passwordFile: passwordFile)) })
        }
        return try open(path: location, createIfMissing: createIfMissing)
    }

    /// Makes `open` the backend of `postgres://` locations. The SQLite store does not link
    /// postgres-nio and its event loops, so that a command-line ask starts without them.
    package static func registerServerBackend(_ open: @escaping @Sendable (PostgresURL) throws -> any StoreBackend) {
        serverBackend.withLock { $0 = open }
    }

    private static let serverBackend = Mutex<(@Sendable (PostgresURL) throws -> any StoreBackend)?>(nil)

    /// Closes the database; nothing uses this store (or a copy of it) after. On SQLite the
    /// write-ahead log is copied into the file and emptied first (`SQLiteBackend.close()`): a
    /// command that wrote (`ingest`, `rm`, `serve`) closes the store before it exits, or the next
    /// command that opens the file indexes the whole log.
    public func close() throws {
        try Self.mapErrors { try backend.close() }
    }

    /// A fresh store in memory, for tests and throwaway work.
    public static func inMemory() throws -> MoMStore {
        try MoMStore(writer: try mapErrors { try DatabaseQueue() })
    }

    // MARK: Documents

    /// Every document, by name, with its stats.
    public func documents() throws -> [DocumentInfo] {
        try Self.mapErrors { try backend.read { try $0.documents() } }
    }

    /// One document with its stats.
    public func document(named name: String) throws -> DocumentInfo {
        try DocumentName.validate(name)
        return try Self.mapErrors { try backend.read { try $0.requireDocument(named: name) } }
    }

    /// Where a document stands: its id and acknowledged end.
    func position(of name: String) throws -> DocumentPosition {
        try Self.mapErrors {
            try backend.read { reader in
                guard let position = try reader.position(named: name) else { throw Self.unknownDocument(name) }
                return position
            }
        }
    }

    /// Creates a document, or returns the existing one if its configuration is the same.
    ///
    /// - Throws: `configurationMismatch` if the document exists with another configuration.
    @discardableResult
    public func createDocument(named name: String, configuration: MoMConfiguration = .default) throws -> DocumentInfo {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try configuration.validate()
            let document = try backend.createDocument(named: name, configuration: configuration)
            guard document.configuration.fingerprint == configuration.fingerprint else {
                throw Self.configurationMismatch(document, asked: configuration)
            }
            return document
        }
    }

    /// Deletes a document with its snapshots, journal, routing history and token routes.
    public func deleteDocument(named name: String) throws {
        try DocumentName.validate(name)
        try Self.mapErrors {
            guard try backend.deleteDocument(named: name) else { throw Self.unknownDocument(name) }
        }
    }

    // MARK: Snapshots and routing history

    /// The kept snapshots of a document, oldest first.
    public func snapshots(of name: String) throws -> [SnapshotInfo] {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try backend.read { reader in
                let document = try reader.requireDocument(named: name)
                return try reader.snapshotRows(documentID: document.id).reversed().map(\.info)
            }
        }
    }

    /// The routing history of a document: chunks `from ..< from + limit`, in order.
    public func routingHistory(of name: String, from first: UInt64 = 0, limit: Int = .max) throws -> [RoutingChunk] {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try backend.read { reader in
                let document = try reader.requireDocument(named: name)
                return try reader.routingChunks(documentID: document.id, from: first, limit: limit)
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
            try backend.read { reader in
                let document = try reader.requireDocument(named: name)
                var routes: [TokenRoute] = []
                try reader.tokenRoutes(documentID: document.id, endingAfter: first) { row in
                    let stored = try row.routes()
                    let skip = stored.firstToken < first ? Int(first - stored.firstToken) : 0
                    for offset in skip..<stored.tokenCount {
                        guard routes.count < limit else { break }
                        routes.append(stored.route(at: offset))
                    }
                    return routes.count < limit
                }
                return routes
            }
        }
    }

    /// The journal of a document as it stands: the appends no kept snapshot covers yet, in
    /// order, each with the fencing token of the writer that acknowledged it (PostgreSQL). Along
    /// the document the tokens never decrease: a decrease would be two writers at once.
    public func journalSpans(of name: String) throws -> [JournalSpan] {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try backend.read { reader in
                let document = try reader.requireDocument(named: name)
                var spans: [JournalSpan] = []
                try reader.journal(documentID: document.id, endingAfter: 0) { entry in
                    spans.append(JournalSpan(start: entry.start, end: entry.end, fence: entry.fence))
                    return true
                }
                return spans
            }
        }
    }

    package static func unknownDocument(_ name: String) -> StoreError {
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
        } catch let error as any StoreErrorConvertible {
            throw error.storeError
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
