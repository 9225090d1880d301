import Foundation
import Logging
import MoMCore
import MoMStore
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// Open connections to one database, reused across transactions, at most `maxOpen` at once. A
/// connection that failed is closed rather than reused.
final class PostgresConnections: Sendable {
    let url: PostgresURL
    let idle = Mutex<[PostgresConnection]>([])
    let slots = DispatchSemaphore(value: PostgresConnections.maxOpen)
    static let maxIdle = 8
    /// Connections one process opens at most: 3 daemons take 48 of PostgreSQL's default 100.
    static let maxOpen = 16
    static let nextID = Atomic<Int>(0)
    /// TLS as the URL's `sslmode` asks for it; one context for every connection.
    let tls: PostgresConnection.Configuration.TLS

    init(url: PostgresURL) throws {
        self.url = url
        tls = try Self.tls(for: url)
    }

    /// `require`: TLS, any certificate; `verify-ca`: a certificate the root certificates signed;
    /// `verify-full`: that, for the URL's host (its name, or its address). The root certificates
    /// are `sslrootcert=FILE`, else `~/.postgresql/root.crt` where libpq looks, else the system's
    /// (`sslrootcert=system` asks for them by name).
    static func tls(for url: PostgresURL, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> PostgresConnection.Configuration.TLS
    {
        guard url.sslMode != .disable else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch url.sslMode {
        case .disable: return .disable
        case .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if url.sslMode != .require {
            var root = url.rootCertificate
            if root == nil, let home = environment["HOME"], FileManager.default.fileExists(atPath: home + "/.postgresql/root.crt") {
                root = home + "/.postgresql/root.crt"
            }
            if let root, root != "system" {
                guard let data = FileManager.default.contents(atPath: root) else {
                    throw StoreError(
                        .invalidArgument,
                        "sslrootcert \(root): \(FileManager.default.fileExists(atPath: root) ? "it cannot be read" : "no such file")")
                }
                let certificates = (try? NIOSSLCertificate.fromPEMBytes([UInt8](data))) ?? []
                guard !certificates.isEmpty else { throw StoreError(.invalidArgument, "sslrootcert \(root) holds no PEM certificate") }
                configuration.trustRoots = .certificates(certificates)
            }
        }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            throw StoreError(.invalidArgument, "cannot set up TLS for \(url.redacted): \(error)")
        }
    }

    deinit { closeIdle() }

    /// Closes the connections no transaction holds.
    func closeIdle() {
        let connections = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
        }
        for connection in connections { try? connection.close().wait() }
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
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue, logger: Self.quiet
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
    /// postgres-nio's own logging, silenced: failures reach the caller as `StoreError`s.
    static let quiet: Logger = {
        var logger = Logger(label: "momd.postgres")
        logger.logLevel = .critical
        return logger
    }()
}

// MARK: Errors

/// A PostgreSQL failure, already said as the store's error.
struct PostgresStoreError: StoreErrorConvertible {
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
        if let underlying = psql.underlying, underlying is NIOSSLError || underlying is NIOSSLExtraError || underlying is BoringSSLError {
            return PostgresStoreError(storeError: StoreError(
                .unavailable,
                "\(server) refused over TLS (sslmode=\(url.sslMode.rawValue)): \(underlying); check sslrootcert= (the CA that signed the server's certificate) and that the certificate names \(url.host)"))
        }
        if psql.code == .sslUnsupported {
            return PostgresStoreError(storeError: StoreError(
                .unavailable, "\(server) does not speak TLS (sslmode=\(url.sslMode.rawValue)): turn ssl on in its postgresql.conf, or connect with sslmode=disable"))
        }
        let reason = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
        if connecting || psql.code == .connectionError || psql.code == .serverClosedConnection {
            return PostgresStoreError(storeError: StoreError(.unavailable, "cannot reach \(server): \(reason)"))
        }
        return PostgresStoreError(storeError: StoreError(.database, "\(server): \(reason)"))
    }
}
