import Foundation
import MoMCore
import Testing

@testable import MoMAsk

/// A phrase written in two sentences keeps only its newest continuation in the n-gram memories,
/// so the older sentence decodes with the newer one's words. The topic memory knows which words
/// each sentence was written under: an answer its sentence never held is not given as that
/// sentence's, whatever the decoding says.
@Suite struct OverwrittenAnswerTests {
    /// "College was established in" precedes two years; the second write takes the first's place.
    static let article = """
        The Engineering College was established in 1920 by the trustees. Its laboratories face the \
        river. The Science College was established in 1899 by the founders. Its greenhouse holds orchids.

        """

    static func state() throws -> MoMState {
        var state = try MoMState()
        state.fold(article)
        return state
    }

    @Test func theTopicMemoryTellsWhichSentenceHoldsAWord() throws {
        let state = try Self.state()
        // Sentences 0 and 2 hold the years; 1 and 3 neither.
        #expect(state.sentence(0, holds: ["1920"]) == true)
        #expect(state.sentence(2, holds: ["1899"]) == true)
        #expect(state.sentence(0, holds: ["1899"]) == false)
        #expect(state.sentence(2, holds: ["1920"]) == false)
        #expect(state.sentence(1, holds: ["laboratories", "river"]) == true)
        #expect(state.sentence(3, holds: ["laboratories", "river"]) == false)
        // Function words say nothing; a state without a topic memory says nothing.
        #expect(state.sentence(0, holds: ["the", "by"]) == nil)
        var plain = try MoMState(configuration: MoMConfiguration(topicRows: 0))
        plain.fold(Self.article)
        #expect(plain.sentence(0, holds: ["1920"]) == nil)
    }

    @Test func theOlderSentenceDecodesWithTheNewerYear() throws {
        let state = try Self.state()
        // The premise: the memories read the newer year after the shared phrase.
        let read = try state.read(cue: "The Engineering College was established in", options: ReadOptions(maxTokens: 4))
        #expect(read.answer.hasPrefix("1899"), "\(read.answer)")
        let passages = try state.recall(
            EvidenceQuery(question: "When was the Engineering College established?", weights: state.evidenceWeights(of:)), limit: 1)
        let first = try #require(passages.first)
        #expect(first.sentence == 0 && first.holds("1899"), "\(first.text)")
        #expect(!state.mayHold("1899", in: first))
        #expect(state.mayHold("1899", in: Passage(text: "", sentence: 2, token: 0, score: 0, sureness: 1)))
        #expect(!state.corroborates("1899", in: [first]))
    }

    @Test func aYearTheSentenceNeverHeldIsNotAnswered() throws {
        let state = try Self.state()
        let answerer = QuestionAnswerer()
        let overwritten = try answerer.answer("When was the Engineering College established?", from: state)
        #expect(overwritten.abstained || overwritten.answer != "1899", "\(overwritten.answer)")
        #expect(overwritten.answer.isEmpty, "\(overwritten.answer) at \(overwritten.confidence)")
        // The newer sentence still answers.
        let kept = try answerer.answer("When was the Science College established?", from: state)
        #expect(kept.answer == "1899", "\(kept.answer)\(kept.withheld) at \(kept.confidence)")
    }

    @Test func theQuestionsOwnWordsAreNoAnswer() throws {
        let question = Question("From where does the Band of the Fighting Irish lead a march?")
        #expect(QuestionAnswerer.repeatsTheQuestion("Fighting Irish", question))
        #expect(QuestionAnswerer.repeatsTheQuestion("the Band", question))
        #expect(!QuestionAnswerer.repeatsTheQuestion("the steps of Bond Hall", question))
        #expect(!QuestionAnswerer.repeatsTheQuestion("the", question))
    }

    @Test func betweenTwoThingsIsNoList() {
        let body = ["the", "contract", "between", "Under", "Armour", "and", "Notre", "Dame"]
        #expect(ProbeWriter.listItems(body).count == 1)
        #expect(ProbeWriter.listItems(["numbers", "for", "red", ",", "green", "and", "blue"]).count == 3)
    }
}
