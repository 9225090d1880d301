import ArgumentParser
import Foundation
import MoMStore

/// Options every command that opens the database shares.
package struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "The database: an SQLite file, or a PostgreSQL URL postgres://user:password@host:port/database (default: $MOMD_DB, else $XDG_DATA_HOME/momd/momd.sqlite, else ~/.local/share/momd/momd.sqlite).",
            valueName: "path-or-url"))
    package var databasePath: String?

    @Option(
        name: .customLong("state-cache"),
        help: ArgumentHelp(
            "Where asks keep decoded states of documents not in memory, so that the next ask reads one file instead of decompressing a snapshot; 'off' keeps none (default: $MOMD_STATE_CACHE, else $XDG_CACHE_HOME/momd/states, else ~/.cache/momd/states; at most 1 GiB, least recently used first out).",
            valueName: "directory"))
    package var stateCache: String?

    @Option(
        name: .customLong("cacert"),
        help: ArgumentHelp(
            "CA certificates (PEM) to verify an https:// daemon against instead of the system's roots: the one MOMD_HOST names or the database's daemon, or for serve the daemons it forwards to (default: $MOMD_CACERT).",
            valueName: "file"))
    package var caCertificates: String?

    @Option(
        name: .customLong("db-password-file"),
        help: ArgumentHelp(
            "A file whose first line is the PostgreSQL password, for a --db URL without one (else PGPASSFILE's matching line, as libpq reads it; ~/.pgpass when unset).",
            valueName: "file"))
    package var databasePasswordFile: String?

    @Flag(help: "Print the result as JSON.")
    package var json = false

    package init() {}

    /// --db, else MOMD_DB, else the XDG data directory; always absolute (a relative name is taken
    /// from the current directory), so the daemon's lock and socket name one file wherever the
    /// next command runs.
    package var resolvedDatabasePath: String {
        if let databasePath { return Self.absolute(databasePath) }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MOMD_DB"], !path.isEmpty { return Self.absolute(path) }
        return Self.defaultPath(environment)
    }

    /// --cacert, else MOMD_CACERT; nil: the system's roots.
    package var resolvedCACertificates: String? {
        if let caCertificates, !caCertificates.isEmpty { return caCertificates }
        if let file = ProcessInfo.processInfo.environment["MOMD_CACERT"], !file.isEmpty { return file }
        return nil
    }

    /// Whether the database is a PostgreSQL server rather than a file.
    package var isPostgres: Bool { PostgresURL.isPostgres(resolvedDatabasePath) }

    package static func defaultPath(_ environment: [String: String]) -> String {
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            dataHome = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        }
        return dataHome + "/momd/momd.sqlite"
    }

    package static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") || PostgresURL.isPostgres(path) { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }

    /// --state-cache, else MOMD_STATE_CACHE, else the XDG cache directory; nil for 'off'.
    package var resolvedStateCache: StateImageCache? {
        let environment = ProcessInfo.processInfo.environment
        let directory = stateCache ?? environment["MOMD_STATE_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        if directory == "off" { return nil }
        return StateImageCache(directory: directory.map(Self.absolute) ?? StateImageCache.defaultDirectory(environment))
    }

    /// Opens the store; creates the file (and the default directory) only if asked.
    /// - Parameter readOnly: for commands that only read (`MoMStore.open(path:createIfMissing:readOnly:)`).
    package func openStore(createIfMissing: Bool, readOnly: Bool = false) throws -> MoMStore {
        var store = try openDatabase(createIfMissing: createIfMissing, readOnly: readOnly)
        store.imageCache = resolvedStateCache
        return store
    }

    private func openDatabase(createIfMissing: Bool, readOnly: Bool) throws -> MoMStore {
        let path = resolvedDatabasePath
        if isPostgres { return try MoMStore.open(location: path, passwordFile: databasePasswordFile) }
        if createIfMissing && databasePath == nil {
            let directory = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CommandError("cannot create \(directory): \(error.localizedDescription)", exitCode: .ioError)
            }
        }
        return try MoMStore.open(path: path, createIfMissing: createIfMissing, readOnly: readOnly)
    }
}
