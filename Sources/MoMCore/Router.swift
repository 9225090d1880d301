import Foundation

/// The memories one token writes or one query reads, with their weights.
public struct RouteSelection: Sendable, Equatable {
    /// Memory indices, best first.
    public var memories: [Int] = []
    /// Softmax weights renormalised over the selected memories; they sum to 1.
    public var weights: [Float] = []

    public init() {}
    public init(memories: [Int], weights: [Float]) {
        self.memories = memories
        self.weights = weights
    }
}

/// Routes a key to the top-k of N memories by fixed seeded ±1 router vectors.
///
/// logits = r_m · k; top-k by logit (ties to the lower index); weights = softmax over the
/// selected logits. The vectors are a function of the seed, so they are regenerated, not stored.
public struct Router: Sendable {
    public let memories: Int
    public let topK: Int
    public let dk: Int
    /// The router vectors transposed: `columns[i * memories + m]` is r_m[i], so a sparse key
    /// reads one contiguous row of N floats per non-zero.
    let columns: [Float]

    public init(configuration: MoMConfiguration) {
        memories = configuration.memories
        topK = configuration.topK
        dk = configuration.dk
        var generator = SplitMix64(seed: StableHash.mix64(configuration.seed ^ 0x726F_7574_6572))  // "router"
        var columns = [Float](repeating: 0, count: dk * memories)
        var bits: UInt64 = 0
        for entry in 0..<columns.count {
            if entry & 63 == 0 { bits = generator.next() }
            columns[entry] = (bits >> UInt64(entry & 63)) & 1 == 0 ? 1 : -1
        }
        self.columns = columns
    }

    /// r_m[i], for the reference kernel and tests.
    public func weight(memory: Int, dimension: Int) -> Float { columns[dimension * memories + memory] }

    // MARK: Fast kernel

    /// Router logits of a sparse key: each non-zero adds its row of N weights.
    public func logits(of key: SparseVector, into logits: inout [Float]) {
        logits.removeAll(keepingCapacity: true)
        logits.append(contentsOf: repeatElement(0, count: memories))
        let memories = self.memories
        logits.withUnsafeMutableBufferPointer { out in
            columns.withUnsafeBufferPointer { columns in
                key.indices.withUnsafeBufferPointer { indices in
                    key.values.withUnsafeBufferPointer { values in
                        for position in 0..<indices.count {
                            let row = columns.baseAddress! + Int(indices[position]) &* memories  // < dk·N
                            VectorKernels.accumulate(out.baseAddress!, values[position], row, count: memories)
                        }
                    }
                }
            }
        }
    }

    // MARK: Plain reference

    /// Router logits of a dense key, one dot product per memory in ascending dimension order.
    public func referenceLogits(of key: [Float]) -> [Float] {
        precondition(key.count == dk, "key must have dk entries")
        return (0..<memories).map { memory in
            var sum: Float = 0
            for dimension in 0..<dk { sum += key[dimension] * weight(memory: memory, dimension: dimension) }
            return sum
        }
    }

    // MARK: Selection

    /// Picks the top-k logits (ties to the lower index) and their renormalised softmax weights.
    public func select(logits: [Float], into selection: inout RouteSelection) {
        selection.memories.removeAll(keepingCapacity: true)
        selection.weights.removeAll(keepingCapacity: true)
        let topK = self.topK
        logits.withUnsafeBufferPointer { logits in
            // One pass, keeping the best k in order; a later memory displaces an earlier one
            // only when strictly greater, so ties go to the lower index.
            for memory in 0..<memories {
                let logit = logits[memory]
                var slot = selection.memories.count
                while slot > 0 && logit > logits[selection.memories[slot - 1]] { slot -= 1 }
                if slot < topK {
                    if selection.memories.count == topK { selection.memories.removeLast() }
                    selection.memories.insert(memory, at: slot)
                }
            }
            let top = logits[selection.memories[0]]
            var total: Float = 0
            for memory in selection.memories {
                let weight = Float.exp(logits[memory] - top)
                selection.weights.append(weight)
                total += weight
            }
            for position in 0..<selection.weights.count { selection.weights[position] /= total }
        }
    }
}

extension Float {
    @usableFromInline
    static func exp(_ x: Float) -> Float {
        // Through Double so the result does not depend on a platform's single-precision expf.
        Float(Foundation.exp(Double(x)))
    }
}
