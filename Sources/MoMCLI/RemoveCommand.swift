import ArgumentParser
import MoMAPI
import MoMStore

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete a document with its snapshots, journal and routing history.",
        discussion: """
            Example:
              momd rm notes
            """
    )

    @Argument(help: "The document.")
    var document: String

    @OptionGroup var store: StoreOptions

    struct Result: Encodable {
        var removed: String
    }

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            switch try Backend.resolve(store) {
            case .daemon(let client): try await client.remove(document)
            case .embedded:
                let opened = try store.openStore(createIfMissing: false)
                defer { try? opened.close() }
                try opened.deleteDocument(named: document)
            }
            if store.json {
                try printJSON(Result(removed: document))
            } else {
                print("removed \(document)")
            }
        }
    }
}
