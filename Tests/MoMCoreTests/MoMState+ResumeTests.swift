import Testing
@testable import MoMCore

/// A state is a pure function of (configuration, bytes): any split of the input into folds, with
/// any encode/decode round trips between them, reaches the same bytes and the same routing history.
@Suite struct MoMStateResumeTests {
    static let configurations: [MoMConfiguration] = [
        .small,
        MoMConfiguration(
            memories: 4, topK: 2, dk: 64, dv: 16, alpha: 0.95, beta: 0.8, sharedMemory: true, maxTokenLength: 6,
            routingChunkTokens: 5),
        MoMConfiguration(memories: 3, topK: 1, dk: 32, dv: 8, alpha: 0.99, routingChunkTokens: 9, updateRule: .hebbian),
    ]

    /// One pass over `bytes`: the encoded state and every routing chunk it completed.
    private func onePass(_ bytes: [UInt8], _ configuration: MoMConfiguration) throws -> (state: [UInt8], chunks: [RoutingChunk]) {
        var state = try MoMState(configuration: configuration)
        state.fold(bytes)
        return (state.encoded(), state.drainRoutingChunks())
    }

    /// Folds `pieces` one after another, draining the routing history after each and, where
    /// `restarts` says so, encoding and decoding the state in between.
    private func inPieces(
        _ pieces: [[UInt8]], _ configuration: MoMConfiguration, restarts: (Int) -> Bool
    ) throws -> (state: [UInt8], chunks: [RoutingChunk]) {
        var state = try MoMState(configuration: configuration)
        var chunks: [RoutingChunk] = []
        for (index, piece) in pieces.enumerated() {
            state.fold(piece)
            chunks += state.drainRoutingChunks()
            if restarts(index) { state = try MoMState(decoding: state.encoded(), expecting: configuration) }
        }
        return (state.encoded(), chunks)
    }

    @Test(arguments: configurations)
    func foldThenResumeEqualsOnePass(configuration: MoMConfiguration) throws {
        var generator = SplitMix64(seed: 50)
        for _ in 0..<40 {
            let bytes = randomDocument(byteCount: Int.random(in: 50...1500, using: &generator), using: &generator)
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            let whole = try onePass(bytes, configuration)

            var first = try MoMState(configuration: configuration)
            first.fold(Array(bytes[..<cut]))
            var resumed = try MoMState(decoding: first.encoded(), expecting: configuration)
            resumed.fold(Array(bytes[cut...]))
            #expect(resumed.encoded() == whole.state, "cut at \(cut) of \(bytes.count)")
            #expect(resumed.byteCount == UInt64(bytes.count))
        }
    }

    @Test func everyCutOfAShortInputResumesToTheOnePassState() throws {
        var generator = SplitMix64(seed: 51)
        let configuration = Self.configurations[1]
        let bytes = randomDocument(byteCount: 240, using: &generator)
        let whole = try onePass(bytes, configuration)
        for cut in 0...bytes.count {
            let resumed = try inPieces(split(bytes, at: [cut]), configuration, restarts: { _ in true })
            #expect(resumed.state == whole.state, "cut at \(cut)")
            if resumed.state != whole.state { return }
        }
    }

    @Test(arguments: configurations)
    func manyPiecesEqualOnePassWithTheSameRoutingHistory(configuration: MoMConfiguration) throws {
        var generator = SplitMix64(seed: 52)
        for round in 0..<12 {
            let bytes = randomDocument(byteCount: 4000, using: &generator)
            let whole = try onePass(bytes, configuration)
            #expect(whole.chunks.count > 20, "a small routingChunkTokens gives many chunks")
            #expect(whole.chunks.map(\.index) == (0..<UInt64(whole.chunks.count)).map { $0 })
            #expect(whole.chunks.allSatisfy { Int($0.tokens) == configuration.routingChunkTokens })

            let cuts = randomCuts(length: bytes.count, count: Int.random(in: 2...300, using: &generator), using: &generator)
            let restartEvery = round % 3 + 1  // restart after every piece, every other, every third
            let pieces = try inPieces(split(bytes, at: cuts), configuration, restarts: { $0 % restartEvery == 0 })
            #expect(pieces.state == whole.state)
            #expect(pieces.chunks == whole.chunks)
        }
    }

    @Test func routingChunksAccountForEveryToken() throws {
        var generator = SplitMix64(seed: 53)
        let configuration = MoMConfiguration.small
        var state = try MoMState(configuration: configuration)
        state.fold(randomDocument(byteCount: 3000, using: &generator))
        let chunks = state.drainRoutingChunks()
        let open = state.openRoutingChunk
        #expect(state.drainRoutingChunks().isEmpty, "draining hands the chunks over once")
        let tokens = chunks.reduce(0) { $0 + Int($1.tokens) } + Int(open.tokens)
        #expect(UInt64(tokens) == state.tokenCount)
        #expect(open.index == UInt64(chunks.count))
        // Each routed token goes to topK memories; only the very first token is unrouted.
        let routed = chunks.reduce(0) { $0 + $1.counts.reduce(0) { $0 + Int($1) } } + open.counts.reduce(0) { $0 + Int($1) }
        #expect(routed == (tokens - 1) * configuration.topK)
        #expect(state.memoryLoad.reduce(0, +) == UInt64(routed))
        for chunk in chunks {
            for (count, weight) in zip(chunk.counts, chunk.meanWeights) {
                #expect(count == 0 ? weight == 0 : (weight > 0 && weight <= 1))
            }
        }
    }

    @Test func stringAndByteFoldsAgree() throws {
        var byString = try MoMState(configuration: .small)
        var byBytes = try MoMState(configuration: .small)
        let text = "Grüße aus Köln, 2024! 東京 🐈\r\n"
        byString.fold(text)
        Array(text.utf8).withUnsafeBytes { byBytes.fold($0) }
        #expect(byString.encoded() == byBytes.encoded())
        #expect(byString.digest == byBytes.digest)
        byBytes.fold(" ")
        #expect(byString.digest != byBytes.digest, "one more byte is a different state")
    }
}
