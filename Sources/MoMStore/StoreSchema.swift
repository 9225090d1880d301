import Foundation
import GRDB

/// The database schema: its migrations, and the checks that keep momd from touching files that
/// are not its own.
///
/// A momd database carries `PRAGMA application_id = 'momd'` and `PRAGMA user_version` = the
/// number of migrations applied; both are set by the migrations themselves, in the same
/// transaction as the tables.
public enum StoreSchema {
    /// 'momd' as a big-endian 32-bit integer.
    public static let applicationID: Int32 = 0x6D6F_6D64

    /// The schema version this momd writes: the number of migrations.
    public static var version: Int { migrations.count }

    /// Registers every migration of `migrations`, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// Throws unless the open database is a momd database this momd can use, or an empty one.
    static func checkOwnership(_ db: Database, path: String) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if applicationID == Self.applicationID {
            guard userVersion <= version else {
                throw StoreError(
                    .newerSchema,
                    "\(path) has momd schema version \(userVersion), newer than this momd's \(version): upgrade momd; the file was left untouched"
                )
            }
            return
        }
        let objects = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        guard applicationID == 0, objects == 0 else { throw notMomd(path) }
    }

    /// Checks the file at `path` before anything opens it for writing, touching nothing: a
    /// missing or empty file passes; a file that is not SQLite, another application's database,
    /// or a newer momd's is refused.
    static func probe(path: String) throws {
        try openReadOnly(path: path)?.close()
    }

    /// The file as one read-only connection, once it is known to be a momd database (or nil for
    /// a missing or empty file).
    static func openReadOnly(path: String) throws -> DatabaseQueue? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return nil }
        guard header == Data("SQLite format 3\0".utf8) else { throw notMomd(path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.label = "momd.reader"
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            do {
                try queue.read { db in try checkOwnership(db, path: path) }
                return queue
            } catch {
                try? queue.close()
                throw error
            }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw notMomd(path)
        }
    }

    static func notMomd(_ path: String) -> StoreError {
        StoreError(.notMomdDatabase, "\(path) is not a momd database: pick another file with --db or MOMD_DB; it was left untouched")
    }
}
