import MoMAsk
import MoMCore

/// The full-context baseline: the same tokens and keys as MoM, with no compression.
///
/// It keeps every position's (key, token) pair — the KV cache a Transformer would keep — and
/// answers by attention over all of them: the position whose key scores highest against the
/// query (ties to the latest) gives the next token. Its bytes and query time grow with the
/// document; MoM's stay constant.
public struct FullContextBaseline: Sendable {
    public let configuration: MoMConfiguration
    var tokenizer: Tokenizer
    var cache: KeyValueCache

    public init(configuration: MoMConfiguration = .default) throws {
        try configuration.validate()
        guard configuration.dk <= Int(UInt16.max) + 1 else {
            throw MoMError(.invalidConfiguration, "the baseline keeps key indices in 16 bits: dk must be at most 65536")
        }
        self.configuration = configuration
        tokenizer = Tokenizer(maxTokenLength: configuration.maxTokenLength)
        cache = KeyValueCache(configuration: configuration)
    }

    public mutating func fold(_ bytes: UnsafeRawBufferPointer) { tokenizer.feed(bytes, into: &cache) }
    public mutating func fold(_ bytes: [UInt8]) { bytes.withUnsafeBytes { fold($0) } }

    public var tokenCount: UInt64 { UInt64(cache.tokens.count) }

    /// Bytes the cache holds: per position its key (16-bit index and Float32 value per non-zero,
    /// a 32-bit offset) and its token (a 32-bit vocabulary entry), plus the vocabulary.
    public var stateBytes: Int {
        cache.keyIndices.count * 2 + cache.keyValues.count * 4 + cache.keyOffsets.count * 4 + cache.tokens.count * 4
            + cache.vocabulary.encodedByteCount
    }

    /// What a first token's strength read from `cue` is worth as evidence, as for MoM: the keys
    /// are the same, and so is what a cue short of the window can match.
    public func evidenceScale(of cue: String) throws -> Float {
        configuration.evidenceScale(contextTokens: try context(for: cue).count)
    }

    /// The context a cue leaves: its last `window` tokens.
    func context(for cue: String) throws -> ContextWindow {
        try ContextWindow(cue: cue, configuration: configuration, featurizer: cache.featurizer)
    }

    /// Answers a cue as `MoMState.read` does, with attention over every position in place of the
    /// memories. `memoriesRead` is empty: there are none.
    public func read(cue: String, options: ReadOptions = ReadOptions()) throws -> ReadResult {
        guard !cache.tokens.isEmpty else {
            throw MoMError(.emptyDocument, "the document is empty: nothing has been folded into it yet")
        }
        return decode(from: try context(for: cue), options: options)
    }

    /// Goes on with `result`, a read of `cue` cut at its token limit, up to `options.maxTokens`
    /// tokens in all, as `MoMState.read(continuing:options:)` does.
    public func read(continuing result: ReadResult, cue: String, options: ReadOptions) -> ReadResult {
        guard result.stop == .maxTokens, let context = result.nextContext else { return result }
        return decode(from: context, options: options, continuing: result)
    }

    /// Decodes from `start`, after the tokens of `earlier` (a read cut at its limit) if given.
    func decode(from start: ContextWindow, options: ReadOptions, continuing earlier: ReadResult? = nil) -> ReadResult {
        var context = start
        var query = SparseVector()
        var dense = [Float](repeating: 0, count: configuration.dk)
        var tokens = earlier?.tokens ?? []
        var answer = earlier?.answer ?? ""
        var stop = ReadStop.maxTokens
        while tokens.count < options.maxTokens {
            cache.featurizer.query(for: context, into: &query)
            guard !query.isEmpty else {
                stop = .lowConfidence
                break
            }
            for (index, value) in zip(query.indices, query.values) { dense[Int(index)] = value }
            let (position, score) = cache.attend(dense)
            for index in query.indices { dense[Int(index)] = 0 }
            if tokens.isEmpty, let floor = options.abstainBelow, score < floor {
                stop = .abstained
                break
            }
            guard let position, score >= options.minConfidence else {
                stop = .lowConfidence
                break
            }
            let entry = Int(cache.tokens[position])
            let text = cache.vocabulary.surface(entry)
            if options.stopsAtSentenceEnd && (text == "." || text == "!" || text == "?") {
                stop = .sentenceEnd
                break
            }
            if !answer.isEmpty && cache.vocabulary.hasLeadingSpace(entry) { answer += " " }
            answer += text
            // The score is both how strongly the context matched (strength) and how sure the
            // choice of token is (confidence); a cue one token short of the window matches at
            // most its ceiling, which says nothing against the token, so its confidence is scaled
            // as MoM's direction cosine would not be capped.
            let confidence = min(score * configuration.evidenceScale(contextTokens: context.count), 1)
            tokens.append(ReadToken(text: text, confidence: confidence, strength: score, memories: []))
            context.push(entry: entry, of: cache.vocabulary)
        }
        return ReadResult(
            answer: answer, confidence: tokens.map(\.confidence).min() ?? 0, tokens: tokens, memoriesRead: [], stop: stop,
            nextContext: context)
    }
}

/// Every position's key and token.
struct KeyValueCache: TokenSink, Sendable {
    let featurizer: Featurizer
    var context: ContextWindow
    var vocabulary = Vocabulary()
    var keyScratch: KeyScratch
    var key = SparseVector()
    /// Position p's key is entries keyOffsets[p] ..< keyOffsets[p + 1].
    var keyOffsets: [UInt32] = [0]
    var keyIndices: [UInt16] = []
    var keyValues: [Float] = []
    /// Position p's token as a vocabulary entry.
    var tokens: [UInt32] = []

    init(configuration: MoMConfiguration) {
        featurizer = Featurizer(configuration: configuration)
        context = ContextWindow(configuration: configuration)
        keyScratch = KeyScratch(dk: configuration.dk)
    }

    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        let foldedHash = featurizer.foldedHash(folded)
        let valueHash = featurizer.valueHash(surface, leadingSpace: leadingSpace)
        vocabulary.intern(valueHash: valueHash, surface: surface, leadingSpace: leadingSpace, foldedHash: foldedHash)
        featurizer.key(for: context, into: &key, scratch: &keyScratch)
        for (index, value) in zip(key.indices, key.values) {
            keyIndices.append(UInt16(truncatingIfNeeded: index))
            keyValues.append(value)
        }
        keyOffsets.append(UInt32(keyIndices.count))
        tokens.append(UInt32(vocabulary.entry(valueHash: valueHash) ?? 0))
        context.push(foldedHash, startsWord: leadingSpace, isDigit: ContextWindow.isDigit(folded))
    }

    /// The position whose key has the highest dot product with the dense query (ties to the
    /// latest), and that score.
    func attend(_ query: [Float]) -> (position: Int?, score: Float) {
        var best: Int?
        var bestScore = -Float.infinity
        query.withUnsafeBufferPointer { query in
            keyIndices.withUnsafeBufferPointer { indices in
                keyValues.withUnsafeBufferPointer { values in
                    keyOffsets.withUnsafeBufferPointer { offsets in
                        for position in 0..<tokens.count {
                            let start = Int(offsets[position])
                            let end = Int(offsets[position + 1])
                            guard start < end else { continue }
                            var score: Float = 0
                            for entry in start..<end { score += query[Int(indices[entry])] * values[entry] }
                            if score >= bestScore {
                                bestScore = score
                                best = position
                            }
                        }
                    }
                }
            }
        }
        return (best, bestScore)
    }
}
