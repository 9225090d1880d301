import Testing
@testable import MoMCore

/// What the tokenizer cuts from sample texts. Tokens print as `␣surface/folded`: `␣` when
/// whitespace stood before the token, `/folded` only when folding changed the form.
@Suite struct TokenizerTests {
    private func cut(_ text: String, maxTokenLength: Int = 64) -> [String] {
        tokenize(text, maxTokenLength: maxTokenLength).map(\.description)
    }

    private func cut(_ bytes: [UInt8], maxTokenLength: Int = 64) -> [String] {
        tokenize(bytes, maxTokenLength: maxTokenLength).map(\.description)
    }

    @Test func wordsAndPunctuation() {
        #expect(cut("Hello, World!") == ["Hello/hello", ",", "␣World/world", "!"])
        #expect(cut("e.g. (x+y)=z; 'q'") == ["e", ".", "g", ".", "␣(", "x", "+", "y", ")", "=", "z", ";", "␣'", "q", "'"])
        #expect(cut("don't stop-gap") == ["don", "'", "t", "␣stop", "-", "gap"])
    }

    @Test func digitsAreSingleTokens() {
        #expect(cut("68048") == ["6", "8", "0", "4", "8"])
        #expect(cut("PIN 68048, ok") == ["PIN/pin", "␣6", "8", "0", "4", "8", ",", "␣ok"])
        #expect(cut("v2x") == ["v", "2", "x"])
        // Any decimal digit, not only ASCII, stands alone (Arabic-Indic three, then a circled one).
        #expect(cut("٣①") == ["٣", "①"])
    }

    @Test func caseFoldingKeepsTheSurface() {
        let tokens = tokenize("The THE the")
        #expect(tokens.map(\.text) == ["The", "THE", "the"])
        #expect(tokens.map(\.foldedText) == ["the", "the", "the"])
        #expect(cut("ÉCOLE ΣΟΦΊΑ") == ["ÉCOLE/école", "␣ΣΟΦΊΑ/σοφία"])
        // Folding is per scalar: İ lowercases to i + combining dot above.
        #expect(cut("İstanbul") == ["İstanbul/i\u{307}stanbul"])
    }

    @Test func leadingSpaceFlags() {
        let tokens = tokenize("a b\nc\td  e.f")
        #expect(tokens.map(\.text) == ["a", "b", "c", "d", "e", ".", "f"])
        // The stream's first token has nothing before it; a newline or tab counts as whitespace.
        #expect(tokens.map(\.leadingSpace) == [false, true, true, true, true, false, false])
        #expect(cut(" x") == ["␣x"])
    }

    @Test func nonASCIILettersJoinTheirRun() {
        #expect(cut("Straße naïve") == ["Straße/straße", "␣naïve"])
        // A combining mark continues the word it follows (decomposed ï).
        let decomposed = "nai\u{0308}ve"
        #expect(tokenize(decomposed).map(\.text) == [decomposed])
        #expect(cut("Ελλάδα и ДОМ") == ["Ελλάδα/ελλάδα", "␣и", "␣ДОМ/дом"])
    }

    @Test func cjkIsALetterRunAndIdeographicPunctuationStandsAlone() {
        #expect(cut("東京は大きい。") == ["東京は大きい", "。"])
        #expect(cut("東京 大阪") == ["東京", "␣大阪"])
    }

    @Test func emojiAreSingleSymbolTokens() {
        #expect(cut("I 🐈🎉 you") == ["I/i", "␣🐈", "🎉", "␣you"])
        #expect(cut("a€b") == ["a", "€", "b"])
        #expect(tokenize("🐈")[0].surface == [0xF0, 0x9F, 0x90, 0x88])
    }

    @Test func controlBytesAndNULSeparate() {
        #expect(cut("a\u{0}b\u{7}c\u{7F}d\u{85}e") == ["a", "␣b", "␣c", "␣d", "␣e"])
        #expect(cut([0, 0, 0]) == [])
        #expect(cut([0, 0x78, 0]) == ["␣x"])
        #expect(cut("a\u{200B}b") == ["a", "␣b"])  // a format character (zero-width space)
    }

    @Test func unicodeWhitespaceSeparates() {
        #expect(cut("a\u{00A0}b\u{2028}c\u{3000}d\r\ne") == ["a", "␣b", "␣c", "␣d", "␣e"])
        #expect(cut("   \n\t ") == [])
    }

    @Test func invalidUTF8BecomesReplacementSymbols() {
        #expect(cut([0x61, 0xFF, 0x62]) == ["a", "\u{FFFD}", "b"])
        #expect(tokenize([0xFF])[0].surface == [0xEF, 0xBF, 0xBD])
        // A sequence cut short is one U+FFFD for its maximal subpart; the byte that broke it starts afresh.
        #expect(cut([0xE2, 0x82, 0x41]) == ["\u{FFFD}", "A/a"])
        // F0 80: 80 cannot follow F0, so F0 and the stray 80 are one U+FFFD each.
        #expect(cut([0xF0, 0x80]) == ["\u{FFFD}", "\u{FFFD}"])
        // A surrogate (ED A0 80) and an overlong slash (C0 AF) are never decoded.
        #expect(cut([0xED, 0xA0, 0x80]) == ["\u{FFFD}", "\u{FFFD}", "\u{FFFD}"])
        #expect(cut([0xC0, 0xAF]) == ["\u{FFFD}", "\u{FFFD}"])
        // A partial sequence at the end of the stream becomes one U+FFFD when the stream finishes.
        #expect(cut([0x61, 0x20, 0xE2, 0x82]) == ["a", "␣\u{FFFD}"])
    }

    @Test func overLongRunsSplitAtMaxTokenLength() {
        let tokens = tokenize(String(repeating: "a", count: 150), maxTokenLength: 64)
        #expect(tokens.map(\.surface.count) == [64, 64, 22])
        #expect(tokens.map(\.leadingSpace) == [false, false, false])

        // The length counts scalars, not bytes.
        let accented = tokenize(" " + String(repeating: "é", count: 70), maxTokenLength: 64)
        #expect(accented.map { $0.text.unicodeScalars.count } == [64, 6])
        #expect(accented.map(\.leadingSpace) == [true, false])

        #expect(cut("abcdefg", maxTokenLength: 3) == ["abc", "def", "g"])
        #expect(cut("abc", maxTokenLength: 1) == ["a", "b", "c"])
    }

    @Test func carryHoldsWhatTheChunkLeftOpen() {
        var tokenizer = Tokenizer(maxTokenLength: 64)
        var recorder = TokenRecorder()
        #expect(tokenizer.isCarryEmpty)
        tokenizer.feed(Array("Hello wor".utf8), into: &recorder)
        #expect(recorder.tokens.map(\.text) == ["Hello"])
        #expect(!tokenizer.isCarryEmpty)
        // The first two bytes of €: the run stays open until the scalar is known.
        tokenizer.feed([0xE2, 0x82], into: &recorder)
        #expect(recorder.tokens.map(\.text) == ["Hello"])
        #expect(!tokenizer.isCarryEmpty)
        tokenizer.feed([0xAC, 0x20], into: &recorder)
        #expect(recorder.tokens.map(\.text) == ["Hello", "wor", "€"])
        #expect(tokenizer.isCarryEmpty)
    }
}
