/// How a memory absorbs a write.
public enum UpdateRule: String, Codable, Sendable, CaseIterable {
    /// The gated delta rule: S ← αS; S ← S + k (β(v − Sᵀk))ᵀ. Erases what the key predicted.
    case delta
    /// Plain linear attention: S ← αS; S ← S + k (βv)ᵀ. Only adds, so associations pile up.
    case hebbian
}

/// How the memory matrices hold their values.
public enum RowFormat: String, Codable, Sendable, CaseIterable {
    /// Float32: four bytes a value. The format of every state made before int8 rows.
    case float32
    /// Fixed-point int8: one byte a value, in steps of 1/64 (−127…127, so ±1.98). A byte holds as
    /// many rows as four of Float32, and the rows are what a fixed-size state recalls with; the
    /// writes are computed in Float32 and rounded to the nearest step (ties to even), so a write
    /// the memory already holds changes nothing, and the delta rule corrects the rounding the next
    /// time the same key is written.
    case int8

    /// Bytes of one stored value.
    public var bytesPerValue: Int { self == .float32 ? 4 : 1 }
}

/// Which memory a key goes to when several score the same router logit.
///
/// The router's weights are ±1 and a key's values come in a few sizes (one per n-gram order), so
/// equal logits are common: with 16 memories about one token in five of prose ties at the top.
public enum TieBreak: String, Codable, Sendable, CaseIterable {
    /// The lowest tied index. Memory 0 takes every tie it is in, so low indices fill faster (on
    /// the Devil's Dictionary the busiest memory took 1.40× the writes of the quietest). The rule
    /// of every state made before hashed ties.
    case lowest
    /// The first tied memory from a point the logits themselves pick (a hash of their bits), so
    /// ties spread evenly, and a read, whose logits are those of the write, finds the same memory.
    case hashed
}

/// How a key is made inside a number (a word with a digit in it: a PIN, a price, a year, a UUID).
///
/// The tokenizer makes every digit a token, so a 4-token window inside a number sees only the
/// digits before it: two numbers that begin alike ("7616875" and "7609807" after the same "is:"),
/// or a code that repeats a stretch of itself, share contexts, and the newer write takes them.
public enum NumberKeys: String, Codable, Sendable, CaseIterable {
    /// Keys from the window alone, inside numbers as everywhere. The rule of every state made
    /// before anchored number keys.
    case window
    /// Inside a number each order is also hashed with the three tokens before the number began
    /// and the token's place in it: a read that found the number's first digits goes on in that
    /// number, not in another that shares them.
    case anchored
}

/// Every parameter that shapes a document's state. The state is a pure function of
/// (configuration, input bytes), so two states are only comparable under equal fingerprints.
public struct MoMConfiguration: Codable, Sendable, Hashable {
    /// N: routed memories (1...1024; recording per-token routes needs at most 255).
    public var memories: Int
    /// Memories each token writes and each query reads.
    public var topK: Int
    /// Key dimension: rows of each memory matrix.
    public var dk: Int
    /// Value dimension: columns of each memory matrix.
    public var dv: Int
    /// w: the n-gram orders 1...w of preceding tokens that make a key.
    public var window: Int
    /// s: signed hashed positions per n-gram order.
    public var hashesPerOrder: Int
    /// c_n: the weight of each n-gram order, `window` entries.
    public var orderWeights: [Float]
    /// Per-token decay of every written memory (α = exp(g) in the gated delta rule).
    public var alpha: Float
    /// Write strength of the delta rule.
    public var beta: Float
    /// Adds one memory that every token writes and every read adds.
    public var sharedMemory: Bool
    /// Seeds the router vectors and every hash that shapes the state.
    public var seed: UInt64
    /// Letter runs longer than this many scalars are split, so memory stays bounded on any input.
    public var maxTokenLength: Int
    /// Tokens per routing-history chunk.
    public var routingChunkTokens: Int
    /// The write rule; `.hebbian` exists to measure what the delta rule buys.
    public var updateRule: UpdateRule
    /// How the matrices hold their values.
    public var rowFormat: RowFormat
    /// Which memory takes a key when router logits tie.
    public var tieBreak: TieBreak
    /// How a key is made inside a number.
    public var numberKeys: NumberKeys
    /// Rows of the topic memory (`TopicMemory`) that leads a question's content words to the
    /// sentences holding them; 0 for none, as in every state made before it.
    public var topicRows: Int
    /// Signs of a sentence code in the topic memory (a multiple of 64).
    public var topicWidth: Int
    /// Sentences whose starting context the topic memory keeps (the latest ones).
    public var sentenceSlots: Int

    public init(
        memories: Int = 16,
        topK: Int = 1,
        dk: Int = 8192,
        dv: Int = 32,
        window: Int = 4,
        hashesPerOrder: Int = 4,
        orderWeights: [Float] = [0.25, 0.5, 1, 1],
        alpha: Float = 1,
        beta: Float = 1,
        sharedMemory: Bool = false,
        seed: UInt64 = 0x6D6F_6D64,
        maxTokenLength: Int = 64,
        routingChunkTokens: Int = 4096,
        updateRule: UpdateRule = .delta,
        rowFormat: RowFormat = .int8,
        tieBreak: TieBreak = .hashed,
        numberKeys: NumberKeys = .anchored,
        topicRows: Int = 0,
        topicWidth: Int = 0,
        sentenceSlots: Int = 0
    ) {
        self.memories = memories
        self.topK = topK
        self.dk = dk
        self.dv = dv
        self.window = window
        self.hashesPerOrder = hashesPerOrder
        self.orderWeights = orderWeights
        self.alpha = alpha
        self.beta = beta
        self.sharedMemory = sharedMemory
        self.seed = seed
        self.maxTokenLength = maxTokenLength
        self.routingChunkTokens = routingChunkTokens
        self.updateRule = updateRule
        self.rowFormat = rowFormat
        self.tieBreak = tieBreak
        self.numberKeys = numberKeys
        self.topicRows = topicRows
        self.topicWidth = topicWidth
        self.sentenceSlots = sentenceSlots
    }

    /// Reads the floats as JSON numbers of any magnitude, rounded to the nearest Float (the
    /// synthesized decoding refuses a number a Float cannot hold exactly in range, 1e-300 say,
    /// as "not valid JSON"); `validate()` then judges the values.
    /// A field that may be left out is never `null`: that is refused, not read as the default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func optional<Value: Decodable>(_ type: Value.Type, _ key: CodingKeys) throws -> Value? {
            guard container.contains(key) else { return nil }
            if try container.decodeNil(forKey: key) {
                throw DecodingError.valueNotFound(
                    type, .init(codingPath: container.codingPath + [key], debugDescription: "\(key.stringValue) is null"))
            }
            return try container.decode(type, forKey: key)
        }
        memories = try container.decode(Int.self, forKey: .memories)
        topK = try container.decode(Int.self, forKey: .topK)
        dk = try container.decode(Int.self, forKey: .dk)
        dv = try container.decode(Int.self, forKey: .dv)
        window = try container.decode(Int.self, forKey: .window)
        hashesPerOrder = try container.decode(Int.self, forKey: .hashesPerOrder)
        orderWeights = try container.decode([Double].self, forKey: .orderWeights).map { Float($0) }
        alpha = Float(try container.decode(Double.self, forKey: .alpha))
        beta = Float(try container.decode(Double.self, forKey: .beta))
        sharedMemory = try container.decode(Bool.self, forKey: .sharedMemory)
        seed = try container.decode(UInt64.self, forKey: .seed)
        maxTokenLength = try container.decode(Int.self, forKey: .maxTokenLength)
        routingChunkTokens = try container.decode(Int.self, forKey: .routingChunkTokens)
        updateRule = try container.decode(UpdateRule.self, forKey: .updateRule)
        // Configurations stored before int8 rows existed hold Float32 ones.
        rowFormat = try optional(RowFormat.self, .rowFormat) ?? .float32
        // And before hashed ties, the lowest tied memory took a key.
        tieBreak = try optional(TieBreak.self, .tieBreak) ?? .lowest
        // And before anchored number keys, numbers were keyed by the window alone.
        numberKeys = try optional(NumberKeys.self, .numberKeys) ?? .window
        // And before the topic memory, a state had none.
        topicRows = try optional(Int.self, .topicRows) ?? 0
        topicWidth = try optional(Int.self, .topicWidth) ?? 0
        sentenceSlots = try optional(Int.self, .sentenceSlots) ?? 0
    }

    /// The defaults the README documents and the benchmarks measure: the memberwise defaults
    /// and a topic memory of 8192 rows × 128 signs over the latest 2048 sentences.
    public static let `default` = MoMConfiguration(topicRows: 8192, topicWidth: 128, sentenceSlots: 2048)

    /// Memory matrices in the state: the routed ones plus the shared one if enabled.
    public var memoryCount: Int { memories + (sharedMemory ? 1 : 0) }

    /// Whether the state keeps a topic memory.
    public var hasTopicMemory: Bool { topicRows > 0 }

    /// The configuration without a topic memory: the n-gram memories alone, as before it.
    public var withoutTopicMemory: MoMConfiguration {
        var configuration = self
        configuration.topicRows = 0
        configuration.topicWidth = 0
        configuration.sentenceSlots = 0
        return configuration
    }

    /// Bytes of the memory matrices alone.
    public var memoryBytes: Int { memoryCount * dk * dv * rowFormat.bytesPerValue }

    /// The most a read can project on an association stored under a full context when its query
    /// holds only the `contextTokens` most recent tokens of it: the share of the stored key that
    /// the query's orders cover, √(Σₙ₌₁..ₜ cₙ² / Σₙ₌₁..w cₙ²) (hash collisions aside); 1 from
    /// `window` tokens on.
    public func matchCeiling(contextTokens: Int) -> Float {
        matchCeiling(contextTokens: contextTokens, of: window)
    }

    /// The orders a key is routed by, and a question's cue read with: at most the first four.
    /// A longer window's higher orders tell apart the places a four-token phrase recurs when a
    /// recalled sentence is decoded from its own context, but a question's cue is no longer
    /// than a phrase, and its tokens before that are the question's, not the document's.
    public var routedOrders: Int { min(window, Self.questionOrders) }
    /// Orders a question's cue can be trusted to hold.
    public static let questionOrders = 4

    /// `matchCeiling` over the first `orders` orders of the key.
    public func matchCeiling(contextTokens: Int, of orders: Int) -> Float {
        let total = orderWeights.prefix(max(orders, 0)).reduce(0) { $0 + $1 * $1 }
        let covered = orderWeights.prefix(max(min(contextTokens, orders), 0)).reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 0 }
        return (covered / total).squareRoot()
    }

    /// What a first token's strength is worth as evidence for a cue of `contextTokens` tokens.
    ///
    /// A cue one token short of the window reads at most `matchCeiling` of a perfect match, and a
    /// statement that opens a sentence can give no more: its oldest context token is the end of
    /// whatever sentence came before, which no question knows. Such a cue's strength is scaled up
    /// by 1 / ceiling so that it reads like a full match. Shorter cues keep their strength as it is:
    /// two or three words recur, so a match on them alone is weak evidence.
    public func evidenceScale(contextTokens: Int) -> Float {
        guard contextTokens == routedOrders - 1, routedOrders > 1 else { return 1 }
        let ceiling = matchCeiling(contextTokens: contextTokens, of: routedOrders)
        return ceiling > 0 ? 1 / ceiling : 1
    }

    /// Checks every field, naming the first one that is out of range.
    public func validate() throws {
        func fail(_ message: String) -> MoMError { MoMError(.invalidConfiguration, "invalid configuration: \(message)") }
        guard (1...1024).contains(memories) else { throw fail("memories must be in 1...1024, got \(memories)") }
        guard (1...memories).contains(topK) else { throw fail("topK must be in 1...memories (\(memories)), got \(topK)") }
        guard (1...(1 << 22)).contains(dk) else { throw fail("dk must be in 1...4194304, got \(dk)") }
        guard (1...4096).contains(dv) else { throw fail("dv must be in 1...4096, got \(dv)") }
        guard (1...16).contains(window) else { throw fail("window must be in 1...16, got \(window)") }
        guard (1...64).contains(hashesPerOrder) else { throw fail("hashesPerOrder must be in 1...64, got \(hashesPerOrder)") }
        guard orderWeights.count == window else {
            throw fail("orderWeights needs one weight per order (window = \(window)), got \(orderWeights.count)")
        }
        guard orderWeights.allSatisfy({ $0.isFinite && $0 >= 0 }), orderWeights.contains(where: { $0 > 0 }) else {
            throw fail("orderWeights must be finite, non-negative and not all zero, got \(orderWeights)")
        }
        guard alpha.isFinite, alpha > 0, alpha <= 1 else { throw fail("alpha must be in (0, 1], got \(alpha)") }
        guard beta.isFinite, beta > 0, beta < 2 else { throw fail("beta must be in (0, 2), got \(beta)") }
        guard (1...1024).contains(maxTokenLength) else { throw fail("maxTokenLength must be in 1...1024, got \(maxTokenLength)") }
        guard routingChunkTokens >= 1 else { throw fail("routingChunkTokens must be positive, got \(routingChunkTokens)") }
        if topicRows != 0 || topicWidth != 0 || sentenceSlots != 0 {
            guard (1...(1 << 20)).contains(topicRows) else { throw fail("topicRows must be in 1...1048576 (or 0 with no topic memory), got \(topicRows)") }
            guard (64...4096).contains(topicWidth), topicWidth % 64 == 0 else {
                throw fail("topicWidth must be a multiple of 64 in 64...4096, got \(topicWidth)")
            }
            guard (1...(1 << 20)).contains(sentenceSlots) else { throw fail("sentenceSlots must be in 1...1048576, got \(sentenceSlots)") }
        }
        let limit = 1 << 31
        guard memoryCount * dk <= limit / max(dv, 1) / 4 else {
            throw fail("the memories would take \(memoryCount) × \(dk) × \(dv) floats, over the 2 GiB limit")
        }
    }

    /// A 64-bit digest of every field; any change to any field changes it.
    public var fingerprint: UInt64 {
        var writer = ByteWriter()
        writeCanonical(to: &writer)
        return StableHash.hash(writer.bytes)
    }

    /// The fingerprint as 16 hex digits.
    public var fingerprintHex: String {
        let hex = String(fingerprint, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The canonical binary form: fixed field order, little-endian. Version 1 for Float32 rows
    /// and the lowest tie (byte for byte what it was before int8 rows, so every stored
    /// fingerprint stays valid); version 2 adds the row format at the end (int8 rows, lowest
    /// tie); version 3 adds the row format and the tie break (hashed); version 4, for anchored
    /// number keys, adds the row format, the tie break (either) and the number keys; version 5,
    /// for a topic memory, adds to those its rows, width and sentence slots.
    func writeCanonical(to writer: inout ByteWriter) {
        let form: UInt32 =
            hasTopicMemory ? 5 : numberKeys == .anchored ? 4 : tieBreak == .hashed ? 3 : rowFormat == .float32 ? 1 : 2
        writer.append(form)  // canonical form version
        for value in [memories, topK, dk, dv, window, hashesPerOrder, maxTokenLength, routingChunkTokens] {
            writer.append(UInt64(value))
        }
        writer.append(UInt32(orderWeights.count))
        for weight in orderWeights { writer.append(weight.bitPattern) }
        writer.append(alpha.bitPattern)
        writer.append(beta.bitPattern)
        writer.append(UInt8(sharedMemory ? 1 : 0))
        writer.append(seed)
        writer.append(UInt8(updateRule == .delta ? 0 : 1))
        if form >= 2 { writer.append(UInt8(rowFormat == .float32 ? 1 : 2)) }
        if form == 3 { writer.append(UInt8(1)) }  // hashed ties
        if form == 4 {
            writer.append(UInt8(tieBreak == .hashed ? 1 : 0))
            writer.append(UInt8(1))  // anchored number keys
        }
        if form == 5 {
            writer.append(UInt8(tieBreak == .hashed ? 1 : 0))
            writer.append(UInt8(numberKeys == .anchored ? 1 : 0))
            writer.append(UInt32(topicRows))
            writer.append(UInt32(topicWidth))
            writer.append(UInt32(sentenceSlots))
        }
    }

    static func readCanonical(from reader: inout ByteReader) throws -> MoMConfiguration {
        let form = try reader.read(UInt32.self)
        guard (1...5).contains(form) else {
            throw MoMError(.unsupportedStateVersion, "state stores its configuration in an unknown form (\(form))")
        }
        var values: [Int] = []
        for _ in 0..<8 {
            let raw = try reader.read(UInt64.self)
            guard raw <= UInt64(Int32.max) else { throw MoMError(.corruptState, "state configuration holds an out-of-range field") }
            values.append(Int(raw))
        }
        let weightCount = Int(try reader.read(UInt32.self))
        guard weightCount <= 16 else { throw MoMError(.corruptState, "state configuration holds \(weightCount) order weights") }
        var weights: [Float] = []
        for _ in 0..<weightCount { weights.append(Float(bitPattern: try reader.read(UInt32.self))) }
        let alpha = Float(bitPattern: try reader.read(UInt32.self))
        let beta = Float(bitPattern: try reader.read(UInt32.self))
        let shared = try reader.read(UInt8.self) != 0
        let seed = try reader.read(UInt64.self)
        let rule: UpdateRule
        switch try reader.read(UInt8.self) {
        case 0: rule = .delta
        case 1: rule = .hebbian
        case let other: throw MoMError(.corruptState, "state configuration names unknown update rule \(other)")
        }
        var rowFormat = RowFormat.float32
        if form >= 2 {
            switch try reader.read(UInt8.self) {
            case 1 where form >= 3: rowFormat = .float32
            case 2: rowFormat = .int8
            case let other: throw MoMError(.corruptState, "state configuration names unknown row format \(other)")
            }
        }
        var tieBreak = TieBreak.lowest
        if form >= 3 {
            switch try reader.read(UInt8.self) {
            case 0 where form >= 4: tieBreak = .lowest
            case 1: tieBreak = .hashed
            case let other: throw MoMError(.corruptState, "state configuration names unknown tie break \(other)")
            }
        }
        var numberKeys = NumberKeys.window
        if form >= 4 {
            switch try reader.read(UInt8.self) {
            case 0 where form == 5: numberKeys = .window
            case 1: numberKeys = .anchored
            case let other: throw MoMError(.corruptState, "state configuration names unknown number keys \(other)")
            }
        }
        var topic: [Int] = [0, 0, 0]
        if form == 5 {
            topic = try (0..<3).map { _ in Int(try reader.read(UInt32.self)) }
            guard topic[0] > 0 else { throw MoMError(.corruptState, "state configuration names a topic memory of no rows") }
        }
        let configuration = MoMConfiguration(
            memories: values[0], topK: values[1], dk: values[2], dv: values[3], window: values[4],
            hashesPerOrder: values[5], orderWeights: weights, alpha: alpha, beta: beta,
            sharedMemory: shared, seed: seed, maxTokenLength: values[6], routingChunkTokens: values[7],
            updateRule: rule, rowFormat: rowFormat, tieBreak: tieBreak, numberKeys: numberKeys,
            topicRows: topic[0], topicWidth: topic[1], sentenceSlots: topic[2]
        )
        do { try configuration.validate() } catch let error as MoMError {
            throw MoMError(.corruptState, "state holds an invalid configuration: \(error.message)")
        }
        return configuration
    }
}
