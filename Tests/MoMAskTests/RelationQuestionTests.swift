import Foundation
import MoMBench
import MoMCore
import Testing

@testable import MoMAsk

/// Questions that name with a noun what a statement says with a verb ("the price of the lamp" /
/// "the lamp costs"), compounds written the other way round ("the library password" / "the
/// password for the library account"), and readings confirmed by a word of what was asked.
@Suite struct RelationQuestionTests {
    @Test func relationsAndTheirOwners() throws {
        let price = try #require(Question("What is the price of the old lamp?").relation)
        #expect(price.name == "price" && price.owner == ["the", "old", "lamp"])
        let age = try #require(Question("How old is Emil?").relation)
        #expect(age.name == "age" && age.owner == ["Emil"])
        let possessive = try #require(Question("What is Selma's age?").relation)
        #expect(possessive.name == "age" && possessive.owner == ["Selma"])
        let much = try #require(Question("How much is the violin in the window?").relation)
        #expect(much.name == "price" && much.owner == ["the", "violin", "in", "the", "window"])
        #expect(Question("What is the colour of the car?").relation == nil)
        #expect(Question("How much does Maria earn?").relation == nil, "no be-form: a do-support question")
    }

    @Test func evidenceWordsAreTheContentWordsAndTheRelationsWords() {
        #expect(Question("How many horses does Mateo own?").countedNoun == "horses")
        #expect(Question("How many black cats live here?").countedNoun == nil, "no auxiliary after the noun")
        #expect(Question("Where was Maria born?").countedNoun == nil)
        let horses = Question("How many horses does Mateo own?")
        #expect(horses.contentWords == ["horses", "horse", "mateo", "mateos", "own", "owns"])
        #expect(Question("What is the birthplace of Mateo?").evidenceWords.isSuperset(of: ["born", "birthplace", "mateo"]))
        #expect(Question("What is Selma's favourite colour?").contentWords.isSuperset(of: ["selma", "favourite", "colour"]))
    }

    @Test func probesStateTheRelationWithItsVerb() {
        let cues = ProbeWriter().probes(for: Question("What is the price of the lamp?")).map(\.cue)
        #expect(cues.contains("the lamp costs"))
        #expect(cues.contains("lamp sells for"))
        let born = ProbeWriter().probes(for: Question("What is the birthplace of Mateo?"))
        #expect(born.contains(Probe(cue: "Mateo was born in", rewrite: "declarative")))
        #expect(ProbeWriter().probes(for: Question("How old is Henrik?")).map(\.cue).contains("Henrik is"))
    }

    @Test func compoundsAreReadTheOtherWayRound() {
        let cues = ProbeWriter().probes(for: Question("What is the library password?")).map(\.cue)
        #expect(cues.contains("password for the library"))
        #expect(cues.contains("password of the library"))
        let owned = ProbeWriter().probes(for: Question("What's the password for the mail account?")).map(\.cue)
        #expect(owned.contains("mail password is"))
        let possessive = ProbeWriter().probes(for: Question("What is Selma's favourite colour?")).map(\.cue)
        #expect(possessive.contains("the favourite colour of Selma"))
        #expect(ProbeWriter().reorderedCompounds(of: ["the", "code", "for", "the", "door"]).isEmpty, "not a compound")
    }

    func reading(_ text: String) -> ReadResult {
        let words = text.split(separator: " ").map(String.init)
        let tokens = words.map { ReadToken(text: $0, confidence: 1, strength: 1, memories: [0]) }
        return ReadResult(answer: text, confidence: 1, tokens: tokens, memoriesRead: [0], stop: .maxTokens)
    }

    @Test func aPhraseSpanStartsAfterTheVerbAWordOrTwoOn() {
        #expect(AnswerSpan.find(.phrase, in: reading("account is bluebird .")).map(\.text) == "bluebird")
        #expect(AnswerSpan.find(.phrase, in: reading("red wine from Porto .")).map(\.text) == "red wine from Porto")
        #expect(AnswerSpan.find(.phrase, in: reading("old , the house is red")).map(\.text) == "old")
    }

    static let facts = """
        The old house stood at the end of the lane, and nobody had lived in it for years. Mateo was born in Seville. \
        The rain came down on the roofs of the town all through the night. Henrik is 72 years old this spring. \
        A dog barked somewhere beyond the hill while the lamps went out one by one. The password for the library account is woodpecker. \
        Jonas has 12 goats on the farm. The favourite colour of Selma is crimson. The violin in the window costs $223. \
        Everyone agreed that the winter had been long and the spring was late.

        """

    static func systems() throws -> [any RecallSystem] { try recallSystems(folding: facts) }

    @Test(arguments: [
        ("What is the birthplace of Mateo?", "Seville"),
        ("What is the age of Henrik?", "72"),
        ("How old is Henrik?", "72"),
        ("What is the library password?", "woodpecker"),
        ("What is Selma's favourite colour?", "crimson"),
        ("How much is the violin in the window?", "$223"),
        ("How many goats does Jonas own?", "12"),
    ])
    func answersQuestionsWordedUnlikeTheStatement(question: String, expected: String) throws {
        for system in try Self.systems() {
            let answer = try QuestionAnswerer().answer(question, from: system)
            #expect(!answer.abstained, "\(question) abstained at \(answer.confidence) (\(answer.withheld))")
            #expect(answer.answer == expected, "\(question) → \(answer.answer) (\(answer.continuation))")
        }
    }

    @Test(arguments: [
        "What is the birthplace of Jonas?", "How many horses does Jonas own?", "What is the bank password?",
        "What is the price of the lamp?", "What is Henrik's favourite colour?", "How old is Mateo?",
        "What is the age of Jonas?",
    ])
    func aReadingAboutTheSubjectButNotWhatWasAskedAbstains(question: String) throws {
        for system in try Self.systems() {
            let answer = try QuestionAnswerer().answer(question, from: system)
            #expect(answer.abstained, "\(question) answered \(answer.answer) at \(answer.confidence)")
        }
    }
}
