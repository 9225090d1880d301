import MoMCore

/// Measures fold throughput: a generated corpus folded into a fresh state, timed alone.
public struct FoldBenchmark: Sendable {
    public struct Result: Sendable, Codable, Equatable {
        public var tokens: UInt64
        public var bytes: UInt64
        public var seconds: Double
        public var tokensPerSecond: Double
        public var bytesPerSecond: Double
        public var digest: String
        public var vocabulary: Int

        enum CodingKeys: String, CodingKey {
            case tokens, bytes, seconds, digest, vocabulary
            case tokensPerSecond = "tokens_per_second"
            case bytesPerSecond = "bytes_per_second"
        }
    }

    public var tokens: Int
    public var seed: UInt64
    public var chunkBytes: Int
    public var configuration: MoMConfiguration

    public init(tokens: Int = 10_000_000, seed: UInt64 = 42, chunkBytes: Int = 1 << 16, configuration: MoMConfiguration = .default) {
        self.tokens = tokens
        self.seed = seed
        self.chunkBytes = chunkBytes
        self.configuration = configuration
    }

    /// Generates the corpus (untimed), then folds it in `chunkBytes` pieces (timed).
    public func run() throws -> Result {
        var corpus = SyntheticCorpus(seed: seed)
        var text: [UInt8] = []
        text.reserveCapacity(tokens * 5)
        corpus.generate(tokens: tokens, into: &text)
        var state = try MoMState(configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        text.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + chunkBytes, bytes.count)
                state.fold(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                offset = end
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Result(
            tokens: state.tokenCount, bytes: state.byteCount, seconds: seconds,
            tokensPerSecond: Double(state.tokenCount) / seconds, bytesPerSecond: Double(state.byteCount) / seconds,
            digest: state.digest, vocabulary: state.vocabulary.count
        )
    }
}
