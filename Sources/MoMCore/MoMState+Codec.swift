/// The state's byte form (little-endian; laid out byte by byte in schemas/snapshot.md). Version 1
/// holds Float32 rows; version 2 is the same form with int8 rows (dtype 2), whose matrices are
/// the codes themselves, one byte a value, memory after memory. A Float32 state is still written
/// as version 1, byte for byte as before.
///
/// ```
/// magic "MOMSTATE" · format version u32 · configuration fingerprint u64
/// memory count u32 · dk u32 · dv u32 · dtype u8 (1 = float32, 2 = int8 in 1/64 steps)
/// layout u8 (1 = [memory][dk][dv])
/// reserved u16 · tokens u64 · bytes u64
/// configuration (canonical, length-prefixed)
/// scales f32 × memories · matrices (float32: 4 byte planes; int8: the codes) · writes u64 × memories
/// routing tally · context · [anchored number keys: word anchor u64 · length u8 · anchor length u8 · digit u8]
/// tokenizer carry · vocabulary · [version 3: topic memory (TopicMemory.write)]
/// checksum u64: StableHash of every byte before it, seed "checksum"
/// ```
extension MoMState {
    public static let magic: [UInt8] = Array("MOMSTATE".utf8)
    /// The newest format version this build writes and reads (it reads every older one).
    public static let formatVersion: UInt32 = 3
    static let checksumSeed: UInt64 = 0x6368_6563_6B73_756D  // "checksum"
    static let headerByteCount = 8 + 4 + 8 + 4 * 3 + 4 + 8 + 8

    /// The whole state as bytes.
    public func encoded() -> [UInt8] { encodedWithDigest().bytes }

    /// The whole state as bytes, and their digest (`digest`), hashed in the same pass as the
    /// checksum the bytes end in.
    public func encodedWithDigest() -> (bytes: [UInt8], digest: String) {
        var bytes = encodedBody()
        let (checksum, digest) = bytes.withUnsafeBytes { StableHash.seal($0, innerSeed: Self.checksumSeed) }
        withUnsafeBytes(of: checksum.littleEndian) { bytes.append(contentsOf: $0) }
        return (bytes, StableHash.hex(digest))
    }

    /// Every byte of the encoding before its checksum.
    func encodedBody() -> [UInt8] {
        precondition(engine.bank.isComplete, "a state read on demand holds only some of its memories and cannot be encoded")
        let bank = engine.bank
        var writer = ByteWriter(capacity: configuration.memoryBytes + engine.vocabulary.encodedByteCount + 4096)
        writer.append(bytes: Self.magic)
        writer.append(Self.formatVersion(for: configuration))
        writer.append(configuration.fingerprint)
        writer.append(UInt32(bank.count))
        writer.append(UInt32(bank.dk))
        writer.append(UInt32(bank.dv))
        writer.append(Self.dtype(for: bank.rowFormat))
        writer.append(UInt8(1))  // layout: row-major [memory][dk][dv], byte planes
        writer.append(UInt16(0))
        writer.append(engine.tokens)
        writer.append(byteCount)
        var canonical = ByteWriter()
        configuration.writeCanonical(to: &canonical)
        writer.appendBlob(canonical.bytes)
        for scale in bank.scales { writer.append(scale.bitPattern) }
        switch bank.rowFormat {
        case .float32: writer.appendShuffled(bank.storedValues)
        case .int8: bank.withStoredCodeBytes { writer.append(bytes: $0) }
        }
        for count in engine.writes { writer.append(count) }
        engine.tally.write(to: &writer)
        writer.append(UInt32(engine.context.count))
        for hash in engine.context.hashes { writer.append(hash) }
        if engine.context.followsWords {
            let word = engine.context.word
            writer.append(word.anchor)
            writer.append(word.length)
            writer.append(word.anchorLength)
            writer.append(UInt8(word.hasDigit ? 1 : 0))
        }
        tokenizer.write(to: &writer)
        engine.vocabulary.write(to: &writer)
        engine.topic?.write(to: &writer)
        return writer.bytes
    }

    /// A digest of the encoded state: equal digests mean equal states, bit for bit.
    public var digest: String { encodedWithDigest().digest }

    /// Restores a state from `encoded()` bytes, all or nothing.
    ///
    /// - Parameter expected: if given, the state's configuration must have its fingerprint.
    /// - Parameter verifyingChecksum: false skips the whole-state checksum, for bytes a caller has
    ///   already checked another way (a state image, StateImageCache); every other check stays.
    /// - Throws: `MoMError` naming what is wrong: truncation, a failed checksum, an unknown
    ///   version, a configuration that is not the expected one, or inconsistent fields.
    public init(decoding bytes: [UInt8], expecting expected: MoMConfiguration? = nil, verifyingChecksum: Bool = true) throws {
        guard bytes.count >= Self.headerByteCount + 8 else {
            throw MoMError(.corruptState, "state is truncated: \(bytes.count) bytes, shorter than any state")
        }
        guard Array(bytes[0..<8]) == Self.magic else {
            throw MoMError(.corruptState, "not a momd state: the magic bytes are wrong")
        }
        let body = bytes.count - 8
        var trailer = ByteReader(bytes)
        _ = try trailer.readBytes(body)
        let storedChecksum = try trailer.read(UInt64.self)
        let actualChecksum =
            verifyingChecksum
            ? bytes.withUnsafeBytes { StableHash.hash(UnsafeRawBufferPointer(rebasing: $0[0..<body]), seed: Self.checksumSeed) }
            : storedChecksum
        var versionReader = ByteReader(bytes, end: 12)
        _ = try versionReader.readBytes(8)
        try Self.checkVersion(try versionReader.read(UInt32.self))
        guard storedChecksum == actualChecksum else {
            throw MoMError(.corruptState, "state checksum mismatch: the bytes were altered or cut")
        }
        var reader = ByteReader(bytes, end: body)
        let prefix = try Self.decodePrefix(from: &reader, expecting: expected)
        let values = prefix.memoryCount * prefix.dk * prefix.dv
        let bank: MemoryBank
        switch prefix.configuration.rowFormat {
        case .float32:
            let storage = try reader.readShuffled(count: values)
            bank = MemoryBank(count: prefix.memoryCount, dk: prefix.dk, dv: prefix.dv, storage: storage, scales: prefix.scales)
        case .int8:
            guard let codes = try reader.readCodes(count: values) else {
                throw MoMError(.corruptState, "state memories hold a code outside −127…127")
            }
            bank = MemoryBank(count: prefix.memoryCount, dk: prefix.dk, dv: prefix.dv, codes: codes, scales: prefix.scales)
        }
        let (engine, tokenizer) = try Self.decodeSuffix(from: &reader, prefix: prefix, bank: bank)
        guard reader.remaining == 0 else {
            throw MoMError(.corruptState, "state has \(reader.remaining) unexpected bytes before its checksum")
        }
        guard engine.bank.isFinite else {
            throw MoMError(.corruptState, "state memories hold non-finite values")
        }
        self.init(configuration: prefix.configuration, tokenizer: tokenizer, engine: engine, byteCount: prefix.byteCount)
    }

    /// The version a state of this configuration is written in: 1 for Float32 rows, as before
    /// int8 ones; 3 with a topic memory after the vocabulary, as before it 2.
    static func formatVersion(for configuration: MoMConfiguration) -> UInt32 {
        configuration.hasTopicMemory ? 3 : configuration.rowFormat == .float32 ? 1 : 2
    }

    /// The header's dtype byte for these rows.
    static func dtype(for rowFormat: RowFormat) -> UInt8 { rowFormat == .float32 ? 1 : 2 }

    static func checkVersion(_ version: UInt32) throws {
        guard (1...Self.formatVersion).contains(version) else {
            throw MoMError(
                .unsupportedStateVersion,
                "state format version \(version) is not supported (this momd reads versions 1 to \(Self.formatVersion))")
        }
    }

    /// What comes before the matrices: header, configuration and scales.
    struct Prefix {
        var configuration: MoMConfiguration
        var memoryCount: Int
        var dk: Int
        var dv: Int
        var tokens: UInt64
        var byteCount: UInt64
        var scales: [Float]
    }

    /// Reads the header, the configuration and the scales, checking them against each other.
    static func decodePrefix(from reader: inout ByteReader, expecting expected: MoMConfiguration?) throws -> Prefix {
        guard Array(try reader.readBytes(8)) == Self.magic else {
            throw MoMError(.corruptState, "not a momd state: the magic bytes are wrong")
        }
        let version = try reader.read(UInt32.self)
        try checkVersion(version)
        let fingerprint = try reader.read(UInt64.self)
        if let expected, expected.fingerprint != fingerprint {
            throw MoMError(
                .configurationMismatch,
                "state was made with configuration \(Self.hex(fingerprint)), not the expected \(expected.fingerprintHex)")
        }
        let memoryCount = Int(try reader.read(UInt32.self))
        let dk = Int(try reader.read(UInt32.self))
        let dv = Int(try reader.read(UInt32.self))
        let dtype = try reader.read(UInt8.self)
        let layout = try reader.read(UInt8.self)
        _ = try reader.read(UInt16.self)
        let tokens = try reader.read(UInt64.self)
        let byteCount = try reader.read(UInt64.self)
        var configurationReader = ByteReader(try reader.readBlob(limit: 1024))
        let configuration = try MoMConfiguration.readCanonical(from: &configurationReader)
        guard configuration.fingerprint == fingerprint else {
            throw MoMError(.corruptState, "state configuration does not match its fingerprint")
        }
        guard version == formatVersion(for: configuration), dtype == Self.dtype(for: configuration.rowFormat),
            layout == 1, memoryCount == configuration.memoryCount, dk == configuration.dk, dv == configuration.dv
        else {
            throw MoMError(.corruptState, "state dimensions or layout disagree with its configuration")
        }
        var scales: [Float] = []
        for _ in 0..<memoryCount { scales.append(Float(bitPattern: try reader.read(UInt32.self))) }
        // A fold only shrinks a scale from 1 by α ≤ 1 and renormalises it below the floor.
        guard scales.allSatisfy({ $0 >= MemoryBank.renormalizeBelow && $0 <= 1 }) else {
            throw MoMError(.corruptState, "state holds a memory scale outside [1e-20, 1]")
        }
        return Prefix(
            configuration: configuration, memoryCount: memoryCount, dk: dk, dv: dv, tokens: tokens, byteCount: byteCount,
            scales: scales)
    }

    /// Reads what follows the matrices (writes, routing tally, context, carry, vocabulary) into an
    /// engine around `bank`.
    static func decodeSuffix(from reader: inout ByteReader, prefix: Prefix, bank: MemoryBank) throws
        -> (MemoryEngine, Tokenizer)
    {
        let configuration = prefix.configuration
        var engine = MemoryEngine(configuration: configuration, bank: bank)
        for memory in 0..<prefix.memoryCount { engine.writes[memory] = try reader.read(UInt64.self) }
        engine.tally = try RoutingTally.read(
            from: &reader, chunkTokens: configuration.routingChunkTokens, memories: configuration.memories)
        let contextCount = Int(try reader.read(UInt32.self))
        guard contextCount <= configuration.window else {
            throw MoMError(.corruptState, "state context holds \(contextCount) tokens, more than the window")
        }
        var hashes: [UInt64] = []
        for _ in 0..<contextCount { hashes.append(try reader.read(UInt64.self)) }
        var word = ContextWindow.Word()
        let followsWords = ContextWindow.followsWords(configuration)
        if followsWords {
            word.anchor = try reader.read(UInt64.self)
            word.length = try reader.read(UInt8.self)
            word.anchorLength = try reader.read(UInt8.self)
            let digit = try reader.read(UInt8.self)
            guard word.length <= ContextWindow.Word.lengthLimit, Int(word.anchorLength) <= ContextWindow.Word.anchorTokens,
                digit <= 1, (word.length == 0) == hashes.isEmpty
            else {
                throw MoMError(.corruptState, "state holds an impossible word in its context")
            }
            word.hasDigit = digit == 1
        }
        engine.context = ContextWindow(capacity: configuration.window, hashes: hashes, followsWords: followsWords, word: word)
        let tokenizer = try Tokenizer.read(from: &reader, maxTokenLength: configuration.maxTokenLength)
        engine.vocabulary = try Vocabulary.read(from: &reader, featurizer: engine.featurizer)
        if configuration.hasTopicMemory { engine.topic = try TopicMemory.read(from: &reader, configuration: configuration) }
        engine.tokens = prefix.tokens
        return (engine, tokenizer)
    }

    static func hex(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Bytes of the encoded state (before compression).
    public var encodedByteCount: Int {
        Self.headerByteCount + 8 + configuration.memoryCount * (4 + 8) + configuration.memoryBytes
            + engine.vocabulary.encodedByteCount + (engine.topic?.byteCount ?? 0) + 256
    }
}
