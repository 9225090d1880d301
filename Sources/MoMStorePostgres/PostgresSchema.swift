import Foundation
import MoMCore
import MoMStore
import PostgresNIO

/// The PostgreSQL schema: its migrations (schemas/postgres/), and the checks that keep momd from
/// touching a database that is not its own.
///
/// A momd database holds `momd_schema (application = 'momd', version)`; version is the number
/// of migrations applied, raised by each migration in the same transaction as its tables.
public enum PostgresSchema {
    /// The schema version this momd writes: the number of migrations.
    public static var version: Int { migrations.count }

    /// Every migration in order: the identifier is the file name in schemas/postgres/.
    public static let migrations: [(identifier: String, sql: String)] = [
        ("0001_initial.sql", migration0001),
    ]

    /// Serialises momd's migrations across daemons: 'momd' as a big-endian 32-bit integer.
    static let advisoryLock: Int64 = 0x6D6F_6D64

    /// Within a transaction: refuses a database that holds other tables than momd's, or a newer
    /// momd's schema, touching nothing; then applies the migrations it lacks.
    static func prepare(_ connection: PostgresConnection, url: PostgresURL) throws {
        try connection.run("SELECT pg_advisory_xact_lock(\(advisoryLock))")
        let marked = try connection.run("SELECT to_regclass('momd_schema') IS NOT NULL").first?.decode(Bool.self) ?? false
        var applied = 0
        if marked {
            let rows = try connection.run("SELECT version FROM momd_schema WHERE application = 'momd'")
            guard let row = rows.first else { throw notMomd(url) }
            applied = Int(try row.decode(Int32.self))
            guard applied <= version else {
                throw StoreError(
                    .newerSchema,
                    "\(url.redacted) has momd schema version \(applied), newer than this momd's \(version): upgrade momd; the database was left untouched"
                )
            }
        } else {
            let tables = try connection.run(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'S', 'p')"
            ).first?.decode(Int64.self) ?? 0
            guard tables == 0 else { throw notMomd(url) }
        }
        for migration in migrations.dropFirst(applied) {
            for statement in statements(of: migration.sql) {
                try connection.run(PostgresQuery(unsafeSQL: statement))
            }
        }
    }

    /// The statements of a migration file, one by one (the extended query protocol takes one at
    /// a time): comments dropped, split at semicolons, which momd's migrations use nowhere else.
    static func statements(of sql: String) -> [String] {
        let code = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.range(of: "--").map { line[..<$0.lowerBound] } ?? line
        }.joined(separator: "\n")
        return code.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    static func notMomd(_ url: PostgresURL) -> StoreError {
        StoreError(
            .notMomdDatabase,
            "\(url.redacted) holds another application's tables, not a momd database: point --db at an empty database; it was left untouched")
    }
}
