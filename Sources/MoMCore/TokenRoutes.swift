/// The routing choice of one token: the memories it wrote, best first, and their weights.
public struct TokenRoute: Sendable, Equatable, Codable {
    /// The token's position in the document (0 = its first token).
    public var index: UInt64
    /// Memory indices, best first; empty for a token that was not routed (it had no key: the
    /// document's first token).
    public var memories: [Int]
    /// The routing weight of each memory, as recorded: quantised to 1/65535.
    public var weights: [Float]

    public init(index: UInt64, memories: [Int], weights: [Float]) {
        self.index = index
        self.memories = memories
        self.weights = weights
    }

    /// Whether the token wrote any memory.
    public var isRouted: Bool { !memories.isEmpty }
}

/// The per-token routing choices of consecutive tokens, compact: per token `topK` memory indices
/// (one byte each) and `topK` weights quantised to 16 bits.
///
/// Recorded by `MoMState` when asked to (`startRecordingTokenRoutes()`); not part of the state,
/// so recording changes neither the encoded state nor its digest. Memory indices are bytes, with
/// `unrouted` (255) marking a token that was not routed, so recording needs `memories <= 255`.
public struct TokenRoutes: Sendable, Equatable {
    /// The memory index that marks a token that was not routed (its weights are 0).
    public static let unrouted: UInt8 = 255
    /// The most routed memories whose indices fit beside the `unrouted` mark.
    public static let maxMemories = 255

    /// Index of the first token (0 = the document's first token).
    public private(set) var firstToken: UInt64
    /// Memories each token writes: the configuration's topK.
    public let topK: Int
    /// Per token, `topK` memory indices best first: token t's are `memories[t·topK ..< (t+1)·topK]`.
    public private(set) var memories: [UInt8] = []
    /// Per token, `topK` weights as round(w · 65535), in the order of `memories`.
    public private(set) var weights: [UInt16] = []

    /// Empty routes starting at `firstToken`.
    public init(firstToken: UInt64, topK: Int) {
        precondition(topK >= 1 && topK <= Self.maxMemories, "topK must be in 1...255")
        self.firstToken = firstToken
        self.topK = topK
    }

    /// Routes from their stored arrays.
    ///
    /// - Throws: `corruptState` if the arrays do not hold `topK` entries per token alike, or an
    ///   unrouted token has a weight.
    public init(firstToken: UInt64, topK: Int, memories: [UInt8], weights: [UInt16]) throws {
        guard (1...Self.maxMemories).contains(topK) else {
            throw MoMError(.corruptState, "token routes with topK \(topK): it must be in 1...255")
        }
        guard memories.count == weights.count, memories.count % topK == 0 else {
            throw MoMError(
                .corruptState,
                "token routes hold \(memories.count) memory indices and \(weights.count) weights: not \(topK) of each per token")
        }
        for (memory, weight) in zip(memories, weights) where memory == Self.unrouted && weight != 0 {
            throw MoMError(.corruptState, "token routes give an unrouted token the weight \(weight)")
        }
        self.firstToken = firstToken
        self.topK = topK
        self.memories = memories
        self.weights = weights
    }

    /// Tokens recorded.
    public var tokenCount: Int { memories.count / topK }

    /// Whether no token is recorded.
    public var isEmpty: Bool { memories.isEmpty }

    /// One past the last token recorded.
    public var endToken: UInt64 { firstToken + UInt64(tokenCount) }

    /// The route of the `offset`-th token recorded (0 ..< tokenCount), weights dequantised.
    public func route(at offset: Int) -> TokenRoute {
        precondition(offset >= 0 && offset < tokenCount, "token offset out of range")
        var route = TokenRoute(index: firstToken + UInt64(offset), memories: [], weights: [])
        for slot in offset * topK..<(offset + 1) * topK where memories[slot] != Self.unrouted {
            route.memories.append(Int(memories[slot]))
            route.weights.append(Self.weight(weights[slot]))
        }
        return route
    }

    /// Every token's route, in order.
    public var routes: [TokenRoute] { (0..<tokenCount).map(route(at:)) }

    /// round(w · 65535), clamped to 0...65535 (NaN gives 0).
    @inlinable
    public static func quantize(_ weight: Float) -> UInt16 {
        let scaled = (weight * 65535).rounded()
        guard scaled > 0 else { return 0 }
        return scaled >= 65535 ? .max : UInt16(scaled)
    }

    /// The weight a quantised one stands for.
    @inlinable
    public static func weight(_ quantized: UInt16) -> Float { Float(quantized) / 65535 }

    // MARK: Recording

    /// Appends one token: its selection, or nil for a token that was not routed.
    mutating func record(_ selection: RouteSelection, routed: Bool) {
        if routed {
            assert(selection.memories.count == topK, "a routed token writes topK memories")
            for (memory, weight) in zip(selection.memories, selection.weights) {
                assert(memory < Self.maxMemories, "recording is refused for more than 255 memories")
                memories.append(UInt8(truncatingIfNeeded: memory))
                weights.append(Self.quantize(weight))
            }
        } else {
            memories.append(contentsOf: repeatElement(Self.unrouted, count: topK))
            weights.append(contentsOf: repeatElement(0, count: topK))
        }
    }

    /// Hands over what was recorded and goes on from the next token, keeping the buffers' capacity.
    mutating func drain() -> TokenRoutes {
        let drained = self
        firstToken = endToken
        memories.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        return drained
    }
}

// MARK: Recording on a state

extension MoMState {
    /// Whether each folded token's routing choice is being recorded (`drainTokenRoutes()`).
    public var recordsTokenRoutes: Bool { engine.tokenRoutes != nil }

    /// Starts recording each folded token's route, from the next token on. Recording is not part
    /// of the state: it is not encoded, leaves the digest alone, and a decoded state starts
    /// without it. Costs nothing while off.
    ///
    /// - Throws: `invalidConfiguration` if the configuration has more than 255 routed memories
    ///   (indices are recorded as bytes, 255 marking an unrouted token).
    public mutating func startRecordingTokenRoutes() throws {
        guard engine.tokenRoutes == nil else { return }
        guard configuration.memories <= TokenRoutes.maxMemories else {
            throw MoMError(
                .invalidConfiguration,
                "per-token routes can be recorded for at most \(TokenRoutes.maxMemories) memories; this document has \(configuration.memories)"
            )
        }
        engine.tokenRoutes = TokenRoutes(firstToken: engine.tokens, topK: configuration.topK)
    }

    /// Stops recording; routes not yet drained are dropped.
    public mutating func stopRecordingTokenRoutes() {
        engine.tokenRoutes = nil
    }

    /// Hands over the routes recorded since recording started or the last call: nil when not
    /// recording or when no token was folded since.
    public mutating func drainTokenRoutes() -> TokenRoutes? {
        guard engine.tokenRoutes?.isEmpty == false else { return nil }
        return engine.tokenRoutes?.drain()
    }
}
