/// Receives the tokens a `Tokenizer` cuts from the stream.
public protocol TokenSink {
    /// One token: its surface bytes (UTF-8, as written), its case-folded bytes, and whether
    /// whitespace (or the start of a line) stood before it.
    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool)
}

/// Cuts a UTF-8 byte stream into tokens, chunk by chunk, with every split giving the same tokens.
///
/// Tokens are letter runs (letters and combining marks; split every `maxTokenLength` scalars),
/// single decimal digits, and single punctuation or symbol characters. Whitespace, control and
/// format characters separate tokens and are never tokens themselves. Invalid UTF-8 becomes
/// U+FFFD (one per maximal invalid subpart, as Swift's `String(decoding:as:)` does) and is a
/// symbol token.
///
/// What a chunk leaves unfinished — part of a UTF-8 sequence, a letter run that may go on — is the
/// carry, and it is part of the encoded state.
public struct Tokenizer: Sendable, Equatable {
    @usableFromInline let _maxTokenLength: Int

    // UTF-8 decoder carry: continuation bytes still needed, bits so far, and the range the next
    // continuation byte must fall in (narrower after E0, ED, F0, F4).
    @usableFromInline var _pendingCount: UInt8 = 0
    @usableFromInline var _pendingScalar: UInt32 = 0
    @usableFromInline var _nextLower: UInt8 = 0x80
    @usableFromInline var _nextUpper: UInt8 = 0xBF

    // The letter run being collected.
    @usableFromInline var _runSurface: [UInt8] = []
    @usableFromInline var _runFolded: [UInt8] = []
    @usableFromInline var _runScalars: Int = 0
    @usableFromInline var _runLeadingSpace = false
    /// Whether a separator came since the last token.
    @usableFromInline var _sawSpace = false

    @usableFromInline var _scratchSurface: [UInt8] = []
    @usableFromInline var _scratchFolded: [UInt8] = []

    public init(maxTokenLength: Int) {
        precondition(maxTokenLength >= 1, "maxTokenLength must be positive")
        _maxTokenLength = maxTokenLength
        _runSurface.reserveCapacity(maxTokenLength * 4)
        _runFolded.reserveCapacity(maxTokenLength * 4)
    }

    public static func == (lhs: Tokenizer, rhs: Tokenizer) -> Bool {
        lhs._maxTokenLength == rhs._maxTokenLength && lhs._pendingCount == rhs._pendingCount
            && lhs._pendingScalar == rhs._pendingScalar && lhs._nextLower == rhs._nextLower
            && lhs._nextUpper == rhs._nextUpper && lhs._runSurface == rhs._runSurface
            && lhs._runFolded == rhs._runFolded && lhs._runScalars == rhs._runScalars
            && lhs._runLeadingSpace == rhs._runLeadingSpace && lhs._sawSpace == rhs._sawSpace
    }

    /// Whether the carry holds nothing: no partial UTF-8 sequence and no open letter run.
    public var isCarryEmpty: Bool { _pendingCount == 0 && _runScalars == 0 }

    // MARK: Feeding

    /// Tokenizes one chunk; tokens that the chunk completes go to `sink`.
    @inlinable
    public mutating func feed<Sink: TokenSink>(_ bytes: UnsafeRawBufferPointer, into sink: inout Sink) {
        for byte in bytes {
            if _pendingCount == 0 && byte < 0x80 {
                asciiScalar(byte, into: &sink)
            } else {
                decode(byte, into: &sink)
            }
        }
    }

    /// Tokenizes one chunk given as an array.
    public mutating func feed<Sink: TokenSink>(_ bytes: [UInt8], into sink: inout Sink) {
        bytes.withUnsafeBytes { feed($0, into: &sink) }
    }

    /// Ends the stream: a partial UTF-8 sequence becomes U+FFFD and an open letter run is emitted.
    /// Documents never finish (they can always be appended to); cues do.
    public mutating func finish<Sink: TokenSink>(into sink: inout Sink) {
        if _pendingCount != 0 {
            _pendingCount = 0
            resetContinuationRange()
            scalar(0xFFFD, into: &sink)
        }
        flushRun(into: &sink)
    }

    // MARK: UTF-8 decoding

    @usableFromInline
    mutating func resetContinuationRange() {
        _nextLower = 0x80
        _nextUpper = 0xBF
    }

    @usableFromInline
    mutating func decode<Sink: TokenSink>(_ byte: UInt8, into sink: inout Sink) {
        if _pendingCount > 0 {
            if byte >= _nextLower && byte <= _nextUpper {
                _pendingScalar = (_pendingScalar << 6) | UInt32(byte & 0x3F)
                _pendingCount -= 1
                resetContinuationRange()
                if _pendingCount == 0 { scalar(_pendingScalar, into: &sink) }
                return
            }
            // The sequence broke off: its maximal subpart becomes one U+FFFD and this byte starts afresh.
            _pendingCount = 0
            resetContinuationRange()
            scalar(0xFFFD, into: &sink)
            if byte < 0x80 {
                asciiScalar(byte, into: &sink)
                return
            }
        }
        switch byte {
        case 0xC2...0xDF:
            begin(count: 1, bits: byte & 0x1F)
        case 0xE0:
            begin(count: 2, bits: byte & 0x0F, lower: 0xA0)
        case 0xED:
            begin(count: 2, bits: byte & 0x0F, upper: 0x9F)
        case 0xE1...0xEF:
            begin(count: 2, bits: byte & 0x0F)
        case 0xF0:
            begin(count: 3, bits: byte & 0x07, lower: 0x90)
        case 0xF4:
            begin(count: 3, bits: byte & 0x07, upper: 0x8F)
        case 0xF1...0xF3:
            begin(count: 3, bits: byte & 0x07)
        default:
            // A stray continuation byte or a byte that never starts a sequence.
            scalar(0xFFFD, into: &sink)
        }
    }

    @usableFromInline
    mutating func begin(count: UInt8, bits: UInt8, lower: UInt8 = 0x80, upper: UInt8 = 0xBF) {
        _pendingCount = count
        _pendingScalar = UInt32(bits)
        _nextLower = lower
        _nextUpper = upper
    }

    // MARK: Classification

    @usableFromInline
    mutating func asciiScalar<Sink: TokenSink>(_ byte: UInt8, into sink: inout Sink) {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"):
            appendLetter(surface: byte, folded: byte, into: &sink)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            appendLetter(surface: byte, folded: byte | 0x20, into: &sink)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            flushRun(into: &sink)
            emitSingle(byte, into: &sink)
        case 0x21...0x7E:
            flushRun(into: &sink)
            emitSingle(byte, into: &sink)
        default:
            // Space, tab, newline, other controls and DEL separate.
            flushRun(into: &sink)
            _sawSpace = true
        }
    }

    @usableFromInline
    mutating func scalar<Sink: TokenSink>(_ value: UInt32, into sink: inout Sink) {
        if value < 0x80 {
            asciiScalar(UInt8(value), into: &sink)
            return
        }
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark:
            appendLetter(scalar, properties: properties, into: &sink)
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator:
            flushRun(into: &sink)
            _sawSpace = true
        default:
            if properties.isWhitespace {
                flushRun(into: &sink)
                _sawSpace = true
            } else {
                // Digits, punctuation, symbols and everything else: one token per scalar.
                flushRun(into: &sink)
                emitSingle(scalar, properties: properties, into: &sink)
            }
        }
    }

    // MARK: Runs and single tokens

    @usableFromInline
    mutating func appendLetter<Sink: TokenSink>(surface: UInt8, folded: UInt8, into sink: inout Sink) {
        if _runScalars == 0 { startRun() }
        _runSurface.append(surface)
        _runFolded.append(folded)
        _runScalars += 1
        if _runScalars == _maxTokenLength { flushRun(into: &sink) }
    }

    mutating func appendLetter<Sink: TokenSink>(
        _ scalar: Unicode.Scalar, properties: Unicode.Scalar.Properties, into sink: inout Sink
    ) {
        if _runScalars == 0 { startRun() }
        _runSurface.append(contentsOf: UTF8.encode(scalar)!)
        _runFolded.append(contentsOf: properties.lowercaseMapping.utf8)
        _runScalars += 1
        if _runScalars == _maxTokenLength { flushRun(into: &sink) }
    }

    @usableFromInline
    mutating func startRun() {
        _runLeadingSpace = _sawSpace
        _sawSpace = false
    }

    @usableFromInline
    mutating func flushRun<Sink: TokenSink>(into sink: inout Sink) {
        guard _runScalars > 0 else { return }
        _runSurface.withUnsafeBufferPointer { surface in
            _runFolded.withUnsafeBufferPointer { folded in
                sink.accept(surface: surface, folded: folded, leadingSpace: _runLeadingSpace)
            }
        }
        _runSurface.removeAll(keepingCapacity: true)
        _runFolded.removeAll(keepingCapacity: true)
        _runScalars = 0
    }

    @usableFromInline
    mutating func emitSingle<Sink: TokenSink>(_ byte: UInt8, into sink: inout Sink) {
        let leadingSpace = _sawSpace
        _sawSpace = false
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { buffer in
            buffer[0] = byte
            let view = UnsafeBufferPointer(buffer)
            sink.accept(surface: view, folded: view, leadingSpace: leadingSpace)
        }
    }

    mutating func emitSingle<Sink: TokenSink>(
        _ scalar: Unicode.Scalar, properties: Unicode.Scalar.Properties, into sink: inout Sink
    ) {
        let leadingSpace = _sawSpace
        _sawSpace = false
        _scratchSurface.removeAll(keepingCapacity: true)
        _scratchSurface.append(contentsOf: UTF8.encode(scalar)!)
        _scratchFolded.removeAll(keepingCapacity: true)
        _scratchFolded.append(contentsOf: properties.lowercaseMapping.utf8)
        _scratchSurface.withUnsafeBufferPointer { surface in
            _scratchFolded.withUnsafeBufferPointer { folded in
                sink.accept(surface: surface, folded: folded, leadingSpace: leadingSpace)
            }
        }
    }
}

// MARK: Carry codec

extension Tokenizer {
    func write(to writer: inout ByteWriter) {
        writer.append(_pendingCount)
        writer.append(_pendingScalar)
        writer.append(_nextLower)
        writer.append(_nextUpper)
        writer.append(UInt32(_runScalars))
        writer.append(UInt8(_runLeadingSpace ? 1 : 0))
        writer.append(UInt8(_sawSpace ? 1 : 0))
        writer.appendBlob(_runSurface)
        writer.appendBlob(_runFolded)
    }

    static func read(from reader: inout ByteReader, maxTokenLength: Int) throws -> Tokenizer {
        var tokenizer = Tokenizer(maxTokenLength: maxTokenLength)
        tokenizer._pendingCount = try reader.read(UInt8.self)
        tokenizer._pendingScalar = try reader.read(UInt32.self)
        tokenizer._nextLower = try reader.read(UInt8.self)
        tokenizer._nextUpper = try reader.read(UInt8.self)
        let runScalars = Int(try reader.read(UInt32.self))
        tokenizer._runLeadingSpace = try reader.read(UInt8.self) != 0
        tokenizer._sawSpace = try reader.read(UInt8.self) != 0
        let limit = maxTokenLength * 16
        tokenizer._runSurface = try reader.readBlob(limit: limit)
        tokenizer._runFolded = try reader.readBlob(limit: limit)
        guard tokenizer._pendingCount <= 3, runScalars < maxTokenLength,
            (runScalars == 0) == tokenizer._runSurface.isEmpty
        else {
            throw MoMError(.corruptState, "state holds an inconsistent tokenizer carry")
        }
        tokenizer._runScalars = runScalars
        return tokenizer
    }
}

/// Counts tokens.
package struct TokenCounter: TokenSink {
    package var count = 0

    package init() {}

    package mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        count += 1
    }
}
