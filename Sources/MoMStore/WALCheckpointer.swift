import Foundation
import GRDBSQLite
import Synchronization

/// Copies a database's write-ahead log back into the file on a thread of its own, so that no
/// commit waits for it.
///
/// SQLite's own rule (`wal_autocheckpoint`) runs the checkpoint inside the commit that crosses
/// the threshold: with 4 MiB snapshots and a 16 MiB log, one save in four took twice as long as
/// the others. This keeps the threshold
/// and moves the work: the writer's commit hook only notices the log's length, and a passive
/// checkpoint runs on a separate connection, which SQLite lets proceed beside readers and the
/// next writer. A checkpoint is SQLite's own crash-safe operation; stopping the process halfway
/// through one loses nothing, and the log is replayed on the next open.
final class WALCheckpointer: Sendable {
    let path: String
    /// Log bytes after which a checkpoint is started.
    let thresholdBytes: Int
    /// `thresholdBytes` in the file's pages, set as connections are opened.
    private let thresholdPages = Atomic<Int32>(Int32.max)
    private let queue = DispatchQueue(label: "momd.checkpoint", qos: .utility)
    /// Whether a checkpoint is scheduled or under way.
    private let running = Mutex(false)
    private let completed = Atomic<Int>(0)
    /// The checkpoint's own connection, opened on first use; touched only on `queue`.
    nonisolated(unsafe) private var connection: OpaquePointer?
    /// Set by `close()`: no checkpoint starts after it.
    private let closed = Atomic<Bool>(false)

    init(path: String, thresholdBytes: Int) {
        self.path = path
        self.thresholdBytes = thresholdBytes
    }

    // No checkpoint can be pending here: each one holds the checkpointer until it ends.
    deinit { sqlite3_close_v2(connection) }

    /// Checkpoints run so far (for tests).
    var completedCheckpoints: Int { completed.load(ordering: .relaxed) }

    /// Installs the commit hook on a connection of the pool, in place of SQLite's own
    /// automatic checkpoint (the two share one hook).
    func install(on connection: OpaquePointer?, pageSize: Int) {
        thresholdPages.store(Int32(clamping: max(1, thresholdBytes / max(1, pageSize))), ordering: .relaxed)
        sqlite3_wal_hook(connection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// How many thresholds of log the background may fall behind before a commit catches up.
    static let catchUpFactor: Int32 = 4

    /// Called after each commit with the log's length in pages, on the committing connection.
    fileprivate func committed(logPages: Int32, connection: OpaquePointer?) {
        let threshold = thresholdPages.load(ordering: .relaxed)
        guard logPages >= threshold, !closed.load(ordering: .relaxed) else { return }
        guard logPages / Self.catchUpFactor >= threshold else {
            let start = running.withLock { running in
                guard !running else { return false }
                running = true
                return true
            }
            if start { queue.async { self.checkpoint() } }
            return
        }
        // Only a writer that starts after everything is copied can restart the log, so
        // back-to-back commits that outrun the background keep it growing. The commit that finds
        // it this long catches up, as SQLite's own rule would: it waits for a checkpoint under
        // way and copies what came after, and the next writer starts the log afresh.
        drain()
        if sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
            completed.add(1, ordering: .relaxed)
        }
    }

    /// Waits for a checkpoint that is under way.
    func drain() { queue.sync {} }

    /// Waits for a checkpoint under way and closes the checkpoint's connection; none starts
    /// after. Called when the pool closes (`SQLiteBackend.close()`).
    func close() {
        closed.store(true, ordering: .relaxed)
        queue.sync {
            sqlite3_close_v2(connection)
            connection = nil
        }
    }

    private func checkpoint() {
        // A commit after this one that finds the log past the threshold starts the next.
        defer { running.withLock { $0 = false } }
        guard !closed.load(ordering: .relaxed) else { return }
        if connection == nil {
            var opened: OpaquePointer?
            // A connection learns the file is in WAL mode from its first read; until then a
            // checkpoint does nothing.
            guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
                sqlite3_exec(opened, "SELECT count(*) FROM sqlite_schema", nil, nil, nil) == SQLITE_OK
            else {
                sqlite3_close_v2(opened)
                return
            }
            connection = opened
        }
        // Busy (another checkpoint, or the file being closed) means the next threshold retries.
        if sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
            completed.add(1, ordering: .relaxed)
        }
    }
}

private func walHook(context: UnsafeMutableRawPointer?, connection: OpaquePointer?, name: UnsafePointer<CChar>?, pages: Int32) -> Int32 {
    guard let context else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(logPages: pages, connection: connection)
    return SQLITE_OK
}
