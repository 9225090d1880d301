import Foundation
import Testing

@testable import MoMCore

/// The topic memory leads a question's content words to the sentences that hold them, and the
/// n-gram memories decode those sentences again, from the state alone.
@Suite struct TopicMemoryTests {
    static let text = """
        The old mill stood by the river for two hundred years. In 1842 the brothers Sorin founded a college on the hill. \
        The college library burned down in 1879 and was rebuilt within a year. A copper statue of the founder faces the main gate. \
        Students row on the lake every spring, and the races draw large crowds.

        """

    static func state(_ configuration: MoMConfiguration = .default) throws -> MoMState {
        var state = try MoMState(configuration: configuration)
        state.fold(text)
        return state
    }

    @Test func theDefaultKeepsATopicMemoryOfFixedSize() throws {
        let state = try Self.state()
        let topic = try #require(state.topicMemory)
        #expect(topic.rows == 8192 && topic.width == 128 && topic.slotCount == 2048)
        #expect(topic.sentences == 5)
        var longer = try MoMState()
        for _ in 0..<40 { longer.fold(Self.text) }
        #expect(longer.encodedByteCount - longer.vocabulary.encodedByteCount == state.encodedByteCount - state.vocabulary.encodedByteCount)
        #expect(longer.topicMemory?.sentences == 200)
    }

    @Test func contentWordsInAnyOrderFindTheirSentenceAndItDecodesWord_forWord() throws {
        let state = try Self.state()
        let words = ["college", "founded", "brothers"].map { ($0, state.inverseSentenceFrequency(of: $0)) }
        let recalled = try state.recallSentences(words: words, limit: 2)
        #expect(recalled.first?.sentence == 1)
        #expect(recalled.first?.read.answer == "In 1842 the brothers Sorin founded a college on the hill.")
        let statue = try state.recallSentences(words: [("statue", 1), ("gate", 1)], limit: 1)
        #expect(statue.first?.read.answer == "A copper statue of the founder faces the main gate.")
    }

    /// A document where two words share a fifth of the sentences and one sentence alone holds a
    /// rarer one.
    static func harbourLog() -> (text: String, lighthouse: UInt64) {
        let places = ["quay", "dock", "pier", "wharf", "jetty", "slipway", "mooring", "berth", "basin", "marina"]
        let goods = ["coal", "timber", "salt", "grain", "wool", "copper", "tea", "cotton", "iron", "rope"]
        var sentences: [String] = []
        for index in 0..<300 {
            let place = places[index % places.count]
            let good = goods[(index / places.count) % goods.count]
            let day = "day\(String(index, radix: 26))"
            if index % 5 == 0 {
                sentences.append("A boat left the harbour from the \(place) with \(good) on \(day).")
            } else {
                sentences.append("The \(place) held \(good) for the \(day) market.")
            }
        }
        sentences.insert("Old Tobias kept the lighthouse lamp burning through the winter storms.", at: 151)
        return (sentences.joined(separator: " ") + "\n", 151)
    }

    @Test func commonWordsDoNotDrownTheRareWordThatFindsTheSentence() throws {
        let log = Self.harbourLog()
        var state = try MoMState()
        state.fold(log.text)
        let topic = try #require(state.topicMemory)
        let words = ["lighthouse", "harbour", "boat"].map { ($0, state.inverseSentenceFrequency(of: $0)) }
        // Exactly, the lighthouse sentence holds the most weight: ln(302 / 1.5) ≈ 5.3 against
        // 2 × ln(302 / 60.5) ≈ 3.2 for a boat leaving the harbour.
        #expect(words[0].1 > words[1].1 + words[2].1)
        let recalled = try state.recallSentences(words: words, limit: 3)
        #expect(recalled.first?.sentence == log.lighthouse)
        #expect(recalled.first?.read.answer == "Old Tobias kept the lighthouse lamp burning through the winter storms.")
        // Each word's reading counts at most its weight: a sentence holding none of them scores
        // far below one holding all, and the sentence holding every word scores their sum.
        let terms = words.compactMap { word, weight in topic.term(of: word).map { ($0, weight) } }
        let held = topic.heldWeights(of: terms, in: [log.lighthouse, 150, 0])
        let total = words.reduce(0) { $0 + $1.1 }
        #expect(held[0] > 0.6 * total && held[0] < total)
        #expect(held[1] < 0.2 * total, "a sentence with none of the words")
        #expect(held[2] > held[1] && held[2] < held[0], "a boat leaving the harbour")
    }

    @Test func aRowReadThroughItsTablesReadsAsItsProjection() throws {
        let log = Self.harbourLog()
        var state = try MoMState()
        state.fold(log.text)
        let topic = try #require(state.topicMemory)
        for word in ["harbour", "lighthouse", "coal", "quay"] {
            let term = try #require(topic.term(of: word))
            for (row, negative) in TopicMemory.rowsOf(term, rows: topic.rows) {
                let sums = TopicMemory.RowSums(memory: topic, row: row, negative: negative)
                for sentence in [0, 1, 50, 151, 300] as [UInt64] {
                    let code = topic.sentenceCode(sentence)
                    #expect(sums.projection(code) == topic.projection(row: row, negative: negative, sentence: sentence))
                }
            }
        }
    }

    @Test func inverseSentenceFrequencyWeighsRareWordsAboveCommonOnes() throws {
        let state = try Self.state()
        // "college" is in two sentences, "statue" in one; "the" is a function word; "zebra" is
        // absent, and weighs half what a word in one sentence does.
        let statue = state.inverseSentenceFrequency(of: "statue")
        #expect(statue > state.inverseSentenceFrequency(of: "college"))
        #expect(state.inverseSentenceFrequency(of: "college") > 0)
        #expect(state.inverseSentenceFrequency(of: "the") == 0)
        #expect(abs(state.inverseSentenceFrequency(of: "zebra") - Float(log(6.0 / 1.5)) / 2) < 1e-6)
        // A plural finds its singular, and a number is one term.
        #expect(state.inverseSentenceFrequency(of: "races") == state.inverseSentenceFrequency(of: "race"))
        #expect(state.inverseSentenceFrequency(of: "1842") > 0)
    }

    @Test func stemsDropPluralEndingsOnly() {
        #expect(TopicTerms.stem("colleges") == "college")
        #expect(TopicTerms.stem("Libraries") == "librari")
        #expect(TopicTerms.stem("library") == "library")
        #expect(TopicTerms.stem("boxes") == "box")
        #expect(TopicTerms.stem("class") == "class")
        #expect(TopicTerms.stem("campus") == "campus")
        #expect(TopicTerms.stem("this") == "this")
        #expect(TopicTerms.isFunctionWord("which") && !TopicTerms.isFunctionWord("college"))
    }

    @Test func foldingInPiecesAndThroughTheCodecGivesTheSameState() throws {
        let whole = try Self.state()
        var pieces = try MoMState()
        let bytes = Array(Self.text.utf8)
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            pieces.fold(Array(bytes[offset..<end]))
            pieces = try MoMState(decoding: pieces.encoded())
            offset = end
            step = step * 3 % 17 + 1
        }
        #expect(pieces.digest == whole.digest)
        #expect(pieces.topicMemory == whole.topicMemory)
    }

    @Test func aStateWithoutATopicMemoryIsWrittenAsBefore() throws {
        let plain = try Self.state(MoMConfiguration.default.withoutTopicMemory)
        #expect(plain.topicMemory == nil)
        let bytes = plain.encoded()
        #expect(bytes[8] == 2)  // format version 2: no topic memory
        #expect(try plain.recallSentences(words: [("college", 1)], limit: 3).isEmpty)
        let topical = try Self.state()
        #expect(topical.encoded()[8] == 3)
        #expect(MoMConfiguration.default.withoutTopicMemory.fingerprintHex == "bf54bc3d65782d7c")
    }

    @Test func aDamagedTopicMemoryIsRefused() throws {
        let topic = try #require(try Self.state().topicMemory)
        var writer = ByteWriter()
        topic.write(to: &writer)
        var bytes = writer.bytes
        bytes[8] = 7  // the sentence-end flag, after the sentence count
        var damaged = ByteReader(bytes)
        #expect(throws: MoMError.self) { try TopicMemory.read(from: &damaged, configuration: .default) }
        var intact = ByteReader(writer.bytes)
        #expect(try TopicMemory.read(from: &intact, configuration: .default) == topic)
    }

    @Test func configurationsOutOfRangeAreRefused() {
        var configuration = MoMConfiguration.default
        configuration.topicWidth = 100
        #expect(throws: MoMError.self) { try configuration.validate() }
        configuration.topicWidth = 128
        configuration.sentenceSlots = 0
        #expect(throws: MoMError.self) { try configuration.validate() }
    }
}
