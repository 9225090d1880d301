import Testing
@testable import MoMCore

/// Anchored number keys: inside a word with a digit, every order is hashed with the context the
/// word began in and the token's place in it, so numbers that begin alike, or a code that
/// repeats a stretch of itself, keep their own continuations.
@Suite struct NumberKeysTests {
    private func configuration(_ numberKeys: NumberKeys) -> MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.numberKeys = numberKeys
        return configuration
    }

    private func state(_ text: String, _ numberKeys: NumberKeys) throws -> MoMState {
        var state = try MoMState(configuration: configuration(numberKeys))
        state.fold(text)
        return state
    }

    /// The window's word as the fold leaves it after `text`.
    private func word(after text: String) throws -> ContextWindow {
        try ContextWindow(cue: text, configuration: configuration(.anchored), featurizer: Featurizer(configuration: configuration(.anchored)))
    }

    @Test func theWindowFollowsTheWordOfItsLatestToken() throws {
        let number = try word(after: "the code for the cellar is 4711")
        #expect(number.isInNumber)
        #expect(number.word.length == 4)
        // "7:45" is one word (no whitespace inside), a digit from its first token on.
        let time = try word(after: "the bus leaves at 7:45")
        #expect(time.isInNumber && time.word.length == 4)
        // A word with no digit, or a number's word ended by a space, is not a number.
        #expect(try !word(after: "the code is 4711 then").isInNumber)
        #expect(try !word(after: "the ferry-boat").isInNumber)
        // Two numbers after the same three tokens share their anchor; after others they do not.
        #expect(try word(after: "for amber is: 76").word == word(after: "for amber is: 76").word)
        #expect(try word(after: "we know amber is: 76").word == word(after: "for amber is: 76").word, "the anchor is three tokens")
        #expect(try word(after: "for falcon is: 76").word.anchor != word(after: "for amber is: 76").word.anchor)
        // Window keys do not follow words at all.
        let plain = try ContextWindow(
            cue: "is 4711", configuration: configuration(.window), featurizer: Featurizer(configuration: configuration(.window)))
        #expect(!plain.isInNumber && plain.word == ContextWindow.Word())
    }

    @Test func aKeyInsideANumberDependsOnWhereTheNumberBegan() throws {
        let featurizer = Featurizer(configuration: configuration(.anchored))
        func key(_ cue: String) throws -> SparseVector {
            var key = SparseVector()
            featurizer.key(for: try word(after: cue), into: &key)
            return key
        }
        // The same four tokens before the next digit ("is", ":", "7", "6"), other anchors.
        #expect(try key("for amber is: 76") != key("for falcon is: 76"))
        #expect(try key("for amber is: 76") == key("say amber is: 76"))
        // They share the plain orders at half weight: a cosine of 0.25 / 1.25 = 0.2, hash
        // collisions aside, where window keys had 1.
        func cosine(_ a: SparseVector, _ b: SparseVector) -> Float {
            let other = Dictionary(uniqueKeysWithValues: zip(b.indices, b.values))
            return zip(a.indices, a.values).reduce(0) { $0 + $1.1 * (other[$1.0] ?? 0) }
        }
        #expect(try abs(cosine(key("for amber is: 76"), key("for falcon is: 76")) - 0.2) < 0.03)
        #expect(try (30...32).contains(key("for amber is: 76").count), "32 entries, unless two share a row")
        // Outside a number the window alone makes the key, as with window keys.
        let window = Featurizer(configuration: configuration(.window))
        var plain = SparseVector()
        window.key(for: try word(after: "for amber is:"), into: &plain)
        #expect(try key("for amber is:") == plain)
        #expect(try key("for falcon is:") != key("for amber is:"))
    }

    /// RULER's MK-NIAH failure: a later needle whose value begins with the same two digits took
    /// the earlier one's third digit on, since both read "is : 7 6".
    @Test func numbersThatBeginAlikeKeepTheirOwnDigits() throws {
        let text = """
            One of the special magic numbers for urban-butter is: 7616875. The grass is green. \
            One of the special magic numbers for quiet-lantern is: 7609807. The sky is blue.
            """
        let anchored = try state(text, .anchored)
        #expect(try anchored.read(cue: "magic numbers for urban-butter is:").answer == "7616875")
        #expect(try anchored.read(cue: "magic numbers for quiet-lantern is:").answer == "7609807")
        // With window keys the newer number took the older one's digits from the third on.
        let window = try state(text, .window)
        #expect(try window.read(cue: "magic numbers for urban-butter is:").answer == "7609807")
    }

    /// S-NIAH-3's failure: "47d5-e7d5-" holds the window "7 d 5 -" twice, and the second
    /// continuation overwrote the first, so the read skipped a group.
    @Test func aCodeThatRepeatsAStretchOfItselfIsReadWhole() throws {
        let uuid = "5f4fa78b-f458-47d5-e7d5-3cbf13a2d66b"
        let text = "One of the special magic uuids for short-anchor is: \(uuid). The grass is green."
        let options = ReadOptions(maxTokens: 48)
        #expect(try state(text, .anchored).read(cue: "magic uuids for short-anchor is:", options: options).answer == uuid)
        #expect(
            try state(text, .window).read(cue: "magic uuids for short-anchor is:", options: options).answer
                == "5f4fa78b-f458-47d5-3cbf13a2d66b")
    }

    /// A cue that gives fewer than three tokens before a number cannot know its anchor: its
    /// digits are read by the plain orders, from every memory, as a short cue is.
    @Test func aNumberAfterAShortCueIsReadByItsPlainOrders() throws {
        let text = "Your locker PIN: 4711-0815. The grass is green."
        let anchored = try state(text, .anchored)
        let short = try word(after: "PIN: 47")
        #expect(short.hasPartialAnchor && short.word.anchorLength == 2)
        #expect(try !word(after: "locker PIN: 47").hasPartialAnchor)
        let read = try anchored.read(cue: "PIN:")
        #expect(read.answer == "4711-0815")
        #expect(try anchored.read(cue: "Your locker PIN:").answer == "4711-0815")
    }

    /// The word is part of the state: a fold cut inside a number, encoded and decoded, goes on
    /// to the state of one pass; a damaged word is refused.
    @Test func aCutInsideANumberResumesBitForBit() throws {
        let text = Array("The door code is 4711-0815 and the PIN: 9921. Then 7:45 at gate 12b.".utf8)
        let whole = try state(String(decoding: text, as: UTF8.self), .anchored).encoded()
        for cut in 0...text.count {
            var first = try MoMState(configuration: configuration(.anchored))
            first.fold(Array(text[..<cut]))
            var resumed = try MoMState(decoding: first.encoded(), expecting: configuration(.anchored))
            resumed.fold(Array(text[cut...]))
            #expect(resumed.encoded() == whole, "cut at \(cut)")
        }
    }

    @Test func aStateWithWindowKeysEncodesNoWord() throws {
        let text = "The door code is 4711."
        let anchored = try state(text, .anchored).encoded()
        let window = try state(text, .window).encoded()
        // The word adds its anchor, length, anchor length and digit flag (11 bytes), and the
        // form 4 configuration one byte more than form 3 (its tie break and number keys); with a
        // topic memory (form 5 either way) the word alone.
        #expect(anchored.count == window.count + (configuration(.anchored).hasTopicMemory ? 11 : 11 + 1))
    }
}
