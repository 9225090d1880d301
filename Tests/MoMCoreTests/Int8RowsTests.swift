import Testing
@testable import MoMCore

/// Int8 rows: each write computed in Float32, rounded to the nearest 1/64 step (ties to even),
/// clamped to ±127 steps; the SIMD lanes and the scalar tail give the same codes.
@Suite struct Int8RowsTests {
    @Test func aWriteRoundsToTheNearestStepTiesToEvenAndClamps() {
        // Nine values: eight SIMD lanes, then one for the scalar tail.
        var codes: [Int8] = [0, 1, 126, -126, 2, 3, 0, 0, 5]
        let x: [Float] = [0.5, 0.5, 5, -5, 0.49, 1.5, -0.5, 200, 0.5]
        codes.withUnsafeMutableBufferPointer { codes in
            x.withUnsafeBufferPointer { VectorKernels.accumulate(codes: codes.baseAddress!, 1, $0.baseAddress!, count: 9) }
        }
        #expect(codes == [0, 2, 127, -127, 2, 4, 0, 127, 6])
    }

    @Test func theSIMDLanesAndTheScalarTailAgree() {
        var generator = SplitMix64(seed: 81)
        for _ in 0..<200 {
            let start = (0..<8).map { _ in Int8.random(in: -127...127, using: &generator) }
            let x = (0..<8).map { _ in Float.random(in: -300...300, using: &generator) }
            let a = Float.random(in: -1...1, using: &generator)
            var lanes = start
            lanes.withUnsafeMutableBufferPointer { codes in
                x.withUnsafeBufferPointer { VectorKernels.accumulate(codes: codes.baseAddress!, a, $0.baseAddress!, count: 8) }
            }
            var tail = start
            for index in 0..<8 {  // one value at a time: the scalar loop
                tail.withUnsafeMutableBufferPointer { codes in
                    x.withUnsafeBufferPointer {
                        VectorKernels.accumulate(codes: codes.baseAddress! + index, a, $0.baseAddress! + index, count: 1)
                    }
                }
            }
            #expect(lanes == tail)
            let expected = zip(start, x).map { code, value in
                Int8(min(max(Float(code) + a * value, -127), 127).rounded(.toNearestOrEven))
            }
            #expect(lanes == expected)
        }
    }

    /// A write's rows in one call give the codes of one call per row, in order: the AVX2 lanes
    /// where the CPU has them, on widths with and without a tail, through clamping and a NaN.
    @Test(arguments: [8, 13, 32, 45])
    func aWritesRowsInOneCallAreTheRowsOneByOne(width: Int) {
        var generator = SplitMix64(seed: 83)
        let start = (0..<(20 * width)).map { _ in Int8.random(in: -127...127, using: &generator) }
        var x = (0..<width).map { _ in Float.random(in: -300...300, using: &generator) }
        x[width / 2] = .nan
        let rows: [Int32] = [4, 19, 0, 11, 7]
        let weights = rows.map { _ in Float.random(in: -1...1, using: &generator) }
        var batched = start
        batched.withUnsafeMutableBufferPointer { codes in
            VectorKernels.accumulateRows(codes: codes.baseAddress!, rows: rows, weights: weights, rowCount: rows.count, x, width: width)
        }
        var single = start
        single.withUnsafeMutableBufferPointer { codes in
            for (row, weight) in zip(rows, weights) {
                VectorKernels.accumulate(codes: codes.baseAddress! + Int(row) * width, weight, x, count: width)
            }
        }
        #expect(batched == single)
        #expect(batched[4 * width + width / 2] == -127)  // NaN clamps to the lower bound
        #expect(batched[width..<(2 * width)] == start[width..<(2 * width)])  // row 1 is not written
        #expect(batched != start)
    }

    /// Widths of one 8-column block and a tail, of whole 32-column AVX2 blocks, and of both with
    /// 8-column blocks and a tail after them.
    @Test(arguments: [13, 32, 45, 64, 77])
    func gatherSumsTheRowsInOrderAsTheScalarLoopDoes(width: Int) {
        var generator = SplitMix64(seed: 82)
        let codes = (0..<(40 * width)).map { _ in Int8.random(in: -127...127, using: &generator) }
        let rows: [Int32] = [3, 17, 17, 0, 39, 8]
        let weights = rows.map { _ in Float.random(in: -1...1, using: &generator) }
        var out = [Float](repeating: .nan, count: width)
        out.withUnsafeMutableBufferPointer { out in
            VectorKernels.gatherRows(
                into: out.baseAddress!, codes: codes, rows: rows, weights: weights, rowCount: rows.count, width: width)
        }
        let expected = (0..<width).map { column in
            rows.indices.reduce(Float(0)) { $0 + weights[$1] * Float(codes[Int(rows[$1]) * width + column]) }
        }
        #expect(bitIdentical(out, expected))
    }

    /// The bank's int8 write is the delta rule on the dequantised rows, rounded per value.
    @Test func aBankWriteIsTheDeltaRuleRoundedToSteps() {
        let (count, dk, dv) = (2, 32, 16)
        var generator = SplitMix64(seed: 83)
        var bank = MemoryBank(count: count, dk: dk, dv: dv, rowFormat: .int8)
        var reference = [[Int8]](repeating: [Int8](repeating: 0, count: dk * dv), count: count)
        for step in 0..<300 {
            let memory = Int.random(in: 0..<count, using: &generator)
            let key = randomUnitKey(dimension: dk, maxNonZeros: 8, using: &generator)
            let value = randomSignValue(dv: dv, using: &generator)
            bank.update(memory: memory, key: key, value: value, alpha: 1, beta: 1)
            var prediction = [Float](repeating: 0, count: dv)
            for column in 0..<dv {
                for (row, weight) in zip(key.indices, key.values) {
                    prediction[column] = prediction[column] + weight * Float(reference[memory][Int(row) * dv + column])
                }
            }
            let steps = (0..<dv).map { (value[$0] - prediction[$0] * MemoryBank.codeStep) * 64 }
            for (row, weight) in zip(key.indices, key.values) {
                for column in 0..<dv {
                    let index = Int(row) * dv + column
                    let sum = Float(reference[memory][index]) + weight * steps[column]
                    reference[memory][index] = Int8(min(max(sum, -127), 127).rounded(.toNearestOrEven))
                }
            }
            let stored = bank.storedCodes
            let same = (0..<count).allSatisfy { Array(stored[($0 * dk * dv)..<(($0 + 1) * dk * dv)]) == reference[$0] }
            #expect(same, "after step \(step)")
            if !same { return }
        }
        #expect(bank.storedCodes.contains { $0 != 0 })
        #expect(bank.matrix(0).allSatisfy { abs($0) <= 127 * MemoryBank.codeStep })
    }

    @Test func decayRenormalisesTheCodesBeforeTheScaleGetsSmall() {
        var bank = MemoryBank(count: 1, dk: 8, dv: 8, rowFormat: .int8)
        let key = SparseVector(indices: [2], values: [1])
        let value = [Float](repeating: 0.5, count: 8)
        bank.update(memory: 0, key: key, value: value, alpha: 1, beta: 1)
        #expect(bank.storedCodes[16..<24].allSatisfy { $0 == 32 })  // 0.5 = 32 steps
        bank.update(memory: 0, key: SparseVector(indices: [5], values: [1]), value: value, alpha: 0.6, beta: 1)
        #expect(bank.scales == [0.6])
        bank.update(memory: 0, key: SparseVector(indices: [5], values: [1]), value: value, alpha: 0.6, beta: 1)
        // 0.36 < 0.5: the scale folds into the codes (32 · 0.6 · 0.6 = 11.52 → 12) and returns to 1.
        #expect(bank.scales == [1])
        #expect(bank.storedCodes[16..<24].allSatisfy { $0 == 12 })
    }
}
