/// The fixed-size Mixture-of-Memories state of one document, and the fold that grows it.
///
/// A state is a pure function of its configuration and the bytes folded into it: any split of
/// the same bytes into `fold` calls, with any number of encode/decode round trips between them,
/// gives the same encoded bytes.
public struct MoMState: Sendable {
    public let configuration: MoMConfiguration
    var tokenizer: Tokenizer
    var engine: MemoryEngine
    public private(set) var byteCount: UInt64 = 0
    /// The vocabulary's value codes for reads, made on the first read (not part of the state).
    var codeCache = ValueCodeCache()

    public init(configuration: MoMConfiguration = .default) throws {
        try configuration.validate()
        self.configuration = configuration
        tokenizer = Tokenizer(maxTokenLength: configuration.maxTokenLength)
        engine = MemoryEngine(configuration: configuration)
    }

    init(configuration: MoMConfiguration, tokenizer: Tokenizer, engine: MemoryEngine, byteCount: UInt64) {
        self.configuration = configuration
        self.tokenizer = tokenizer
        self.engine = engine
        self.byteCount = byteCount
    }

    // MARK: Folding

    /// Folds the next bytes of the document's stream.
    public mutating func fold(_ bytes: UnsafeRawBufferPointer) {
        // A copy that shares the cache may fold other bytes: entries past the shared prefix differ.
        if !isKnownUniquelyReferenced(&codeCache) { codeCache = ValueCodeCache() }
        tokenizer.feed(bytes, into: &engine)
        byteCount += UInt64(bytes.count)
    }

    /// Folds the next bytes of the document's stream.
    public mutating func fold(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { fold($0) }
    }

    /// Folds the UTF-8 bytes of a string.
    public mutating func fold(_ text: String) {
        fold(Array(text.utf8))
    }

    // MARK: Inspection

    /// Tokens folded so far (a token still open in the carry is not counted yet).
    public var tokenCount: UInt64 { engine.tokens }

    /// Distinct surface forms seen.
    public var vocabulary: Vocabulary { engine.vocabulary }

    /// The memory matrices.
    public var memoryBank: MemoryBank { engine.bank }

    /// Writes per memory since the document began (the shared memory last, if enabled).
    public var memoryLoad: [UInt64] { engine.writes }

    /// Routing history of the chunk still open.
    public var openRoutingChunk: RoutingChunk { engine.tally.openChunk }

    /// Hands over the routing chunks completed since the last call (not part of the state).
    public mutating func drainRoutingChunks() -> [RoutingChunk] { engine.tally.drain() }

    // Per-token routes (opt-in, not part of the state) are in TokenRoutes.swift.

    /// Whether the tokenizer holds no partial UTF-8 sequence or open letter run.
    public var isCarryEmpty: Bool { tokenizer.isCarryEmpty }

    /// Whether every memory float is finite.
    public var isFinite: Bool { engine.bank.isFinite }
}

/// The part of the state behind the tokenizer: features, router, memories, vocabulary, counters.
struct MemoryEngine: TokenSink, Sendable, Equatable {
    let featurizer: Featurizer
    let router: Router
    let alpha: Float
    let beta: Float
    let sharedMemory: Int?
    let updateRule: UpdateRule
    /// The orders a key is routed by (`MoMConfiguration.routedOrders`).
    let routedOrders: Int
    var bank: MemoryBank
    var vocabulary = Vocabulary()
    var context: ContextWindow
    var tally: RoutingTally
    /// Leads content words to the sentences that hold them (nil in a configuration without one).
    var topic: TopicMemory?
    /// Per-token routes while recording (nil otherwise); not part of the state.
    var tokenRoutes: TokenRoutes?
    var writes: [UInt64]
    var tokens: UInt64 = 0

    // Scratch, allocated once.
    var key = SparseVector()
    var routingKey = SparseVector()
    var keyScratch: KeyScratch
    var logits: [Float] = []
    var selection = RouteSelection()
    var value: [Float]

    /// - Parameter bank: the memories, if restored (a fresh zero bank otherwise, so a restore does
    ///   not allocate and clear 4 MiB only to drop them).
    init(configuration: MoMConfiguration, bank: MemoryBank? = nil) {
        featurizer = Featurizer(configuration: configuration)
        router = Router(configuration: configuration)
        alpha = configuration.alpha
        beta = configuration.beta
        sharedMemory = configuration.sharedMemory ? configuration.memories : nil
        updateRule = configuration.updateRule
        routedOrders = configuration.routedOrders
        self.bank = bank ?? MemoryBank(
            count: configuration.memoryCount, dk: configuration.dk, dv: configuration.dv, rowFormat: configuration.rowFormat)
        context = ContextWindow(configuration: configuration)
        tally = RoutingTally(chunkTokens: configuration.routingChunkTokens, memories: configuration.memories)
        topic = configuration.hasTopicMemory ? TopicMemory(configuration: configuration) : nil
        writes = [UInt64](repeating: 0, count: configuration.memoryCount)
        value = [Float](repeating: 0, count: configuration.dv)
        keyScratch = KeyScratch(dk: configuration.dk)
        key.indices.reserveCapacity(configuration.window * configuration.hashesPerOrder)
        key.values.reserveCapacity(configuration.window * configuration.hashesPerOrder)
    }

    static func == (lhs: MemoryEngine, rhs: MemoryEngine) -> Bool {
        lhs.bank == rhs.bank && lhs.vocabulary == rhs.vocabulary && lhs.context == rhs.context
            && lhs.tally == rhs.tally && lhs.writes == rhs.writes && lhs.tokens == rhs.tokens && lhs.topic == rhs.topic
    }

    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        let foldedHash = featurizer.foldedHash(folded)
        let valueHash = featurizer.valueHash(surface, leadingSpace: leadingSpace)
        // The key and the route depend on the context alone: they are taken first, so the rows
        // the write reads are on their way into the cache while the vocabulary takes the token;
        // the vocabulary's slot for it, and then the entry the slot names, are asked for too.
        vocabulary.prefetchSlot(valueHash: valueHash)
        var routed = false
        if context.count > 0 {
            featurizer.key(for: context, into: &key, scratch: &keyScratch)
            vocabulary.prefetchEntry(valueHash: valueHash)
            if !key.isEmpty {
                route()
                routed = true
            }
        }
        vocabulary.intern(valueHash: valueHash, surface: surface, leadingSpace: leadingSpace, foldedHash: foldedHash)
        if routed { write(valueHash: valueHash) }
        tally.record(selection, routed: routed)
        // One predictable branch when not recording: optional chaining skips the call.
        tokenRoutes?.record(selection, routed: routed)
        topic?.accept(folded: folded, leadingSpace: leadingSpace, context: context, token: tokens)
        context.push(foldedHash, startsWord: leadingSpace, isDigit: ContextWindow.isDigit(folded))
        tokens += 1
    }

    /// Routes the current key and asks the cache for the rows its write will touch.
    mutating func route() {
        if routedOrders < featurizer.window {
            // A longer window routes by its first orders only, so a question's cue reads where
            // the write went.
            featurizer.key(for: context, into: &routingKey, scratch: &keyScratch, orders: routedOrders)
            router.logits(of: routingKey.isEmpty ? key : routingKey, into: &logits)
        } else {
            router.logits(of: key, into: &logits)
        }
        router.select(logits: logits, into: &selection)
        for memory in selection.memories { bank.prefetch(memory: memory, key: key) }
        if let sharedMemory { bank.prefetch(memory: sharedMemory, key: key) }
    }

    /// Writes the token's value code into the memories `route()` selected.
    mutating func write(valueHash: UInt64) {
        value.withUnsafeMutableBufferPointer { featurizer.valueCode(valueHash, into: $0) }
        for memory in selection.memories { writeMemory(memory) }
        if let sharedMemory { writeMemory(sharedMemory) }
    }

    mutating func writeMemory(_ memory: Int) {
        switch updateRule {
        case .delta: bank.update(memory: memory, key: key, value: value, alpha: alpha, beta: beta)
        case .hebbian: bank.updateHebbian(memory: memory, key: key, value: value, alpha: alpha, beta: beta)
        }
        writes[memory] += 1
    }
}
