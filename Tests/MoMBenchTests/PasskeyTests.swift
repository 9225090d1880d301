import Testing
@testable import MoMBench
import MoMCore

/// The pass-key task in process, with the default configuration: a five-digit key hidden in
/// 16K tokens of repeated filler, recalled from the state alone.
@Suite struct PasskeyTests {
    @Test(arguments: [("68048", 0.0), ("68048", 0.5), ("68048", 1.0), ("31415", 0.5)])
    func recallsThePassKey(key: String, depth: Double) throws {
        let haystack = Passkey.haystack(tokens: 16_000, depth: depth, key: key)
        let tokens = Passkey.tokenCount(haystack)
        #expect((16_000..<16_100).contains(tokens))
        #expect(haystack.contains(Passkey.needle(key: key)))

        var state = try MoMState(configuration: .default)
        state.fold(haystack)
        #expect(UInt64(tokens) == state.tokenCount)
        let result = try state.read(cue: Passkey.question)
        #expect(Passkey.firstDigits(result.answer) == key, "answer \(result.answer)")
    }

    @Test func needleSitsAtTheRequestedDepth() {
        let start = Passkey.haystack(tokens: 2_000, depth: 0, key: "11111")
        let middle = Passkey.haystack(tokens: 2_000, depth: 0.5, key: "11111")
        let end = Passkey.haystack(tokens: 2_000, depth: 1, key: "11111")
        func position(_ text: String) -> Double {
            guard let range = text.range(of: Passkey.needle(key: "11111")) else { return -1 }
            return Double(text.utf8.distance(from: text.startIndex, to: range.lowerBound)) / Double(text.utf8.count)
        }
        #expect(position(start) < 0.1)
        #expect(abs(position(middle) - 0.5) < 0.05)
        #expect(position(end) > 0.9)
    }

    @Test func firstDigitsTakesTheFirstRunOfDigits() {
        #expect(Passkey.firstDigits("68048") == "68048")
        #expect(Passkey.firstDigits("the key is 680 48.") == "680")
        #expect(Passkey.firstDigits("none") == "")
        #expect(Passkey.firstDigits("") == "")
        #expect(Passkey.firstDigits("٣3") == "3", "only ASCII digits count")
    }
}
