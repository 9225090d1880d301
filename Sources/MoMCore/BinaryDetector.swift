/// Tells text from binary data before it is folded (DESIGN §2: binary data is refused unless the
/// user asks for it).
///
/// The rule, applied to each chunk of input on its own:
/// - **any NUL byte** makes the chunk binary. No UTF-8 text contains one, while executables,
///   archives, images and UTF-16 text almost always do within their first few hundred bytes;
///   it is the signal git, grep and diff use.
/// - **a block that is mostly not text**: in any 1,024-byte block (blocks are aligned to the
///   document's byte offsets, so the verdict does not depend on where a client cuts its
///   requests), more than 30 % of the bytes — and at least 8 of them — are invalid UTF-8 or C0
///   control characters other than tab, line feed, form feed, carriage return and escape
///   (escape stays text for coloured logs). Random or compressed bytes score about 60 %;
///   text in a legacy 8-bit encoding of a Latin script (Latin-1, Windows-1252) scores under
///   10 % and is folded with U+FFFD in place of each invalid sequence; valid UTF-8 in any
///   script scores 0 %. The floor of 8 bytes keeps a short chunk holding one or two stray
///   bytes from being called binary.
///
/// Refusal starts at the beginning of the line that holds the first binary evidence (or at the
/// chunk's first byte when that line began in an earlier chunk), so the text before it is
/// folded and a line mixing text and binary is not.
public enum BinaryDetector {
    /// Bytes per block of the share rule.
    public static let blockBytes = 1024
    /// A block is binary when more than this share of its bytes is not text...
    public static let nonTextShare = 0.30
    /// ...and at least this many of them.
    public static let minimumNonTextBytes = 8

    /// Where binary data was found, by index into the bytes screened.
    public struct Finding: Sendable, Equatable {
        /// What gave it away.
        public enum Evidence: Sendable, Equatable {
            case nulByte
            /// `count` of the block's `blockLength` bytes are not text.
            case nonText(count: Int, blockLength: Int)
        }

        /// The first byte refused: the start of the line holding `evidenceIndex`.
        public var refusedFrom: Int
        /// The NUL byte, or the block's first byte that is not text.
        public var evidenceIndex: Int
        public var evidence: Evidence

        public init(refusedFrom: Int, evidenceIndex: Int, evidence: Evidence) {
            self.refusedFrom = refusedFrom
            self.evidenceIndex = evidenceIndex
            self.evidence = evidence
        }
    }

    /// The first binary data in `bytes`, which begin at byte `documentOffset` of the document;
    /// nil when it is all text.
    public static func firstBinary(in bytes: UnsafeRawBufferPointer, documentOffset: UInt64) -> Finding? {
        let count = bytes.count
        guard count > 0 else { return nil }
        var index = 0
        // A chunk may begin inside a UTF-8 sequence the previous chunk began: its first
        // continuation bytes (at most three) are not evidence.
        if documentOffset > 0 {
            while index < min(3, count) && isContinuation(bytes[index]) { index += 1 }
        }
        var blockStart = 0
        var blockEnd = min(count, blockBytes - Int(documentOffset % UInt64(blockBytes)))
        var nonText = 0
        var firstNonText: Int?
        var firstNul: Int?
        while true {
            // Classify up to the block's end; a sequence that straddles it is judged whole and
            // its bytes counted in the block where it begins.
            while index < blockEnd {
                let length = textLength(bytes, at: index)
                if length > 0 {
                    index += length
                    continue
                }
                if bytes[index] == 0 && firstNul == nil { firstNul = index }
                if firstNonText == nil { firstNonText = index }
                nonText += 1
                index += 1
            }
            let blockLength = blockEnd - blockStart
            let mostlyNonText = nonText >= minimumNonTextBytes && Double(nonText) > nonTextShare * Double(blockLength)
            // A NUL is the plainer evidence to name, so it wins within a block; refusal still
            // starts at the block's first non-text byte when the block is binary by share.
            if let firstNul {
                let start = mostlyNonText ? min(firstNonText ?? firstNul, firstNul) : firstNul
                return Finding(refusedFrom: lineStart(in: bytes, before: start), evidenceIndex: firstNul, evidence: .nulByte)
            }
            if mostlyNonText, let first = firstNonText {
                return Finding(
                    refusedFrom: lineStart(in: bytes, before: first), evidenceIndex: first,
                    evidence: .nonText(count: nonText, blockLength: blockLength))
            }
            guard index < count else { return nil }
            blockStart = blockEnd
            blockEnd = min(count, blockStart + blockBytes)
            nonText = 0
            firstNonText = nil
        }
    }

    /// Screens a byte array (tests and small inputs).
    public static func firstBinary(in bytes: [UInt8], documentOffset: UInt64 = 0) -> Finding? {
        bytes.withUnsafeBytes { firstBinary(in: $0, documentOffset: documentOffset) }
    }

    /// The start of the line holding `index`: just past the line feed before it, else 0.
    static func lineStart(in bytes: UnsafeRawBufferPointer, before index: Int) -> Int {
        var start = index
        while start > 0 && bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return start
    }

    @inline(__always)
    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The length of the text character at `index`: 1 for text ASCII, 2–4 for a valid UTF-8
    /// sequence (or its valid beginning cut by the end of the buffer), 0 for a byte that is not
    /// text (a control character, a NUL, a byte no valid sequence starts with here).
    @inline(__always)
    static func textLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = bytes[index]
        if lead < 0x80 { return isTextASCII(lead) ? 1 : 0 }
        let length: Int
        // The range the second byte must fall in excludes overlong forms, surrogates and code
        // points past U+10FFFF (RFC 3629).
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: return 0
        }
        for offset in 1..<length {
            // A sequence cut by the end of the buffer is completed by the next chunk.
            guard index + offset < bytes.count else { return bytes.count - index }
            let byte = bytes[index + offset]
            let valid = offset == 1 ? (secondLow...secondHigh).contains(byte) : isContinuation(byte)
            if !valid { return 0 }
        }
        return length
    }

    /// Printable ASCII, and the whitespace and escape that text uses.
    @inline(__always)
    static func isTextASCII(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20...0x7E, 0x09, 0x0A, 0x0C, 0x0D, 0x1B: return true
        default: return false
        }
    }
}
