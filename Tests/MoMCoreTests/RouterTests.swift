import Foundation
import Testing
@testable import MoMCore

/// The sparse router kernel against its dense twin, and top-k selection.
@Suite struct RouterTests {
    private func router(memories: Int, topK: Int, dk: Int = 64, ties: TieBreak = .lowest) -> Router {
        var configuration = MoMConfiguration.small
        configuration.memories = memories
        configuration.topK = topK
        configuration.dk = dk
        configuration.tieBreak = ties
        return Router(configuration: configuration)
    }

    @Test func routerVectorsAreSeededSigns() {
        let router = Router(configuration: .default)
        var negatives = 0
        for memory in 0..<router.memories {
            for dimension in 0..<router.dk {
                let weight = router.weight(memory: memory, dimension: dimension)
                #expect(weight == 1 || weight == -1)
                if weight < 0 { negatives += 1 }
            }
        }
        let total = router.memories * router.dk
        #expect(abs(negatives - total / 2) < total / 20, "about half the signs are negative")
        let again = Router(configuration: .default)
        #expect(again.signs == router.signs)
        var reseeded = MoMConfiguration.default
        reseeded.seed ^= 1
        #expect(Router(configuration: reseeded).signs != router.signs)
    }

    /// The signs, drawn bit by bit as they were defined: entry i·N + m of the router takes bit
    /// (i·N + m) mod 64 of the seeded stream. Rows of whole bytes are copied from the stream.
    @Test(arguments: [8, 12, 16, 24, 5])
    func signsAreTheSeededStreamBitByBit(memories: Int) {
        var configuration = MoMConfiguration.small
        configuration.memories = memories
        configuration.topK = 1
        configuration.dk = 201  // an odd number of bytes: the last word is copied in part
        let router = Router(configuration: configuration)
        var generator = SplitMix64(seed: StableHash.mix64(configuration.seed ^ 0x726F_7574_6572))
        var bits: UInt64 = 0
        var mismatches = 0
        for entry in 0..<(configuration.dk * memories) {
            if entry % 64 == 0 { bits = generator.next() }
            let expected: Float = (bits >> UInt64(entry % 64)) & 1 == 1 ? -1 : 1
            let (dimension, memory) = entry.quotientAndRemainder(dividingBy: memories)
            if router.weight(memory: memory, dimension: dimension) != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(router.signs.count == configuration.dk * ((memories + 7) / 8))
    }

    /// Twelve memories: one row of sign bits spans a whole byte and half of the next.
    static let twelve = MoMConfiguration(memories: 12, topK: 3, dk: 256, dv: 16)

    @Test(arguments: [MoMConfiguration.default, .small, twelve])
    func sparseLogitsEqualTheDenseReferenceBitForBit(configuration: MoMConfiguration) {
        let router = Router(configuration: configuration)
        let featurizer = Featurizer(configuration: configuration)
        var generator = SplitMix64(seed: 20)
        var logits: [Float] = []
        var key = SparseVector()
        for round in 0..<300 {
            if round % 2 == 0 {
                // A key as the fold makes it.
                var context = ContextWindow(capacity: configuration.window)
                for _ in 0..<Int.random(in: 1...configuration.window, using: &generator) { context.push(generator.next()) }
                featurizer.key(for: context, into: &key)
            } else {
                // Any sparse vector, up to fully dense, with arbitrary magnitudes.
                let maxNonZeros = [4, 64, configuration.dk][round % 3]
                key = randomUnitKey(dimension: configuration.dk, maxNonZeros: maxNonZeros, using: &generator)
                key.values = key.values.map { $0 * Float.random(in: 0.001...1000, using: &generator) }
            }
            router.logits(of: key, into: &logits)
            let reference = router.referenceLogits(of: key.dense(dimension: configuration.dk))
            #expect(bitIdentical(logits, reference))
        }
    }

    @Test func emptyKeyHasZeroLogits() {
        let router = router(memories: 5, topK: 2)
        var logits: [Float] = [7, 7]
        router.logits(of: SparseVector(), into: &logits)
        #expect(logits == [0, 0, 0, 0, 0])
    }

    // MARK: Selection

    private func select(_ logits: [Float], topK: Int, ties: TieBreak = .lowest) -> RouteSelection {
        var selection = RouteSelection()
        router(memories: logits.count, topK: topK, ties: ties).select(logits: logits, into: &selection)
        return selection
    }

    @Test func tiesGoToTheLowerIndex() {
        #expect(select([1, 3, 3, 2, 3], topK: 2).memories == [1, 2])
        #expect(select([1, 3, 3, 2, 3], topK: 3).memories == [1, 2, 4])
        #expect(select([1, 3, 3, 2, 3], topK: 4).memories == [1, 2, 4, 3])
        #expect(select([0, 0, 0, 0], topK: 2).memories == [0, 1])
        #expect(select([5, 5], topK: 1).memories == [0])
        #expect(select([-1, 2, -1, 2], topK: 4).memories == [1, 3, 0, 2])
    }

    @Test func equalLogitsShareTheWeight() {
        #expect(select([1, 3, 3, 2, 3], topK: 2).weights == [0.5, 0.5])
        #expect(select([0, 0, 0, 0], topK: 4).weights == [0.25, 0.25, 0.25, 0.25])
    }

    @Test func weightsAreTheSoftmaxOverTheSelected() {
        let selection = select([0, 2, 1, -4], topK: 2)
        #expect(selection.memories == [1, 2])
        let e = Foundation.exp(-1.0)
        #expect(abs(Double(selection.weights[0]) - 1 / (1 + e)) < 1e-6)
        #expect(abs(Double(selection.weights[1]) - e / (1 + e)) < 1e-6)
    }

    /// Hashed ties start where the logits point, the same start for the same logits, and the
    /// first tied memory from there (round past the last) wins.
    @Test func hashedTiesStartWhereTheLogitsPoint() {
        let router = router(memories: 5, topK: 1, ties: .hashed)
        let logits: [Float] = [1, 3, 0, 2, 3]
        let start = logits.withUnsafeBufferPointer { router.tieStart(logits: $0) }
        #expect(start == logits.withUnsafeBufferPointer { router.tieStart(logits: $0) })
        // Memories 1 and 4 tie: 4 wins from a start of 2, 3 or 4, and 1 from 0 or 1.
        #expect(select(logits, topK: 1, ties: .hashed).memories == [(2...4).contains(start) ? 4 : 1])
        #expect(self.router(memories: 5, topK: 1).tieStart(logits: UnsafeBufferPointer(start: nil, count: 0)) == 0)
        // No tie at the top: the greatest logit, whatever the rule.
        #expect(select([1, 3, 0, 2, 4], topK: 1, ties: .hashed).memories == [4])
    }

    /// Over many keys with tied logits, the lowest index takes far more than its share of wins;
    /// hashed ties share them out.
    @Test func hashedTiesSpreadTheWins() {
        var generator = SplitMix64(seed: 22)
        var wins: [TieBreak: [Int]] = [.lowest: Array(repeating: 0, count: 16), .hashed: Array(repeating: 0, count: 16)]
        for _ in 0..<8000 {
            let logits = (0..<16).map { _ in Float(Int.random(in: -2...2, using: &generator)) * 0.5 }
            for ties in TieBreak.allCases { wins[ties]![select(logits, topK: 1, ties: ties).memories[0]] += 1 }
        }
        let spread = { (counts: [Int]) in Double(counts.max()!) / Double(counts.min()!) }
        #expect(spread(wins[.lowest]!) > 2, "\(wins[.lowest]!)")
        #expect(spread(wins[.hashed]!) < 1.25, "\(wins[.hashed]!)")
    }

    @Test(arguments: TieBreak.allCases)
    func selectionMatchesASortedReference(ties: TieBreak) {
        var generator = SplitMix64(seed: 21)
        for _ in 0..<2000 {
            let memories = Int.random(in: 1...12, using: &generator)
            let topK = Int.random(in: 1...memories, using: &generator)
            // Few distinct values, so ties are common.
            let logits = (0..<memories).map { _ in Float(Int.random(in: -2...2, using: &generator)) * 0.75 }
            let selection = select(logits, topK: topK, ties: ties)
            let start = logits.withUnsafeBufferPointer { router(memories: memories, topK: topK, ties: ties).tieStart(logits: $0) }
            let order = { (memory: Int) in (memory - start + memories) % memories }
            let expected = (0..<memories).sorted {
                logits[$0] > logits[$1] || (logits[$0] == logits[$1] && order($0) < order($1))
            }
            #expect(selection.memories == Array(expected.prefix(topK)), "logits \(logits), k \(topK)")
            #expect(abs(selection.weights.reduce(0, +) - 1) < 1e-6)
            #expect(zip(selection.weights, selection.weights.dropFirst()).allSatisfy { $0 >= $1 })
            let top = Double(logits[expected[0]])
            let exps = expected.prefix(topK).map { Foundation.exp(Double(logits[$0]) - top) }
            let total = exps.reduce(0, +)
            for (weight, value) in zip(selection.weights, exps) { #expect(abs(Double(weight) - value / total) < 1e-6) }
        }
    }

    @Test func selectionOnRealLogitsSumsToOne() {
        let configuration = MoMConfiguration.default
        let router = Router(configuration: configuration)
        let featurizer = Featurizer(configuration: configuration)
        var generator = SplitMix64(seed: 22)
        var key = SparseVector()
        var logits: [Float] = []
        var selection = RouteSelection()
        var chosen = Set<Int>()
        for _ in 0..<500 {
            var context = ContextWindow(capacity: 4)
            for _ in 0..<4 { context.push(generator.next()) }
            featurizer.key(for: context, into: &key)
            router.logits(of: key, into: &logits)
            router.select(logits: logits, into: &selection)
            #expect(selection.memories.count == configuration.topK)
            #expect(Set(selection.memories).count == configuration.topK)
            #expect(abs(selection.weights.reduce(0, +) - 1) < 1e-6)
            #expect(logits[selection.memories[0]] == logits.max())
            chosen.formUnion(selection.memories)
        }
        #expect(chosen.count == configuration.memories, "every memory gets some keys")
    }
}
