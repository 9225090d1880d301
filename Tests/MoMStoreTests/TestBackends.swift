import Foundation
import MoMStorePostgres
import Testing

@testable import MoMStore

/// The two store backends the contract tests run on.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, empty store of one backend: an SQLite file in a scratch directory, or a new database
/// on the test PostgreSQL server (`TestPostgres`). `location` is what `MoMStore.open(location:)`
/// takes to open it again, as another process would.
struct TestStore {
    let kind: BackendKind
    let location: String
    let store: MoMStore

    init(_ kind: BackendKind) throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            location = try temporaryDirectory().appendingPathComponent("momd.sqlite").path
        case .postgres:
            location = try TestPostgres.createDatabase()
        }
        store = try MoMStore.open(location: location)
    }

    /// The same database opened again (a new pool of connections, as another process has).
    func reopened() throws -> MoMStore { try MoMStore.open(location: location) }

    /// Runs one SQL statement on the database, outside momd, for tests that inspect or damage
    /// rows; the result rows as text, one line each, columns split by '|'.
    @discardableResult
    func execute(_ sql: String) throws -> [String] {
        switch kind {
        case .sqlite: return try run("sqlite3", [location, sql])
        case .postgres: return try run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", location, "-c", sql])
        }
    }
}

/// The PostgreSQL server the tests use: `MOMD_TEST_POSTGRES` (a URL of a database on it whose
/// role may create databases), else the private loopback server `scripts/postgres.sh start`
/// runs (started here if it is not running; `scripts/test.sh` stops it after the suite).
enum TestPostgres {
    static let serverURL: Result<String, any Error> = Result {
        PostgresStore.register()
        if let url = ProcessInfo.processInfo.environment["MOMD_TEST_POSTGRES"], !url.isEmpty { return url }
        let lines = try run("bash", [repositoryRoot.appendingPathComponent("scripts/postgres.sh").path, "start"])
        guard let url = lines.last, PostgresURL.isPostgres(url) else {
            throw TestSetupError("scripts/postgres.sh start printed no URL: \(lines)")
        }
        return url
    }

    /// A new empty database on the server; returns its URL.
    static func createDatabase() throws -> String {
        let server = try serverURL.get()
        let name = "momd_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", server, "-c", "CREATE DATABASE \(name)"])
        return try url(server, database: name)
    }

    /// `server` with another database name.
    static func url(_ server: String, database: String) throws -> String {
        guard var components = URLComponents(string: server) else { throw TestSetupError("bad URL \(server)") }
        components.path = "/" + database
        return components.string!
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program from PATH; its standard output as lines. Throws with its standard error if it
/// fails.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestSetupError("\(program) failed (\(process.terminationStatus)): \(String(decoding: errorData, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}
