import ArgumentParser
import Foundation
import MoMAPI
import MoMCore
import MoMStore

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a document: tokens and bytes folded, state size, snapshots, memory load and the state's digest.",
        discussion: """
            Examples:
              momd show notes
              momd show notes --at 16384 --json
            """
    )

    @Argument(help: "The document.")
    var document: String

    @Option(help: "Show the newest kept snapshot at or before this many tokens instead of the current state.")
    var at: UInt64?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            let report: DocumentReport
            switch try Backend.resolve(store) {
            case .daemon(let client):
                report = try await client.report(of: document, at: at)
            case .embedded:
                report = try store.openStore(createIfMissing: false, readOnly: true)
                    .report(of: document, at: at.map { .atOrBefore(tokens: $0) } ?? .current)
            }
            printWarnings(report.warnings.map(StoreWarning.init))
            if store.json {
                try printJSON(report)
            } else {
                print(Self.text(report))
            }
        }
    }

    static func text(_ report: DocumentReport) -> String {
        let total = max(report.memoryLoad.reduce(0, +), 1)
        let load = report.memoryLoad.enumerated().map { memory, writes in
            let share = Double(writes) / Double(total)
            let bar = String(repeating: "█", count: Int((share * 100).rounded()))
            return String(format: "  %3d %5.1f%% ", memory, share * 100) + bar
        }
        let snapshots = report.snapshotList.map { snapshot in
            "  #\(snapshot.id)  token \(snapshot.tokenCount)  byte \(snapshot.byteCount)  \(formatBytes(snapshot.storedBytes))"
                + (snapshot.id == report.restoredFrom ? "  (restored from)" : "")
        }
        var lines = [
            "document     \(report.document)",
            "tokens       \(report.tokens)",
            "bytes        \(report.bytes)",
            "state        \(formatBytes(report.stateBytes)), digest \(report.digest)",
            "vocabulary   \(report.vocabulary) forms",
            "stored       \(formatBytes(report.storedBytes)): \(report.snapshots) snapshots (\(formatBytes(report.snapshotBytes))), journal \(formatBytes(report.journalBytes))",
            "routing      \(report.routingChunks) chunks of \(report.configuration.routingChunkTokens) tokens",
            "config       \(report.fingerprint): N=\(report.configuration.memories) top-k=\(report.configuration.topK) dk=\(report.configuration.dk) dv=\(report.configuration.dv) rows=\(report.configuration.rowFormat.rawValue) ties=\(report.configuration.tieBreak.rawValue) numbers=\(report.configuration.numberKeys.rawValue)",
        ]
        if let lease = report.lease {
            let left = lease.expiresAt.timeIntervalSinceNow
            let state = left > 0 ? String(format: "held for %.1f s more", left) : "lapsed (free to take)"
            let place = lease.address.isEmpty ? "" : " at \(lease.address)"
            lines.append("lease        \(lease.owner)\(place), \(lease.fence), \(state)")
        }
        lines.append("snapshots")
        lines += snapshots
        let idle = report.memoryLoad.filter { $0 == 0 }.count
        let balance = report.loadImbalance.map { String(format: "busiest/quietest %.2f×", $0) }
            ?? (report.tokens == 0 ? "nothing folded" : "busiest/quietest ∞: \(idle) of \(report.memoryLoad.count) memories took no write")
        lines.append("memory load (share of writes; \(balance))")
        lines += load
        return lines.joined(separator: "\n")
    }
}
