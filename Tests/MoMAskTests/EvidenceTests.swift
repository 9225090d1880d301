import Foundation
import MoMBench
import MoMCore
import Testing

@testable import MoMAsk

/// Questions people write about real text: the evidence is recalled from the state by the
/// question's content words, the answer read out of it, and what the evidence does not support
/// is not answered.
@Suite struct EvidenceTests {
    static let article = """
        The university was founded on November 26, 1842, by Father Edward Sorin. The Main Building houses the \
        administration and is crowned by a golden dome. Immediately in front of the Main Building stands a copper statue \
        of Christ. The library holds 3 million volumes on fourteen floors. Rowing crews train on Saint Mary Lake every \
        spring. The student newspaper, The Observer, is published every weekday.

        """

    static func state() throws -> MoMState {
        var state = try MoMState()
        state.fold(article)
        return state
    }

    @Test func aQuestionsWordsLeaveOutFunctionAndQuestionWords() {
        #expect(EvidenceQuery.words(of: "When was the university founded?") == ["university", "founded"])
        #expect(EvidenceQuery.words(of: "How many volumes does the library hold in 2015?") == ["volumes", "library", "hold", "2015"])
    }

    @Test func recallRanksTheSentenceHoldingTheQuestionsWordsFirst() throws {
        let state = try Self.state()
        let answerer = QuestionAnswerer()
        let (query, passages) = try answerer.evidence(for: "What stands in front of the Main Building?", from: state)
        #expect(query.words == ["stands", "front", "main", "building"])
        let first = try #require(passages.first)
        #expect(first.text == "Immediately in front of the Main Building stands a copper statue of Christ.")
        #expect(first.support == 1)
        #expect(first.sureness > 0.9)
        #expect(passages.count <= 3)
    }

    @Test func theReaderTakesTheSpanOfTheAskedTypeBesideTheQuestionsWords() throws {
        let state = try Self.state()
        let answerer = QuestionAnswerer()
        let cases = [
            ("In what year was the university founded?", "1842"),
            ("How many volumes are in the library?", "3 million"),
            ("Where do rowing crews train?", "Saint Mary Lake"),
            ("What is the name of the student newspaper?", "The Observer"),
        ]
        for (question, expected) in cases {
            let answer = try answerer.answer(question, from: state)
            #expect(SquadScore.f1(answer.abstained ? answer.withheld : answer.answer, [expected]) >= 0.5, "\(question) → \(answer.answer)\(answer.withheld)")
        }
    }

    /// Names joined by "of the" or opened by a capitalised function word, and dates with a
    /// comma, are read whole, from the text alone.
    @Test func theReaderKeepsNamesAndDatesWhole() {
        let cases = [
            ("Which company supplies the team's uniforms?", "In 2014 the university and Under Armour agreed to supply the uniforms.", "Under Armour"),
            ("Which order founded the college?", "The college was founded by priests of the Congregation of the Holy Cross in 1842.", "Congregation of the Holy Cross"),
            ("When did construction begin?", "Construction began on June 3, 2008, beside the campus.", "June 3, 2008"),
            ("Where did the founder study?", "The founder studied at Saint Mary's College near the lake.", "Saint Mary's College"),
        ]
        for (text, sentence, expected) in cases {
            let question = Question(text)
            let query = EvidenceQuery(question: text) { words in words.map { _ in 1 } }
            var passage = Passage(text: sentence, sentence: 0, token: 0, score: 0, sureness: 1)
            passage.support = query.support(of: EvidenceText.stems(sentence))
            let reading = EvidenceReader().read(question, query: query, passages: [passage])
            #expect(reading?.answer == expected, "\(text)")
        }
    }

    @Test func anAnswerFromEvidenceCarriesItsPassagesAndReading() throws {
        let state = try Self.state()
        let answer = try QuestionAnswerer().answer("Who founded the university?", from: state)
        #expect(answer.source == "evidence")
        let reading = try #require(answer.reading)
        #expect(reading.passage == 0 && reading.support == 1)
        // The document's first token was written under no context: its sentence decodes from the second.
        #expect(answer.evidence?.first?.text == "university was founded on November 26, 1842, by Father Edward Sorin.")
    }

    @Test func aQuestionTheStateHoldsNothingOfIsNotAnswered() throws {
        let state = try Self.state()
        let answer = try QuestionAnswerer().answer("Which team won the basketball tournament?", from: state)
        #expect(answer.abstained)
        #expect(answer.answer.isEmpty)
    }

    @Test func theConfidenceGrowsWithSupportAndMargin() {
        let passage = { (support: Float) in
            var passage = Passage(text: "", sentence: 0, token: 0, score: 1, sureness: 1)
            passage.support = support
            return passage
        }
        var features = SpanFeatures()
        (features.fits, features.near) = (1, 1)
        let reading = EvidenceReader.Reading(answer: "x", passage: 0, score: 1, margin: 1, features: features)
        var weaker = reading
        weaker.margin = 0.1
        let full = QuestionAnswerer.evidenceConfidence(passage: passage(1), reading: reading)
        #expect(full > QuestionAnswerer.evidenceConfidence(passage: passage(0.3), reading: reading))
        #expect(full > QuestionAnswerer.evidenceConfidence(passage: passage(1), reading: weaker))
        #expect((0...1).contains(full))
    }

    /// The reader's score weighs every feature it names; a question's words before its question
    /// phrase ("In what year …") align with the words before the span ("in 1986").
    @Test func theReaderWeighsEveryFeatureItNamesAndAlignsTheQuestionsPhrase() throws {
        let features = SpanFeatures()
        #expect(SpanFeatures.names.count == features.vector.count && SpanFeatures.weights.count == features.vector.count)
        let text = "In what year was the Kroc Institute founded?"
        let sentence = "The Kroc Institute was founded in 1986 through the donations of Joan Kroc."
        let query = EvidenceQuery(question: text) { words in words.map { _ in 1 } }
        var passage = Passage(text: sentence, sentence: 0, token: 0, score: 0, sureness: 1)
        passage.support = query.support(of: EvidenceText.stems(sentence))
        let reading = try #require(EvidenceReader().read(Question(text), query: query, passages: [passage]))
        #expect(reading.answer == "1986")
        #expect(reading.features.leftAlign == 0.25 && reading.features.fits == 1 && reading.features.near > 0)
        #expect(reading.probability > 0.5 && reading.probability <= 1)
        #expect(QuestionAnswerer.evidenceConfidence(passage: passage, reading: reading) >= AskOptions.defaultEvidenceAbstainBelow)
    }

    @Test func theConfidenceGrowsWithTheSpansShareOfTheCandidates() {
        var passage = Passage(text: "", sentence: 0, token: 0, score: 1, sureness: 1)
        passage.support = 0.8
        var features = SpanFeatures()
        (features.fits, features.near) = (1, 1)
        var reading = EvidenceReader.Reading(answer: "x", passage: 0, score: 1, margin: 1, features: features)
        reading.probability = 0.9
        var doubtful = reading
        doubtful.probability = 0.2
        #expect(QuestionAnswerer.evidenceConfidence(passage: passage, reading: reading) > QuestionAnswerer.evidenceConfidence(passage: passage, reading: doubtful))
    }

    /// A question whose last words read on strongly ("… the Harvest Fair 12 was" → "a country
    /// festival …") is not answered from a sentence that holds little of the rest of it; a probe
    /// whose sentence holds all of its cue is, in the same state.
    @Test func aProbeWhoseSentenceHoldsLittleOfItsCueIsNotAnswered() throws {
        let text = """
            The Harvest Fair 12 was a country festival to celebrate the farmers of the northern valley for the 2019 season. \
            The valley council picked the Riverside Growers over the Hill Farmers to run the stalls after a long vote. \
            The fair was held on June 3, 2019, at Hollow Park in Brenton.

            """
        var state = try MoMState()
        state.fold(text)
        var baseline = try FullContextBaseline()
        baseline.fold(Array(text.utf8))
        let systems: [any RecallSystem] = [state, try FullContextEvidence(baseline)]
        for system in systems {
            let answerer = QuestionAnswerer()
            for question in ["Which cooperative organised the Harvest Fair 12?", "Which group ran the stalls at the Harvest Fair 12?"] {
                let answer = try answerer.answer(question, from: system)
                #expect(answer.abstained, "\(type(of: system)): \(question) → \(answer.answer)")
                #expect(answer.confidence < AskOptions.defaultAbstainBelow)
            }
            let held = try answerer.answer("When was the fair held?", from: system)
            #expect(!held.abstained && held.answer == "June 3, 2019", "\(type(of: system)) → \(held.answer)")
        }
        // The share of the cue the answer's sentence must hold: a word the document never
        // mentions weighs as much as the cue's rarest word.
        let cue = QuestionAnswerer.cueQuery("cooperative organised the Harvest Fair 12 was", system: state)
        #expect(cue.words == ["cooperative", "organised", "harvest", "fair", "12"])
        let rarest = try #require(cue.weights[2...].max())
        #expect(cue.weights[0] == rarest && cue.weights[1] == rarest && cue.weights[3] < rarest)
    }

    /// Things named together ask one thing of both unless the question asks for several values
    /// (all, every, each, both, a plural verb): one answer, judged against the evidence, or a list.
    @Test func thingsNamedTogetherAreListedOnlyWhenSeveralAreAskedFor() throws {
        #expect(!QuestionAnswerer.asksForSeveral("Who was blamed for Luckett and Roberson leaving the band?"))
        #expect(QuestionAnswerer.asksForSeveral("What are the door codes for the garage and the cellar?"))
        #expect(QuestionAnswerer.asksForSeveral("List every code for the garage and the cellar."))
        var state = try MoMState()
        state.fold("The old house stood at the end of the lane. The garage door code is 4711. The rain came down all night. The cellar door code is 5802.\n")
        let answerer = QuestionAnswerer()
        let one = try answerer.answer("What is the code for the garage and the cellar?", from: state)
        #expect(one.items == nil)
        let several = try answerer.answer("What are the door codes for the garage and the cellar?", from: state)
        #expect(several.items?.count == 2)
    }

    /// A probe's answer and the reader's spans compare as their terms from the first content
    /// word on, articles and case aside.
    @Test func answersCompareAsTheirTermsWithoutArticles() {
        #expect(QuestionAnswerer.comparable("The Eiffel Tower,") == QuestionAnswerer.comparable("eiffel tower"))
        #expect(QuestionAnswerer.comparable("a 7:05 train") == ["7", "05", "train"])
        #expect(QuestionAnswerer.comparable("Lisbon") != QuestionAnswerer.comparable("Porto"))
        // Two readings give one answer when their terms from the first content word on agree.
        let sameAnswer = { (one: String, other: String) in
            !QuestionAnswerer.comparable(one).isEmpty && QuestionAnswerer.comparable(one) == QuestionAnswerer.comparable(other)
        }
        #expect(sameAnswer("mat", "under the mat") && sameAnswer("The Eiffel Tower", "eiffel tower"))
        #expect(!sameAnswer("the mat", "the door") && !sameAnswer("the", "the"))
        #expect(!sameAnswer("festival", "a country festival") && !sameAnswer("mat", "mat and the key"))
    }

    /// A probe that reads "that" or "a" answers nothing.
    @Test func anAnswerOfFunctionWordsSaysNothing() {
        #expect(!QuestionAnswerer.saysSomething("that") && !QuestionAnswerer.saysSomething("a") && !QuestionAnswerer.saysSomething(""))
        #expect(QuestionAnswerer.saysSomething("HD") && QuestionAnswerer.saysSomething("1986") && QuestionAnswerer.saysSomething("in 3"))
    }
}
