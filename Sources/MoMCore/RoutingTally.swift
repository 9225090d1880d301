/// The routing of one chunk of tokens: how many tokens each memory took and their mean weight.
public struct RoutingChunk: Sendable, Equatable, Codable {
    /// Chunk number: tokens `index * tokens ..< (index + 1) * tokens`.
    public var index: UInt64
    /// Tokens in the chunk, routed or not (the first token of a document has no key).
    public var tokens: UInt32
    /// Per memory: tokens routed to it.
    public var counts: [UInt32]
    /// Per memory: the mean routing weight of those tokens (0 where the count is 0).
    public var meanWeights: [Float]

    public init(index: UInt64, tokens: UInt32, counts: [UInt32], meanWeights: [Float]) {
        self.index = index
        self.tokens = tokens
        self.counts = counts
        self.meanWeights = meanWeights
    }
}

/// Accumulates the routing history chunk by chunk. The open chunk is part of the state, so the
/// history comes out the same in one pass or many.
public struct RoutingTally: Sendable, Equatable {
    public let chunkTokens: Int
    public let memories: Int
    public private(set) var chunkIndex: UInt64 = 0
    public private(set) var tokensInChunk: UInt32 = 0
    var counts: [UInt32]
    var weightSums: [Double]
    /// Chunks completed since the last `drain()`; not part of the state.
    var completed: [RoutingChunk] = []

    public init(chunkTokens: Int, memories: Int) {
        self.chunkTokens = chunkTokens
        self.memories = memories
        counts = [UInt32](repeating: 0, count: memories)
        weightSums = [Double](repeating: 0, count: memories)
    }

    public static func == (lhs: RoutingTally, rhs: RoutingTally) -> Bool {
        lhs.chunkTokens == rhs.chunkTokens && lhs.chunkIndex == rhs.chunkIndex
            && lhs.tokensInChunk == rhs.tokensInChunk && lhs.counts == rhs.counts && lhs.weightSums == rhs.weightSums
    }

    mutating func record(_ selection: RouteSelection, routed: Bool) {
        if routed {
            for (memory, weight) in zip(selection.memories, selection.weights) {
                counts[memory] += 1
                weightSums[memory] += Double(weight)
            }
        }
        tokensInChunk += 1
        if Int(tokensInChunk) == chunkTokens { closeChunk() }
    }

    /// The open chunk as it stands.
    public var openChunk: RoutingChunk { chunk() }

    func chunk() -> RoutingChunk {
        RoutingChunk(
            index: chunkIndex, tokens: tokensInChunk, counts: counts,
            meanWeights: zip(counts, weightSums).map { count, sum in count == 0 ? 0 : Float(sum / Double(count)) }
        )
    }

    mutating func closeChunk() {
        completed.append(chunk())
        chunkIndex += 1
        tokensInChunk = 0
        for memory in 0..<memories {
            counts[memory] = 0
            weightSums[memory] = 0
        }
    }

    /// Hands over the chunks completed since the last call.
    mutating func drain() -> [RoutingChunk] {
        defer { completed.removeAll() }
        return completed
    }

    func write(to writer: inout ByteWriter) {
        writer.append(chunkIndex)
        writer.append(tokensInChunk)
        for count in counts { writer.append(count) }
        for sum in weightSums { writer.append(sum.bitPattern) }
    }

    static func read(from reader: inout ByteReader, chunkTokens: Int, memories: Int) throws -> RoutingTally {
        var tally = RoutingTally(chunkTokens: chunkTokens, memories: memories)
        tally.chunkIndex = try reader.read(UInt64.self)
        tally.tokensInChunk = try reader.read(UInt32.self)
        for memory in 0..<memories { tally.counts[memory] = try reader.read(UInt32.self) }
        for memory in 0..<memories { tally.weightSums[memory] = Double(bitPattern: try reader.read(UInt64.self)) }
        guard Int(tally.tokensInChunk) < chunkTokens else {
            throw MoMError(.corruptState, "state routing tally holds a full chunk")
        }
        guard tally.counts.allSatisfy({ $0 <= tally.tokensInChunk }) else {
            throw MoMError(.corruptState, "state routing tally counts more tokens than its chunk holds")
        }
        return tally
    }
}
