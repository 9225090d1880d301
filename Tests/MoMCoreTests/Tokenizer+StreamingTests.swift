import Testing
@testable import MoMCore

/// The tokenizer written as plainly as the spec reads, over Swift's own UTF-8 repair: decode the
/// whole input with `String(decoding:as:)`, then classify scalar by scalar.
enum ReferenceTokenizer {
    enum Role { case letter, single, separator }

    static func role(of scalar: Unicode.Scalar) -> Role {
        switch scalar.value {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x21...0x7E: return .single
        case 0..<0x80: return .separator
        default: break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark:
            return .letter
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return .separator
        default:
            return scalar.properties.isWhitespace ? .separator : .single
        }
    }

    static func tokens(of bytes: [UInt8], maxTokenLength: Int) -> [RecordedToken] {
        var tokens: [RecordedToken] = []
        var run: RecordedToken?
        var runLength = 0
        var sawSpace = false
        func flush() {
            if let open = run { tokens.append(open) }
            run = nil
            runLength = 0
        }
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            let surface = Array(String(scalar).utf8)
            let folded = scalar.isASCII ? Array(String(scalar).lowercased().utf8) : Array(scalar.properties.lowercaseMapping.utf8)
            switch role(of: scalar) {
            case .letter:
                if run == nil {
                    run = RecordedToken(surface: [], folded: [], leadingSpace: sawSpace)
                    sawSpace = false
                }
                run!.surface += surface
                run!.folded += folded
                runLength += 1
                if runLength == maxTokenLength { flush() }
            case .single:
                flush()
                tokens.append(RecordedToken(surface: surface, folded: folded, leadingSpace: sawSpace))
                sawSpace = false
            case .separator:
                flush()
                sawSpace = true
            }
        }
        flush()
        return tokens
    }
}

/// The streaming properties: UTF-8 repair as Swift does it, any split of the input giving the
/// same tokens, and a carry that stays bounded on any input.
@Suite struct TokenizerStreamingTests {
    /// Random bytes biased towards UTF-8 structure: lead bytes, continuation bytes, edges of the
    /// valid ranges, and plain ASCII.
    private func randomUTF8ish(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        let interesting: [UInt8] = [
            0x00, 0x20, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
            0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFE, 0xFF,
        ]
        return (0..<count).map { _ in
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return UInt8.random(in: 0...255, using: &generator)
            case 1: return UInt8.random(in: 0x80...0xBF, using: &generator)
            default: return interesting.randomElement(using: &generator)!
            }
        }
    }

    @Test func randomBytesDecodeAsStringDecodingDoes() {
        var generator = SplitMix64(seed: 1)
        for round in 0..<3000 {
            let bytes = randomUTF8ish(count: Int.random(in: 0...24, using: &generator), using: &generator)
            let maxTokenLength = round % 3 == 0 ? 3 : 64
            let expected = ReferenceTokenizer.tokens(of: bytes, maxTokenLength: maxTokenLength)
            let actual = tokenize(bytes, maxTokenLength: maxTokenLength)
            #expect(actual == expected, "bytes \(bytes.map { String($0, radix: 16) })")
            if actual != expected { return }
        }
    }

    @Test func everyTwoByteSequenceDecodesAsStringDecodingDoes() {
        var mismatches: [[UInt8]] = []
        for first in 0...255 {
            for second in 0...255 {
                let bytes = [UInt8(first), UInt8(second)]
                if tokenize(bytes) != ReferenceTokenizer.tokens(of: bytes, maxTokenLength: 64) { mismatches.append(bytes) }
            }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func threeAndFourByteEdgesDecodeAsStringDecodingDoes() {
        let leads: [UInt8] = [0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5]
        let tails: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF]
        var mismatches: [[UInt8]] = []
        for lead in leads {
            for second in 0...255 {
                for third in tails {
                    for fourth in [UInt8(0x80), 0xBF, 0x41] {
                        let bytes = [lead, UInt8(second), third, fourth]
                        if tokenize(bytes) != ReferenceTokenizer.tokens(of: bytes, maxTokenLength: 64) {
                            mismatches.append(bytes)
                        }
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func documentsTokenizeAsTheReference() {
        var generator = SplitMix64(seed: 2)
        for _ in 0..<40 {
            let bytes = randomDocument(byteCount: 600, using: &generator)
            #expect(tokenize(bytes) == ReferenceTokenizer.tokens(of: bytes, maxTokenLength: 64))
            #expect(tokenize(bytes, maxTokenLength: 5) == ReferenceTokenizer.tokens(of: bytes, maxTokenLength: 5))
        }
    }

    @Test func everySplitPointGivesTheOnePassTokens() {
        var generator = SplitMix64(seed: 3)
        for maxTokenLength in [4, 64] {
            let bytes = randomDocument(byteCount: 400, using: &generator)
            let onePass = tokenize(bytes, maxTokenLength: maxTokenLength)
            for cut in 0...bytes.count {
                let pieces = [Array(bytes[..<cut]), Array(bytes[cut...])]
                let streamed = tokenize(pieces: pieces, maxTokenLength: maxTokenLength)
                #expect(streamed == onePass, "split at \(cut)")
                if streamed != onePass { return }
            }
        }
    }

    @Test func randomSplitsGiveTheOnePassTokensAndCarry() {
        var generator = SplitMix64(seed: 4)
        for round in 0..<60 {
            let bytes = randomDocument(byteCount: 1500, using: &generator)
            let maxTokenLength = [3, 8, 64][round % 3]
            var onePass = Tokenizer(maxTokenLength: maxTokenLength)
            var onePassTokens = TokenRecorder()
            onePass.feed(bytes, into: &onePassTokens)

            let cuts = randomCuts(length: bytes.count, count: Int.random(in: 1...200, using: &generator), using: &generator)
            var streamed = Tokenizer(maxTokenLength: maxTokenLength)
            var streamedTokens = TokenRecorder()
            for piece in split(bytes, at: cuts) { streamed.feed(piece, into: &streamedTokens) }

            // Before finishing, the carries agree too: the carry is a function of the bytes alone.
            #expect(streamed == onePass)
            onePass.finish(into: &onePassTokens)
            streamed.finish(into: &streamedTokens)
            #expect(streamedTokens.tokens == onePassTokens.tokens)
        }
    }

    @Test func byteByByteGivesTheOnePassTokens() {
        var generator = SplitMix64(seed: 5)
        let bytes = randomDocument(byteCount: 3000, using: &generator) + Array("a\r\nb\r\n".utf8)
        #expect(tokenize(pieces: bytes.map { [$0] }) == tokenize(bytes))
    }

    @Test func longRunWithoutWhitespaceKeepsTheCarryBounded() {
        let maxTokenLength = 64
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let chunk = (0..<(1 << 16)).map { alphabet[$0 % alphabet.count] }
        let chunks = 320  // 20 MiB
        var tokenizer = Tokenizer(maxTokenLength: maxTokenLength)
        var counter = TokenCounter()
        var carryWasBounded = true
        for _ in 0..<chunks {
            tokenizer.feed(chunk, into: &counter)
            carryWasBounded = carryWasBounded && tokenizer._runSurface.count <= maxTokenLength * 4
                && tokenizer._runFolded.count <= maxTokenLength * 4 && tokenizer._runScalars < maxTokenLength
        }
        #expect(carryWasBounded)
        tokenizer.finish(into: &counter)
        #expect(counter.count == chunks * (1 << 16) / maxTokenLength)
    }

    @Test func longMultibyteRunCutMidSequenceKeepsTheCarryBounded() {
        let maxTokenLength = 64
        // 2-, 3-, 4- and 1-byte letters (12 bytes a cycle), so 64 KiB chunks cut through sequences.
        let pattern = Array("é東𝒜aЖ".utf8)
        let stream = (0..<(pattern.count * 43_690)).map { pattern[$0 % pattern.count] }
        var tokenizer = Tokenizer(maxTokenLength: maxTokenLength)
        var recorder = TokenRecorder()
        var carryWasBounded = true
        for start in stride(from: 0, to: stream.count, by: 1 << 16) {
            tokenizer.feed(Array(stream[start..<min(start + (1 << 16), stream.count)]), into: &recorder)
            carryWasBounded = carryWasBounded && tokenizer._runSurface.count <= maxTokenLength * 4
                && tokenizer._runScalars < maxTokenLength
        }
        #expect(carryWasBounded)
        tokenizer.finish(into: &recorder)
        // 5 scalars a cycle: 218,450 letters in runs of 64 and a last run of 18.
        #expect(recorder.tokens.count == 218_450 / 64 + 1)
        #expect(recorder.tokens.dropLast().allSatisfy { $0.text.unicodeScalars.count == maxTokenLength })
        #expect(recorder.tokens.last?.text.unicodeScalars.count == 218_450 % 64)
        #expect(!recorder.tokens.contains { $0.text.unicodeScalars.contains("\u{FFFD}") })
    }
}
