/// What kind of span answers a question, read from its question word.
public enum AnswerType: String, Sendable, Codable, CaseIterable {
    /// A number: "how many", "how much", "what number", "how old".
    case number
    /// A date or a time: "when", "what time", "what year".
    case time
    /// A place: "where".
    case place
    /// A person or a name: "who", "whom".
    case name
    /// A code written as one run with digits in it: "the door code", "the pass key", a UUID.
    case code
    /// Whatever follows, up to the end of the clause: "what", "which", a noun phrase, a cue.
    case phrase
}

/// A question as the probe writer sees it: its words, the kind of question, the answer type.
///
/// Parsing is shallow on purpose: no grammar, no model, only the closed classes English questions
/// are built from (question words, auxiliaries, determiners, prepositions), so that any wording of
/// any content word gets the same treatment.
public struct Question: Sendable, Equatable {
    /// How the text asks.
    public enum Form: String, Sendable, Codable {
        /// A wh-question ("Where was Maria born?").
        case wh
        /// A yes/no-shaped or auxiliary-first question ("Is there a door code?").
        case auxiliary
        /// A request ("Tell me the door code", "Give the code for the door").
        case request
        /// Words with no question or request shape: a noun phrase ("door code") or the words that
        /// precede the answer ("The door code is").
        case cue
    }

    public var text: String
    public var form: Form
    /// The question word ("where", "how many"), lower-cased; nil when there is none.
    public var questionWord: String?
    /// The auxiliary right after the question word ("was", "did"), lower-cased.
    public var auxiliary: String?
    /// The words after the question word and auxiliary, with boilerplate removed, as written.
    public var body: [String]
    /// Declarative tails the text carries after its question ("… ? The special magic number is").
    public var tails: [[String]]
    public var answerType: AnswerType

    /// Parses `text`; a question with no words parses to an empty body.
    public init(_ text: String) {
        self.text = text
        var segments = Question.segments(of: text)
        let first = segments.isEmpty ? [] : segments.removeFirst()
        tails = segments.map { Question.removingBoilerplate(Question.strippingLead($0)) }.filter { !$0.isEmpty }
        var words = Question.strippingLead(first)
        form = words.count < first.count ? .request : .cue

        var questionWord: String?
        var auxiliary: String?
        // A preposition may lead its question word ("In which city was Maria born?", "On which
        // day …"): the answer's type is the question word's, and the statement ends in the
        // preposition, which the type's trailers supply.
        if words.count > 1, EnglishWords.prepositions.contains(words[0].lowercased()),
            Question.questionWord(at: Array(words.dropFirst())) != nil
        {
            words.removeFirst()
        }
        if let (word, length) = Question.questionWord(at: words) {
            questionWord = word
            form = .wh
            let contracted = EnglishWords.contractions[words[0].lowercased()]
            words.removeFirst(length)
            if let (_, verb) = contracted, length == 1 {
                auxiliary = verb
            } else if let next = words.first, EnglishWords.auxiliaries.contains(next.lowercased()) {
                auxiliary = next.lowercased()
                words.removeFirst()
            }
        } else if let next = words.first, EnglishWords.auxiliaries.contains(next.lowercased()), Question.endsWithQuestionMark(text) {
            form = .auxiliary
            auxiliary = next.lowercased()
            words.removeFirst()
        }
        self.questionWord = questionWord
        self.auxiliary = auxiliary
        body = Question.removingBoilerplate(words)
        answerType = Question.answerType(questionWord: questionWord, body: body)
    }

    /// Whether the question has any word to read.
    public var isEmpty: Bool {
        !(body + tails.flatMap { $0 }).contains { word in word.contains { $0.isLetter || $0.isNumber } }
    }

    // MARK: Parsing

    /// The text split at "?" into segments of words; a word is a run of letters, digits,
    /// apostrophes or hyphens inside a word, or one other visible character.
    static func segments(of text: String) -> [[String]] {
        var segments: [[String]] = []
        var current: [String] = []
        var word = ""
        func closeWord() {
            if !word.isEmpty { current.append(word) }
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else if (character == "'" || character == "’" || character == "-") && !word.isEmpty {
                word.append(character)
            } else {
                // A trailing apostrophe or hyphen belongs to no word.
                while let last = word.last, last == "'" || last == "’" || last == "-" { word.removeLast() }
                closeWord()
                if character == "?" {
                    if !current.isEmpty { segments.append(current) }
                    current = []
                } else if !character.isWhitespace {
                    current.append(String(character))
                }
            }
        }
        while let last = word.last, last == "'" || last == "’" || last == "-" { word.removeLast() }
        closeWord()
        if !current.isEmpty { segments.append(current) }
        // Sentence-final punctuation says nothing about the answer.
        return segments.map { words in
            var words = words
            while let last = words.last, last == "." || last == "!" { words.removeLast() }
            return words
        }.filter { !$0.isEmpty }
    }

    static func endsWithQuestionMark(_ text: String) -> Bool {
        text.reversed().first(where: { !$0.isWhitespace }) == "?"
    }

    /// Words of a request or a polite frame that carry nothing of the question ("please", "tell
    /// me", "can you tell me", "do you know").
    static func strippingLead(_ words: [String]) -> [String] {
        Array(words.dropFirst(leadLength(words)))
    }

    static func leadLength(_ words: [String]) -> Int {
        let lower = words.map { $0.lowercased() }
        var start = 0
        var changed = true
        while changed {
            changed = false
            for lead in EnglishWords.leads where lower.count - start >= lead.count {
                if Array(lower[start..<(start + lead.count)]) == lead {
                    start += lead.count
                    changed = true
                    break
                }
            }
        }
        return start
    }

    /// The question word at the start of `words` and how many words it spans.
    static func questionWord(at words: [String]) -> (String, Int)? {
        guard let first = words.first?.lowercased() else { return nil }
        let contracted = EnglishWords.contractions[first]
        let head = contracted?.0 ?? first
        guard EnglishWords.questionWords.contains(head) else { return nil }
        if head == "how" || head == "what" || head == "which", words.count > 1 {
            let second = words[1].lowercased()
            if EnglishWords.questionWordFollowers[head]?.contains(second) == true {
                return ("\(head) \(second)", 2)
            }
        }
        return (head, 1)
    }

    /// Boilerplate that says where to look rather than what is asked ("mentioned in the provided
    /// text", "according to the document"), and "all" before a plural ("all the numbers").
    static func removingBoilerplate(_ words: [String]) -> [String] {
        var words = words
        for phrase in EnglishWords.boilerplate {
            var index = 0
            var kept: [String] = []
            let current = words.map { $0.lowercased() }
            while index < current.count {
                if index + phrase.count <= current.count && Array(current[index..<(index + phrase.count)]) == phrase {
                    index += phrase.count
                } else {
                    kept.append(words[index])
                    index += 1
                }
            }
            words = kept
        }
        while let first = words.first, first.lowercased() == "all" { words.removeFirst() }
        return words
    }

    static func answerType(questionWord: String?, body: [String]) -> AnswerType {
        switch questionWord {
        case "how many", "how much", "how old", "how long", "how far", "how big", "how tall", "how often",
            "what number", "which number":
            return .number
        case "when", "what time", "what year", "what day", "what date", "which year", "which day":
            return .time
        case "where", "what place", "which place", "what city", "which city", "what country", "which country":
            return .place
        case "who", "whom", "whose":
            return .name
        default:
            return headNoun(of: body).flatMap { EnglishWords.headTypes[$0] } ?? .phrase
        }
    }

    /// The relation the question asks about and who or what has it: "the price of the lamp" →
    /// (price, "the lamp"); "Selma's age" → (age, "Selma"); "How old is Emil" → (age, "Emil").
    public var relation: (name: String, owner: [String])? {
        if let word = questionWord, let name = EnglishWords.relationQuestionWords[word], !body.isEmpty,
            auxiliary.map({ EnglishWords.beForms.contains($0) }) ?? false
        {
            return (name, body)
        }
        guard let head = Question.headNoun(of: body), EnglishWords.relations[head] != nil else { return nil }
        let lower = body.map { $0.lowercased() }
        if let of = lower.firstIndex(where: { $0 == "of" || $0 == "for" }), of > 0, of < body.count - 1 {
            return (head, Array(body[(of + 1)...]))
        }
        if let owner = body.lazy.compactMap(EnglishWords.possessor).first { return (head, [owner]) }
        return nil
    }

    /// Words that a statement answering the question would carry besides the words a probe
    /// reads: the question's content words (in either number) and its relation's evidence. A
    /// continuation that holds one is about what was asked ("Emil has" → "6 horses", asked about
    /// horses), not only about the same subject.
    public var evidenceWords: Set<String> {
        var words = contentWords
        if let relation, let known = EnglishWords.relations[relation.name] { words.formUnion(known.evidence) }
        return words
    }

    /// What "how many" counts ("How many horses does Emil own?" → "horses"), lower-cased.
    public var countedNoun: String? {
        guard questionWord == "how many" else { return nil }
        let counted = body.prefix { !EnglishWords.auxiliaries.contains($0.lowercased()) }
        guard counted.count < body.count else { return nil }
        return counted.last(where: { $0.allSatisfy(\.isLetter) })?.lowercased()
    }

    /// The body's content words, lower-cased, in either number, possessives without their "'s".
    public var contentWords: Set<String> {
        var words = Set<String>()
        for word in body {
            let lower = (EnglishWords.possessor(word) ?? word).lowercased()
            guard lower.count > 2, lower.allSatisfy(\.isLetter), !EnglishWords.determiners.contains(lower),
                !EnglishWords.prepositions.contains(lower), !EnglishWords.auxiliaries.contains(lower),
                !EnglishWords.questionWords.contains(lower)
            else { continue }
            words.insert(lower)
            if let other = Inflection.otherNumber(lower) { words.insert(other) }
        }
        return words
    }

    /// The noun a body is about: the last word before its first preposition ("the code for the
    /// door" → "code"), or its last word.
    static func headNoun(of body: [String]) -> String? {
        let lower = body.map { $0.lowercased() }
        let end = lower.firstIndex(where: { EnglishWords.prepositions.contains($0) }) ?? lower.count
        return lower[..<end].last(where: { word in word.contains { $0.isLetter } })
    }
}

/// The closed classes of English the parser and the probe writer are built from.
enum EnglishWords {
    static let questionWords: Set<String> = ["what", "which", "who", "whom", "whose", "where", "when", "how", "why"]
    /// Words that make a two-word question word with the one before them.
    static let questionWordFollowers: [String: Set<String>] = [
        "how": ["many", "much", "old", "long", "far", "big", "tall", "often"],
        "what": ["time", "year", "day", "date", "number", "place", "city", "country"],
        "which": ["year", "day", "number", "place", "city", "country"],
    ]
    /// "what's" → ("what", "is").
    static let contractions: [String: (String, String)] = [
        "what's": ("what", "is"), "who's": ("who", "is"), "where's": ("where", "is"), "when's": ("when", "is"),
        "how's": ("how", "is"), "what’s": ("what", "is"), "who’s": ("who", "is"), "where’s": ("where", "is"),
    ]
    /// The answer type a head noun asks for ("What is the door code?" → a code).
    static let headTypes: [String: AnswerType] = [
        "number": .number, "numbers": .number, "amount": .number, "count": .number, "age": .number, "price": .number,
        "cost": .number, "total": .number, "population": .number, "height": .number, "weight": .number,
        "code": .code, "codes": .code, "uuid": .code, "uuids": .code, "id": .code, "pin": .code, "key": .code, "keys": .code,
        "identifier": .code, "serial": .code,
        "time": .time, "date": .time, "day": .time, "year": .time, "hour": .time, "birthday": .time, "deadline": .time,
        "city": .place, "country": .place, "place": .place, "town": .place, "birthplace": .place, "location": .place,
        "capital": .place, "address": .place,
        "author": .name, "name": .name, "owner": .name, "writer": .name,
    ]
    /// A relation a question names with a noun and a statement with a verb: "the price of the
    /// lamp" is written "the lamp costs", "the birthplace of Maria" "Maria was born in", "the age of
    /// Emil" "Emil is … years old". `verbs` follow the owner in a statement; `evidence` are words
    /// a statement of the relation carries near its answer.
    struct Relation {
        var verbs: [[String]]
        var evidence: Set<String>
    }

    static let relations: [String: Relation] = {
        let price = Relation(
            verbs: [["costs"], ["cost"], ["sells", "for"], ["is", "priced", "at"], ["is", "sold", "for"]],
            evidence: ["costs", "cost", "priced", "sells", "sold", "dollars", "euros", "pounds", "cents", "$", "€", "£"])
        let author = Relation(verbs: [["was", "written", "by"], ["is", "by"], ["by"]], evidence: ["written", "wrote", "author", "by"])
        return [
            "price": price, "cost": price,
            "birthplace": Relation(verbs: [["was", "born", "in"], ["is", "from"], ["comes", "from"]], evidence: ["born", "native"]),
            "hometown": Relation(verbs: [["is", "from"], ["comes", "from"], ["grew", "up", "in"]], evidence: ["from", "grew"]),
            "birthday": Relation(verbs: [["was", "born", "on"]], evidence: ["born"]),
            "age": Relation(verbs: [["is"], ["was"], ["turned"], ["turns"]], evidence: ["years", "old", "aged", "age"]),
            "author": author, "writer": author,
            "salary": Relation(verbs: [["earns"], ["makes"], ["is", "paid"]], evidence: ["earns", "salary", "paid", "dollars", "$", "€", "£"]),
            "height": Relation(verbs: [["is"], ["stands"]], evidence: ["tall", "high", "metres", "meters", "feet"]),
            "population": Relation(verbs: [["has"], ["is", "home", "to"]], evidence: ["people", "inhabitants", "residents"]),
            "home": Relation(verbs: [["lives", "in"], ["lives", "at"]], evidence: ["lives", "lived"]),
            "address": Relation(verbs: [["lives", "at"], ["is", "at"]], evidence: ["lives", "street", "road"]),
        ]
    }()
    /// The owner a possessive names ("Selma's" → "Selma", "SELMA'S" → "SELMA"), nil for any other word.
    static func possessor(_ word: String) -> String? {
        let lower = word.lowercased()
        return lower.hasSuffix("'s") || lower.hasSuffix("’s") ? String(word.dropLast(2)) : nil
    }

    /// Question words that name a relation by themselves ("How much is the lamp?", "How old is Emil?").
    static let relationQuestionWords: [String: String] = ["how much": "price", "how old": "age"]

    static let beForms: Set<String> = ["is", "are", "was", "were", "be", "been"]
    static let doForms: Set<String> = ["do", "does", "did"]
    static let haveForms: Set<String> = ["has", "have", "had"]
    static let modals: Set<String> = ["can", "could", "will", "would", "shall", "should", "may", "might", "must"]
    static let auxiliaries: Set<String> = beForms.union(doForms).union(haveForms).union(modals)
    static let determiners: Set<String> = ["the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their", "our", "my", "your"]
    static let prepositions: Set<String> = [
        "of", "for", "in", "on", "at", "to", "from", "by", "with", "about", "into", "during", "after", "before", "under", "over",
    ]
    /// Polite or request frames, longest first within a shared start.
    static let leads: [[String]] = [
        ["can", "you", "tell", "me"], ["could", "you", "tell", "me"], ["would", "you", "tell", "me"],
        ["do", "you", "know"], ["i", "want", "to", "know"], ["i'd", "like", "to", "know"], ["i", "wonder"],
        ["please"], ["tell", "me"], ["give", "me"], ["show", "me"], ["remind", "me", "of"], ["remind", "me"],
        ["recall"], ["find"], ["name"], ["say"], ["list"], ["and"], ["so"], ["ok"], ["okay"], ["hey"],
    ]
    /// Phrases that say where to look, not what is asked.
    static let boilerplate: [[String]] = [
        ["mentioned", "in", "the", "provided", "text"], ["mentioned", "in", "the", "text"], ["mentioned", "in", "the", "document"],
        ["in", "the", "provided", "text"], ["from", "the", "provided", "text"], ["in", "the", "text"], ["in", "the", "document"],
        ["according", "to", "the", "text"], ["according", "to", "the", "document"], ["in", "this", "document"],
        ["in", "the", "story"], ["please"],
    ]
}
