import ArgumentParser
import Foundation
import MoMCore
import MoMAPI
import MoMServer
import MoMStore

/// Where a command's work goes: the database itself, or the daemon that owns it.
enum Backend {
    case embedded
    case daemon(MoMClient)

    /// `MOMD_HOST` if set; else the daemon that holds the database's lock; else embedded.
    /// A command never folds a document behind a running daemon's back: on SQLite the daemon's
    /// lock sends it there, on PostgreSQL the document's lease refuses it while a daemon writes.
    static func resolve(_ store: StoreOptions) throws -> Backend {
        if let host = ProcessInfo.processInfo.environment["MOMD_HOST"], !host.isEmpty {
            do {
                return .daemon(MoMClient(address: try ServerAddress(parsing: host)))
            } catch {
                throw CommandError("MOMD_HOST: \(error)", exitCode: .usage)
            }
        }
        // A PostgreSQL store has no lock file: commands use it directly, under leases.
        if !store.isPostgres, let address = DaemonLock.runningDaemon(databasePath: store.resolvedDatabasePath) {
            return .daemon(MoMClient(address: address))
        }
        return .embedded
    }
}

extension CommandError {
    init(_ error: ClientError) {
        let status: Status
        switch error.code {
        case "unreachable": status = .unavailable
        case StoreError.Code.unknownDocument.rawValue, StoreError.Code.unknownSnapshot.rawValue: status = .noInput
        case StoreError.Code.concurrentWrite.rawValue, "ingest_in_progress": status = .temporaryFailure
        case StoreError.Code.corruptData.rawValue, StoreError.Code.notMomdDatabase.rawValue, StoreError.Code.binaryData.rawValue:
            status = .dataError
        default: status = (error.status.map { (400..<500).contains($0) } ?? false) ? .usage : .failure
        }
        self.init(error.message, exitCode: status)
    }
}

/// The async twin of `reportingErrors`, for commands that may talk to the daemon.
func reportingErrors(_ body: () async throws -> Void) async throws {
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
