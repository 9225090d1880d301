import CKernels
import Testing
@testable import MoMCore

/// The sparse, lazily decayed memory kernel against the dense gated-delta-rule reference.
@Suite struct MemoryBankTests {
    let count = 3
    let dk = 64
    let dv = 16

    /// Runs `steps` random writes through both kernels; `check` sees both after every step.
    private func run(
        steps: Int, seed: UInt64, logDecay: (inout SplitMix64) -> Float, maxNonZeros: Int = 16,
        check: (_ step: Int, _ bank: MemoryBank, _ dense: [[Float]]) -> Bool
    ) {
        var generator = SplitMix64(seed: seed)
        var bank = MemoryBank(count: count, dk: dk, dv: dv)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: dk * dv), count: count)
        for step in 0..<steps {
            let memory = Int.random(in: 0..<count, using: &generator)
            let key = randomUnitKey(dimension: dk, maxNonZeros: maxNonZeros, using: &generator)
            let value = randomSignValue(dv: dv, using: &generator)
            let beta = step % 4 == 0 ? 1 : Float.random(in: 0.05...1.95, using: &generator)
            let g = logDecay(&generator)
            // The fast kernel takes α; the reference takes g and forms exp(g) itself, the same way.
            bank.update(memory: memory, key: key, value: value, alpha: Float.exp(g), beta: beta)
            GatedDeltaRule.referenceStep(
                state: &dense[memory], key: key.dense(dimension: dk), value: value, beta: beta, logDecay: g, dk: dk, dv: dv)
            if !check(step, bank, dense) { return }
        }
    }

    @Test func withoutDecayTheFastKernelIsBitIdentical() {
        var compared = 0
        var filled = 0
        run(steps: 600, seed: 30, logDecay: { _ in 0 }) { step, bank, dense in
            for memory in 0..<count {
                let identical = bitIdentical(bank.matrix(memory), dense[memory])
                #expect(identical, "memory \(memory) differs after step \(step)")
                if !identical { return false }
            }
            #expect(bank.scales == [1, 1, 1])
            compared += 1
            filled = bank.storedValues.filter { $0 != 0 }.count
            return true
        }
        #expect(compared == 600)
        #expect(filled > count * dk * dv * 9 / 10, "the sparse writes reached almost every row")
    }

    @Test func denseKeysAreBitIdenticalToo() {
        run(steps: 100, seed: 31, logDecay: { _ in 0 }, maxNonZeros: 64) { step, bank, dense in
            let identical = (0..<count).allSatisfy { bitIdentical(bank.matrix($0), dense[$0]) }
            #expect(identical, "after step \(step)")
            return identical
        }
    }

    @Test func lazyDecayMatchesTheReference() {
        var worst = 0.0
        run(steps: 800, seed: 32, logDecay: { Float.random(in: -0.3...(-0.001), using: &$0) }) { step, bank, dense in
            for memory in 0..<count where dense[memory].contains(where: { $0 != 0 }) {
                let error = relativeError(bank.matrix(memory), dense[memory])
                worst = max(worst, error)
                #expect(error < 1e-5, "memory \(memory), step \(step): relative error \(error)")
                if error >= 1e-5 { return false }
            }
            return true
        }
        print("lazy decay vs dense reference: max relative error \(worst)")
    }

    @Test func lazyDecayMatchesTheReferencePastRenormalisation() {
        // α = 1e-3 per write: after seven writes to a memory its scale would fall below 1e-20.
        var renormalisations = 0
        var previousScales = [Float](repeating: 1, count: count)
        run(steps: 300, seed: 33, logDecay: { _ in Float(-6.907755) }) { step, bank, dense in
            for memory in 0..<count {
                if bank.scales[memory] > previousScales[memory] { renormalisations += 1 }
                #expect(bank.scales[memory] >= MemoryBank.renormalizeBelow)
                guard dense[memory].contains(where: { $0 != 0 }) else { continue }
                let error = relativeError(bank.matrix(memory), dense[memory])
                #expect(error < 1e-5, "memory \(memory), step \(step): relative error \(error)")
                if error >= 1e-5 { return false }
            }
            previousScales = bank.scales
            return bank.isFinite
        }
        #expect(renormalisations >= 10)
    }

    @Test func aDecayThatUnderflowsClearsTheMemory() {
        var bank = MemoryBank(count: 1, dk: 8, dv: 4)
        let key = SparseVector(indices: [2], values: [1])
        bank.update(memory: 0, key: key, value: [1, 2, 3, 4], alpha: 1, beta: 1)
        #expect(bank.matrix(0)[8..<12] == [1, 2, 3, 4])
        // A scale of 1e-19 stays lazy: the write is stored divided by it.
        bank.update(memory: 0, key: key, value: [1, 2, 3, 4], alpha: 1e-19, beta: 1)
        #expect(bank.scales == [1e-19])
        #expect(relativeError(Array(bank.matrix(0)[8..<12]), [1, 2, 3, 4]) < 1e-6)
        // 1e-19 · 1e-30 underflows to zero: the renormalisation clears the old contents, so the
        // new write lands on an empty memory.
        bank.update(memory: 0, key: key, value: [4, 3, 2, 1], alpha: 1e-30, beta: 1)
        #expect(bank.isFinite)
        #expect(bank.scales == [1])
        #expect(bank.matrix(0)[8..<12] == [4, 3, 2, 1])
        #expect(bank.matrix(0).enumerated().allSatisfy { (8..<12).contains($0.offset) || $0.element == 0 })
    }

    @Test func oneWriteWithBetaOneStoresTheValueExactly() {
        var bank = MemoryBank(count: 2, dk: 8, dv: 4)
        let key = SparseVector(indices: [1, 6], values: [0.6, 0.8])
        bank.update(memory: 1, key: key, value: [1, -1, 0.5, 2], alpha: 1, beta: 1)
        var output: [Float] = [0, 0, 0, 0]
        bank.read(memory: 1, query: key, weight: 1, into: &output)
        // Sᵀk = k (kᵀk) v = v for a unit key, up to rounding.
        #expect(zip(output, [1, -1, 0.5, 2] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(bank.matrix(0).allSatisfy { $0 == 0 }, "the other memory is untouched")
        // Writing the same association again changes nothing: the residual is (about) zero.
        let before = bank.matrix(1)
        bank.update(memory: 1, key: key, value: [1, -1, 0.5, 2], alpha: 1, beta: 1)
        #expect(relativeError(bank.matrix(1), before) < 1e-6)
    }

    @Test func readEqualsTheReferenceRead() {
        var generator = SplitMix64(seed: 34)
        var bank = MemoryBank(count: count, dk: dk, dv: dv)
        for step in 0..<400 {
            let key = randomUnitKey(dimension: dk, maxNonZeros: 16, using: &generator)
            let alpha: Float = step % 2 == 0 ? 1 : 0.97
            bank.update(
                memory: step % count, key: key, value: randomSignValue(dv: dv, using: &generator), alpha: alpha, beta: 0.9)
        }
        #expect(bank.scales.contains { $0 != 1 }, "reads go through a lazy scale")
        for _ in 0..<300 {
            let memory = Int.random(in: 0..<count, using: &generator)
            let query = randomUnitKey(dimension: dk, maxNonZeros: [4, 16, 64].randomElement(using: &generator)!, using: &generator)
            let weight = Float.random(in: 0.1...1, using: &generator)
            let start = (0..<dv).map { _ in Float.random(in: -1...1, using: &generator) }
            var output = start
            bank.read(memory: memory, query: query, weight: weight, into: &output)
            let reference = GatedDeltaRule.referenceRead(state: bank.matrix(memory), query: query.dense(dimension: dk), dk: dk, dv: dv)
            let expected = zip(start, reference).map { $0 + weight * $1 }
            #expect(relativeError(output, expected) < 1e-6)
        }
    }

    @Test func hebbianKernelMatchesItsDenseReference() {
        // The plain reference of linear attention: S ← αS; S ← S + k (βv)ᵀ on the dense matrix.
        var generator = SplitMix64(seed: 36)
        var bank = MemoryBank(count: 2, dk: dk, dv: dv)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: dk * dv), count: 2)
        for step in 0..<300 {
            let memory = step % 2
            let alpha: Float = memory == 0 ? 1 : 0.9
            let key = randomUnitKey(dimension: dk, maxNonZeros: 16, using: &generator)
            let value = randomSignValue(dv: dv, using: &generator)
            let beta = Float.random(in: 0.1...1, using: &generator)
            bank.updateHebbian(memory: memory, key: key, value: value, alpha: alpha, beta: beta)
            if alpha != 1 { dense[memory] = dense[memory].map { $0 * alpha } }
            let k = key.dense(dimension: dk)
            for row in 0..<dk {
                for column in 0..<dv { dense[memory][row * dv + column] += k[row] * (beta * value[column]) }
            }
        }
        #expect(bitIdentical(bank.matrix(0), dense[0]))
        #expect(bank.scales[1] < 1e-6, "memory 1 decayed lazily")
        #expect(relativeError(bank.matrix(1), dense[1]) < 1e-5)
    }

    // MARK: Value codes

    @Test func nearestCodeEqualsTheReferenceSearch() throws {
        // dv = 64: with 16 sign bits, two entries of a few hundred would likely share a code.
        let configuration = MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 64)
        var state = try MoMState(configuration: configuration)
        var generator = SplitMix64(seed: 35)
        state.fold(randomDocument(byteCount: 3000, using: &generator))
        let featurizer = Featurizer(configuration: configuration)
        let codes = ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer)
        #expect(codes.count == state.vocabulary.count && codes.count > 50)
        for round in 0..<400 {
            var output: [Float]
            if round % 4 == 0 {
                // Exactly one entry's code, scaled: that entry at cosine 1.
                let entry = Int.random(in: 0..<codes.count, using: &generator)
                output = featurizer.valueCode(state.vocabulary.valueHash(entry)).map { $0 * 3 }
                #expect(codes.nearest(to: output).entry == entry)
                #expect(abs(codes.nearest(to: output).confidence - 1) < 1e-6)
            } else {
                output = (0..<featurizer.dv).map { _ in Float.random(in: -1...1, using: &generator) }
            }
            let fast = codes.nearest(to: output)
            let reference = codes.referenceNearest(to: output, in: state.vocabulary)
            #expect(fast.entry == reference.entry)
            #expect(abs(fast.confidence - reference.confidence) <= 1e-6 * max(1, abs(reference.confidence)))
            #expect(abs(fast.strength - reference.strength) <= 1e-5 * max(1, abs(reference.strength)))
        }
    }

    /// An entry's sign bits are its value code's signs, whole bytes or not.
    @Test(arguments: [32, 64, 20, 100])
    func valueCodeSignsAreTheCodesSigns(dv: Int) throws {
        let configuration = MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: dv)
        var state = try MoMState(configuration: configuration)
        var generator = SplitMix64(seed: 37)
        state.fold(randomDocument(byteCount: 2000, using: &generator))
        let featurizer = Featurizer(configuration: configuration)
        let codes = ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer)
        #expect(codes.signs.count == state.vocabulary.count * ((dv + 7) / 8))
        var mismatches = 0
        for entry in 0..<state.vocabulary.count {
            let code = featurizer.valueCode(state.vocabulary.valueHash(entry))
            for byte in 0..<codes.bytesPerEntry {
                var expected: UInt8 = 0
                for bit in 0..<8 where byte * 8 + bit < dv && code[byte * 8 + bit] < 0 { expected |= 1 << UInt8(bit) }
                if codes.signs[entry * codes.bytesPerEntry + byte] != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    /// Past 64 entries a coarse scan of sign nibbles picks the candidates; the entry found is
    /// still the plain search's, for read-outs of one code, of near ties between two, of noise
    /// and of one dominant dimension.
    @Test func nearestCodeOfALargeVocabularyEqualsTheReferenceSearch() throws {
        let configuration = MoMConfiguration(memories: 4, dk: 256)
        var state = try MoMState(configuration: configuration)
        var generator = SplitMix64(seed: 36)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let words = (0..<3000).map { _ in String((0..<6).map { _ in letters[Int.random(in: 0..<26, using: &generator)] }) }
        state.fold(words.joined(separator: " ") + " ")
        let featurizer = Featurizer(configuration: configuration)
        let codes = ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer)
        #expect(codes.scans && codes.count > 2900)
        func code(_ entry: Int) -> [Float] { featurizer.valueCode(state.vocabulary.valueHash(entry)) }
        for round in 0..<300 {
            let (a, b) = (Int.random(in: 0..<codes.count, using: &generator), Int.random(in: 0..<codes.count, using: &generator))
            var output: [Float]
            switch round % 4 {
            case 0:
                output = code(a).map { $0 * 0.7 }
                #expect(codes.nearest(to: output).entry == a)
            case 1:
                // Two codes at nearly equal weights, with noise: the closest calls.
                let share = Float.random(in: 0.49...0.51, using: &generator)
                output = zip(code(a), code(b)).map { share * $0 + (1 - share) * $1 + Float.random(in: -0.01...0.01, using: &generator) }
            case 2:
                output = (0..<featurizer.dv).map { _ in Float.random(in: -1...1, using: &generator) }
            default:
                output = (0..<featurizer.dv).map { _ in Float.random(in: -0.001...0.001, using: &generator) }
                output[Int.random(in: 0..<featurizer.dv, using: &generator)] = 5
            }
            let fast = codes.nearest(to: output)
            let reference = codes.referenceNearest(to: output, in: state.vocabulary)
            #expect(fast.entry == reference.entry, "round \(round)")
            #expect(abs(fast.confidence - reference.confidence) <= 1e-6 * max(1, abs(reference.confidence)))
        }
    }

    /// The coarse scan's candidates summed bit by bit give the same bits as every entry summed
    /// from the byte tables: the same entry, confidence and strength, for read-outs of one code,
    /// near ties and noise, at dv = 32 and 64.
    @Test func scannedSearchEqualsTheFullSearchBitForBit() throws {
        var generator = SplitMix64(seed: 38)
        for dv in [32, 64] {
            let configuration = MoMConfiguration(memories: 4, dk: 256, dv: dv)
            var state = try MoMState(configuration: configuration)
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            let words = (0..<2000).map { _ in String((0..<5).map { _ in letters[Int.random(in: 0..<26, using: &generator)] }) }
            state.fold(words.joined(separator: " ") + " ")
            let featurizer = Featurizer(configuration: configuration)
            let codes = ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer)
            var full = codes
            full.searchesEveryEntry = true
            #expect(codes.scans && codes.count > 1900)
            for round in 0..<200 {
                let (a, b) = (Int.random(in: 0..<codes.count, using: &generator), Int.random(in: 0..<codes.count, using: &generator))
                let (codeA, codeB) = (featurizer.valueCode(state.vocabulary.valueHash(a)), featurizer.valueCode(state.vocabulary.valueHash(b)))
                let output: [Float] = switch round % 3 {
                case 0: codeA.map { $0 * Float.random(in: 0.1...3, using: &generator) }
                case 1: zip(codeA, codeB).map { 0.5 * $0 + 0.5 * $1 + Float.random(in: -0.02...0.02, using: &generator) }
                default: (0..<dv).map { _ in Float.random(in: -1...1, using: &generator) }
                }
                let (scanned, every) = (codes.nearest(to: output), full.nearest(to: output))
                #expect(scanned.entry == every.entry, "dv \(dv), round \(round)")
                #expect(scanned.confidence.bitPattern == every.confidence.bitPattern)
                #expect(scanned.strength.bitPattern == every.strength.bitPattern)
            }
        }
    }

    /// The SSSE3 and AVX2 nibble scans (where this CPU has them) add what the scalar one adds,
    /// for odd and even nibble counts.
    @Test func nibbleScanLanesEqualTheScalarLoop() {
        var generator = SplitMix64(seed: 37)
        for nibbles in [1, 2, 7, 8, 16, 31] {
            let blockCount = 5
            let blocks = (0..<blockCount * nibbles * 16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let tables = (0..<nibbles * 16).map { _ in UInt8.random(in: 0...UInt8(255 / nibbles), using: &generator) }
            var fast = [UInt8](repeating: 0, count: blockCount * 32)
            var scalar = [UInt8](repeating: 1, count: blockCount * 32)
            momd_scan_nibbles(&fast, blocks, blockCount, Int32(nibbles), tables)
            momd_scan_nibbles_scalar(&scalar, blocks, blockCount, Int32(nibbles), tables)
            #expect(fast == scalar)
            for instructions in [Int32(MOMD_SCAN_SSSE3), Int32(MOMD_SCAN_AVX2)] {
                var lanes = [UInt8](repeating: 2, count: blockCount * 32)
                if momd_scan_nibbles_with(instructions, &lanes, blocks, blockCount, Int32(nibbles), tables) == 1 {
                    #expect(lanes == scalar, "instructions \(instructions), \(nibbles) nibbles")
                } else {
                    #expect(lanes.allSatisfy { $0 == 2 }, "nothing written without the instructions")
                }
            }
            #expect(momd_scan_nibbles_with(99, &fast, blocks, blockCount, Int32(nibbles), tables) == 0)
            // Entry 32·b + i: low nibble of byte i in the first half-block, high in the second.
            let (block, slot) = (3, 21)
            let expected = (0..<nibbles).reduce(0) { sum, k in
                sum + Int(tables[k * 16 + Int(blocks[(block * nibbles + k) * 16 + slot - 16] >> 4)])
            }
            #expect(Int(fast[block * 32 + slot]) == expected)
        }
        var scores: [UInt8] = [9, 3, 200, 3, 4] + [UInt8](repeating: 50, count: 40) + [2]
        #expect(momd_min_score(&scores, scores.count) == 2)
        #expect(momd_min_score(&scores, 5) == 3)
        var entries = [Int32](repeating: -1, count: 8)
        #expect(momd_scores_at_most(&scores, scores.count, 4, &entries, 8) == 4)
        #expect(entries.prefix(4) == [1, 3, 4, 45])
        #expect(momd_scores_at_most(&scores, scores.count, 50, &entries, 2) == 45)
        // Past the 32- and 16-byte chunks, against plain loops, at every length up to 200.
        let long = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in 0...long.count {
            var prefix = Array(long[..<length])
            #expect(momd_min_score(&prefix, length) == (prefix.min() ?? 255))
            let bound = UInt8.random(in: 0...80, using: &generator)
            let expected = prefix.indices.filter { prefix[$0] <= bound }.map(Int32.init)
            var found = [Int32](repeating: -1, count: 200)
            #expect(momd_scores_at_most(&prefix, length, bound, &found, 200) == expected.count)
            #expect(Array(found.prefix(expected.count)) == expected)
        }
    }

    @Test func nearestCodeOfNothingIsNothing() throws {
        var state = try MoMState(configuration: .small)
        let featurizer = Featurizer(configuration: .small)
        let zero = [Float](repeating: 0, count: featurizer.dv)
        #expect(ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer).nearest(to: zero).entry == nil)
        state.fold("some words here ")
        let codes = ValueCodes(vocabulary: state.vocabulary, featurizer: featurizer)
        #expect(codes.nearest(to: zero).entry == nil)
        #expect(codes.nearest(to: zero).confidence == 0)
        #expect(codes.referenceNearest(to: zero, in: state.vocabulary).entry == nil)
        var bad = zero
        bad[0] = .nan
        #expect(codes.nearest(to: bad).entry == nil)
    }
}
