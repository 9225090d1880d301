/// A sparse vector: ascending unique indices with their values.
public struct SparseVector: Sendable, Equatable {
    public var indices: [Int32] = []
    public var values: [Float] = []

    public init() {}

    public init(indices: [Int32], values: [Float]) {
        precondition(indices.count == values.count, "a sparse vector needs one value per index")
        self.indices = indices
        self.values = values
    }

    public var count: Int { indices.count }
    public var isEmpty: Bool { indices.isEmpty }

    /// The dense form, for reference kernels and tests.
    public func dense(dimension: Int) -> [Float] {
        var result = [Float](repeating: 0, count: dimension)
        for (index, value) in zip(indices, values) { result[Int(index)] = value }
        return result
    }
}

/// The last `window` folded-token hashes, most recent first: the context a key is made from.
public struct ContextWindow: Sendable, Equatable {
    public private(set) var hashes: [UInt64]
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        hashes = []
        hashes.reserveCapacity(capacity)
    }

    public var count: Int { hashes.count }

    /// Makes `hash` the most recent token, dropping the oldest when full.
    public mutating func push(_ hash: UInt64) {
        if hashes.count == capacity { hashes.removeLast() }
        hashes.insert(hash, at: 0)
    }

    init(capacity: Int, hashes: [UInt64]) {
        self.capacity = capacity
        self.hashes = hashes
    }
}

/// Turns contexts into sparse signed hashed n-gram keys and tokens into dense ±1/√dv value codes.
///
/// The key of a context is Σₙ cₙ · (s signed one-hot positions hashed from the n most recent
/// folded tokens), L2-normalised. A context with no tokens, or whose entries cancel exactly, gives
/// an empty key, and an empty key never writes.
public struct Featurizer: Sendable {
    public let dk: Int
    public let dv: Int
    let window: Int
    let hashesPerOrder: Int
    let orderWeights: [Float]
    let keySeed: UInt64
    let valueSeed: UInt64
    let foldSeed: UInt64
    /// Eight ±1/√dv lanes for each byte of sign bits (bit j set → lane j negative).
    let signLanes: [SIMD8<Float>]

    public init(configuration: MoMConfiguration) {
        dk = configuration.dk
        dv = configuration.dv
        window = configuration.window
        hashesPerOrder = configuration.hashesPerOrder
        orderWeights = configuration.orderWeights
        keySeed = StableHash.mix64(configuration.seed ^ 0x6B65_7973)  // "keys"
        valueSeed = StableHash.mix64(configuration.seed ^ 0x7661_6C75_6573)  // "values"
        foldSeed = StableHash.mix64(configuration.seed ^ 0x666F_6C64)  // "fold"
        let magnitude = 1 / Float(configuration.dv).squareRoot()
        signLanes = (0..<256).map { byte in
            var lanes = SIMD8<Float>(repeating: magnitude)
            for lane in 0..<8 where (byte >> lane) & 1 == 1 { lanes[lane] = -magnitude }
            return lanes
        }
    }

    // MARK: Token hashes

    /// The hash of a token's case-folded form; keys are built from these.
    public func foldedHash(_ folded: UnsafeBufferPointer<UInt8>) -> UInt64 {
        StableHash.hash(UnsafeRawBufferPointer(folded), seed: foldSeed)
    }

    /// The hash of a token's surface form and spacing; its value code is drawn from this.
    public func valueHash(_ surface: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) -> UInt64 {
        StableHash.hash(UnsafeRawBufferPointer(surface), seed: leadingSpace ? ~valueSeed : valueSeed)
    }

    // MARK: Keys

    /// Writes the key of `context` into `key`, reusing its storage.
    public func key(for context: ContextWindow, into key: inout SparseVector) {
        var scratch = KeyScratch(dk: dk)
        self.key(for: context, into: &key, scratch: &scratch)
    }

    /// Writes the key of `context` into `key`; `scratch` (for this dk) is left as it was found.
    public func key(for context: ContextWindow, into key: inout SparseVector, scratch: inout KeyScratch) {
        let capacity = window * hashesPerOrder
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: capacity) { indices in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: capacity) { values in
                var count = 0
                var gram = keySeed
                let orders = min(context.count, window)
                let dkWide = UInt64(dk)
                for order in 0..<orders {
                    gram = StableHash.combine(gram, context.hashes[order])
                    let weight = orderWeights[order]
                    if weight == 0 { continue }
                    var generator = SplitMix64(seed: gram)
                    for _ in 0..<hashesPerOrder {
                        let bits = generator.next()
                        // Multiply-shift maps the high 32 bits onto 0..<dk (the product is < 2⁶⁴).
                        indices[count] = Int32(truncatingIfNeeded: ((bits >> 32) &* dkWide) >> 32)
                        values[count] = bits & 1 == 0 ? weight : -weight
                        count &+= 1
                    }
                }
                if scratch.isUsable {
                    count = scratch.canonicalize(indices: indices.baseAddress!, values: values.baseAddress!, count: count)
                } else {
                    count = Self.canonicalize(indices: indices.baseAddress!, values: values.baseAddress!, count: count)
                }
                key.indices.removeAll(keepingCapacity: true)
                key.values.removeAll(keepingCapacity: true)
                key.indices.append(contentsOf: UnsafeBufferPointer(start: indices.baseAddress, count: count))
                key.values.append(contentsOf: UnsafeBufferPointer(start: values.baseAddress, count: count))
            }
        }
    }

    /// Sorts by index (stable), sums duplicates in generation order, drops exact zeros, and
    /// normalises to unit length. Returns the entries left: none if nothing remains.
    static func canonicalize(indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>, count: Int) -> Int {
        guard count > 0 else { return 0 }
        // Insertion sort: at most window × s (≤ 1024) entries, usually 32, and stable.
        for position in 1..<count {
            let index = indices[position]
            let value = values[position]
            var slot = position
            while slot > 0 && indices[slot &- 1] > index {
                indices[slot] = indices[slot &- 1]
                values[slot] = values[slot &- 1]
                slot &-= 1
            }
            indices[slot] = index
            values[slot] = value
        }
        var write = 0
        var read = 0
        while read < count {
            let index = indices[read]
            var sum = values[read]
            read &+= 1
            while read < count && indices[read] == index {
                sum += values[read]
                read &+= 1
            }
            if sum != 0 {
                indices[write] = index
                values[write] = sum
                write &+= 1
            }
        }
        var squares: Float = 0
        for position in 0..<write { squares += values[position] * values[position] }
        guard squares > 0, squares.isFinite else { return 0 }
        let norm = squares.squareRoot()
        for position in 0..<write { values[position] /= norm }
        return write
    }

    // MARK: Values

    /// Writes the ±1/√dv code drawn from `valueHash` into `code` (dv floats): dimension j takes
    /// bit j mod 64 of the (j / 64 + 1)-th SplitMix64 draw seeded by the hash; set means negative.
    public func valueCode(_ valueHash: UInt64, into code: UnsafeMutableBufferPointer<Float>) {
        var generator = SplitMix64(seed: valueHash)
        var bits: UInt64 = 0
        var dimension = 0
        signLanes.withUnsafeBufferPointer { lanes in
            let raw = UnsafeMutableRawPointer(code.baseAddress!)
            while dimension &+ 8 <= dv {  // dimension < dv: no overflow
                if dimension & 63 == 0 { bits = generator.next() }
                let byte = Int(truncatingIfNeeded: (bits >> UInt64(dimension & 63)) & 0xFF)
                raw.storeBytes(of: lanes[byte], toByteOffset: dimension &* 4, as: SIMD8<Float>.self)
                dimension &+= 8
            }
        }
        let magnitude = 1 / Float(dv).squareRoot()
        while dimension < dv {
            if dimension & 63 == 0 { bits = generator.next() }
            code[dimension] = (bits >> UInt64(dimension & 63)) & 1 == 0 ? magnitude : -magnitude
            dimension &+= 1
        }
    }

    /// The value code of `valueHash` as an array.
    public func valueCode(_ valueHash: UInt64) -> [Float] {
        [Float](unsafeUninitializedCapacity: dv) { buffer, initialized in
            valueCode(valueHash, into: buffer)
            initialized = dv
        }
    }
}

/// Scratch for the fast canonicalisation of keys: a dense accumulator and a bitset over dk.
///
/// Marking each index in a bitset and walking the set bits yields the indices ascending with no
/// comparison sort; duplicates accumulate in generation order, as in the plain sort-and-merge.
public struct KeyScratch: Sendable {
    var sums: [Float]
    var marks: [UInt64]
    /// Bit w set when marks[w] has any bit set, so the walk visits only the words a key touched.
    var summary: [UInt64]

    /// Up to this dk the bitset walk beats sorting; past it the scratch stays empty and unused.
    static let bitsetLimit = 1 << 14

    public init(dk: Int) {
        if dk <= Self.bitsetLimit {
            sums = [Float](repeating: 0, count: dk)
            marks = [UInt64](repeating: 0, count: (dk + 63) / 64)
            summary = [UInt64](repeating: 0, count: (marks.count + 63) / 64)
        } else {
            sums = []
            marks = []
            summary = []
        }
    }

    var isUsable: Bool { !marks.isEmpty }

    /// The same result as `Featurizer.canonicalize`.
    mutating func canonicalize(indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>, count: Int) -> Int {
        guard count > 0 else { return 0 }
        var write = 0
        var squares: Float = 0
        sums.withUnsafeMutableBufferPointer { sums in
            marks.withUnsafeMutableBufferPointer { marks in
                summary.withUnsafeMutableBufferPointer { summary in
                    for position in 0..<count {
                        let index = Int(indices[position])
                        let word = index &>> 6
                        let bit = UInt64(1) &<< UInt64(index & 63)
                        if marks[word] & bit == 0 {
                            marks[word] |= bit
                            summary[word &>> 6] |= UInt64(1) &<< UInt64(word & 63)
                            sums[index] = values[position]
                        } else {
                            sums[index] += values[position]
                        }
                    }
                    for group in 0..<summary.count where summary[group] != 0 {
                        var words = summary[group]
                        summary[group] = 0
                        while words != 0 {
                            let word = group &<< 6 | words.trailingZeroBitCount
                            words &= words &- 1
                            var bits = marks[word]
                            marks[word] = 0
                            while bits != 0 {
                                let index = word &<< 6 | bits.trailingZeroBitCount
                                bits &= bits &- 1
                                let sum = sums[index]
                                if sum != 0 {
                                    indices[write] = Int32(truncatingIfNeeded: index)
                                    values[write] = sum
                                    write &+= 1
                                }
                            }
                        }
                    }
                }
            }
        }
        for position in 0..<write { squares += values[position] * values[position] }
        guard squares > 0, squares.isFinite else { return 0 }
        let norm = squares.squareRoot()
        for position in 0..<write { values[position] /= norm }
        return write
    }
}
