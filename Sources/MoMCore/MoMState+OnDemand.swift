/// Where the parts of an encoded state lie, so that a store can keep them as separate pieces and
/// read back only the memories a read needs.
///
/// The encoded state is: the prefix (header, configuration, scales), the matrices as byte planes
/// (four for Float32 rows, one — the codes — for int8 rows), each plane memory after memory, then
/// the suffix (writes, routing tally, context, carry, vocabulary, checksum). Byte plane b of
/// memory m is one contiguous run of dk·dv bytes.
public struct StateLayout: Sendable, Equatable {
    public let memoryCount: Int
    /// Byte planes of each memory: 4 for Float32 rows, 1 for int8 rows.
    public let planeCount: Int
    /// dk · dv: the values of one memory, and the bytes of one of its planes.
    public let valuesPerMemory: Int
    /// Bytes of the prefix: header, configuration, scales.
    public let prefixLength: Int
    /// Bytes of the whole encoded state.
    public let totalLength: Int

    /// Bytes of an encoded state a layout needs to be read: the fixed header and the
    /// configuration's length.
    public static let headerLength = MoMState.headerByteCount + 4

    /// The layout of an encoded state of `totalLength` bytes, from its first bytes (at least
    /// `headerLength`). Returns nil for a state of a version or dtype this build does not know.
    public init?(header: some RandomAccessCollection<UInt8>, totalLength: Int) {
        let bytes = Array(header.prefix(Self.headerLength))
        guard bytes.count == Self.headerLength, Array(bytes[0..<8]) == MoMState.magic else { return nil }
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        let memoryCount = integer(20, 4)
        let values = integer(24, 4) * integer(28, 4)  // u32 · u32: fits an Int
        let configurationLength = integer(52, 4)
        // Version 1 holds Float32 rows (dtype 1), version 2 int8 ones (dtype 2); version 3 either,
        // with a topic memory in its suffix.
        let version = integer(8, 4)
        let dtype = Int(bytes[32])
        guard (1...3).contains(version), (1...2).contains(dtype), version == 3 || dtype == version, bytes[33] == 1, memoryCount > 0,
            values > 0
        else { return nil }
        let planeCount = bytes[32] == 1 ? 4 : 1
        let prefixLength = Self.headerLength + configurationLength + 4 * memoryCount
        let (matrices, overflow) = (planeCount * memoryCount).multipliedReportingOverflow(by: values)
        guard !overflow, prefixLength + matrices + 8 <= totalLength else { return nil }
        self.memoryCount = memoryCount
        self.planeCount = planeCount
        valuesPerMemory = values
        self.prefixLength = prefixLength
        self.totalLength = totalLength
    }

    /// Where the suffix starts.
    public var suffixStart: Int { prefixLength + planeCount * memoryCount * valuesPerMemory }

    /// Byte plane b of memory m.
    public func plane(_ plane: Int, of memory: Int) -> Range<Int> {
        let start = prefixLength + (plane * memoryCount + memory) * valuesPerMemory
        return start..<(start + valuesPerMemory)
    }

    /// The pieces in byte order: the prefix, every plane of every memory (plane-major), the suffix.
    public var pieces: [Range<Int>] {
        var pieces = [0..<prefixLength]
        for plane in 0..<planeCount {
            for memory in 0..<memoryCount { pieces.append(self.plane(plane, of: memory)) }
        }
        pieces.append(suffixStart..<totalLength)
        return pieces
    }

    /// The index in `pieces` of plane b of memory m.
    public func pieceIndex(plane: Int, of memory: Int) -> Int { 1 + plane * memoryCount + memory }
}

extension MoMState {
    /// A state with no memory in place yet, from the prefix and suffix of an encoded state: what a
    /// read needs besides the memories. Memories are put in place with `install(memory:planes:)`.
    ///
    /// The whole-state checksum cannot be checked from pieces: the caller checks each piece
    /// (the store keeps each in its own checksummed LZ4 frame). Everything else is checked as
    /// `init(decoding:expecting:)` checks it.
    public init(decodingPrefix prefix: [UInt8], suffix: [UInt8], expecting expected: MoMConfiguration? = nil) throws {
        try self.init(decodingPrefix: prefix, suffix: suffix, expecting: expected) { decoded in
            MemoryBank(
                absent: decoded.memoryCount, dk: decoded.dk, dv: decoded.dv, rowFormat: decoded.configuration.rowFormat,
                scales: decoded.scales)
        }
    }

    /// A whole state of int8 rows from the three parts of its encoding: the prefix, the codes
    /// (the matrices, taken as they are: no copy, and a mapped image's rows stay mapped) and the
    /// suffix. The whole-state checksum is not checked (a state image checks its parts its own
    /// way); everything else is.
    public init(decodingPrefix prefix: [UInt8], codes: CodeRows, suffix: [UInt8], expecting expected: MoMConfiguration? = nil) throws {
        try self.init(decodingPrefix: prefix, suffix: suffix, expecting: expected) { decoded in
            guard decoded.configuration.rowFormat == .int8 else {
                throw MoMError(.corruptState, "the state holds Float32 rows, not int8 codes")
            }
            guard codes.count == decoded.memoryCount * decoded.dk * decoded.dv else {
                throw MoMError(.corruptState, "the state's memories hold \(codes.count) codes, not \(decoded.memoryCount * decoded.dk * decoded.dv)")
            }
            guard !codes.withUnsafeBytes({ ByteReader.holdsCodeOutOfRange($0) }) else {
                throw MoMError(.corruptState, "state memories hold a code outside −127…127")
            }
            let bank = MemoryBank(count: decoded.memoryCount, dk: decoded.dk, dv: decoded.dv, codes: codes, scales: decoded.scales)
            guard bank.isFinite else { throw MoMError(.corruptState, "state memories hold non-finite scales") }
            return bank
        }
    }

    private init(
        decodingPrefix prefix: [UInt8], suffix: [UInt8], expecting expected: MoMConfiguration?, bank makeBank: (Prefix) throws -> MemoryBank
    ) throws {
        var prefixReader = ByteReader(prefix)
        let decoded = try Self.decodePrefix(from: &prefixReader, expecting: expected)
        guard prefixReader.remaining == 0 else {
            throw MoMError(.corruptState, "state prefix has \(prefixReader.remaining) unexpected bytes")
        }
        guard suffix.count >= 8 else { throw MoMError(.corruptState, "state suffix is truncated") }
        var suffixReader = ByteReader(suffix, end: suffix.count - 8)
        let bank = try makeBank(decoded)
        let (engine, tokenizer) = try Self.decodeSuffix(from: &suffixReader, prefix: decoded, bank: bank)
        guard suffixReader.remaining == 0 else {
            throw MoMError(.corruptState, "state has \(suffixReader.remaining) unexpected bytes before its checksum")
        }
        self.init(configuration: decoded.configuration, tokenizer: tokenizer, engine: engine, byteCount: decoded.byteCount)
    }

    /// The memories not in place (none, except in a state read on demand).
    public var absentMemories: [Int] { engine.bank.absentMemories }

    /// Puts memory m in place from its byte planes, back to back.
    public mutating func install(memory: Int, planes: UnsafeRawBufferPointer) throws {
        guard absentMemories.contains(memory) else { return }
        try engine.bank.install(memory: memory, planes: planes)
    }

    /// Runs `body` on this state and returns what it gave with the absent memories it tried to
    /// read. When none, the result is what the whole state gives.
    public func recordingMisses<Value>(_ body: (MoMState) throws -> Value) rethrows -> (value: Value, misses: [Int]) {
        var copy = self
        let (bank, recorder) = engine.bank.recordingMisses()
        copy.engine.bank = bank
        let value = try body(copy)
        return (value, recorder?.misses.withLock { $0.sorted() } ?? [])
    }
}

