import Foundation

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
