/// One cue the question layer reads: words that might precede the answer in the document.
public struct Probe: Sendable, Equatable, Codable {
    /// The text read as a cue.
    public var cue: String
    /// The rule that wrote it ("cue", "declarative", "do-support", "passive", "span", "tail").
    public var rewrite: String
    /// For a question over a list ("… for A, B and C"), the item this probe asks about.
    public var item: String?

    /// Whether the probe restates the whole question as the statement that would precede its
    /// answer (a declarative, do-support or passive rewrite), not a phrase taken from it.
    public var isStatement: Bool { ["declarative", "do-support", "passive"].contains(rewrite) }

    public init(cue: String, rewrite: String, item: String? = nil) {
        self.cue = cue
        self.rewrite = rewrite
        self.item = item
    }
}

/// Turns a question into the declarative prefixes that would precede its answer.
///
/// A memory continues what it was shown, so the layer asks it with the words a statement of the
/// answer would start with ("Where was Maria born?" → "Maria was born in"; "What is the code for
/// the door?" → "the door code is"; "When did the train leave?" → "the train left at"). The
/// subject/verb boundary is not parsed: every boundary is tried, since a read is cheap and only the
/// statement the document holds reads strongly.
public struct ProbeWriter: Sendable {
    /// Words that end a statement just before its answer, for a phrase that does not end in one.
    public var copulas = ["is", "was", "are", "were", "is:", ":"]

    public init() {}

    public func probes(for question: Question) -> [Probe] {
        var probes: [Probe] = []
        var seen = Set<[String]>()
        func add(_ words: [String], _ rewrite: String, item: String? = nil) {
            let cue = ProbeWriter.join(words)
            let key = ProbeWriter.readKey(cue)
            guard !key.isEmpty, seen.insert(key).inserted else { return }
            probes.append(Probe(cue: cue, rewrite: rewrite, item: item))
            // A short statement most likely starts a sentence, and the memory keyed its first
            // words with the end of the sentence before: a full stop stands in for it.
            if key.count < 4, rewrite != "cue", seen.insert(["."] + key).inserted {
                probes.append(Probe(cue: ". " + cue, rewrite: rewrite, item: item))
            }
        }

        let bodies = ProbeWriter.listItems(question.body)
        for (item, body) in bodies {
            switch question.form {
            case .cue, .request:
                if question.form == .cue { add(body, "cue", item: item) }
                for words in phrases(of: body) { addWithCopulas(words, "phrase", item: item, add) }
                for words in reorderedCompounds(of: body) { add(words, "phrase", item: item) }
            case .wh, .auxiliary:
                statements(question: question, body: body, item: item, add)
                for words in phrases(of: body) { addWithCopulas(words, "span", item: item, add) }
                for words in reorderedCompounds(of: body) { add(words, "span", item: item) }
            }
        }
        for tail in question.tails {
            for (item, words) in ProbeWriter.listItems(tail) {
                add(words, "tail", item: item)
                if let last = words.last?.lowercased(), EnglishWords.beForms.contains(last) {
                    addWithCopulas(Array(words.dropLast()), "tail", item: item, add)
                }
                for phrase in phrases(of: words) where phrase.count < words.count {
                    addWithCopulas(phrase, "tail", item: item, add)
                }
            }
        }
        return probes
    }

    // MARK: Statements from questions

    /// The statement forms of a wh- or auxiliary question's body.
    func statements(question: Question, body: [String], item: String?, _ add: ([String], String, String?) -> Void) {
        // A relation named by a noun is stated with a verb: "the price of the lamp" → "the lamp costs".
        if item == nil, let (name, owner) = question.relation, let relation = EnglishWords.relations[name] {
            let bare = owner.first.map { EnglishWords.determiners.contains($0.lowercased()) } == true ? Array(owner.dropFirst()) : owner
            for verb in relation.verbs {
                add(owner + verb, "declarative", item)
                if bare.count < owner.count && !bare.isEmpty { add(bare + verb, "declarative", item) }
            }
        }
        let trailers = ProbeWriter.trailers(for: question.answerType)
        var body = body
        var auxiliary = question.auxiliary
        // "How many cats does Maria have": the counted noun comes before the auxiliary.
        if auxiliary == nil, let index = body.firstIndex(where: { EnglishWords.auxiliaries.contains($0.lowercased()) }), index > 0 {
            auxiliary = body[index].lowercased()
            let counted = Array(body[..<index])
            body = Array(body[(index + 1)...])
            // "What color is the car" → "the car's color is", "the color of the car is".
            if !body.isEmpty, question.answerType == .phrase {
                for statement in [body + ["'s"] + counted, ["the"] + counted + ["of"] + body] {
                    for copula in copulas { add(statement + [copula], "declarative", item) }
                }
            }
        }
        guard let auxiliary else {
            // A subject question: "who wrote X" → "X was written by", "X, written by".
            if body.count >= 2 {
                let verb = body[0]
                let object = Array(body.dropFirst())
                let participle = Inflection.participle(verb)
                for be in ["was", "is", "were"] { add(object + [be, participle, "by"], "passive", item) }
                add(object + [",", participle, "by"], "passive", item)
                add(object + ["by"], "passive", item)
            }
            return
        }
        if body.isEmpty { return }
        if EnglishWords.beForms.contains(auxiliary) || EnglishWords.modals.contains(auxiliary) || EnglishWords.haveForms.contains(auxiliary) {
            let forms = EnglishWords.beForms.contains(auxiliary) ? ["is", "was", "are", "were"].sorted { a, _ in a == auxiliary } : [auxiliary]
            for form in forms {
                // "What is the door code" → "the door code is"; every boundary for "was Maria born".
                for boundary in 1...body.count {
                    let statement = Array(body[..<boundary]) + [form] + Array(body[boundary...])
                    add(statement, "declarative", item)
                    for trailer in trailers { add(statement + [trailer], "declarative", item) }
                }
            }
            if EnglishWords.beForms.contains(auxiliary) { add(body + [":"], "declarative", item) }
        } else if EnglishWords.doForms.contains(auxiliary) {
            // "When did the train leave (from Paris)" → "the train left (from Paris) at".
            // The question's verb first, then the verbs a statement may use for it.
            for verbIndex in 1..<max(body.count, 1) where verbIndex < body.count {
                let subject = Array(body[..<verbIndex])
                let rest = Array(body[(verbIndex + 1)...])
                var inflected: [String] = []
                for verb in [body[verbIndex]] + (Inflection.synonyms[body[verbIndex].lowercased()] ?? []) {
                    switch auxiliary {
                    case "did": inflected.append(Inflection.past(verb))
                    case "does": inflected += [Inflection.thirdPerson(verb), verb.lowercased()]
                    default: inflected += [verb.lowercased(), Inflection.thirdPerson(verb)]
                    }
                }
                for form in inflected {
                    add(subject + [form] + rest, "do-support", item)
                    add(subject + [form], "do-support", item)
                    for trailer in trailers {
                        add(subject + [form] + rest + [trailer], "do-support", item)
                        add(subject + [form, trailer], "do-support", item)
                    }
                }
            }
        }
    }

    /// Words that come between a statement and an answer of the type.
    static func trailers(for type: AnswerType) -> [String] {
        switch type {
        case .place: return ["in", "at", "on", "from", "to"]
        case .time: return ["in", "on", "at", "since"]
        case .name: return ["by"]
        case .number, .phrase, .code: return []
        }
    }

    // MARK: Phrases

    /// Noun phrases the body names, in the orders a document might write them: the body itself,
    /// its head reordered ("the code for the door" → "the door code", "the door's code"), its last
    /// noun in the other number, and its content-word runs.
    func phrases(of body: [String]) -> [[String]] {
        guard !body.isEmpty else { return [] }
        var phrases: [[String]] = [body]
        let lower = body.map { $0.lowercased() }
        if let of = lower.firstIndex(where: { $0 == "of" || $0 == "for" }), of > 0, of < body.count - 1 {
            let head = Array(body[..<of]).filter { !EnglishWords.determiners.contains($0.lowercased()) }
            let owner = Array(body[(of + 1)...]).filter { !EnglishWords.determiners.contains($0.lowercased()) }
            if !head.isEmpty && !owner.isEmpty {
                phrases.append(owner + head)
                phrases.append(owner + ["'s"] + head)
                phrases.append(owner + ["'s"])
                // "the password for the mail account" may be written "the mail password".
                if owner.count > 1 { for word in owner { phrases.append([word] + head) } }
            }
        }
        if let last = body.last, let other = Inflection.otherNumber(last) {
            phrases.append(Array(body.dropLast()) + [other])
        }
        // Runs of content words: a phrase may be named inside a longer question.
        var run: [String] = []
        for word in body {
            let lowered = word.lowercased()
            if EnglishWords.determiners.contains(lowered) || EnglishWords.prepositions.contains(lowered)
                || EnglishWords.auxiliaries.contains(lowered) || !word.contains(where: { $0.isLetter || $0.isNumber }) {
                if !run.isEmpty && run.count < body.count { phrases.append(run) }
                run = []
            } else {
                run.append(word)
            }
        }
        if !run.isEmpty && run.count < body.count { phrases.append(run) }
        return phrases
    }

    /// A compound noun named the other way round, read without a copula: "the library password"
    /// → "password for the library", "password of the library" (a statement may go on, "… account
    /// is bluebird", and the span skips to its verb); with a two-word owner each word alone too
    /// ("the mail account password" → "password for the mail"); "Selma's favourite colour" → "the
    /// favourite colour of Selma".
    func reorderedCompounds(of body: [String]) -> [[String]] {
        var words = body
        if let first = words.first, EnglishWords.determiners.contains(first.lowercased()) { words.removeFirst() }
        if words.count > 1, let owner = EnglishWords.possessor(words[0]) {
            let head = Array(words.dropFirst())
            return [["the"] + head + ["of", owner], head + ["of", owner]]
        }
        // A compound only: two to four content words, no preposition or verb.
        guard (2...4).contains(words.count), words.allSatisfy({ word in
            let lower = word.lowercased()
            return word.allSatisfy(\.isLetter) && !EnglishWords.prepositions.contains(lower) && !EnglishWords.auxiliaries.contains(lower)
                && !EnglishWords.determiners.contains(lower)
        }) else { return [] }
        let head = words[words.count - 1]
        let owners = [Array(words.dropLast())] + (words.count > 2 ? words.dropLast().map { [$0] } : [])
        var phrases: [[String]] = []
        for owner in owners {
            phrases.append([head, "for", "the"] + owner)
            phrases.append([head, "of", "the"] + owner)
        }
        return phrases
    }

    func addWithCopulas(_ words: [String], _ rewrite: String, item: String?, _ add: ([String], String, String?) -> Void) {
        guard !words.isEmpty else { return }
        if let last = words.last?.lowercased(), EnglishWords.beForms.contains(last) || last == ":" {
            add(words, rewrite, item)
            return
        }
        for copula in copulas { add(words + [copula], rewrite, item) }
    }

    // MARK: Lists

    /// A body that names a list ("numbers for A, B and C") as one body per item, each with the item;
    /// any other body as itself.
    /// "Between A and B" names the two sides of one relation, not two things asked about.
    static func listItems(_ body: [String]) -> [(String?, [String])] {
        let lower = body.map { $0.lowercased() }
        if let and = lower.lastIndex(of: "and"), lower[..<and].contains("between") { return [(nil, body)] }
        guard lower.contains(","), let and = lower.lastIndex(where: { $0 == "and" }) else {
            if let and = lower.lastIndex(of: "and"), and > 0, and < body.count - 1,
                let preposition = lower[..<and].lastIndex(where: { EnglishWords.prepositions.contains($0) }), preposition < and - 1 {
                return items(body, from: preposition + 1, to: body.count)
            }
            return [(nil, body)]
        }
        guard let first = lower.firstIndex(of: ","), first > 0, and > first else { return [(nil, body)] }
        // The list starts after the last preposition before its first comma.
        let start = (lower[..<first].lastIndex(where: { EnglishWords.prepositions.contains($0) }) ?? -1) + 1
        return items(body, from: start, to: body.count)
    }

    static func items(_ body: [String], from start: Int, to end: Int) -> [(String?, [String])] {
        var items: [[String]] = []
        var current: [String] = []
        for word in body[start..<end] {
            let lower = word.lowercased()
            if lower == "," || lower == "and" {
                if !current.isEmpty { items.append(current) }
                current = []
            } else {
                current.append(word)
            }
        }
        if !current.isEmpty { items.append(current) }
        guard items.count > 1 else { return [(nil, body)] }
        let prefix = Array(body[..<start])
        return items.map { (join($0), prefix + $0) }
    }

    // MARK: Text

    /// Words joined as prose: no space before punctuation or a possessive, none around hyphens.
    static func join(_ words: [String]) -> String {
        var text = ""
        for word in words {
            let attaches = word == "'s" || word == ":" || word == "," || word == "." || word == ";"
            if !text.isEmpty && !attaches { text += " " }
            text += word
        }
        return text
    }

    /// The last four tokens the engine would read from `cue`, lower-cased: probes that share them
    /// read the same thing.
    static func readKey(_ cue: String) -> [String] {
        cue.utf8.allSatisfy({ $0 < 0x80 }) ? asciiReadKey(cue) : unicodeReadKey(cue)
    }

    /// `readKey` by Unicode characters: letters run together, whitespace parts them, anything
    /// else is a token of its own.
    static func unicodeReadKey(_ cue: String) -> [String] {
        var tokens: [String] = []
        var run = ""
        for character in cue.lowercased() {
            if character.isLetter {
                run.append(character)
                continue
            }
            if !run.isEmpty { tokens.append(run) }
            run = ""
            if !character.isWhitespace { tokens.append(String(character)) }
        }
        if !run.isEmpty { tokens.append(run) }
        return Array(tokens.suffix(4))
    }

    /// `readKey` of an ASCII cue, a byte at a time: the same tokens without Unicode's character
    /// properties, which most of a question's probing time went to. It scans from the end and
    /// stops at the fourth token (runs of letters are the same runs read either way), so a
    /// question's dozens of probes make four strings each, not one per word.
    static func asciiReadKey(_ cue: String) -> [String] {
        var tokens: [String] = []
        var copy = cue
        copy.withUTF8 { bytes in
            func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
            var end = bytes.count
            while end > 0 && tokens.count < 4 {
                let byte = bytes[end - 1]
                if isLetter(byte) {
                    var start = end - 1
                    while start > 0 && isLetter(bytes[start - 1]) { start -= 1 }
                    tokens.append(String(unsafeUninitializedCapacity: end - start) { out in
                        for offset in start..<end { out[offset - start] = bytes[offset] | 0x20 }
                        return end - start
                    })
                    end = start
                } else {
                    // Space, tab, line feed, vertical tab, form feed, carriage return part tokens.
                    if byte != 0x20 && !(0x09...0x0D).contains(byte) { tokens.append(String(UnicodeScalar(byte))) }
                    end -= 1
                }
            }
        }
        return tokens.reversed()
    }
}
