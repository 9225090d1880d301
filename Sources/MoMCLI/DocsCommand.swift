import ArgumentParser
import Foundation
import MoMAPI
import MoMStore

struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "List the documents with their tokens, bytes, snapshots and stored size.",
        discussion: """
            Examples:
              momd docs
              momd docs --json --db postgres://momd@db.internal:5432/momd
            """
    )

    @OptionGroup var store: StoreOptions

    struct Entry: Encodable {
        var document: String
        var tokens: UInt64
        var bytes: UInt64
        var snapshots: Int
        var storedBytes: Int64
        var fingerprint: String
        var updatedAt: Date
    }

    func run() async throws {
        try await reportingErrors {
            let summaries: [DocumentSummary]
            switch try Backend.resolve(store) {
            case .daemon(let client):
                summaries = try await client.documents()
            case .embedded:
                let path = store.resolvedDatabasePath
                summaries = store.isPostgres || FileManager.default.fileExists(atPath: path)
                    ? try store.openStore(createIfMissing: false, readOnly: true).documents().map(DocumentSummary.init) : []
            }
            let entries = summaries.map {
                Entry(
                    document: $0.name, tokens: $0.tokens, bytes: $0.bytes, snapshots: $0.snapshots,
                    storedBytes: $0.storedBytes, fingerprint: $0.fingerprint, updatedAt: $0.updatedAt)
            }
            if store.json {
                try printJSON(entries)
            } else {
                for entry in entries {
                    print(
                        "\(entry.document)\t\(entry.tokens) tokens\t\(entry.bytes) bytes\t\(entry.snapshots) snapshots\t\(formatBytes(entry.storedBytes)) stored"
                    )
                }
            }
        }
    }
}
