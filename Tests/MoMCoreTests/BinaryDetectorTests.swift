import Foundation
import MoMCore
import Testing

/// Text in several scripts, all valid UTF-8 (fixtures/text/multilingual.txt): none of it may be
/// called binary.
func multilingualText() throws -> String {
    try String(contentsOf: packageRoot().appendingPathComponent("fixtures/text/multilingual.txt"), encoding: .utf8)
}

@Suite("Binary input is told from text")
struct BinaryDetectorTests {
    @Test("valid UTF-8 in Greek, CJK, Hangul, Arabic and emoji is text, however it is cut")
    func multilingualIsText() throws {
        let bytes = Array(String(repeating: try multilingualText(), count: 20).utf8)
        #expect(BinaryDetector.firstBinary(in: bytes) == nil)
        // Every cut inside the first 400 bytes, the second piece screened at its document
        // offset: a UTF-8 sequence split by the cut is never evidence on either side.
        for cut in 1..<400 {
            #expect(BinaryDetector.firstBinary(in: Array(bytes[..<cut]), documentOffset: 0) == nil, "first piece, cut \(cut)")
            #expect(BinaryDetector.firstBinary(in: Array(bytes[cut...]), documentOffset: UInt64(cut)) == nil, "second piece, cut \(cut)")
        }
    }

    @Test("a NUL byte is binary: refused from the start of its line, the text before kept")
    func nulByte() throws {
        let bytes = Array("first line\nsecond line\nthird\u{0}line\nmore text\n".utf8)
        let finding = try #require(BinaryDetector.firstBinary(in: bytes))
        #expect(finding.evidence == .nulByte)
        #expect(finding.evidenceIndex == 28)
        #expect(finding.refusedFrom == 23)  // "third" begins there
        #expect(bytes[finding.refusedFrom - 1] == UInt8(ascii: "\n"))
    }

    @Test("an executable is binary from its first byte")
    func executable() throws {
        let ls = try Data(contentsOf: URL(fileURLWithPath: "/bin/ls"))
        let finding = try #require(BinaryDetector.firstBinary(in: Array(ls.prefix(1 << 16))))
        #expect(finding.refusedFrom == 0)
        #expect(finding.evidenceIndex < 16)  // the ELF header has a NUL within its first 16 bytes
    }

    @Test("a gzip file is binary from its first byte")
    func gzipFile() throws {
        let compressed = try gzip(Array(String(repeating: try multilingualText(), count: 50).utf8))
        #expect(compressed.count > 100)
        let finding = try #require(BinaryDetector.firstBinary(in: compressed))
        #expect(finding.refusedFrom == 0)
    }

    @Test("random bytes without a NUL are binary by their share of non-text bytes")
    func randomBytesWithoutNul() throws {
        var generator = SplitMix64(seed: 7)
        let bytes = (0..<4096).map { _ in UInt8.random(in: 1...255, using: &generator) }
        let finding = try #require(BinaryDetector.firstBinary(in: bytes))
        guard case .nonText(let count, let length) = finding.evidence else {
            Issue.record("expected the share rule, got \(finding.evidence)")
            return
        }
        #expect(length == BinaryDetector.blockBytes)
        #expect(Double(count) > 0.5 * Double(length))
    }

    @Test("Latin-1 text is not binary: its few invalid bytes are replaced when folded")
    func latin1IsText() throws {
        let sentence = "Le café crème est prêt à côté de la fenêtre; Grüße aus Köln, señor. "
        let latin1 = try #require(String(repeating: sentence, count: 40).data(using: .isoLatin1))
        #expect(BinaryDetector.firstBinary(in: Array(latin1)) == nil)
    }

    @Test("a few stray control characters in a short chunk are not binary")
    func strayControlCharacters() {
        #expect(BinaryDetector.firstBinary(in: Array("bell\u{07} and backspace\u{08} here".utf8)) == nil)
        // Eight of ten bytes are controls: binary, though the chunk is short.
        let controls: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x41, 0x05, 0x06, 0x07, 0x08, 0x42]
        #expect(BinaryDetector.firstBinary(in: controls)?.evidence == .nonText(count: 8, blockLength: 10))
    }

    @Test("the NUL found is at the same document offset however the input is chunked")
    func chunkingDoesNotMoveTheEvidence() throws {
        var bytes = Array(String(repeating: try multilingualText(), count: 10).utf8)
        let nulAt = 3000
        bytes[nulAt] = 0
        for chunk in [1, 7, 100, 1024, 4096, bytes.count] {
            var offset = 0
            var found: Int?
            while offset < bytes.count && found == nil {
                let end = min(offset + chunk, bytes.count)
                if let finding = BinaryDetector.firstBinary(in: Array(bytes[offset..<end]), documentOffset: UInt64(offset)) {
                    found = offset + finding.evidenceIndex
                }
                offset = end
            }
            #expect(found == nulAt, "chunks of \(chunk) bytes")
        }
    }

    /// Compresses with the system's gzip, as a user's `.gz` file would be.
    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("text")
        try Data(bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-9", file.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return Array(try Data(contentsOf: directory.appendingPathComponent("text.gz")))
    }
}
