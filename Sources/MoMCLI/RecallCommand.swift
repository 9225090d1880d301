import ArgumentParser
import Foundation
import MoMAPI
import MoMAsk
import MoMCore
import MoMStore

struct RecallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recall",
        abstract: "Print the passages a document's state holds about a question, rebuilt from memory.",
        discussion: """
            The question's content words, weighted by how rare the document makes them, address the state's \
            topic memory, which points to the sentences they occur in together; each sentence is decoded again \
            by the n-gram memories from the context it began in. Passages come best first, with how much of the \
            question each holds (support), how sure its decoding is (sureness) and the topic memory's score. The \
            text is never read again: what is printed is what the state remembers.

            Example: momd recall notes "When was the university founded?" --top 3
            """
    )

    @Argument(help: "The document.")
    var document: String

    @Argument(parsing: .remaining, help: "The question.")
    var question: [String]

    @Option(help: "Passages to print.")
    var top: Int = 3

    @Option(help: "Recall from the newest kept snapshot at or before this many tokens.")
    var at: UInt64?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !question.joined().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the question is empty: give the words to recall passages by")
        }
        guard (1...20).contains(top) else { throw ValidationError("--top must be in 1...20") }
    }

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            let request = AskRequest(question: question.joined(separator: " "), at: at, evidence: top)
            let response: AskResponse
            switch try Backend.resolve(store) {
            case .daemon(let client):
                response = try await client.ask(document, request)
            case .embedded:
                let clock = ContinuousClock()
                let started = clock.now
                let opened = try store.openStore(createIfMissing: false, readOnly: true)
                let answerer = QuestionAnswerer(options: request.options)
                let read = try opened.read(document, at: at.map { .atOrBefore(tokens: $0) } ?? .current) { state in
                    try answerer.answer(request.question, from: state)
                }
                printWarnings(read.warnings)
                response = AskResponse(
                    document: document, question: request.question, answer: read.value, stateTokens: read.tokenCount,
                    latency: clock.now - started)
            }
            let passages = response.evidence ?? []
            if store.json {
                struct Output: Encodable {
                    var document: String
                    var question: String
                    var passages: [Passage]
                }
                try printJSON(Output(document: document, question: response.question, passages: passages))
            } else {
                for (rank, passage) in passages.enumerated() {
                    let scores = String(
                        format: "support %.2f  sureness %.2f  topic %.2f  sentence %d", passage.support, passage.sureness, passage.score,
                        passage.sentence)
                    writeStandardOutput("\(rank + 1). \(passage.text)\n   \(scores)\n")
                }
            }
            if passages.isEmpty {
                if !store.json {
                    writeStandardError("momd: no passages: '\(document)' holds none of the question's words (or keeps no topic memory)\n")
                }
                throw ExitCode(3)
            }
        }
    }
}
