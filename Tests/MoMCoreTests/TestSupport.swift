import Foundation
@testable import MoMCore

// MARK: Configurations

extension MoMConfiguration {
    /// A configuration small enough that a test can fold, encode and decode it thousands of times.
    /// Float32 rows, as every state made before int8 rows.
    static let small = MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, routingChunkTokens: 7, rowFormat: .float32)

    /// `small` with int8 rows.
    static let smallInt8 = MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, routingChunkTokens: 7, rowFormat: .int8)

    /// The smallest useful state: for byte-level codec tests that decode once per byte. Float32 rows.
    static let tiny = MoMConfiguration(
        memories: 2, topK: 1, dk: 16, dv: 8, window: 2, hashesPerOrder: 2, orderWeights: [0.5, 1], rowFormat: .float32)

    /// `tiny` with int8 rows.
    static let tinyInt8 = MoMConfiguration(
        memories: 2, topK: 1, dk: 16, dv: 8, window: 2, hashesPerOrder: 2, orderWeights: [0.5, 1], rowFormat: .int8)
}

// MARK: Tokens

/// One token as a sink received it.
struct RecordedToken: Equatable, CustomStringConvertible {
    var surface: [UInt8]
    var folded: [UInt8]
    var leadingSpace: Bool

    var text: String { String(decoding: surface, as: UTF8.self) }
    var foldedText: String { String(decoding: folded, as: UTF8.self) }

    /// `␣` marks a leading space; `/folded` follows when the folded form differs.
    var description: String {
        (leadingSpace ? "␣" : "") + text + (folded == surface ? "" : "/" + foldedText)
    }
}

/// Records every token it is handed.
struct TokenRecorder: TokenSink {
    var tokens: [RecordedToken] = []

    mutating func accept(surface: UnsafeBufferPointer<UInt8>, folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) {
        tokens.append(RecordedToken(surface: Array(surface), folded: Array(folded), leadingSpace: leadingSpace))
    }
}

/// Tokenizes `pieces` in order through one tokenizer, then finishes the stream.
func tokenize(pieces: [[UInt8]], maxTokenLength: Int = 64) -> [RecordedToken] {
    var tokenizer = Tokenizer(maxTokenLength: maxTokenLength)
    var recorder = TokenRecorder()
    for piece in pieces { tokenizer.feed(piece, into: &recorder) }
    tokenizer.finish(into: &recorder)
    return recorder.tokens
}

func tokenize(_ bytes: [UInt8], maxTokenLength: Int = 64) -> [RecordedToken] {
    tokenize(pieces: [bytes], maxTokenLength: maxTokenLength)
}

func tokenize(_ text: String, maxTokenLength: Int = 64) -> [RecordedToken] {
    tokenize(Array(text.utf8), maxTokenLength: maxTokenLength)
}

/// Cuts `bytes` at the given ascending offsets.
func split(_ bytes: [UInt8], at offsets: [Int]) -> [[UInt8]] {
    var pieces: [[UInt8]] = []
    var start = 0
    for offset in offsets {
        pieces.append(Array(bytes[start..<offset]))
        start = offset
    }
    pieces.append(Array(bytes[start...]))
    return pieces
}

/// `count` distinct random cut offsets strictly inside `0..<length`, ascending.
func randomCuts(length: Int, count: Int, using generator: inout SplitMix64) -> [Int] {
    guard length > 1 else { return [] }
    var cuts = Set<Int>()
    while cuts.count < min(count, length - 1) { cuts.insert(Int.random(in: 1..<length, using: &generator)) }
    return cuts.sorted()
}

// MARK: Random documents

/// Random bytes of the kind a document stream brings: words in both cases, numbers, punctuation,
/// multibyte letters and symbols, controls, CRLF, and invalid UTF-8 of every kind.
func randomDocument(byteCount: Int, using generator: inout SplitMix64) -> [UInt8] {
    let words = ["the", "pass", "Key", "is", "momd", "Memory", "über", "Straße", "naïve", "東京", "Ελλάδα", "ДОМ"]
    let pieces: [[UInt8]] = [
        Array(" ".utf8), Array(" ".utf8), Array("\r\n".utf8), Array("\n".utf8), Array("\t".utf8),
        Array(".".utf8), Array(",".utf8), Array("!?".utf8), Array("\"".utf8), Array("(".utf8),
        Array("🐈".utf8), Array("€".utf8), Array("\u{00A0}".utf8), Array("e\u{0301}".utf8),
        [0x00], [0x07], [0x7F], [0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x90], [0xED, 0xA0, 0x80],
        [0xC0, 0xAF], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0x80],
    ]
    var bytes: [UInt8] = []
    bytes.reserveCapacity(byteCount + 16)
    while bytes.count < byteCount {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<4:
            bytes.append(contentsOf: words.randomElement(using: &generator)!.utf8)
        case 4:
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes.append(UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator))
            }
        case 5:
            // A long letter run, so runs cross chunk boundaries and maxTokenLength.
            for _ in 0..<Int.random(in: 1...90, using: &generator) {
                bytes.append(UInt8.random(in: UInt8(ascii: "a")...UInt8(ascii: "z"), using: &generator))
            }
        case 6:
            bytes.append(UInt8.random(in: 0...255, using: &generator))
        default:
            bytes.append(contentsOf: pieces.randomElement(using: &generator)!)
        }
        if Int.random(in: 0..<3, using: &generator) != 0 { bytes.append(UInt8(ascii: " ")) }
    }
    return bytes
}

// MARK: Numbers

/// max|a − b| / max(max|b|, 1e-12): the norm-wise relative error of `actual` against `expected`.
func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
    precondition(actual.count == expected.count, "arrays must have the same length")
    var difference = 0.0
    var magnitude = 0.0
    for (a, b) in zip(actual, expected) {
        difference = max(difference, abs(Double(a) - Double(b)))
        magnitude = max(magnitude, abs(Double(b)))
    }
    return difference / max(magnitude, 1e-12)
}

/// Whether two float arrays hold the same bits.
func bitIdentical(_ lhs: [Float], _ rhs: [Float]) -> Bool {
    lhs.map(\.bitPattern) == rhs.map(\.bitPattern)
}

/// A random sparse unit vector over `0..<dimension`: `1...maxNonZeros` distinct ascending indices.
func randomUnitKey(dimension: Int, maxNonZeros: Int, using generator: inout SplitMix64) -> SparseVector {
    let count = Int.random(in: 1...min(maxNonZeros, dimension), using: &generator)
    var indices = Set<Int32>()
    while indices.count < count { indices.insert(Int32.random(in: 0..<Int32(dimension), using: &generator)) }
    let sorted = indices.sorted()
    var values = sorted.map { _ in Float.random(in: -1...1, using: &generator) }
    if values.allSatisfy({ $0 == 0 }) { values[0] = 1 }
    let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return SparseVector(indices: sorted, values: values.map { $0 / norm })
}

/// A random ±1/√dv value code.
func randomSignValue(dv: Int, using generator: inout SplitMix64) -> [Float] {
    let magnitude = 1 / Float(dv).squareRoot()
    return (0..<dv).map { _ in Bool.random(using: &generator) ? magnitude : -magnitude }
}

/// The package root, found from this file's path (Tests/MoMCoreTests/TestSupport.swift).
func packageRoot(filePath: String = #filePath) -> URL {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
