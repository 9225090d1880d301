import Foundation
import MoMCore
import MoMStore

/// The body of `POST /v1/docs/{doc}/ask`.
public struct AskRequest: Codable, Sendable {
    public var cue: String
    public var maxTokens: Int?
    public var minConfidence: Float?
    public var abstainBelow: Float?
    /// Answer from the newest kept snapshot at or before this many tokens.
    public var at: UInt64?

    public init(cue: String, maxTokens: Int? = nil, minConfidence: Float? = nil, abstainBelow: Float? = nil, at: UInt64? = nil) {
        self.cue = cue
        self.maxTokens = maxTokens
        self.minConfidence = minConfidence
        self.abstainBelow = abstainBelow
        self.at = at
    }


    /// Reads the thresholds as JSON numbers of any magnitude and checks their range before
    /// rounding them to the nearest Float (the synthesized decoding refuses one a Float cannot
    /// hold, 1e-300 say, as "not valid JSON").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cue = try container.decode(String.self, forKey: .cue)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        func threshold(_ key: CodingKeys, _ name: String) throws -> Float? {
            guard let value = try container.decodeIfPresent(Double.self, forKey: key) else { return nil }
            guard (-1...1).contains(value) else {
                throw APIError(.badRequest, code: "bad_request", "\(name) is a cosine: it must be in -1...1, not \(value)")
            }
            return Float(value)
        }
        minConfidence = try threshold(.minConfidence, "min_confidence")
        abstainBelow = try threshold(.abstainBelow, "abstain_below")
        at = try container.decodeIfPresent(UInt64.self, forKey: .at)
    }

    var options: ReadOptions {
        var options = ReadOptions()
        if let maxTokens { options.maxTokens = maxTokens }
        if let minConfidence { options.minConfidence = minConfidence }
        options.abstainBelow = abstainBelow
        return options
    }
}

/// What `ask` answers, embedded or through the daemon.
public struct AskResponse: Codable, Sendable, Equatable {
    public struct Token: Codable, Sendable, Equatable {
        public var text: String
        public var confidence: Float
        public var memories: [Int]
    }

    public var document: String
    public var answer: String
    public var confidence: Float
    public var abstained: Bool
    public var stop: String
    public var tokens: [Token]
    public var memoriesRead: [Int]
    /// Tokens in the state that answered.
    public var stateTokens: UInt64
    public var latencyMilliseconds: Double


    public init(document: String, result: ReadResult, stateTokens: UInt64, latency: Duration) {
        self.document = document
        answer = result.answer
        confidence = result.confidence
        abstained = result.abstained
        stop = result.stop.rawValue
        tokens = result.tokens.map { Token(text: $0.text, confidence: $0.confidence, memories: $0.memories) }
        memoriesRead = result.memoriesRead
        self.stateTokens = stateTokens
        latencyMilliseconds = latency.seconds * 1000
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

}

/// `GET /v1/docs`.
public struct DocumentListResponse: Codable, Sendable {
    public var documents: [DocumentSummary]
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

    public init(_ info: DocumentInfo) {
        name = info.name
        fingerprint = info.configuration.fingerprintHex
        tokens = info.tokenCount
        bytes = info.byteCount
        snapshots = info.snapshotCount
        storedBytes = info.storedBytes
        updatedAt = info.updatedAt
    }
}

/// `GET /v1/docs/{doc}/routing`.
public struct RoutingResponse: Codable, Sendable {
    public var document: String
    public var chunkTokens: Int
    public var chunks: [RoutingChunk]

}
