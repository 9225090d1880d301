import ArgumentParser
import Foundation
import MoMCore
import MoMServer
import MoMStore

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer a recall question about a document from its state alone.",
        discussion: """
            The cue is the text that precedes the answer ("The pass key is"); its last words make the \
            query. The answer is decoded token by token from the memories; each token's confidence is \
            the cosine between the memory read-out and the token's code. Decoding stops at a sentence \
            end, below --min-confidence, or after --max-tokens.
            """
    )

    @Argument(help: "The document.")
    var document: String

    @Argument(parsing: .remaining, help: "The cue: words that precede the answer.")
    var cue: [String]

    @Option(help: "Tokens decoded at most.")
    var maxTokens: Int = 32

    @Option(help: "Stop before a token whose confidence is below this.")
    var minConfidence: Float = ReadOptions().minConfidence

    @Option(help: "Abstain (answer nothing, exit 3) if the first token's confidence is below this.")
    var abstainBelow: Float?

    @Option(help: "Answer from the newest kept snapshot at or before this many tokens.")
    var at: UInt64?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !cue.joined().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the cue is empty: give some words that precede the answer")
        }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            let request = AskRequest(
                cue: cue.joined(separator: " "), maxTokens: maxTokens, minConfidence: minConfidence,
                abstainBelow: abstainBelow, at: at)
            let response: AskResponse
            switch try Backend.resolve(store) {
            case .daemon(let client):
                response = try await client.ask(document, request)
            case .embedded:
                let clock = ContinuousClock()
                let started = clock.now
                let opened = try store.openStore(createIfMissing: false)
                let options = ReadOptions(maxTokens: maxTokens, minConfidence: minConfidence, abstainBelow: abstainBelow)
                // Read on demand: only the memories the cue routes to are decompressed.
                let read = try opened.read(document, at: at.map { .atOrBefore(tokens: $0) } ?? .current) { state in
                    try state.read(cue: request.cue, options: options)
                }
                printWarnings(read.warnings)
                response = AskResponse(document: document, result: read.value, stateTokens: read.tokenCount, latency: clock.now - started)
            }
            if store.json {
                try printJSON(response)
            } else if !response.abstained {
                writeStandardOutput(response.answer + "\n")
            }
            if response.abstained {
                if !store.json {
                    writeStandardError("momd: abstained: confidence \(response.confidence) is below \(abstainBelow ?? 0)\n")
                }
                throw ExitCode(3)
            }
        }
    }
}
