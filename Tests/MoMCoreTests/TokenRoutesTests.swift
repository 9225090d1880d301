import Testing
@testable import MoMCore

/// Per-token routes are a record of the fold, not part of it: the same in one pass or many,
/// consistent with the routing chunks, and without any effect on the state.
@Suite struct TokenRoutesTests {
    static let configurations: [MoMConfiguration] = [
        .small,
        MoMConfiguration(memories: 5, topK: 3, dk: 64, dv: 8, sharedMemory: true, routingChunkTokens: 11),
        MoMConfiguration(memories: 3, topK: 1, dk: 32, dv: 8, alpha: 0.99, routingChunkTokens: 9, updateRule: .hebbian),
    ]

    /// One recording pass over `bytes`: the routes, the completed chunks and the open one, the digest.
    private func onePass(_ bytes: [UInt8], _ configuration: MoMConfiguration) throws
        -> (routes: TokenRoutes, chunks: [RoutingChunk], open: RoutingChunk, digest: String)
    {
        var state = try MoMState(configuration: configuration)
        try state.startRecordingTokenRoutes()
        state.fold(bytes)
        let drained = state.drainTokenRoutes()
        let routes = try #require(drained)
        return (routes, state.drainRoutingChunks(), state.openRoutingChunk, state.digest)
    }

    @Test(arguments: configurations)
    func routesOfAFoldInPiecesEqualTheOnePassRoutes(configuration: MoMConfiguration) throws {
        var generator = SplitMix64(seed: 60)
        for round in 0..<8 {
            let bytes = randomDocument(byteCount: 3000, using: &generator)
            let whole = try onePass(bytes, configuration)
            #expect(whole.routes.firstToken == 0)
            #expect(UInt64(whole.routes.tokenCount) == whole.routes.endToken)

            var state = try MoMState(configuration: configuration)
            try state.startRecordingTokenRoutes()
            var memories: [UInt8] = []
            var weights: [UInt16] = []
            var routes: [TokenRoute] = []
            let cuts = randomCuts(length: bytes.count, count: Int.random(in: 2...200, using: &generator), using: &generator)
            for (index, piece) in split(bytes, at: cuts).enumerated() {
                state.fold(piece)
                if let drained = state.drainTokenRoutes() {
                    #expect(drained.firstToken == UInt64(routes.count), "drained routes are contiguous")
                    memories += drained.memories
                    weights += drained.weights
                    routes += drained.routes
                }
                #expect(state.drainTokenRoutes() == nil, "draining hands the routes over once")
                if round % 2 == 1 && index % 3 == 0 {
                    // A decoded state does not record; recording again goes on from its end.
                    state = try MoMState(decoding: state.encoded(), expecting: configuration)
                    #expect(!state.recordsTokenRoutes)
                    try state.startRecordingTokenRoutes()
                }
            }
            #expect(memories == whole.routes.memories)
            #expect(weights == whole.routes.weights)
            #expect(routes == whole.routes.routes)
            #expect(state.digest == whole.digest)
        }
    }

    @Test(arguments: configurations)
    func eachTokensRouteAgreesWithTheRoutingChunks(configuration: MoMConfiguration) throws {
        var generator = SplitMix64(seed: 61)
        let whole = try onePass(randomDocument(byteCount: 4000, using: &generator), configuration)
        let routes = whole.routes.routes
        let chunks = whole.chunks + [whole.open]
        #expect(chunks.count > 20)
        #expect(routes.count == chunks.reduce(0) { $0 + Int($1.tokens) })
        #expect(routes.map(\.index) == (0..<UInt64(routes.count)).map { $0 })

        // Only the document's first token has no key.
        #expect(!routes[0].isRouted)
        #expect(whole.routes.memories.prefix(configuration.topK).allSatisfy { $0 == TokenRoutes.unrouted })
        for route in routes.dropFirst() {
            #expect(route.memories.count == configuration.topK)
            #expect(Set(route.memories).count == configuration.topK, "distinct memories")
            #expect(route.memories.allSatisfy { (0..<configuration.memories).contains($0) })
            #expect(zip(route.weights, route.weights.dropFirst()).allSatisfy { $0 >= $1 }, "best first")
            #expect(abs(route.weights.reduce(0, +) - 1) <= Float(configuration.topK) / 65535 + 1e-6)
        }

        var start = 0
        for chunk in chunks {
            let tokens = routes[start..<start + Int(chunk.tokens)]
            start += Int(chunk.tokens)
            for memory in 0..<configuration.memories {
                let weights = tokens.compactMap { route in route.memories.firstIndex(of: memory).map { route.weights[$0] } }
                #expect(UInt32(weights.count) == chunk.counts[memory], "chunk \(chunk.index), memory \(memory)")
                let mean = weights.isEmpty ? 0 : weights.reduce(0, +) / Float(weights.count)
                // Each weight is within half a quantisation step of the one the tally summed.
                #expect(abs(mean - chunk.meanWeights[memory]) <= 0.5 / 65535 + 1e-6, "chunk \(chunk.index), memory \(memory)")
            }
        }
    }

    @Test(arguments: configurations)
    func recordingLeavesTheStateAsItIs(configuration: MoMConfiguration) throws {
        var generator = SplitMix64(seed: 62)
        let bytes = randomDocument(byteCount: 2500, using: &generator)
        var plain = try MoMState(configuration: configuration)
        plain.fold(bytes)
        #expect(plain.drainTokenRoutes() == nil, "nothing is recorded unless asked")
        let recorded = try onePass(bytes, configuration)
        #expect(recorded.digest == plain.digest)
        #expect(recorded.chunks == plain.drainRoutingChunks())
    }

    @Test func recordingStartsAtTheNextTokenAndStops() throws {
        var state = try MoMState(configuration: .small)
        state.fold("one two three ")
        try state.startRecordingTokenRoutes()
        try state.startRecordingTokenRoutes()  // again: no effect
        #expect(state.recordsTokenRoutes)
        #expect(state.drainTokenRoutes() == nil, "no token folded yet")
        state.fold("four fi")  // "fi" stays in the carry
        let drained = state.drainTokenRoutes()
        let routes = try #require(drained)
        #expect(routes.firstToken == 3)
        #expect(routes.tokenCount == 1)
        #expect(routes.routes.allSatisfy { $0.isRouted })
        state.fold("ve six ")
        let next = state.drainTokenRoutes()
        #expect(next?.firstToken == 4)
        state.stopRecordingTokenRoutes()
        state.fold("seven ")
        #expect(!state.recordsTokenRoutes)
        #expect(state.drainTokenRoutes() == nil)
    }

    @Test func recordingNeedsAtMost255Memories() throws {
        var wide = try MoMState(configuration: MoMConfiguration(memories: 256, topK: 2, dk: 16, dv: 4))
        #expect(throws: MoMError.self) { try wide.startRecordingTokenRoutes() }
        #expect(!wide.recordsTokenRoutes)

        var widest = try MoMState(configuration: MoMConfiguration(memories: 255, topK: 255, dk: 16, dv: 4))
        try widest.startRecordingTokenRoutes()
        widest.fold("a b ")
        let drained = widest.drainTokenRoutes()
        let routes = try #require(drained)
        // Every memory, index 254 included, is one byte distinct from the unrouted mark.
        #expect(Set(routes.route(at: 1).memories) == Set(0..<255))
    }

    @Test func weightsQuantiseToSixteenBits() throws {
        #expect(TokenRoutes.quantize(0) == 0)
        #expect(TokenRoutes.quantize(1) == 65535)
        #expect(TokenRoutes.quantize(0.5) == 32768)  // 32767.5 rounds half away from zero
        #expect(TokenRoutes.quantize(0.25) == 16384)  // 16383.75
        #expect(TokenRoutes.quantize(-0.1) == 0)
        #expect(TokenRoutes.quantize(1.5) == 65535)
        #expect(TokenRoutes.quantize(.nan) == 0)
        #expect(TokenRoutes.weight(65535) == 1)
        #expect(TokenRoutes.weight(0) == 0)
        for step in 0...1000 {
            let weight = Float(step) / 1000
            #expect(abs(TokenRoutes.weight(TokenRoutes.quantize(weight)) - weight) <= 0.5 / 65535 + 1e-7)
        }
    }

    @Test func storedArraysAreChecked() throws {
        let routes = try TokenRoutes(firstToken: 7, topK: 2, memories: [255, 255, 1, 0], weights: [0, 0, 40000, 25535])
        #expect(routes.routes == [
            TokenRoute(index: 7, memories: [], weights: []),
            TokenRoute(index: 8, memories: [1, 0], weights: [TokenRoutes.weight(40000), TokenRoutes.weight(25535)]),
        ])
        #expect(throws: MoMError.self) { try TokenRoutes(firstToken: 0, topK: 2, memories: [1, 0, 2], weights: [1, 2, 3]) }
        #expect(throws: MoMError.self) { try TokenRoutes(firstToken: 0, topK: 1, memories: [1, 0], weights: [1]) }
        #expect(throws: MoMError.self) { try TokenRoutes(firstToken: 0, topK: 1, memories: [255], weights: [9]) }
        #expect(throws: MoMError.self) { try TokenRoutes(firstToken: 0, topK: 0, memories: [], weights: []) }
    }
}
