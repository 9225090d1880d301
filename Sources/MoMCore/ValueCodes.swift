import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Every vocabulary entry's value code, kept as its sign bits, for nearest-code decoding.
///
/// A code is ±1/√dv in every dimension, so its sign bits are the whole code: dv bits an entry
/// instead of dv floats, which is what lets a document's codes stay cached beside its state.
public struct ValueCodes: Sendable {
    public let dv: Int
    public private(set) var count: Int = 0
    /// Bytes of sign bits per entry (bit j of the entry's bytes set → dimension j negative).
    let bytesPerEntry: Int
    /// `signs[e * bytesPerEntry + b]`: entry e, dimensions 8b ..< 8b + 8.
    var signs: [UInt8] = []
    let featurizer: Featurizer
    /// The same sign bits as 4-bit nibbles, 32 entries a block, for the coarse scan
    /// (`momd_scan_nibbles`); empty when the codes have too many nibbles for 8-bit sums.
    var blocks: [UInt8] = []
    /// Nibbles an entry: dv / 4, rounded up.
    let nibbles: Int
    /// The largest coarse table value: `nibbles` of them still sum below 256.
    let levels: Int

    /// The coarse scan needs at least 8 levels a nibble to pick few candidates.
    var scans: Bool { levels >= 8 }
    /// Skips the coarse scan and sums every entry from the byte tables: the path tests hold the
    /// scan to, bit for bit.
    var searchesEveryEntry = false

    public init(vocabulary: Vocabulary, featurizer: Featurizer) {
        dv = featurizer.dv
        bytesPerEntry = (featurizer.dv + 7) / 8
        nibbles = (featurizer.dv + 3) / 4
        levels = 255 / nibbles
        self.featurizer = featurizer
        extend(to: vocabulary)
    }

    /// Adds the codes of the entries `vocabulary` has beyond `count`; the entries before must be
    /// the ones these codes were made from (a vocabulary only grows).
    ///
    /// A cold read makes the codes of every entry, so this writes through pointers in one pass.
    mutating func extend(to vocabulary: Vocabulary) {
        guard vocabulary.count > count else { return }
        let (first, last) = (count, vocabulary.count)
        let (dv, bytesPerEntry, nibbles) = (self.dv, self.bytesPerEntry, self.nibbles)
        signs.append(contentsOf: repeatElement(0, count: (last - first) * bytesPerEntry))
        let lastByteMask = dv % 8 == 0 ? UInt8.max : UInt8((1 << (dv % 8)) - 1)
        signs.withUnsafeMutableBytes { signs in
            for entry in first..<last {
                // Dimension j's sign is bit j mod 64 of the (j / 64 + 1)-th draw
                // (Featurizer.valueCode): the entry's bytes are the draws' bytes in order.
                var generator = SplitMix64(seed: vocabulary.valueHash(entry))
                let row = signs.baseAddress! + entry * bytesPerEntry
                generator.fill(UnsafeMutableRawBufferPointer(start: row, count: bytesPerEntry))
                row.storeBytes(of: row.load(fromByteOffset: bytesPerEntry - 1, as: UInt8.self) & lastByteMask, toByteOffset: bytesPerEntry - 1, as: UInt8.self)
            }
        }
        if scans {
            // Entry e's nibble n goes to block e / 32, row n, lane e % 16: the low half of the
            // byte for the block's first 16 entries, the high half for the next 16.
            let blockBytes = nibbles * 16
            let blocksNeeded = (last + 31) / 32 * blockBytes
            if blocks.count < blocksNeeded { blocks.append(contentsOf: repeatElement(0, count: blocksNeeded - blocks.count)) }
            signs.withUnsafeBufferPointer { signs in
                blocks.withUnsafeMutableBufferPointer { blocks in
                    for entry in first..<last {
                        let slot = entry & 31
                        let base = (entry >> 5) * blockBytes + (slot & 15)
                        let shift: UInt8 = slot < 16 ? 0 : 4
                        for nibble in 0..<nibbles {
                            let bits = (signs[entry * bytesPerEntry + nibble >> 1] >> UInt8((nibble & 1) * 4)) & 15
                            blocks[base + nibble * 16] |= bits << shift
                        }
                    }
                }
            }
        }
        count = last
    }

    // MARK: Fast kernel

    /// The entry whose code has the highest cosine with `output` (ties to the lower entry), that
    /// cosine, and the projection of `output` on the code (the strength).
    ///
    /// code·output = (Σⱼ outputⱼ − 2 Σ_{j negative} outputⱼ) / √dv. A coarse scan first scores
    /// every entry in 8-bit steps from its sign nibbles (`coarseCandidates`); only entries the
    /// steps' rounding could put first are summed exactly (`negativeSum`), so the entry found is
    /// the one a plain scan of every entry finds. Without the scan every entry's sum is read from
    /// one 256-entry table per byte of sign bits, summed in the same order, so both give the same
    /// bits.
    public func nearest(to output: [Float]) -> (entry: Int?, confidence: Float, strength: Float) {
        precondition(output.count == dv, "the output must have dv dimensions")
        var squares: Float = 0
        var total: Float = 0
        for value in output {
            squares += value * value
            total += value
        }
        guard squares > 0, squares.isFinite, count > 0 else { return (nil, 0, 0) }
        var best = 0
        var bestNegatives = Float.infinity
        func consider(_ entry: Int, _ negatives: Float) {
            // The smallest sum over negative dimensions is the largest dot product.
            if negatives < bestNegatives {
                bestNegatives = negatives
                best = entry
            }
        }
        output.withUnsafeBufferPointer { output in
            signs.withUnsafeBufferPointer { signs in
                let bytesPerEntry = self.bytesPerEntry
                let searched = coarseCandidates(of: output, signs: signs) { candidates in
                    for entry in candidates { consider(Int(entry), Self.negativeSum(of: Int(entry), signs, bytesPerEntry, output)) }
                }
                guard !searched else { return }
                withUnsafeTemporaryAllocation(of: Float.self, capacity: bytesPerEntry * 256) { tables in
                    for byte in 0..<bytesPerEntry {
                        Self.patternSums(into: tables, at: byte &* 256, bits: 8, from: byte &* 8, of: output)
                    }
                    for entry in 0..<count {
                        var negatives: Float = 0
                        let base = entry &* bytesPerEntry
                        for byte in 0..<bytesPerEntry { negatives += tables[byte &* 256 &+ Int(signs[base &+ byte])] }
                        consider(entry, negatives)
                    }
                }
            }
        }
        let strength = (total - 2 * bestNegatives) / Float(dv).squareRoot()
        return (best, strength / squares.squareRoot(), strength)
    }

    /// Sets `tables[at + p]`, for every pattern p of `bits` bits, to the sum of `output` over the
    /// dimensions `from + j` whose bit j is set in p (0 past dv): highest bit first, from 0, one
    /// rounding per sum — the order `negativeSum` adds in.
    static func patternSums(into tables: UnsafeMutableBufferPointer<Float>, at: Int, bits: Int, from: Int, of output: UnsafeBufferPointer<Float>) {
        tables[at] = 0
        for pattern in 1..<(1 << bits) {
            // A pattern's sum is its higher bits' sum plus its lowest set bit's value.
            let dimension = from &+ pattern.trailingZeroBitCount
            let value = dimension < output.count ? output[dimension] : 0
            tables[at &+ pattern] = tables[at &+ (pattern & (pattern &- 1))] + value
        }
    }

    /// Entry `entry`'s sum of `output` over its negative dimensions: each byte of sign bits summed
    /// from its highest set bit down, from 0, and the bytes' sums added in order (what the byte
    /// tables of `patternSums` hold).
    @inline(__always)
    static func negativeSum(of entry: Int, _ signs: UnsafeBufferPointer<UInt8>, _ bytesPerEntry: Int, _ output: UnsafeBufferPointer<Float>) -> Float {
        var negatives: Float = 0
        let base = entry &* bytesPerEntry
        for byte in 0..<bytesPerEntry {
            var bits = UInt32(signs[base &+ byte])
            var sum: Float = 0
            while bits != 0 {
                let high = 31 &- bits.leadingZeroBitCount
                sum += output[byte &* 8 &+ high]
                bits &= ~(1 << UInt32(high))
            }
            negatives += sum
        }
        return negatives
    }

    /// Entries a coarse scan leaves in the running, ascending, handed to `body`; false (and
    /// `body` not called) when the scan does not apply or leaves too many.
    ///
    /// Nibble k's pattern p sums to tₖ[p]; the scan scores an entry Σₖ qₖ[p],
    /// qₖ[p] = round((tₖ[p] − minₚ tₖ) / step), one step being the widest nibble's range over
    /// `levels`. Each rounding is at most half a step, so an entry's exact sum over negative
    /// dimensions lies within nibbles / 2 steps of its score, and two entries' within `nibbles`
    /// steps of their scores' difference: every entry with the smallest exact sum scores at most
    /// the lowest score + nibbles (+ 1 step for Float32 rounding).
    func coarseCandidates(
        of output: UnsafeBufferPointer<Float>, signs: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<Int32>) -> Void
    ) -> Bool {
        guard scans, count >= 64, !searchesEveryEntry else { return false }
        let nibbles = self.nibbles
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: nibbles * 16) { sums in
            for nibble in 0..<nibbles {
                Self.patternSums(into: sums, at: nibble &* 16, bits: 4, from: nibble &* 4, of: output)
            }
            func least(_ nibble: Int) -> Float { sums[(nibble &* 16)..<(nibble &* 16 &+ 16)].min()! }
            let widest = (0..<nibbles).reduce(Float(0)) { widest, nibble in
                max(widest, sums[(nibble &* 16)..<(nibble &* 16 &+ 16)].max()! - least(nibble))
            }
            let step = widest / Float(levels)
            guard step > 0, step.isFinite else { return false }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: nibbles * 16) { coarse in
                for nibble in 0..<nibbles {
                    let floor = least(nibble)
                    for pattern in 0..<16 {
                        let level = ((sums[nibble &* 16 &+ pattern] - floor) / step).rounded()
                        coarse[nibble &* 16 &+ pattern] = UInt8(max(0, min(Float(levels), level)))
                    }
                }
                let blockCount = (count + 31) / 32
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockCount * 32) { scores in
                    blocks.withUnsafeBufferPointer { blocks in
                        momd_scan_nibbles(scores.baseAddress!, blocks.baseAddress!, blockCount, Int32(nibbles), coarse.baseAddress!)
                    }
                    // Every entry's exact sum lies within nibbles / 2 steps of least + step · score
                    // (+ 1 step for Float32 rounding). One entry of the lowest score, summed
                    // exactly, sets what the winner's sum is at most, and so the highest score
                    // that could still reach it: in noise a few steps above the lowest, where
                    // the rounding alone would allow `nibbles` (+ 1).
                    let lowest = momd_min_score(scores.baseAddress!, count)
                    var bound = min(255, Int(lowest) + nibbles + 1)
                    if let found = memchr(scores.baseAddress!, Int32(lowest), count) {
                        let first = UnsafeRawPointer(found) - UnsafeRawPointer(scores.baseAddress!)
                        let floors = (0..<nibbles).reduce(Float(0)) { $0 + least($1) }
                        let exact = Self.negativeSum(of: first, signs, bytesPerEntry, output)
                        let reach = ((exact - floors) / step + Float(nibbles) / 2 + 1).rounded(.down)
                        if reach < Float(bound) { bound = max(Int(lowest), Int(max(reach, 0))) }
                    }
                    let capacity = max(64, count / 16)
                    return withUnsafeTemporaryAllocation(of: Int32.self, capacity: capacity) { entries in
                        let found = momd_scores_at_most(scores.baseAddress!, count, UInt8(bound), entries.baseAddress!, capacity)
                        guard found <= capacity else { return false }
                        body(UnsafeBufferPointer(rebasing: entries[..<found]))
                        return true
                    }
                }
            }
        }
    }

    // MARK: Plain reference

    /// The same search over the first `count` entries of `vocabulary` (the one the codes were
    /// made from), drawing each code afresh and computing the cosine in full.
    public func referenceNearest(to output: [Float], in vocabulary: Vocabulary) -> (entry: Int?, confidence: Float, strength: Float) {
        var squares: Float = 0
        for value in output { squares += value * value }
        guard squares > 0, squares.isFinite, count > 0 else { return (nil, 0, 0) }
        var best: Int?
        var bestCosine = -Float.infinity
        var bestDot: Float = 0
        for entry in 0..<count {
            let code = featurizer.valueCode(vocabulary.valueHash(entry))
            var dot: Float = 0
            var codeSquares: Float = 0
            for dimension in 0..<dv {
                dot += code[dimension] * output[dimension]
                codeSquares += code[dimension] * code[dimension]
            }
            let cosine = dot / (codeSquares.squareRoot() * squares.squareRoot())
            if cosine > bestCosine {
                bestCosine = cosine
                bestDot = dot / codeSquares.squareRoot()
                best = entry
            }
        }
        return (best, bestCosine, bestDot)
    }
}

/// The value codes of one state's vocabulary, made once and grown as the vocabulary grows.
///
/// Shared by copies of a state until one of them folds (which replaces its cache), so every
/// holder's vocabulary starts with the entries cached here.
final class ValueCodeCache: Sendable {
    private let codes = Mutex<ValueCodes?>(nil)

    func codes(for vocabulary: Vocabulary, featurizer: Featurizer) -> ValueCodes {
        codes.withLock { cached in
            if cached == nil {
                cached = ValueCodes(vocabulary: vocabulary, featurizer: featurizer)
            } else {
                cached!.extend(to: vocabulary)
            }
            return cached!
        }
    }
}
