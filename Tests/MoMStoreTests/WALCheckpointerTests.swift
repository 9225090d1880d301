import Foundation
import GRDB
import Testing

@testable import MoMStore

/// Checkpoints run beside the writer, and the write-ahead log stays bounded even when commits
/// come back to back.
@Suite struct WALCheckpointerTests {
    static let blobBytes = 256 << 10

    /// A pool on a new file with 64 KiB pages whose commits report to `checkpointer`.
    func makePool(threshold: Int) throws -> (pool: DatabasePool, checkpointer: WALCheckpointer, path: String) {
        let path = try temporaryDirectory().appendingPathComponent("wal.sqlite").path
        try SQLiteBackend.createWithLargePages(path: path)
        let checkpointer = WALCheckpointer(path: path, thresholdBytes: threshold)
        var configuration = Configuration()
        configuration.prepareDatabase { db in checkpointer.install(on: db.sqliteConnection, pageSize: SQLiteBackend.pageSize) }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in try db.execute(sql: "CREATE TABLE piece (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
        return (pool, checkpointer, path)
    }

    func logBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]) as? Int) ?? 0
    }

    @Test func backToBackCommitsKeepTheLogNearItsThreshold() throws {
        let threshold = 1 << 20
        let (pool, checkpointer, path) = try makePool(threshold: threshold)
        var largestLog = 0
        // 256 commits of 256 KiB: 64 MiB through a log that checkpoints every 1 MiB. Without
        // checkpoints the log would hold all of it; SQLite's own rule would keep it near 1 MiB.
        for index in 0..<256 {
            let blob = Data(repeating: UInt8(index), count: Self.blobBytes)
            try pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO piece VALUES (?, ?)", arguments: [index % 4, blob])
            }
            largestLog = max(largestLog, logBytes(path))
        }
        checkpointer.drain()
        #expect(checkpointer.completedCheckpoints >= 16)
        // At most the catch-up bound and the commit that crossed it (four 64 KiB pages of blob and
        // a few of b-tree, each with its frame header), however slowly the background runs.
        let bound = Int(WALCheckpointer.catchUpFactor) * threshold + Self.blobBytes + 8 * 65_560
        #expect(largestLog > 0 && largestLog <= bound, "the log reached \(largestLog) bytes")
        let rows = try pool.read { db in try Row.fetchAll(db, sql: "SELECT id, data FROM piece ORDER BY id") }
        #expect(rows.map { $0["id"] as Int } == [0, 1, 2, 3])
        for (id, row) in rows.enumerated() {
            #expect(row["data"] as Data == Data(repeating: UInt8(252 + id), count: Self.blobBytes))
        }
    }

    @Test func aCheckpointedFileReopensWithEveryCommit() throws {
        let (pool, checkpointer, path) = try makePool(threshold: 512 << 10)
        for index in 0..<24 {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO piece VALUES (?, ?)", arguments: [index, Data(repeating: UInt8(index), count: Self.blobBytes)])
            }
        }
        checkpointer.drain()
        #expect(checkpointer.completedCheckpoints > 0)
        let reopened = try DatabaseQueue(path: path)
        let sizes = try reopened.read { db in try Int.fetchAll(db, sql: "SELECT length(data) FROM piece ORDER BY id") }
        #expect(sizes == Array(repeating: Self.blobBytes, count: 24))
        _ = pool
    }

    @Test func aStoreOnAFileCheckpointsOffTheWritePath() throws {
        let path = try temporaryDirectory().appendingPathComponent("notes.sqlite").path
        let backend = try SQLiteBackend(path: path)
        let pageSize = try backend.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") }
        #expect(pageSize == SQLiteBackend.pageSize)
        // SQLite's own rule is off: the pool's hook replaces it.
        let automatic = try backend.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(automatic == 0)
        // Statement journals in memory (2), on the writer and on readers: a snapshot's commit
        // creates no temporary file.
        #expect(try backend.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)
        #expect(try backend.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)
    }

    @Test func closingAStoreAfterACheckpointLeavesNoLog() throws {
        let path = try temporaryDirectory().appendingPathComponent("closed.sqlite").path
        let backend = try SQLiteBackend(path: path, checkpointBytes: 512 << 10)
        try backend.writer.write { db in try db.execute(sql: "CREATE TABLE piece (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
        for index in 0..<12 {
            try backend.writer.write { db in
                try db.execute(
                    sql: "INSERT INTO piece VALUES (?, ?)", arguments: [index, Data(repeating: UInt8(index), count: Self.blobBytes)])
            }
        }
        let checkpointer = try #require(backend.checkpointer)
        checkpointer.drain()
        #expect(checkpointer.completedCheckpoints > 0)
        #expect(logBytes(path) > 0)
        // A pool's close alone leaves the log full (its last connection is a read-only reader).
        try backend.close()
        #expect(logBytes(path) == 0)
        let reopened = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let sizes = try reopened.read { db in try Int.fetchAll(db, sql: "SELECT length(data) FROM piece ORDER BY id") }
        #expect(sizes == Array(repeating: Self.blobBytes, count: 12))
    }
}
