import Foundation
import GRDB
import GRDBSQLite
import MoMCore

/// The embedded backend: one SQLite file through GRDB, a WAL `DatabasePool` in production and a
/// `DatabaseQueue` in tests. One daemon holds the file (its lock), so it keeps no leases.
struct SQLiteBackend: StoreBackend {
    let writer: any DatabaseWriter
    /// The pool's checkpointer, closed before the pool (`close()`); nil for a connection opened
    /// some other way.
    let checkpointer: WALCheckpointer?

    var location: String { writer.path }
    var leases: (any LeaseKeeping)? { nil }

    /// Takes over an open database: refuses it unless it is a momd database (or empty), then
    /// applies the migrations it lacks.
    init(writer: any DatabaseWriter, checkpointer: WALCheckpointer? = nil) throws {
        let path = writer.path
        try writer.read { db in try StoreSchema.checkOwnership(db, path: path) }
        try StoreSchema.migrator.migrate(writer)
        self.writer = writer
        self.checkpointer = checkpointer
    }

    private init(reader: DatabaseQueue) {
        writer = reader
        checkpointer = nil
    }

    /// Opens the file for commands that only read (`ask`, `show`, `docs`): one read-only
    /// connection, which writes nothing. A pool sets up WAL mode with a write transaction when the
    /// file has no WAL (as after every clean close), and its last close checkpoints that write:
    /// two syncs on every command-line ask. A file that lacks migrations is opened as
    /// `init(path:)` opens it, which applies them.
    static func openForReading(path: String) throws -> SQLiteBackend {
        guard let queue = try StoreSchema.openReadOnly(path: path) else { return try SQLiteBackend(path: path) }
        if try queue.read(StoreSchema.migrator.hasCompletedMigrations) { return SQLiteBackend(reader: queue) }
        try queue.close()
        return try SQLiteBackend(path: path)
    }

    /// Opens the file as a WAL pool, after checking it untouched (`StoreSchema.probe`). Commits
    /// are `synchronous = FULL`, so an acknowledged append survives power loss, not only a crash.
    /// - Parameter checkpointBytes: the log's length that starts a checkpoint.
    init(path: String, checkpointBytes: Int = 16 << 20) throws {
        try StoreSchema.probe(path: path)
        try Self.createWithLargePages(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "momd"
        // Checkpoint after about 16 MiB of WAL whatever the page size (SQLite counts pages), on
        // the checkpointer's thread. The pool keeps the closure, and with it the checkpointer its
        // connections' hooks point to, for as long as it lives.
        let checkpointer = WALCheckpointer(path: path, thresholdBytes: checkpointBytes)
        configuration.prepareDatabase { db in
            // A snapshot's commit deletes old rows under a statement journal, which SQLite kept
            // in a temporary file created and unlinked on every commit; held in memory it costs
            // no system calls (it only undoes a failed statement, so nothing durable is lost).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            checkpointer.install(on: db.sqliteConnection, pageSize: pageSize)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try self.init(writer: pool, checkpointer: checkpointer)
    }

    /// Copies the whole log into the file and empties it, then closes. SQLite's own close does
    /// that only on the file's last connection and only if it may write, and a pool's last is a
    /// read-only reader: the log was left full, and every later open (each command-line ask)
    /// rebuilt its index by reading all of it.
    func close() throws {
        if let checkpointer {
            checkpointer.close()
            try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        try writer.close()
    }

    /// SQLite pages of a new file: a snapshot's 4 MiB blob is written page by page, and 64 KiB
    /// pages write it in a sixteenth of the pages.
    static let pageSize = 65_536

    /// Creates a missing or empty file with `pageSize` pages (a page size holds only from a file's
    /// first write, and not at all once it is in WAL mode); a file that has content keeps its own.
    static func createWithLargePages(path: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard size == nil || size == 0 else { return }
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize)")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
    }

    func read<T>(_ body: (any StoreReading) throws -> T) throws -> T {
        try writer.read { db in try body(SQLiteReader(db: db)) }
    }

    func createDocument(named name: String, configuration: MoMConfiguration) throws -> DocumentInfo {
        try writer.write { db in
            if try DocumentRecord.filter(Column("name") == name).fetchOne(db) == nil {
                var record = try DocumentRecord(name: name, configuration: configuration, now: Date().timeIntervalSince1970)
                try record.insert(db)
            }
            return try SQLiteReader(db: db).requireDocument(named: name)
        }
    }

    func deleteDocument(named name: String) throws -> Bool {
        try writer.write { db in try DocumentRecord.filter(Column("name") == name).deleteAll(db) == 1 }
    }

    func commitAppend(_ append: AppendCommit) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE document SET byte_count = ?, token_count = ?, updated_at = ? WHERE id = ? AND byte_count = ?",
                arguments: [
                    Int64(append.end), Int64(append.tokenCount), Date().timeIntervalSince1970, append.documentID,
                    Int64(append.start),
                ])
            guard db.changesCount == 1 else { throw try Self.lostDocument(db, documentID: append.documentID, name: append.name) }
            try db.execute(
                sql: "INSERT INTO journal (document_id, start_offset, end_offset, data) VALUES (?, ?, ?, ?)",
                arguments: [append.documentID, Int64(append.start), Int64(append.end), Data(append.frame)])
            for chunk in append.chunks {
                try RoutingChunkRecord(documentID: append.documentID, chunk: chunk).insert(db, onConflict: .replace)
            }
            try append.routes?.insert(db, onConflict: .replace)
        }
    }

    func commitSnapshot(_ snapshot: SnapshotCommit) throws -> SnapshotInfo {
        try Self.writeWithoutSync(writer) { db in
            let documentID = snapshot.documentID
            let stored = try Int64.fetchOne(db, sql: "SELECT byte_count FROM document WHERE id = ?", arguments: [documentID])
            guard stored == Int64(snapshot.byteCount) else {
                throw try Self.lostDocument(db, documentID: documentID, name: snapshot.name)
            }
            for id in snapshot.discarding {
                try db.execute(sql: "DELETE FROM snapshot WHERE id = ? AND document_id = ?", arguments: [id, documentID])
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO snapshot
                        (document_id, byte_count, token_count, state_bytes, digest, created_at, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    documentID, Int64(snapshot.byteCount), Int64(snapshot.tokenCount), snapshot.stateBytes, snapshot.digest,
                    snapshot.createdAt, Data(snapshot.blob),
                ])
            let id = db.lastInsertedRowID
            try db.execute(
                sql: """
                    DELETE FROM snapshot WHERE document_id = ?1 AND id NOT IN
                        (SELECT id FROM snapshot WHERE document_id = ?1 ORDER BY byte_count DESC LIMIT ?2)
                    """,
                arguments: [documentID, snapshot.retained])
            try db.execute(
                sql: """
                    DELETE FROM journal WHERE document_id = ?1
                        AND end_offset <= (SELECT min(byte_count) FROM snapshot WHERE document_id = ?1)
                    """,
                arguments: [documentID])
            return SnapshotInfo(
                id: id, byteCount: snapshot.byteCount, tokenCount: snapshot.tokenCount, stateBytes: snapshot.stateBytes,
                storedBytes: snapshot.blob.count, digest: snapshot.digest, createdAt: Date(timeIntervalSince1970: snapshot.createdAt))
        }
    }

    /// Runs `body` in a transaction committed with `synchronous = NORMAL`: in WAL mode the
    /// commit is atomic and survives a crash of the process, and only a power loss before the
    /// next synced commit can undo it — all of it, leaving the database as it was before.
    ///
    /// For snapshot transactions only: a snapshot acknowledges nothing (the input it covers was
    /// committed with a sync when it was appended) and a lost one is rebuilt from the snapshot
    /// before it plus the journal it would have trimmed. Appends stay `FULL`: their sync is what
    /// acknowledging means. Skipping the snapshot's fsync is most of the cost of writing 4 MiB.
    static func writeWithoutSync<T>(_ writer: any DatabaseWriter, _ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    static func lostDocument(_ db: Database, documentID: Int64, name: String) throws -> StoreError {
        MoMStore.lostDocument(name: name, exists: try DocumentRecord.fetchOne(db, key: documentID) != nil)
    }
}

/// Reads within one GRDB read transaction.
struct SQLiteReader: StoreReading {
    let db: Database

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

    func documents() throws -> [DocumentInfo] {
        try Row.fetchAll(db, sql: Self.documentQuery + " ORDER BY d.name").map(Self.documentInfo)
    }

    func document(named name: String) throws -> DocumentInfo? {
        try Row.fetchOne(db, sql: Self.documentQuery + " WHERE d.name = ?", arguments: [name]).map(Self.documentInfo)
    }

    func documentHeader(named name: String) throws -> DocumentInfo? {
        // Summing a long document's journal and routing rows took a millisecond of a cold ask.
        let query = """
            SELECT d.*, 0 AS snapshot_count, 0 AS snapshot_bytes, 0 AS journal_bytes, 0 AS routing_chunk_count
            FROM document d WHERE d.name = ?
            """
        return try Row.fetchOne(db, sql: query, arguments: [name]).map(Self.documentInfo)
    }

    func position(named name: String) throws -> DocumentPosition? {
        try Row.fetchOne(db, sql: "SELECT id, byte_count FROM document WHERE name = ?", arguments: [name]).map {
            DocumentPosition(id: $0["id"], byteCount: UInt64($0["byte_count"] as Int64))
        }
    }

    func snapshotRows(documentID: Int64) throws -> [SnapshotRow] {
        try SnapshotRow.fetchAll(
            db, sql: "SELECT \(SnapshotRow.columns) FROM snapshot WHERE document_id = ? ORDER BY byte_count DESC",
            arguments: [documentID])
    }

    func snapshotBlob(id: Int64) throws -> (any SnapshotBytes)? {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM snapshot WHERE id = ?", arguments: [id]) != nil else { return nil }
        return try SQLiteBlob(db, rowID: id)
    }

    func journal(documentID: Int64, endingAfter offset: UInt64, _ body: (JournalEntry) throws -> Bool) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT start_offset, end_offset, data FROM journal WHERE document_id = ? AND end_offset > ? ORDER BY start_offset",
            arguments: [documentID, Int64(clamping: offset)])
        while let row = try rows.next() {
            let frame = try row.withUnsafeData(named: "data") { data in data.map { [UInt8]($0) } }
            let entry = JournalEntry(
                start: UInt64(row["start_offset"] as Int64), end: UInt64(row["end_offset"] as Int64), frame: frame)
            guard try body(entry) else { return }
        }
    }

    func routingChunks(documentID: Int64, from first: UInt64, limit: Int) throws -> [RoutingChunk] {
        try RoutingChunkRecord
            .filter(Column("document_id") == documentID && Column("chunk_index") >= Int64(clamping: first))
            .order(Column("chunk_index"))
            .limit(limit)
            .fetchAll(db)
            .map { try $0.chunk() }
    }

    func tokenRoutes(documentID: Int64, endingAfter first: UInt64, _ body: (TokenRouteRecord) throws -> Bool) throws {
        let rows = try TokenRouteRecord.fetchCursor(
            db,
            sql: """
                SELECT * FROM token_route WHERE document_id = ? AND first_token + token_count > ?
                ORDER BY first_token
                """,
            arguments: [documentID, Int64(clamping: first)])
        while let row = try rows.next() {
            guard try body(row) else { return }
        }
    }
}

/// One snapshot blob opened for reading pieces of it in place (SQLite incremental blob I/O), so
/// a read touches the frames it needs and no others.
final class SQLiteBlob: SnapshotBytes {
    let handle: OpaquePointer
    let count: Int

    /// Opens the `state` blob of snapshot `rowID` for reading within the current transaction.
    init(_ db: Database, rowID: Int64) throws {
        var handle: OpaquePointer?
        let code = sqlite3_blob_open(db.sqliteConnection, "main", "snapshot", "state", rowID, 0, &handle)
        guard code == SQLITE_OK, let handle else {
            if let handle { sqlite3_blob_close(handle) }
            throw StoreError(.corruptData, "its blob cannot be opened (SQLite code \(code))")
        }
        self.handle = handle
        count = Int(sqlite3_blob_bytes(handle))
    }

    deinit { sqlite3_blob_close(handle) }

    func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + length <= count else {
            throw StoreError(.corruptData, "its frames run past the end of the blob")
        }
        return try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            let code = length == 0 ? SQLITE_OK : sqlite3_blob_read(handle, buffer.baseAddress, Int32(length), Int32(offset))
            guard code == SQLITE_OK else { throw StoreError(.database, "cannot read a snapshot blob (SQLite code \(code))") }
            initialized = length
        }
    }
}
