import Foundation
import Testing

@testable import MoMCore

/// A window longer than four tokens: its higher orders keep apart the places a four-token phrase
/// recurs when a recalled sentence is decoded from its own context, while keys route, and cues
/// read, by their first four orders.
@Suite struct LongerWindowTests {
    static func configuration(window: Int) -> MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.window = window
        configuration.orderWeights = (0..<window).map { $0 < 4 ? [0.25, 0.5, 1, 1][$0] : 1 }
        return configuration
    }

    static let text = """
        The harbour was rebuilt after the flood. The guild claims it was founded by fishermen from Bergen. \
        The lighthouse keeper kept a careful log of every ship. The museum opened its doors to visitors. \
        The council insists it was founded by merchants from Hamburg. The pass key is 4711. The bakery sold bread at dawn.

        """

    @Test func routedOrdersAreTheFirstFourAndAShorterWindowIsUnchanged() {
        #expect(MoMConfiguration.default.routedOrders == 4)
        #expect(Self.configuration(window: 6).routedOrders == 4)
        #expect(Self.configuration(window: 3).routedOrders == 3)
        let wide = Self.configuration(window: 6)
        // A cue of the four routed tokens reads as a full match of what it can hold.
        #expect(wide.evidenceScale(contextTokens: 4) == 1)
        #expect(wide.evidenceScale(contextTokens: 3) == MoMConfiguration.default.evidenceScale(contextTokens: 3))
        #expect(abs(wide.matchCeiling(contextTokens: 4) - (2.3125 / 4.3125).squareRoot()) < 1e-6)
    }

    @Test func aQuestionsCueReadsWhatTheLongerWindowWrote() throws {
        var state = try MoMState(configuration: Self.configuration(window: 6))
        state.fold(Self.text)
        // The question's own words before the phrase are not the document's: only the routed
        // orders are read.
        let read = try state.read(cue: "What is the pass key? The pass key is", options: ReadOptions(maxTokens: 4))
        #expect(read.answer.hasPrefix("4711"))
        #expect(read.confidence > 0.9)
    }

    @Test func aRecalledSentenceDecodesPastAPhraseWrittenLaterToo() throws {
        // "it was founded by" is written twice; with four orders the later continuation wins, with
        // six the two tokens before it keep the older sentence's own. (A number's digits fill
        // the window themselves: two years after the same phrase stay the newest's.)
        for (window, expected) in [(4, "merchants"), (6, "fishermen")] {
            var state = try MoMState(configuration: Self.configuration(window: window))
            state.fold(Self.text)
            let recalled = try state.recallSentences(words: [("guild", 3), ("claims", 3)], limit: 1)
            let sentence = try #require(recalled.first)
            #expect(sentence.read.answer.contains(expected), "window \(window): \(sentence.read.answer)")
        }
    }
}
