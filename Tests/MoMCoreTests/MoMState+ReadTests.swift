import Testing
@testable import MoMCore

/// Reading a document back from its state alone: cue → query → routed memories → nearest value.
@Suite struct MoMStateReadTests {
    private func state(_ text: String, _ configuration: MoMConfiguration = .default) throws -> MoMState {
        var state = try MoMState(configuration: configuration)
        state.fold(text)
        return state
    }

    private func expectError(_ code: MoMError.Code, _ body: () throws -> Void) {
        #expect {
            try body()
        } throws: { ($0 as? MoMError)?.code == code }
    }

    @Test func anEmptyDocumentCannotBeRead() throws {
        let empty = try MoMState()
        expectError(.emptyDocument) { _ = try empty.read(cue: "The capital of Zorbia is") }
        // A word still open in the carry has not been folded yet.
        let open = try state("Zorbia")
        #expect(open.tokenCount == 0)
        expectError(.emptyDocument) { _ = try open.read(cue: "Zorbia") }
    }

    @Test(arguments: ["", "   ", "\n\t \r\n", "\u{0}\u{7}", "\u{00A0}\u{3000}"])
    func aCueWithoutTokensIsRefused(cue: String) throws {
        let document = try state("The capital of Zorbia is Quexville.")
        expectError(.emptyCue) { _ = try document.read(cue: cue) }
    }

    @Test func recallsTheWordThatFollowedTheCue() throws {
        let document = try state("The capital of Zorbia is Quexville.")
        let result = try document.read(cue: "The capital of Zorbia is")
        #expect(result.answer == "Quexville")
        #expect(result.stop == .sentenceEnd)
        #expect(result.tokens.map(\.text) == ["Quexville"])
        #expect(result.confidence > 0.9)
        #expect(result.memoriesRead == result.tokens[0].memories.sorted())
        #expect(result.memoriesRead.count == MoMConfiguration.default.topK)
        #expect(!result.abstained)
        // Cue case does not matter: keys are made of folded forms.
        #expect(try document.read(cue: "THE CAPITAL OF ZORBIA IS").answer == "Quexville")
        // Only the last window tokens of the cue count.
        #expect(try document.read(cue: "Tell me, what do you know? The capital of Zorbia is").answer == "Quexville")
    }

    @Test func answersKeepTheSourceSpacing() throws {
        let document = try state("Remember: the launch code is alpha-7 bravo, then rest. Nothing else matters.")
        let result = try document.read(cue: "the launch code is")
        #expect(result.answer == "alpha-7 bravo, then rest")
        #expect(result.tokens.map(\.text) == ["alpha", "-", "7", "bravo", ",", "then", "rest"])
        #expect(result.stop == .sentenceEnd)

        let digits = try state("Note it down. The pass key is 68048. Remember it.")
        #expect(try digits.read(cue: "The pass key is").answer == "68048")

        let mixed = try state("Ship to: Grüße GmbH (Köln) — Straße 12b, 50667 Köln! Done.")
        #expect(try mixed.read(cue: "Ship to:").answer == "Grüße GmbH (Köln) — Straße 12b, 50667 Köln")
    }

    @Test func readOptionsStopDecoding() throws {
        let document = try state("Remember: the launch code is alpha-7 bravo, then rest. Nothing else matters.")
        let short = try document.read(cue: "the launch code is", options: ReadOptions(maxTokens: 2))
        #expect(short.answer == "alpha-")
        #expect(short.stop == .maxTokens)

        let throughSentences = try document.read(
            cue: "the launch code is", options: ReadOptions(maxTokens: 9, stopsAtSentenceEnd: false))
        #expect(throughSentences.answer == "alpha-7 bravo, then rest. Nothing")

        let demanding = try document.read(cue: "the launch code is", options: ReadOptions(minConfidence: 1.01))
        #expect(demanding.answer == "")
        #expect(demanding.stop == .lowConfidence)
        #expect(demanding.confidence == 0)
    }

    @Test func abstainsBelowTheFloor() throws {
        let document = try state("The capital of Zorbia is Quexville. The river of Zorbia is the Blue Snake.")
        let seen = try document.read(cue: "The capital of Zorbia is", options: ReadOptions(abstainBelow: 0.9))
        #expect(seen.answer == "Quexville")
        #expect(!seen.abstained)

        let unseen = try document.read(cue: "Purple elephants dance quietly", options: ReadOptions(abstainBelow: 0.9))
        #expect(unseen.abstained)
        #expect(unseen.stop == .abstained)
        #expect(unseen.answer == "")
        #expect(unseen.tokens.isEmpty)

        // The floor is compared with the first token's confidence, whatever it is.
        let confidence = seen.tokens[0].confidence
        let above = try document.read(cue: "The capital of Zorbia is", options: ReadOptions(abstainBelow: confidence.nextUp))
        #expect(above.abstained)
        let at = try document.read(cue: "The capital of Zorbia is", options: ReadOptions(abstainBelow: confidence))
        #expect(!at.abstained)
    }

    @Test func readingChangesNothingAndSurvivesARestart() throws {
        let document = try state("The capital of Zorbia is Quexville. Its mayor is Ada Brightwater.")
        let digest = document.digest
        let first = try document.read(cue: "Quexville. Its mayor is")
        #expect(first.answer == "Ada Brightwater")
        #expect(document.digest == digest)
        let restored = try MoMState(decoding: document.encoded())
        #expect(try restored.read(cue: "Quexville. Its mayor is") == first)
    }
}
