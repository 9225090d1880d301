import Testing
@testable import MoMBench
import MoMCore

/// The full-context baseline answers from every position's key, so what MoM recalls it recalls
/// too, at a cost that grows with the document.
@Suite struct FullContextBaselineTests {
    @Test func refusesEmptyDocumentsAndEmptyCues() throws {
        var baseline = try FullContextBaseline()
        #expect {
            try baseline.read(cue: "anything")
        } throws: { ($0 as? MoMError)?.code == .emptyDocument }
        baseline.fold(Array("The capital of Zorbia is Quexville.".utf8))
        #expect {
            try baseline.read(cue: " \n")
        } throws: { ($0 as? MoMError)?.code == .emptyCue }
    }

    @Test func recallsWithTheSourceSpacing() throws {
        var baseline = try FullContextBaseline()
        baseline.fold(Array("The capital of Zorbia is Quexville. Remember: the launch code is alpha-7 bravo, then rest. ".utf8))
        #expect(try baseline.read(cue: "The capital of Zorbia is").answer == "Quexville")
        let code = try baseline.read(cue: "the launch code is")
        #expect(code.answer == "alpha-7 bravo, then rest")
        #expect(code.memoriesRead.isEmpty)
        #expect(code.tokens.allSatisfy { abs($0.confidence - 1) < 1e-5 }, "an exact context scores 1")
    }

    @Test func itsBytesGrowWithTheDocument() throws {
        var baseline = try FullContextBaseline()
        baseline.fold(Array(String(repeating: "filler words here. ", count: 100).utf8))
        let small = baseline.stateBytes
        baseline.fold(Array(String(repeating: "filler words here. ", count: 100).utf8))
        #expect(baseline.tokenCount == 800)
        #expect(baseline.stateBytes > small + 800 * 4)
    }

    @Test func refusesAKeyDimensionBeyondSixteenBits() {
        var configuration = MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, routingChunkTokens: 7)
        configuration.dk = 65_537
        #expect(throws: MoMError.self) { try FullContextBaseline(configuration: configuration) }
    }

    @Test func recallsThePassKey() throws {
        var baseline = try FullContextBaseline()
        baseline.fold(Array(Passkey.haystack(tokens: 16_000, depth: 0.5, key: "27182").utf8))
        let result = try baseline.read(cue: Passkey.question)
        #expect(Passkey.firstDigits(result.answer) == "27182")
    }
}
