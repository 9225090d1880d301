import ArgumentParser
import MoMStore

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete a document with its snapshots, journal and routing history."
    )

    @Argument(help: "The document.")
    var document: String

    @OptionGroup var store: StoreOptions

    struct Result: Encodable {
        var removed: String
    }

    func run() throws {
        try reportingErrors {
            try DocumentName.validate(document)
            try store.openStore(createIfMissing: false).deleteDocument(named: document)
            if store.json {
                try printJSON(Result(removed: document))
            } else {
                print("removed \(document)")
            }
        }
    }
}
