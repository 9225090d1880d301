import ArgumentParser
import Foundation
import MoMAPI
import MoMAsk
import MoMCore
import MoMStore

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer a question about a document from its state alone.",
        discussion: """
            Ask as people ask ("Where was Maria born?", "What is the door code?", "Tell me the door code", \
            "door code") or give the words that precede the answer ("The door code is"). The question is \
            rewritten into the statements that would precede its answer; each is read from the memories, the \
            strongest reading wins, and the span of the kind the question asks for (a number, a time, a place, \
            a name, a phrase) is printed. When nothing in the state answers, nothing is printed: one line on \
            stderr and exit 3. --json adds the continuation, the probe that matched, per-token confidence and \
            the memories read.

            Examples:
              momd ask notes "Where was Maria born?"
              momd ask notes "The door code is" --json
              momd ask notes "When does the train leave?" --abstain-below 0.5
            """
    )

    @Argument(help: "The document.")
    var document: String

    @Argument(parsing: .remaining, help: "The question, or the words that precede the answer.")
    var question: [String]

    @Option(help: "Tokens decoded at most after a probe.")
    var maxTokens: Int = AskOptions().maxTokens

    @Option(help: "Stop decoding before a token whose confidence is below this.")
    var minConfidence: Float = AskOptions().minConfidence

    @Option(help: "Answer nothing (exit 3) when the answer's confidence is below this; 0 always answers.")
    var abstainBelow: Float = AskOptions.defaultAbstainBelow

    @Option(help: "Answer from the newest kept snapshot at or before this many tokens.")
    var at: UInt64?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !question.joined().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the question is empty: ask a question or give the words that precede the answer")
        }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            let request = AskRequest(
                question: question.joined(separator: " "), maxTokens: maxTokens, minConfidence: minConfidence,
                abstainBelow: abstainBelow, at: at)
            let response: AskResponse
            switch try Backend.resolve(store) {
            case .daemon(let client):
                response = try await client.ask(document, request)
            case .embedded:
                let clock = ContinuousClock()
                let started = clock.now
                let opened = try store.openStore(createIfMissing: false, readOnly: true)
                // Read on demand: only the memories the probes route to are decompressed.
                let answerer = QuestionAnswerer(options: request.options)
                let read = try opened.read(document, at: at.map { .atOrBefore(tokens: $0) } ?? .current) { state in
                    try answerer.answer(request.question, from: state)
                }
                printWarnings(read.warnings)
                response = AskResponse(
                    document: document, question: request.question, answer: read.value, stateTokens: read.tokenCount,
                    latency: clock.now - started)
            }
            if store.json {
                try printJSON(response)
            } else if !response.abstained {
                writeStandardOutput(response.answer + "\n")
            }
            if response.abstained {
                // An answer read from evidence is judged against the evidence's threshold.
                let threshold = response.source == "evidence" ? AskOptions.defaultEvidenceAbstainBelow : abstainBelow
                if !store.json { writeStandardError("momd: no answer: \(Self.reason(response, threshold: threshold))\n") }
                throw ExitCode(3)
            }
        }
    }

    /// Why nothing was answered, in one line.
    static func reason(_ response: AskResponse, threshold: Float) -> String {
        if response.stateTokens == 0 {
            return "'\(response.document)' is empty: nothing has been folded into it yet"
        }
        if response.probesRead == 0 {
            return "the question has no words to read"
        }
        let confidence = String(format: "%.2f", response.confidence)
        if response.confidence < threshold {
            return "nothing in '\(response.document)' answers it (best confidence \(confidence), below \(threshold))"
        }
        return "what '\(response.document)' holds after the best match is not a \(response.answerType) (confidence \(confidence))"
    }
}
