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
    /// How much of the read-out points at the token: its projection on the token's unit code. A
    /// query whose whole context (all `window` tokens) was stored reads about 1; one that shares
    /// only its last words with a stored context, or that has fewer tokens than the window, reads
    /// a fraction, even when the direction (the confidence) is right: a short match is weak
    /// evidence.
    public var strength: Float
    /// Memories the step read, best first.
    public var memories: [Int]

    public init(text: String, confidence: Float, strength: Float, memories: [Int]) {
        self.text = text
        self.confidence = confidence
        self.strength = strength
        self.memories = memories
    }
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
    /// The context the next token would be read from, where a read cut at its token limit goes
    /// on (`MoMState.read(continuing:options:)`); not encoded.
    public var nextContext: ContextWindow?

    enum CodingKeys: String, CodingKey {
        case answer, confidence, tokens, memoriesRead, stop
    }

    public init(
        answer: String, confidence: Float, tokens: [ReadToken], memoriesRead: [Int], stop: ReadStop, nextContext: ContextWindow? = nil
    ) {
        self.answer = answer
        self.confidence = confidence
        self.tokens = tokens
        self.memoriesRead = memoriesRead
        self.stop = stop
        self.nextContext = nextContext
    }
}

extension MoMState {
    /// Answers a cue: its last `window` tokens make a query, the routed memories are read, and the
    /// read-out decodes to the nearest value code of the document's vocabulary, token by token.
    public func read(cue: String, options: ReadOptions = ReadOptions()) throws -> ReadResult {
        let decoder = try CueDecoder(state: self)
        return decoder.run(from: try decoder.context(for: cue), options: options)
    }

    /// Goes on with `result`, a read of this state cut at its token limit, up to
    /// `options.maxTokens` tokens in all: the same tokens as one read with that limit. A read
    /// that stopped for another reason is returned as it is.
    public func read(continuing result: ReadResult, options: ReadOptions) throws -> ReadResult {
        guard result.stop == .maxTokens, let context = result.nextContext else { return result }
        return try CueDecoder(state: self).run(from: context, options: options, continuing: result)
    }

    /// The `limit` cues whose first decoded token is strongest as evidence (its strength times the
    /// cue's `evidenceScale`; ties to the earlier cue), best first, each with that token; cues with
    /// no tokens are skipped.
    ///
    /// A projection on a code of ±1/√dv is at most Σⱼ|outputⱼ|/√dv (the code with the read-out's
    /// own signs), so the read-outs are taken by that bound, highest first, and the vocabulary is
    /// searched only until no later read-out could win.
    public func strongestFirstTokens(of cues: [String], limit: Int) throws -> [(cue: Int, token: ReadToken)] {
        let decoder = try CueDecoder(state: self)
        // bound: that projection's bound times the cue's evidence scale, which no scaled
        // projection on a code can exceed (with room for the strength's Float32 rounding).
        var readouts: [(cue: Int, output: [Float], bound: Float, scale: Float, memories: [Int])] = []
        var scratch = CueDecoder.Scratch(dv: engine.bank.dv)
        let root = Float(engine.bank.dv).squareRoot()
        for (index, cue) in cues.enumerated() {
            guard let context = try? decoder.context(for: cue), decoder.readout(context, into: &scratch) else { continue }
            var magnitudes: Float = 0
            for value in scratch.output { magnitudes += abs(value) }
            let scale = configuration.evidenceScale(contextTokens: context.count)
            let bound = magnitudes / root * scale * (1 + 1e-5)
            readouts.append((index, scratch.output, bound, scale, scratch.selection.memories))
        }
        readouts.sort { $0.bound != $1.bound ? $0.bound > $1.bound : $0.cue < $1.cue }
        var best: [(cue: Int, token: ReadToken, evidence: Float)] = []
        for readout in readouts {
            if best.count >= limit, let weakest = best.last, weakest.evidence >= readout.bound { break }
            let (entry, confidence, strength) = decoder.codes.nearest(to: readout.output)
            guard let entry else { continue }
            let token = ReadToken(
                text: engine.vocabulary.surface(entry), confidence: confidence, strength: strength, memories: readout.memories)
            best.append((readout.cue, token, strength * readout.scale))
            best.sort { $0.evidence != $1.evidence ? $0.evidence > $1.evidence : $0.cue < $1.cue }
            if best.count > limit { best.removeLast() }
        }
        return best.map { ($0.cue, $0.token) }
    }

    /// How much a first token's strength read from `cue` is worth as evidence
    /// (`MoMConfiguration.evidenceScale(contextTokens:)`).
    public func evidenceScale(of cue: String) throws -> Float {
        configuration.evidenceScale(
            contextTokens: try ContextWindow(cue: cue, configuration: configuration, featurizer: engine.featurizer).count)
    }
}

extension ContextWindow {
    /// The context a cue leaves: its last `window` tokens, folded as the fold folds them.
    /// - Throws: `emptyCue` when the cue has no tokens.
    public init(cue: String, configuration: MoMConfiguration, featurizer: Featurizer) throws {
        var pusher = ContextPusher(featurizer: featurizer, context: ContextWindow(configuration: configuration))
        var tokenizer = Tokenizer(maxTokenLength: configuration.maxTokenLength)
        tokenizer.feed(Array(cue.utf8), into: &pusher)
        tokenizer.finish(into: &pusher)
        guard pusher.context.count > 0 else {
            throw MoMError(.emptyCue, "the cue has no tokens: give some words that precede the answer")
        }
        self = pusher.context
    }
}

/// The read-side twin of the fold: turns a cue into a query, reads, and decodes.
struct CueDecoder {
    let engine: MemoryEngine
    let codes: ValueCodes
    let window: Int
    let maxTokenLength: Int
    let configuration: MoMConfiguration
    /// Whether reads use every order of the window (a recalled sentence decoded from its own
    /// context) rather than the routed ones a question's cue can hold.
    var readsEveryOrder = false

    init(state: MoMState) throws {
        guard state.tokenCount > 0 else {
            throw MoMError(.emptyDocument, "the document is empty: nothing has been folded into it yet")
        }
        engine = state.engine
        codes = state.codeCache.codes(for: state.engine.vocabulary, featurizer: state.engine.featurizer)
        window = state.configuration.window
        maxTokenLength = state.configuration.maxTokenLength
        configuration = state.configuration
    }

    /// The context a cue leaves: its last `window` tokens.
    func context(for cue: String) throws -> ContextWindow {
        try ContextWindow(cue: cue, configuration: configuration, featurizer: engine.featurizer)
    }

    /// What a read-out works in, kept across a decoding's steps so that a step allocates nothing.
    struct Scratch {
        var query = SparseVector()
        /// The query's routed orders, where it has more.
        var routing = SparseVector()
        var logits: [Float] = []
        /// The memories read, and their weights.
        var selection = RouteSelection()
        /// The read-out: dv floats.
        var output: [Float]
        var candidate: [Float]

        init(dv: Int) {
            output = [Float](repeating: 0, count: dv)
            candidate = output
        }
    }

    /// The routed memories' read-out for a context into `scratch.output` (and the memories read
    /// into `scratch.selection`); false when the context's key is empty.
    func readout(_ context: ContextWindow, into scratch: inout Scratch) -> Bool {
        // A number whose anchor the cue could not give is read by its plain orders alone.
        let partialAnchor = context.hasPartialAnchor
        let routed = configuration.routedOrders
        let orders = readsEveryOrder ? window : routed
        engine.featurizer.query(for: context, into: &scratch.query, orders: orders)
        guard !scratch.query.isEmpty else { return false }
        let query = scratch.query
        for index in scratch.output.indices { scratch.output[index] = 0 }
        scratch.selection.memories.removeAll(keepingCapacity: true)
        scratch.selection.weights.removeAll(keepingCapacity: true)
        if (context.count < orders || partialAnchor) && configuration.memories > configuration.topK {
            // A context shorter than the window keys only its lower orders (and one without its
            // number's anchor only part of the key), and the router may send it elsewhere than
            // the full key it is part of was written: read every memory and keep the one that
            // answers loudest.
            var loudest: Float = -1
            var loudestMemory = 0
            // Every memory's rows asked for at once, so that their cache misses overlap.
            for memory in 0..<configuration.memories { engine.bank.prefetch(memory: memory, key: query) }
            for memory in 0..<configuration.memories {
                for index in scratch.candidate.indices { scratch.candidate[index] = 0 }
                engine.bank.read(memory: memory, query: query, weight: 1, into: &scratch.candidate)
                var squares: Float = 0
                for value in scratch.candidate { squares += value * value }
                if squares > loudest {
                    loudest = squares
                    loudestMemory = memory
                    swap(&scratch.output, &scratch.candidate)
                }
            }
            scratch.selection.memories.append(loudestMemory)
            scratch.selection.weights.append(1)
        } else {
            // Keys are routed by their first `routed` orders (`MoMConfiguration.routedOrders`).
            if orders > routed { engine.featurizer.query(for: context, into: &scratch.routing, orders: routed) }
            engine.router.logits(of: orders > routed ? scratch.routing : query, into: &scratch.logits)
            engine.router.select(logits: scratch.logits, into: &scratch.selection)
            for (memory, weight) in zip(scratch.selection.memories, scratch.selection.weights) {
                engine.bank.read(memory: memory, query: query, weight: weight, into: &scratch.output)
            }
        }
        if let shared = engine.sharedMemory {
            engine.bank.read(memory: shared, query: query, weight: 1, into: &scratch.output)
        }
        if orders < window {
            // The stored keys hold orders the cue does not: a full match of the routed ones reads
            // their share of the key, scaled back to a full match's strength.
            let ceiling = configuration.matchCeiling(contextTokens: orders)
            if ceiling > 0 { for index in scratch.output.indices { scratch.output[index] /= ceiling } }
        }
        return true
    }

    /// Decodes from `start`, after the tokens of `earlier` (a read cut at its limit) if given.
    func run(from start: ContextWindow, options: ReadOptions, continuing earlier: ReadResult? = nil) -> ReadResult {
        var context = start
        var tokens = earlier?.tokens ?? []
        var answer = earlier?.answer ?? ""
        // An array, not a Set: a Set's storage type costs a command-line ask a conformance scan.
        var memoriesRead = earlier?.memoriesRead ?? []
        var stop = ReadStop.maxTokens
        var abstainedConfidence: Float?
        var scratch = Scratch(dv: engine.bank.dv)
        while tokens.count < options.maxTokens {
            guard readout(context, into: &scratch) else {
                stop = .lowConfidence
                break
            }
            let selection = scratch.selection
            let (entry, confidence, strength) = codes.nearest(to: scratch.output)
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
            tokens.append(ReadToken(text: text, confidence: confidence, strength: strength, memories: selection.memories))
            for memory in selection.memories where !memoriesRead.contains(memory) { memoriesRead.append(memory) }
            context.push(entry: entry, of: engine.vocabulary)
        }
        return ReadResult(
            answer: answer, confidence: abstainedConfidence ?? tokens.map(\.confidence).min() ?? 0, tokens: tokens,
            memoriesRead: memoriesRead.sorted(), stop: stop, nextContext: context
        )
    }
}

/// Pushes a cue's tokens into a context as the fold pushes a document's (every token, so a
/// followed word that began before the last `window` tokens keeps its anchor).
struct ContextPusher: TokenSink {
    let featurizer: Featurizer
    var context: ContextWindow

    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        context.push(featurizer.foldedHash(folded), startsWord: leadingSpace, isDigit: ContextWindow.isDigit(folded))
    }
}
