import ArgumentParser
import Foundation
import MoMAPI
import MoMCore
import MoMStore
import Synchronization

/// Where a command's work goes: the database itself, or the daemon that owns it.
package enum Backend {
    case embedded
    case daemon(any DaemonConnection)

    /// `MOMD_HOST` if set; else the daemon that holds the database's lock; else embedded.
    /// A command never folds a document behind a running daemon's back: on SQLite the daemon's
    /// lock sends it there, on PostgreSQL the document's lease refuses it while a daemon writes.
    static func resolve(_ store: StoreOptions) throws -> Backend {
        let link = InstalledLink.current
        if let host = ProcessInfo.processInfo.environment["MOMD_HOST"], !host.isEmpty {
            let address: ServerAddress
            do {
                address = try ServerAddress(parsing: host)
            } catch {
                throw CommandError("MOMD_HOST: \(error)", exitCode: .usage)
            }
            return .daemon(try link.client(of: address, caCertificates: store.resolvedCACertificates))
        }
        // A PostgreSQL store has no lock file: commands use it directly, under leases.
        if store.isPostgres {
            try link.openingServerStore()
            return .embedded
        }
        if let address = DaemonLock.runningDaemon(databasePath: store.resolvedDatabasePath) {
            return .daemon(try link.client(of: address, caCertificates: store.resolvedCACertificates))
        }
        return .embedded
    }
}

/// What a command asks of the daemon it talks to (`MoMClient` in momd-server).
package protocol DaemonConnection: Sendable {
    func documents() async throws -> [DocumentSummary]
    func report(of name: String, at tokens: UInt64?) async throws -> DocumentReport
    func remove(_ name: String) async throws
    func create(_ name: String, configuration: MoMConfiguration) async throws -> DocumentSummary
    func ingest(_ name: String, offset: UInt64?, bytes: some Sequence<UInt8>, allowingBinary: Bool) async throws -> IngestResponse
    func ask(_ name: String, _ ask: AskRequest) async throws -> AskResponse
}

/// How the commands reach what the command-line binary leaves out: the daemon's HTTP client and
/// the PostgreSQL backend, whose libraries (NIO, AsyncHTTPClient, postgres-nio) double what a
/// command-line ask costs to start. momd-server links both and installs a link that uses them;
/// momd installs one that hands the whole invocation to momd-server.
package protocol ServerLink: Sendable {
    /// A client of the daemon at `address`; an `https://` one is verified against the CA
    /// certificates in the file `caCertificates` (PEM), or the system's roots when nil.
    func client(of address: ServerAddress, caCertificates: String?) throws -> any DaemonConnection
    /// Called before a command opens a `postgres://` store.
    func openingServerStore() throws
}

/// The link this process installed; until one is, commands work on SQLite files alone.
package enum InstalledLink {
    package static var current: any ServerLink { link.withLock { $0 } }

    /// Makes `link` the one commands use; the executable does this before it parses.
    package static func install(_ link: any ServerLink) {
        self.link.withLock { $0 = link }
    }

    private static let link = Mutex<any ServerLink>(NoServerLink())
}

/// The link of a process that installed none.
private struct NoServerLink: ServerLink {
    func client(of address: ServerAddress, caCertificates: String?) throws -> any DaemonConnection {
        throw CommandError("a daemon at \(address) owns the database, and this program has no client for it", exitCode: .unavailable)
    }

    func openingServerStore() throws {}
}

extension CommandError {
    init(_ error: ClientError) {
        let status: Status
        switch error.code {
        case "unreachable": status = .unavailable
        case StoreError.Code.unknownDocument.rawValue, StoreError.Code.unknownSnapshot.rawValue: status = .noInput
        case StoreError.Code.concurrentWrite.rawValue, "ingest_in_progress", StoreError.Code.leaseHeld.rawValue, StoreError.Code.leaseLost.rawValue:
            status = .temporaryFailure
        case StoreError.Code.corruptData.rawValue, StoreError.Code.notMomdDatabase.rawValue, StoreError.Code.binaryData.rawValue:
            status = .dataError
        case _ where error.status == 401 || error.status == 403: status = .noPermission
        default: status = (error.status.map { (400..<500).contains($0) } ?? false) ? .usage : .failure
        }
        self.init(error.message, exitCode: status)
    }
}

/// The async twin of `reportingErrors`, for commands that may talk to the daemon.
package func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ClientError {
        try reportingErrors { throw CommandError(error) }
    } catch {
        try reportingErrors { throw error }
    }
}
