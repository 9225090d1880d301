import Foundation
import MoMBench
import MoMCore
import Testing

@testable import MoMAsk

/// The question layer answers questions in other words than the stored sentence, gives the span
/// that answers, and abstains when the state holds no answer.
/// MoM and the full-context baseline, each with `text` folded in.
func recallSystems(folding text: String) throws -> [any RecallSystem] {
    var mom = try MoMState()
    mom.fold(text)
    var baseline = try FullContextBaseline()
    baseline.fold(Array(text.utf8))
    return [mom, baseline]
}

@Suite struct QuestionAnswererTests {
    static let facts = """
        The old house stood at the end of the lane, and nobody had lived in it for years. Maria was born in Lisbon in 1984. \
        The rain came down on the roofs of the town all through the night. The garage door code is 4711. \
        A dog barked somewhere beyond the hill while the lamps went out one by one. The train to Porto leaves at 7:45 every morning. \
        Jonas has 12 goats on the farm. The Silver Orchard was written by Ingrid Holm. The capital of Zorbia is Quexville. \
        Everyone agreed that the winter had been long and the spring was late.

        """

    static func systems() throws -> [any RecallSystem] { try recallSystems(folding: facts) }

    @Test(arguments: [
        ("Where was Maria born?", "Lisbon"),
        ("When was Maria born?", "1984"),
        ("What is the code for the garage door?", "4711"),
        ("garage door code", "4711"),
        ("Tell me the garage door code.", "4711"),
        ("The garage door code is", "4711"),
        ("When does the train to Porto leave?", "7:45"),
        ("How many goats does Jonas have?", "12"),
        ("Who wrote The Silver Orchard?", "Ingrid Holm"),
        ("What is the capital of Zorbia?", "Quexville"),
    ])
    func answersTheSpan(question: String, expected: String) throws {
        for system in try Self.systems() {
            let answer = try QuestionAnswerer().answer(question, from: system)
            #expect(!answer.abstained, "\(question) abstained at \(answer.confidence)")
            #expect(answer.answer == expected, "\(question) → \(answer.answer) (\(answer.continuation))")
        }
    }

    @Test(arguments: ["Where was Tomas born?", "What is the password for the bank account?", "How old is Jonas?", "What is the capital of Quelland?"])
    func abstainsWhenNothingAnswers(question: String) throws {
        for system in try Self.systems() {
            let answer = try QuestionAnswerer().answer(question, from: system)
            #expect(answer.abstained, "\(question) answered \(answer.answer) at \(answer.confidence)")
            #expect(answer.answer.isEmpty)
        }
    }

    /// Facts stated as sentences of their own: what precedes each answer starts with the end of
    /// the sentence before, which no question knows.
    static let openings = """
        The fog lifted late over the harbour. Oskar has 6 chickens on the farm. Nobody came to the door that evening. \
        Selma is 41 years old. The lamps along the quay were lit one by one. Gideon was born in Valencia. It rained again.

        """

    @Test func aStatementThatOpensASentenceIsAnswered() throws {
        for system in try recallSystems(folding: Self.openings) {
            for (question, expected) in [("How many chickens does Oskar have?", "6"), ("How old is Selma?", "41")] {
                let answer = try QuestionAnswerer().answer(question, from: system)
                #expect(!answer.abstained, "\(question) abstained at \(answer.confidence)")
                #expect(answer.answer == expected, "\(question) → \(answer.answer) (\(answer.continuation))")
                #expect(answer.probe?.cue.hasPrefix(". ") == true, "\(question) won with \(String(describing: answer.probe))")
            }
            // A fragment of the question ("Gideon was") reads what else the document says of its
            // subject; it does not earn the lift a whole statement does.
            let fragment = try QuestionAnswerer().answer("On which day is the meeting with Gideon?", from: system)
            #expect(fragment.abstained, "answered \(fragment.answer) at \(fragment.confidence)")
        }
    }

    @Test func nothingToReadAbstainsAndTooLongIsRefused() throws {
        let state = try #require(try Self.systems().first)
        for question in ["...", "?", "  ", "¿¡"] {
            let answer = try QuestionAnswerer().answer(question, from: state)
            #expect(answer.abstained && answer.probesRead == 0)
        }
        #expect {
            try QuestionAnswerer().answer(String(repeating: "word ", count: 300_000), from: state)
        } throws: { ($0 as? MoMError)?.code == .invalidQuestion }
    }

    /// A question may ask with another verb than the statement: "have" for "owns", "leave" for
    /// "departs".
    @Test(arguments: [
        ("How many goats does Emil have?", "6"),
        ("When does the last bus to Galway leave?", "9:20"),
        ("When did the concert begin?", "8:15"),
    ])
    func askingWithAnotherVerbFindsTheStatement(question: String, expected: String) throws {
        let text = """
            The wind had turned by noon and the boats stayed in. Emil owns 6 goats. The river rose all week. \
            The last bus to Galway departs at 9:20. Nobody spoke at dinner. The concert started at 8:15 sharp. It rained.

            """
        for system in try recallSystems(folding: text) {
            let answer = try QuestionAnswerer().answer(question, from: system)
            #expect(!answer.abstained && answer.answer == expected, "\(question) → \(answer.answer) at \(answer.confidence)")
        }
    }

    @Test func anEmptyDocumentAbstains() throws {
        let systems: [any RecallSystem] = [try MoMState(), try FullContextBaseline()]
        for system in systems {
            let answer = try QuestionAnswerer().answer("What is the pass key?", from: system)
            #expect(answer.abstained && answer.answer.isEmpty && answer.probesRead == 0)
        }
    }

    @Test func otherScriptsAreReadNotRefused() throws {
        var state = try MoMState()
        state.fold("Η πόρτα του κήπου έχει κωδικό 4711. 門の番号は 8812 です。 Then nothing more. ")
        let answer = try QuestionAnswerer().answer("Η πόρτα του κήπου έχει κωδικό", from: state)
        #expect(answer.answer == "4711")
        // Scripts written without spaces are one token a run: a run alone is a short match for a
        // probe, but the sentence that holds the whole run answers from evidence (the reader's
        // span runs to the clause's end: "8812 です").
        let other = try QuestionAnswerer().answer("門の番号は", from: state)
        #expect(other.source == "evidence" && other.answer.hasPrefix("8812") && other.reading?.support == 1)
        // A question in a script the document never used reads nothing.
        #expect(try QuestionAnswerer().answer("Где родилась Мария?", from: state).abstained)
    }

    @Test func askingNeverChangesTheState() throws {
        var state = try MoMState()
        state.fold(Self.facts)
        let before = state.digest
        _ = try QuestionAnswerer().answer("Where was Maria born?", from: state)
        _ = try QuestionAnswerer().answer("What is the capital of Quelland?", from: state)
        #expect(state.digest == before)
    }
}

/// The answerer decodes a candidate only as far as its span needs and skips candidates that
/// cannot win; a plain answerer that decodes every candidate in full answers the same, field for
/// field.
@Suite struct QuestionAnswererPruningTests {
    static let prose: [String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/prose/devils-dictionary.txt")
        return Passkey.sentences(fromProse: (try? String(contentsOf: url, encoding: .utf8)) ?? "")
    }()

    /// A system that counts the tokens its reads decode.
    final class Counting<System: RecallSystem>: RecallSystem {
        let system: System
        var decoded = 0
        init(_ system: System) { self.system = system }

        func read(cue: String, options: ReadOptions) throws -> ReadResult {
            let result = try system.read(cue: cue, options: options)
            decoded += result.tokens.count
            return result
        }
        func read(continuing result: ReadResult, cue: String, options: ReadOptions) throws -> ReadResult {
            let continued = try system.read(continuing: result, cue: cue, options: options)
            decoded += continued.tokens.count - result.tokens.count
            return continued
        }
        func strongestFirstTokens(of cues: [String], limit: Int) throws -> [(cue: Int, token: ReadToken)] {
            try system.strongestFirstTokens(of: cues, limit: limit)
        }
        func evidenceScale(of cue: String) throws -> Float { try system.evidenceScale(of: cue) }
        var tokenCount: UInt64 { system.tokenCount }
    }

    @Test(arguments: [QATask.natural, .sniah2, .sniah3, .mqniah])
    func prunedAnswersEqualFullDecoding(task: QATask) throws {
        #expect(Self.prose.count > 1000)
        let generator = QATaskGenerator(prose: Self.prose)
        var total = (answered: 0, pruned: 0, plain: 0)
        for seed in UInt64(1)...2 {
            let document = generator.document(task, tokens: 6 << 10, seed: seed)
            var mom = try MoMState()
            mom.fold(document.text)
            var baseline = try FullContextBaseline()
            baseline.fold(Array(document.text.utf8))
            for counts in [try Self.compare(document.questions.map(\.text), on: mom), try Self.compare(document.questions.map(\.text), on: baseline)] {
                total = (total.answered + counts.answered, total.pruned + counts.pruned, total.plain + counts.plain)
            }
        }
        // Not a comparison of two abstentions only; never more decoding than the plain search.
        #expect(total.answered > 0)
        #expect(total.pruned <= total.plain)
    }

    /// A state too small for its document reads noise after each probe: that is where settling
    /// early saves decoding.
    @Test func aNoisyStateDecodesLess() throws {
        let document = QATaskGenerator(prose: Self.prose).document(.natural, tokens: 6 << 10, seed: 3)
        var mom = try MoMState(configuration: MoMConfiguration(memories: 4, dk: 1024))
        mom.fold(document.text)
        let counts = try Self.compare(document.questions.map(\.text), on: mom)
        #expect(counts.pruned * 3 < counts.plain * 2, "\(counts)")  // a third less at least (half, measured)
    }

    /// Asks every question with the pruned and the plain answerer, expecting equal answers, and
    /// returns how many were answered and the tokens each decoded.
    static func compare(_ questions: [String], on system: some RecallSystem) throws -> (answered: Int, pruned: Int, plain: Int) {
        var plain = QuestionAnswerer()
        plain.decodesEveryCandidateInFull = true
        var counts = (answered: 0, pruned: 0, plain: 0)
        for question in questions {
            let (pruned, full) = (Counting(system), Counting(system))
            let answer = try QuestionAnswerer().answer(question, from: pruned)
            #expect(answer == (try plain.answer(question, from: full)), "\(question)")
            if !answer.abstained { counts.answered += 1 }
            counts.pruned += pruned.decoded
            counts.plain += full.decoded
        }
        return counts
    }
}
