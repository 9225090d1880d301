import Testing
@testable import MoMCore

/// Keys: sparse, canonical, unit length; the bitset canonicalisation equals the plain one; value
/// codes follow their documented bit layout.
@Suite struct FeaturizerTests {
    private func randomContext(window: Int, using generator: inout SplitMix64) -> ContextWindow {
        var context = ContextWindow(capacity: window)
        for _ in 0..<Int.random(in: 1...(window + 2), using: &generator) { context.push(generator.next()) }
        return context
    }

    @Test(arguments: [MoMConfiguration.default, .small, .tiny])
    func keysAreCanonicalSparseUnitVectors(configuration: MoMConfiguration) {
        let featurizer = Featurizer(configuration: configuration)
        var generator = SplitMix64(seed: 10)
        var key = SparseVector()
        var empty = 0
        for _ in 0..<500 {
            let context = randomContext(window: configuration.window, using: &generator)
            featurizer.key(for: context, into: &key)
            #expect(key.count <= configuration.window * configuration.hashesPerOrder)
            #expect(zip(key.indices, key.indices.dropFirst()).allSatisfy { $0 < $1 }, "indices ascend, no duplicates")
            #expect(key.indices.allSatisfy { (0..<Int32(configuration.dk)).contains($0) })
            #expect(key.values.allSatisfy { $0 != 0 && $0.isFinite })
            // Entries that cancel exactly leave an empty key, which only a tiny dk makes likely.
            guard !key.isEmpty else {
                empty += 1
                continue
            }
            let squares = key.values.reduce(Float(0)) { $0 + $1 * $1 }
            #expect(abs(squares - 1) < 1e-5)
        }
        #expect(empty <= (configuration.dk <= 16 ? 50 : 0))
    }

    @Test func emptyContextGivesAnEmptyKey() {
        let featurizer = Featurizer(configuration: .default)
        var key = SparseVector(indices: [1, 2], values: [0.6, 0.8])
        featurizer.key(for: ContextWindow(capacity: 4), into: &key)
        #expect(key.isEmpty)
        #expect(key.values.isEmpty)
    }

    @Test func keysDependOnOrderAndOnlyOnTheLastWindowTokens() {
        let featurizer = Featurizer(configuration: .default)
        func key(_ hashes: [UInt64]) -> SparseVector {
            var context = ContextWindow(capacity: 4)
            for hash in hashes { context.push(hash) }
            var key = SparseVector()
            featurizer.key(for: context, into: &key)
            return key
        }
        #expect(key([1, 2, 3]) != key([2, 1, 3]))
        #expect(key([9, 1, 2, 3, 4]) == key([8, 1, 2, 3, 4]), "the window holds the last 4 tokens")
        #expect(key([1, 2, 3, 4]) == key([1, 2, 3, 4]))
    }

    @Test func zeroWeightedOrdersAddNothing() {
        var configuration = MoMConfiguration.small
        configuration.orderWeights = [0, 0, 0, 1]
        let featurizer = Featurizer(configuration: configuration)
        var context = ContextWindow(capacity: 4)
        var key = SparseVector()
        for hash: UInt64 in [1, 2, 3] {
            context.push(hash)
            featurizer.key(for: context, into: &key)
            #expect(key.isEmpty, "only the 4-gram has weight, and it needs four tokens")
        }
        context.push(4)
        featurizer.key(for: context, into: &key)
        #expect(!key.isEmpty && key.count <= configuration.hashesPerOrder)
    }

    // MARK: Canonicalisation twins

    private func canonicalizePlain(_ indices: [Int32], _ values: [Float]) -> SparseVector {
        var indices = indices
        var values = values
        let count = Featurizer.canonicalize(indices: &indices, values: &values, count: indices.count)
        return SparseVector(indices: Array(indices[..<count]), values: Array(values[..<count]))
    }

    private func canonicalizeBitset(_ indices: [Int32], _ values: [Float], scratch: inout KeyScratch) -> SparseVector {
        var indices = indices
        var values = values
        let count = scratch.canonicalize(indices: &indices, values: &values, count: indices.count)
        return SparseVector(indices: Array(indices[..<count]), values: Array(values[..<count]))
    }

    @Test(arguments: [16, 64, 1000, 1 << 14])
    func bitsetCanonicalizationEqualsThePlainTwin(dk: Int) {
        var generator = SplitMix64(seed: UInt64(dk))
        var scratch = KeyScratch(dk: dk)
        #expect(scratch.isUsable)
        // Exact weights make duplicates cancel to zero; arbitrary floats check the summation order.
        let exact: [Float] = [0.25, -0.25, 0.5, -0.5, 1, -1, 0.75]
        var cancellations = 0
        for round in 0..<2000 {
            let count = Int.random(in: 0...64, using: &generator)
            let span = Int32(min(dk, [4, 16, dk][round % 3]))
            let indices = (0..<count).map { _ in Int32.random(in: 0..<span, using: &generator) }
            let values = (0..<count).map { _ in
                round % 2 == 0 ? exact.randomElement(using: &generator)! : Float.random(in: -1...1, using: &generator)
            }
            let plain = canonicalizePlain(indices, values)
            let fast = canonicalizeBitset(indices, values, scratch: &scratch)
            #expect(plain.indices == fast.indices)
            #expect(bitIdentical(plain.values, fast.values))
            #expect(scratch.marks.allSatisfy { $0 == 0 }, "the scratch is left as it was found")
            if plain.count < Set(indices).count { cancellations += 1 }
        }
        #expect(cancellations > 50, "the inputs exercised exact cancellations")
    }

    @Test func canonicalizationSumsDuplicatesDropsZerosAndNormalises() {
        let result = canonicalizePlain([5, 2, 5, 9, 2], [1, 3, 1, 0.5, -3])
        // 2: 3 − 3 = 0 (dropped); 5: 2; 9: 0.5 → normalised by √4.25.
        let norm = Float(4.25).squareRoot()
        #expect(result.indices == [5, 9])
        #expect(result.values == [2 / norm, 0.5 / norm])
        #expect(canonicalizePlain([3, 3], [1, -1]).isEmpty)
        #expect(canonicalizePlain([], []).isEmpty)
    }

    @Test func keysAboveTheBitsetLimitUseThePlainPath() {
        let dk = KeyScratch.bitsetLimit + 1
        #expect(!KeyScratch(dk: dk).isUsable)
        var configuration = MoMConfiguration.default
        configuration.dk = dk
        let featurizer = Featurizer(configuration: configuration)
        var context = ContextWindow(capacity: 4)
        for hash: UInt64 in [11, 22, 33, 44] { context.push(hash) }
        var key = SparseVector()
        featurizer.key(for: context, into: &key)
        #expect(key.count > 0 && key.count <= 16)
        #expect(zip(key.indices, key.indices.dropFirst()).allSatisfy { $0 < $1 })
        #expect(abs(key.values.reduce(Float(0)) { $0 + $1 * $1 } - 1) < 1e-5)
    }

    // MARK: Value codes

    /// The documented layout, dimension by dimension: bit j mod 64 of the (j / 64 + 1)-th draw.
    private func referenceValueCode(_ hash: UInt64, dv: Int) -> [Float] {
        var generator = SplitMix64(seed: hash)
        var bits: UInt64 = 0
        let magnitude = 1 / Float(dv).squareRoot()
        return (0..<dv).map { dimension in
            if dimension % 64 == 0 { bits = generator.next() }
            return (bits >> UInt64(dimension % 64)) & 1 == 0 ? magnitude : -magnitude
        }
    }

    @Test(arguments: [1, 7, 8, 13, 64, 70, 130])
    func valueCodesFollowTheirBitLayout(dv: Int) {
        var configuration = MoMConfiguration.small
        configuration.dv = dv
        let featurizer = Featurizer(configuration: configuration)
        var generator = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let hash = generator.next()
            #expect(bitIdentical(featurizer.valueCode(hash), referenceValueCode(hash, dv: dv)))
        }
    }

    @Test func valueHashesSeeSurfaceAndSpacing() {
        let featurizer = Featurizer(configuration: .default)
        func valueHash(_ text: String, _ leadingSpace: Bool) -> UInt64 {
            Array(text.utf8).withUnsafeBufferPointer { featurizer.valueHash($0, leadingSpace: leadingSpace) }
        }
        func foldedHash(_ text: String) -> UInt64 {
            Array(text.utf8).withUnsafeBufferPointer { featurizer.foldedHash($0) }
        }
        #expect(valueHash("The", false) != valueHash("The", true))
        #expect(valueHash("The", false) != valueHash("the", false))
        #expect(valueHash("The", true) == valueHash("The", true))
        #expect(foldedHash("the") != foldedHash("then"))
        // Another seed gives other hashes.
        var reseeded = MoMConfiguration.default
        reseeded.seed = 1
        let other = Featurizer(configuration: reseeded)
        #expect(Array("the".utf8).withUnsafeBufferPointer { other.foldedHash($0) } != foldedHash("the"))
    }
}
