import CKernels
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
        signs.withUnsafeMutableBufferPointer { signs in
            for entry in first..<last {
                // Dimension j's sign is bit j mod 64 of the (j / 64 + 1)-th draw (Featurizer.valueCode).
                var generator = SplitMix64(seed: vocabulary.valueHash(entry))
                var bits: UInt64 = 0
                for byte in 0..<bytesPerEntry {
                    if byte % 8 == 0 { bits = generator.next() }
                    var signByte = UInt8(truncatingIfNeeded: bits >> UInt64((byte % 8) * 8))
                    let dimensionsLeft = dv - byte * 8
                    if dimensionsLeft < 8 { signByte &= UInt8((1 << dimensionsLeft) - 1) }
                    signs[entry * bytesPerEntry + byte] = signByte
                }
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
    /// code·output = (Σⱼ outputⱼ − 2 Σ_{j negative} outputⱼ) / √dv; the second sum is read from
    /// one 256-entry table per byte of sign bits, built once per output. A coarse scan first
    /// scores every entry in 8-bit steps from its sign nibbles (`coarseCandidates`); only entries
    /// the steps' rounding could put first are summed exactly, so the entry found is the one a
    /// plain scan of every entry finds.
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
        let bytesPerEntry = self.bytesPerEntry
        withUnsafeTemporaryAllocation(of: Float.self, capacity: bytesPerEntry * 256) { tables in
            for byte in 0..<bytesPerEntry {
                let table = byte &* 256
                tables[table] = 0
                for pattern in 1..<256 {
                    // A pattern's sum is its lower patterns' sum plus its lowest set bit's value.
                    let low = pattern.trailingZeroBitCount
                    let dimension = byte &* 8 &+ low
                    let value = dimension < dv ? output[dimension] : 0
                    tables[table &+ pattern] = tables[table &+ (pattern & (pattern &- 1))] + value
                }
            }
            signs.withUnsafeBufferPointer { signs in
                func consider(_ entry: Int) {
                    var negatives: Float = 0
                    let base = entry &* bytesPerEntry
                    for byte in 0..<bytesPerEntry {
                        negatives += tables[byte &* 256 &+ Int(signs[base &+ byte])]
                    }
                    // The smallest sum over negative dimensions is the largest dot product.
                    if negatives < bestNegatives {
                        bestNegatives = negatives
                        best = entry
                    }
                }
                let searched = coarseCandidates(tables: UnsafeBufferPointer(tables)) { candidates in
                    for entry in candidates { consider(Int(entry)) }
                }
                if !searched {
                    for entry in 0..<count { consider(entry) }
                }
            }
        }
        let strength = (total - 2 * bestNegatives) / Float(dv).squareRoot()
        return (best, strength / squares.squareRoot(), strength)
    }

    /// Entries a coarse scan leaves in the running, ascending, handed to `body`; false (and
    /// `body` not called) when the scan does not apply or leaves too many.
    ///
    /// Nibble k's pattern p sums to tₖ[p] (from the byte tables); the scan scores an entry
    /// Σₖ qₖ[p], qₖ[p] = round((tₖ[p] − minₚ tₖ) / step), one step being the widest nibble's
    /// range over `levels`. Each rounding is at most half a step, so an entry's exact sum over
    /// negative dimensions lies within nibbles / 2 steps of its score, and two entries' within
    /// `nibbles` steps of their scores' difference: every entry with the smallest exact sum
    /// scores at most the lowest score + nibbles (+ 1 step for Float32 rounding).
    func coarseCandidates(tables: UnsafeBufferPointer<Float>, _ body: (UnsafeBufferPointer<Int32>) -> Void) -> Bool {
        guard scans, count >= 64 else { return false }
        let nibbles = self.nibbles
        // Nibble k's sum for pattern p, read from the byte tables.
        func sum(_ nibble: Int, _ pattern: Int) -> Float { tables[(nibble / 2) * 256 + pattern << ((nibble % 2) * 4)] }
        func range(_ nibble: Int) -> (least: Float, most: Float) {
            (0..<16).reduce((Float.infinity, -Float.infinity)) { (min($0.0, sum(nibble, $1)), max($0.1, sum(nibble, $1))) }
        }
        let widest = (0..<nibbles).reduce(Float(0)) { widest, nibble in
            let (least, most) = range(nibble)
            return max(widest, most - least)
        }
        let step = widest / Float(levels)
        guard step > 0, step.isFinite else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: nibbles * 16) { coarse in
            for nibble in 0..<nibbles {
                let least = range(nibble).least
                for pattern in 0..<16 {
                    let level = ((sum(nibble, pattern) - least) / step).rounded()
                    coarse[nibble * 16 + pattern] = UInt8(max(0, min(Float(levels), level)))
                }
            }
            let blockCount = (count + 31) / 32
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockCount * 32) { scores in
                blocks.withUnsafeBufferPointer { blocks in
                    momd_scan_nibbles(scores.baseAddress!, blocks.baseAddress!, blockCount, Int32(nibbles), coarse.baseAddress!)
                }
                let bound = min(255, Int(momd_min_score(scores.baseAddress!, count)) + nibbles + 1)
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
