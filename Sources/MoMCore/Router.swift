import Foundation
import Synchronization

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
/// logits = r_m · k; top-k by logit, ties broken by the configuration's `TieBreak`; weights =
/// softmax over the selected logits. The vectors are a function of the seed, so they are
/// regenerated, not stored.
public struct Router: Sendable {
    public let memories: Int
    public let topK: Int
    public let dk: Int
    public let tieBreak: TieBreak
    /// The router vectors' signs transposed: bit m of row i (`signs[i * bytesPerRow + m / 8]`,
    /// bit m % 8) is set when r_m[i] = −1, so a sparse key reads one contiguous row of N bits per
    /// non-zero.
    let signs: [UInt8]
    let bytesPerRow: Int
    /// Eight ±1 lanes for each byte of sign bits (bit j set → lane j is −1).
    let signLanes: [SIMD8<Float>]

    public init(configuration: MoMConfiguration) {
        memories = configuration.memories
        topK = configuration.topK
        dk = configuration.dk
        tieBreak = configuration.tieBreak
        bytesPerRow = (memories + 7) / 8
        signs = Self.signs(seed: configuration.seed, dk: dk, memories: memories)
        signLanes = Self.lanes
    }

    /// The signs of the router vectors a seed draws, built once per process for each shape: a
    /// load restores a state many times, and drawing dk · N bits took a millisecond each time.
    static func signs(seed: UInt64, dk: Int, memories: Int) -> [UInt8] {
        let key = SignKey(seed: seed, dk: dk, memories: memories)
        if let signs = signCache.withLock({ $0.first { $0.key == key }?.signs }) { return signs }
        let bytesPerRow = (memories + 7) / 8
        var generator = SplitMix64(seed: StableHash.mix64(seed ^ 0x726F_7574_6572))  // "router"
        var signs = [UInt8](repeating: 0, count: dk * bytesPerRow)
        // Entry i·N + m draws bit (i·N + m) mod 64 of the generator's stream, as the vectors always
        // have: row i is bits i·N ..< (i + 1)·N of the stream, least significant bit first.
        if memories % 8 == 0 {
            // Rows are whole bytes, so the rows are the stream's bytes in order (little-endian
            // words); a command-line ask draws these once, and bit by bit it was 4M instructions.
            signs.withUnsafeMutableBytes { generator.fill($0) }
        } else {
            var bits: UInt64 = 0
            for entry in 0..<(dk * memories) {
                if entry & 63 == 0 { bits = generator.next() }
                if (bits >> UInt64(entry & 63)) & 1 == 1 {
                    let (row, memory) = entry.quotientAndRemainder(dividingBy: memories)
                    signs[row * bytesPerRow + memory >> 3] |= 1 << UInt8(memory & 7)
                }
            }
        }
        signCache.withLock { cache in
            if cache.count >= Self.signCacheLimit { cache.removeAll() }
            cache.append((key, signs))
        }
        return signs
    }

    struct SignKey: Equatable {
        var seed: UInt64
        var dk: Int
        var memories: Int
    }

    /// Shapes kept; a process sees one or two (the default and a benchmark's), so a full cache
    /// is simply emptied.
    static let signCacheLimit = 16
    /// A short list, not a Dictionary: a Dictionary's storage type costs a command-line ask a
    /// conformance scan (about 650K instructions), and the list holds a handful of shapes.
    static let signCache = Mutex<[(key: SignKey, signs: [UInt8])]>([])

    /// Eight ±1 lanes for each byte of signs.
    static let lanes: [SIMD8<Float>] = (0..<256).map { byte in
        var lanes = SIMD8<Float>(repeating: 1)
        for lane in 0..<8 where (byte >> lane) & 1 == 1 { lanes[lane] = -1 }
        return lanes
    }

    /// r_m[i], for the reference kernel and tests.
    public func weight(memory: Int, dimension: Int) -> Float {
        (signs[dimension * bytesPerRow + memory >> 3] >> UInt8(memory & 7)) & 1 == 1 ? -1 : 1
    }

    // MARK: Fast kernel

    /// Router logits of a sparse key: each non-zero adds its row of N weights ±1. A product with
    /// ±1 is exact, so adding ±value is adding value · r_m[i].
    public func logits(of key: SparseVector, into logits: inout [Float]) {
        let memories = self.memories
        if logits.count != memories { logits = [Float](repeating: 0, count: memories) }
        let bytesPerRow = self.bytesPerRow
        logits.withUnsafeMutableBufferPointer { out in
            out.update(repeating: 0)
            signs.withUnsafeBufferPointer { signs in
                signLanes.withUnsafeBufferPointer { lanes in
                    for position in 0..<key.indices.count {
                        let row = signs.baseAddress! + Int(key.indices[position]) &* bytesPerRow  // < dk·bytesPerRow
                        let value = key.values[position]
                        let values = SIMD8<Float>(repeating: value)
                        var memory = 0
                        while memory &+ 8 <= memories {
                            let target = UnsafeMutableRawPointer(out.baseAddress! + memory)
                            let sums = target.loadUnaligned(as: SIMD8<Float>.self)
                            target.storeBytes(of: sums + values * lanes[Int(row[memory &>> 3])], as: SIMD8<Float>.self)
                            memory &+= 8
                        }
                        while memory < memories {
                            let negative = (row[memory &>> 3] >> UInt8(memory & 7)) & 1 == 1
                            out[memory] = out[memory] + value * (negative ? -1 : 1)
                            memory &+= 1
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

    /// Where the search for ties starts: memory 0 for `.lowest`; for `.hashed`, a memory picked
    /// by a hash of the logits' bits, so the same key (and so the same logits) always starts at
    /// the same memory.
    public func tieStart(logits: UnsafeBufferPointer<Float>) -> Int {
        guard tieBreak == .hashed else { return 0 }
        var hash = StableHash.defaultSeed
        for logit in logits { hash = StableHash.combine(hash, UInt64(logit.bitPattern)) }
        return Int(StableHash.mix64(hash) % UInt64(memories))
    }

    /// The top-1 choice: the first greatest logit from `tieStart` on (its softmax weight over
    /// itself is exactly 1). Only a tie needs the start.
    func firstGreatest(logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var tied = false
        for memory in 1..<memories {
            if logits[memory] > logits[best] {
                best = memory
                tied = false
            } else if logits[memory] == logits[best] {
                tied = true
            }
        }
        guard tied else { return best }
        var memory = tieStart(logits: logits)
        while logits[memory] != logits[best] { memory = memory == memories - 1 ? 0 : memory + 1 }
        return memory
    }

    /// Picks the top-k logits and their renormalised softmax weights. Memories are taken in
    /// order from `tieStart` round to the one before it, and a later one displaces an earlier
    /// one only when strictly greater, so a tie goes to the first tied memory in that order.
    public func select(logits: [Float], into selection: inout RouteSelection) {
        let topK = self.topK
        let memories = self.memories
        if topK == 1 {
            // One memory, weight exactly 1: the selection's arrays are overwritten in place.
            let best = logits.withUnsafeBufferPointer { firstGreatest(logits: $0) }
            if selection.memories.count == 1 && selection.weights.count == 1 {
                selection.memories[0] = best
                selection.weights[0] = 1
            } else {
                selection = RouteSelection(memories: [best], weights: [1])
            }
            return
        }
        selection.memories.removeAll(keepingCapacity: true)
        selection.weights.removeAll(keepingCapacity: true)
        logits.withUnsafeBufferPointer { logits in
            let start = tieStart(logits: logits)
            for step in 0..<memories {
                let memory = (start + step) % memories
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
