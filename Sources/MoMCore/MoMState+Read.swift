/// How a read decodes and when it stops.
public struct ReadOptions: Sendable, Codable, Equatable {
    /// Tokens decoded at most.
    public var maxTokens: Int
    /// Decoding stops before a token whose confidence (cosine) is below this.
    public var minConfidence: Float
    /// Decoding stops before a sentence end (. ! ?).
    public var stopsAtSentenceEnd: Bool
    /// If the first token's confidence is below this, the read abstains and answers nothing.
    public var abstainBelow: Float?

    public init(maxTokens: Int = 32, minConfidence: Float = 0.3, stopsAtSentenceEnd: Bool = true, abstainBelow: Float? = nil) {
        self.maxTokens = maxTokens
        self.minConfidence = minConfidence
        self.stopsAtSentenceEnd = stopsAtSentenceEnd
        self.abstainBelow = abstainBelow
    }
}

/// One decoded token.
public struct ReadToken: Sendable, Codable, Equatable {
    public var text: String
    /// Cosine between the read-out and the token's value code.
    public var confidence: Float
    /// Memories the step read, best first.
    public var memories: [Int]
}

/// Why decoding ended.
public enum ReadStop: String, Sendable, Codable {
    case lowConfidence = "low_confidence"
    case sentenceEnd = "sentence_end"
    case maxTokens = "max_tokens"
    case abstained
}

/// The answer to a cue, decoded from the state alone.
public struct ReadResult: Sendable, Codable, Equatable {
    public var answer: String
    /// The weakest token's confidence (0 when nothing was decoded); when the read abstained, the
    /// confidence of the first token it declined.
    public var confidence: Float
    public var tokens: [ReadToken]
    /// Every memory any step read, ascending.
    public var memoriesRead: [Int]
    public var stop: ReadStop
    public var abstained: Bool { stop == .abstained }
}

extension MoMState {
    /// Answers a cue: its last `window` tokens make a query, the routed memories are read, and the
    /// read-out decodes to the nearest value code of the document's vocabulary, token by token.
    public func read(cue: String, options: ReadOptions = ReadOptions()) throws -> ReadResult {
        var decoder = try CueDecoder(state: self, cue: cue)
        return decoder.run(options: options)
    }
}

/// The read-side twin of the fold: turns a cue into a query, reads, and decodes.
struct CueDecoder {
    let engine: MemoryEngine
    let codes: ValueCodes
    var context: ContextWindow

    init(state: MoMState, cue: String) throws {
        guard state.tokenCount > 0 else {
            throw MoMError(.emptyDocument, "the document is empty: nothing has been folded into it yet")
        }
        var collector = FoldedHashCollector(featurizer: state.engine.featurizer)
        var tokenizer = Tokenizer(maxTokenLength: state.configuration.maxTokenLength)
        tokenizer.feed(Array(cue.utf8), into: &collector)
        tokenizer.finish(into: &collector)
        guard !collector.hashes.isEmpty else {
            throw MoMError(.emptyCue, "the cue has no tokens: give some words that precede the answer")
        }
        engine = state.engine
        codes = ValueCodes(vocabulary: state.engine.vocabulary, featurizer: state.engine.featurizer)
        context = ContextWindow(capacity: state.configuration.window)
        for hash in collector.hashes.suffix(state.configuration.window) { context.push(hash) }
    }

    mutating func run(options: ReadOptions) -> ReadResult {
        var tokens: [ReadToken] = []
        var answer = ""
        var memoriesRead = Set<Int>()
        var stop = ReadStop.maxTokens
        var abstainedConfidence: Float?
        var query = SparseVector()
        var logits: [Float] = []
        var selection = RouteSelection()
        let dv = engine.bank.dv
        while tokens.count < options.maxTokens {
            engine.featurizer.key(for: context, into: &query)
            guard !query.isEmpty else {
                stop = .lowConfidence
                break
            }
            engine.router.logits(of: query, into: &logits)
            engine.router.select(logits: logits, into: &selection)
            var output = [Float](repeating: 0, count: dv)
            for (memory, weight) in zip(selection.memories, selection.weights) {
                engine.bank.read(memory: memory, query: query, weight: weight, into: &output)
            }
            if let shared = engine.sharedMemory {
                engine.bank.read(memory: shared, query: query, weight: 1, into: &output)
            }
            let (entry, confidence) = codes.nearest(to: output)
            if tokens.isEmpty, let floor = options.abstainBelow, confidence < floor {
                stop = .abstained
                abstainedConfidence = confidence
                break
            }
            guard let entry, confidence >= options.minConfidence else {
                stop = .lowConfidence
                break
            }
            let text = engine.vocabulary.surface(entry)
            if options.stopsAtSentenceEnd && (text == "." || text == "!" || text == "?") {
                stop = .sentenceEnd
                break
            }
            if !answer.isEmpty && engine.vocabulary.hasLeadingSpace(entry) { answer += " " }
            answer += text
            tokens.append(ReadToken(text: text, confidence: confidence, memories: selection.memories))
            memoriesRead.formUnion(selection.memories)
            context.push(engine.vocabulary.foldedHash(entry))
        }
        return ReadResult(
            answer: answer, confidence: abstainedConfidence ?? tokens.map(\.confidence).min() ?? 0, tokens: tokens,
            memoriesRead: memoriesRead.sorted(), stop: stop
        )
    }
}

/// Collects the folded hashes of a cue's tokens.
struct FoldedHashCollector: TokenSink {
    let featurizer: Featurizer
    var hashes: [UInt64] = []

    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        hashes.append(featurizer.foldedHash(folded))
    }
}

/// Every vocabulary entry's value code as one matrix, for nearest-code decoding.
public struct ValueCodes: Sendable {
    public let dv: Int
    public let count: Int
    /// `codes[e * dv + j]`: entry e, dimension j.
    let codes: [Float]
    let featurizer: Featurizer
    let vocabulary: Vocabulary

    public init(vocabulary: Vocabulary, featurizer: Featurizer) {
        dv = featurizer.dv
        count = vocabulary.count
        self.featurizer = featurizer
        self.vocabulary = vocabulary
        let dv = self.dv
        codes = [Float](unsafeUninitializedCapacity: count * dv) { buffer, initialized in
            for entry in 0..<vocabulary.count {
                featurizer.valueCode(
                    vocabulary.valueHash(entry),
                    into: UnsafeMutableBufferPointer(rebasing: buffer[(entry * dv)..<((entry + 1) * dv)]))
            }
            initialized = vocabulary.count * dv
        }
    }

    // MARK: Fast kernel

    /// The entry whose code has the highest cosine with `output` (ties to the lower entry), and
    /// that cosine. Codes have unit length, so cosine = code·output / |output|.
    public func nearest(to output: [Float]) -> (entry: Int?, confidence: Float) {
        var squares: Float = 0
        for value in output { squares += value * value }
        guard squares > 0, squares.isFinite, count > 0 else { return (nil, 0) }
        let norm = squares.squareRoot()
        var best = -1
        var bestScore = -Float.infinity
        let dv = self.dv
        codes.withUnsafeBufferPointer { codes in
            output.withUnsafeBufferPointer { output in
                for entry in 0..<count {
                    let base = entry * dv
                    var score: Float = 0
                    for dimension in 0..<dv { score += codes[base + dimension] * output[dimension] }
                    if score > bestScore {
                        bestScore = score
                        best = entry
                    }
                }
            }
        }
        return (best, bestScore / norm)
    }

    // MARK: Plain reference

    /// The same search, drawing each code afresh and computing the cosine in full.
    public func referenceNearest(to output: [Float]) -> (entry: Int?, confidence: Float) {
        var squares: Float = 0
        for value in output { squares += value * value }
        guard squares > 0, squares.isFinite, count > 0 else { return (nil, 0) }
        var best: Int?
        var bestCosine = -Float.infinity
        for entry in 0..<count {
            let code = featurizer.valueCode(vocabulary.valueHash(entry))
            var dot: Float = 0
            var codeSquares: Float = 0
            for dimension in 0..<dv {
                dot += code[dimension] * output[dimension]
                codeSquares += code[dimension] * code[dimension]
            }
            let cosine = dot / (codeSquares.squareRoot() * squares.squareRoot())
            if cosine > bestCosine {
                bestCosine = cosine
                best = entry
            }
        }
        return (best, bestCosine)
    }
}
