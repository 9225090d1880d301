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

    public init(vocabulary: Vocabulary, featurizer: Featurizer) {
        dv = featurizer.dv
        bytesPerEntry = (featurizer.dv + 7) / 8
        self.featurizer = featurizer
        extend(to: vocabulary)
    }

    /// Adds the codes of the entries `vocabulary` has beyond `count`; the entries before must be
    /// the ones these codes were made from (a vocabulary only grows).
    mutating func extend(to vocabulary: Vocabulary) {
        guard vocabulary.count > count else { return }
        signs.reserveCapacity(vocabulary.count * bytesPerEntry)
        for entry in count..<vocabulary.count {
            // Dimension j's sign is bit j mod 64 of the (j / 64 + 1)-th draw (Featurizer.valueCode).
            var generator = SplitMix64(seed: vocabulary.valueHash(entry))
            var bits: UInt64 = 0
            for byte in 0..<bytesPerEntry {
                if byte % 8 == 0 { bits = generator.next() }
                var signByte = UInt8(truncatingIfNeeded: bits >> UInt64((byte % 8) * 8))
                let dimensionsLeft = dv - byte * 8
                if dimensionsLeft < 8 { signByte &= UInt8((1 << dimensionsLeft) - 1) }
                signs.append(signByte)
            }
        }
        count = vocabulary.count
    }

    // MARK: Fast kernel

    /// The entry whose code has the highest cosine with `output` (ties to the lower entry), that
    /// cosine, and the projection of `output` on the code (the strength).
    ///
    /// code·output = (Σⱼ outputⱼ − 2 Σ_{j negative} outputⱼ) / √dv; the second sum is read from
    /// one 256-entry table per byte of sign bits, built once per output.
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
                var base = 0
                for entry in 0..<count {
                    var negatives: Float = 0
                    for byte in 0..<bytesPerEntry {
                        negatives += tables[byte &* 256 &+ Int(signs[base &+ byte])]
                    }
                    // The smallest sum over negative dimensions is the largest dot product.
                    if negatives < bestNegatives {
                        bestNegatives = negatives
                        best = entry
                    }
                    base &+= bytesPerEntry
                }
            }
        }
        let strength = (total - 2 * bestNegatives) / Float(dv).squareRoot()
        return (best, strength / squares.squareRoot(), strength)
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
