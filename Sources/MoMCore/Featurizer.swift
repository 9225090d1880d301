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

    public init(configuration: MoMConfiguration) {
        dk = configuration.dk
        dv = configuration.dv
        window = configuration.window
        hashesPerOrder = configuration.hashesPerOrder
        orderWeights = configuration.orderWeights
        keySeed = StableHash.mix64(configuration.seed ^ 0x6B65_7973)  // "keys"
        valueSeed = StableHash.mix64(configuration.seed ^ 0x7661_6C75_6573)  // "values"
        foldSeed = StableHash.mix64(configuration.seed ^ 0x666F_6C64)  // "fold"
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
        key.indices.removeAll(keepingCapacity: true)
        key.values.removeAll(keepingCapacity: true)
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
                // Multiply-shift maps the high 32 bits onto 0..<dk without modulo bias worth noting.
                let index = Int32(truncatingIfNeeded: ((bits >> 32) &* dkWide) >> 32)
                key.indices.append(index)
                key.values.append(bits & 1 == 0 ? weight : -weight)
            }
        }
        Self.canonicalize(&key)
    }

    /// Sorts by index (stable), sums duplicates in generation order, drops exact zeros, and
    /// normalises to unit length. Leaves the vector empty if nothing remains.
    static func canonicalize(_ key: inout SparseVector) {
        let count = key.indices.count
        guard count > 0 else { return }
        // Insertion sort: at most window × s (≤ 1024) entries, usually 32, and stable.
        key.indices.withUnsafeMutableBufferPointer { indices in
            key.values.withUnsafeMutableBufferPointer { values in
                for position in 1..<count {
                    let index = indices[position]
                    let value = values[position]
                    var slot = position
                    while slot > 0 && indices[slot - 1] > index {
                        indices[slot] = indices[slot - 1]
                        values[slot] = values[slot - 1]
                        slot -= 1
                    }
                    indices[slot] = index
                    values[slot] = value
                }
            }
        }
        var write = 0
        var read = 0
        while read < count {
            let index = key.indices[read]
            var sum = key.values[read]
            read += 1
            while read < count && key.indices[read] == index {
                sum += key.values[read]
                read += 1
            }
            if sum != 0 {
                key.indices[write] = index
                key.values[write] = sum
                write += 1
            }
        }
        key.indices.removeLast(count - write)
        key.values.removeLast(count - write)
        var squares: Float = 0
        for value in key.values { squares += value * value }
        guard squares > 0, squares.isFinite else {
            key.indices.removeAll(keepingCapacity: true)
            key.values.removeAll(keepingCapacity: true)
            return
        }
        let norm = squares.squareRoot()
        for position in 0..<key.values.count { key.values[position] /= norm }
    }

    // MARK: Values

    /// Writes the ±1/√dv code drawn from `valueHash` into `code` (dv floats).
    public func valueCode(_ valueHash: UInt64, into code: UnsafeMutableBufferPointer<Float>) {
        let magnitude = 1 / Float(dv).squareRoot()
        var generator = SplitMix64(seed: valueHash)
        var bits: UInt64 = 0
        for dimension in 0..<dv {
            if dimension & 63 == 0 { bits = generator.next() }
            code[dimension] = (bits >> UInt64(dimension & 63)) & 1 == 0 ? magnitude : -magnitude
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
