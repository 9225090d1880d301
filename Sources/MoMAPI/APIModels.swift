import Foundation
import MoMAsk
import MoMBench
import MoMCore
import MoMStore

/// The body of `POST /v1/docs/{doc}/ask`.
public struct AskRequest: Codable, Sendable {
    /// A question as people write it, a noun phrase, or the words that precede the answer.
    public var question: String
    public var maxTokens: Int?
    public var minConfidence: Float?
    /// Answer nothing below this confidence (the default is the benchmark's, `AskOptions`).
    public var abstainBelow: Float?
    /// Answer from the newest kept snapshot at or before this many tokens.
    public var at: UInt64?
    /// Recalled passages to return with the answer (default 3).
    public var evidence: Int?

    public init(
        question: String, maxTokens: Int? = nil, minConfidence: Float? = nil, abstainBelow: Float? = nil, at: UInt64? = nil,
        evidence: Int? = nil
    ) {
        self.question = question
        self.evidence = evidence
        self.maxTokens = maxTokens
        self.minConfidence = minConfidence
        self.abstainBelow = abstainBelow
        self.at = at
    }

    /// Reads the thresholds as JSON numbers of any magnitude and checks their range before
    /// rounding them to the nearest Float (the synthesized decoding refuses one a Float cannot
    /// hold, 1e-300 say, as "not valid JSON"). An optional field is left out for its default;
    /// `null` is refused, as the spec gives every field a type that is not null.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func optional<Value: Decodable>(_ type: Value.Type, _ key: CodingKeys, _ name: String) throws -> Value? {
            guard container.contains(key) else { return nil }
            if try container.decodeNil(forKey: key) {
                throw RequestFieldError("\(name) must be a number, not null (leave it out for the default)")
            }
            return try container.decode(type, forKey: key)
        }
        question = try container.decode(String.self, forKey: .question)
        maxTokens = try optional(Int.self, .maxTokens, "max_tokens")
        func threshold(_ key: CodingKeys, _ name: String) throws -> Float? {
            guard let value = try optional(Double.self, key, name) else { return nil }
            guard (-1...1).contains(value) else {
                throw RequestFieldError("\(name) is a cosine: it must be in -1...1, not \(value)")
            }
            return Float(value)
        }
        minConfidence = try threshold(.minConfidence, "min_confidence")
        abstainBelow = try threshold(.abstainBelow, "abstain_below")
        at = try optional(UInt64.self, .at, "at")
        evidence = try optional(Int.self, .evidence, "evidence")
    }

    public var options: AskOptions {
        var options = AskOptions()
        if let maxTokens { options.maxTokens = maxTokens }
        if let minConfidence { options.minConfidence = minConfidence }
        if let abstainBelow { options.abstainBelow = abstainBelow }
        if let evidence { options.evidencePassages = evidence }
        return options
    }
}

/// What `ask` answers, embedded or through the daemon.
public struct AskResponse: Codable, Sendable, Equatable {
    public struct Token: Codable, Sendable, Equatable {
        public var text: String
        public var confidence: Float
        public var strength: Float
        public var memories: [Int]
    }

    /// One item's answer, for a question over a list.
    public struct Item: Codable, Sendable, Equatable {
        public var item: String
        public var answer: String
        public var confidence: Float
        public var abstained: Bool
    }

    public var document: String
    public var question: String
    /// The span that answers; empty when abstained.
    public var answer: String
    /// Everything decoded after the probe that matched.
    public var continuation: String
    public var confidence: Float
    public var abstained: Bool
    /// The kind of span the question asks for: number, time, place, name or phrase.
    public var answerType: String
    /// The cue that matched and the rewrite that wrote it.
    public var probe: Probe?
    public var probesRead: Int
    public var tokens: [Token]
    public var memoriesRead: [Int]
    public var items: [Item]?
    /// The passages recalled for the question, best first, rebuilt from the state.
    public var evidence: [Passage]?
    /// How the answer was found: "probe" or "evidence".
    public var source: String?
    /// Tokens in the state that answered.
    public var stateTokens: UInt64
    public var latencyMs: Double

    public init(document: String, question: String, answer: Answer, stateTokens: UInt64, latency: Duration) {
        self.document = document
        self.question = question
        self.answer = answer.answer
        continuation = answer.continuation
        confidence = answer.confidence
        abstained = answer.abstained
        answerType = answer.answerType.rawValue
        probe = answer.probe
        probesRead = answer.probesRead
        tokens = answer.tokens.map { Token(text: $0.text, confidence: $0.confidence, strength: $0.strength, memories: $0.memories) }
        memoriesRead = answer.memoriesRead
        items = answer.items?.map { Item(item: $0.probe?.item ?? "", answer: $0.answer, confidence: $0.confidence, abstained: $0.abstained) }
        evidence = answer.evidence
        source = answer.source
        self.stateTokens = stateTokens
        latencyMs = latency.seconds * 1000
    }

    /// The wire's names, written out: encoded with `JSONCoding.wireKeyEncoder` no key is converted
    /// (the snake-case strategy rewrote every key of every answer, a quarter of the daemon's JSON
    /// work), and the snake-case encoder
    /// leaves them as they are. The nested types' keys are single words. Decoding is synthesized,
    /// from the snake-case decoder's converted keys.
    enum WireKeys: String, CodingKey {
        case document, question, answer, continuation, confidence, abstained, probe, tokens, items, evidence, source
        case answerType = "answer_type", probesRead = "probes_read", memoriesRead = "memories_read"
        case stateTokens = "state_tokens", latencyMs = "latency_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: WireKeys.self)
        try container.encode(document, forKey: .document)
        try container.encode(question, forKey: .question)
        try container.encode(answer, forKey: .answer)
        try container.encode(continuation, forKey: .continuation)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(abstained, forKey: .abstained)
        try container.encode(answerType, forKey: .answerType)
        try container.encodeIfPresent(probe, forKey: .probe)
        try container.encode(probesRead, forKey: .probesRead)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(memoriesRead, forKey: .memoriesRead)
        try container.encodeIfPresent(items, forKey: .items)
        try container.encodeIfPresent(evidence, forKey: .evidence)
        try container.encodeIfPresent(source, forKey: .source)
        try container.encode(stateTokens, forKey: .stateTokens)
        try container.encode(latencyMs, forKey: .latencyMs)
    }
}

/// What `POST /v1/docs/{doc}/ingest` answers.
public struct IngestResponse: Codable, Sendable, Equatable {
    public var document: String
    /// Bytes of this request folded (after skipping any the document already held).
    public var foldedBytes: UInt64
    /// The document's end: every byte before it is durable.
    public var committedOffset: UInt64
    public var tokens: UInt64
    public var bytes: UInt64

    package init(document: String, foldedBytes: UInt64, committedOffset: UInt64, tokens: UInt64, bytes: UInt64) {
        self.document = document
        self.foldedBytes = foldedBytes
        self.committedOffset = committedOffset
        self.tokens = tokens
        self.bytes = bytes
    }
}

/// `GET /v1/docs`.
public struct DocumentListResponse: Codable, Sendable {
    public var documents: [DocumentSummary]

    package init(documents: [DocumentSummary]) {
        self.documents = documents
    }
}

/// One line of the document list.
public struct DocumentSummary: Codable, Sendable, Equatable {
    public var name: String
    public var tokens: UInt64
    public var bytes: UInt64
    public var snapshots: Int
    public var storedBytes: Int64
    /// The configuration fingerprint, hex.
    public var fingerprint: String
    public var updatedAt: Date
    /// Bytes of the memory matrices: the state's size, whatever the document's length (nil from
    /// a daemon older than the field).
    public var memoryBytes: Int?
    /// The prose tokens `momd bench capacity` measured a state of this shape and size holding at
    /// ≥ 95 % recall; nil for a shape it did not measure. Past it, older facts fade.
    public var reachTokens: Int?
    /// Who may write the document, on a store many daemons share (PostgreSQL).
    public var lease: Lease?

    public init(_ info: DocumentInfo) { self.init(info, lease: nil) }

    public init(_ info: DocumentInfo, lease: Lease?) {
        name = info.name
        fingerprint = info.configuration.fingerprintHex
        tokens = info.tokenCount
        bytes = info.byteCount
        snapshots = info.snapshotCount
        storedBytes = info.storedBytes
        updatedAt = info.updatedAt
        memoryBytes = info.configuration.memoryBytes
        reachTokens = Self.measuredReach(of: info.configuration)
        self.lease = lease
    }

    /// What `momd bench capacity` measured a state of `configuration`'s shape holding
    /// (`CapacityBenchmark.measuredReach`): the default shape at 1, 4, 16 or 64 MiB of memories.
    /// The seed, the tie rule, the number keys and the topic memory are not the n-gram memories'
    /// shape (the README's tie and number-key measurements moved no cell by more than a needle of
    /// twenty); anything else that differs is a shape nobody measured.
    public static func measuredReach(of configuration: MoMConfiguration) -> Int? {
        for (mebibytes, tokens) in CapacityBenchmark.measuredReach {
            var measured = CapacityBenchmark.configuration(mebibytes: mebibytes)
            measured.seed = configuration.seed
            measured.tieBreak = configuration.tieBreak
            measured.numberKeys = configuration.numberKeys
            measured.topicRows = configuration.topicRows
            measured.topicWidth = configuration.topicWidth
            measured.sentenceSlots = configuration.sentenceSlots
            measured.routingChunkTokens = configuration.routingChunkTokens
            measured.maxTokenLength = configuration.maxTokenLength
            if measured == configuration { return tokens }
        }
        return nil
    }
}

/// `GET /v1/docs/{doc}/routing`.
public struct RoutingResponse: Codable, Sendable {
    public var document: String
    public var chunkTokens: Int
    public var chunks: [RoutingChunk]

    package init(document: String, chunkTokens: Int, chunks: [RoutingChunk]) {
        self.document = document
        self.chunkTokens = chunkTokens
        self.chunks = chunks
    }
}

/// A request field with a value the API does not take; the daemon answers 400 with the message.
public struct RequestFieldError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
