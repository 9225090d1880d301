import Foundation
import MoMCore

/// How the question layer reads and when it declines to answer.
public struct AskOptions: Sendable, Codable, Equatable {
    /// Below this confidence the layer answers nothing. The default is the lowest threshold that
    /// kept answered questions ≥ 99 % precise in `momd bench qa` (docs/benchmarks.md).
    public var abstainBelow: Float
    /// Tokens decoded at most after a probe.
    public var maxTokens: Int
    /// Decoding stops before a token whose confidence is below this.
    public var minConfidence: Float
    /// Probes decoded in full after the first tokens are ranked.
    public var candidates: Int

    public static let defaultAbstainBelow: Float = 0.72
    /// Below this confidence an answer read from recalled evidence is not given. The evidence
    /// confidence is a fitted chance of being right (`QuestionAnswerer.evidenceConfidence`): the
    /// default answers at 3 : 2 odds or better.
    public static let defaultEvidenceAbstainBelow: Float = 0.6
    /// The threshold for answers read from recalled evidence.
    public var evidenceAbstainBelow: Float = AskOptions.defaultEvidenceAbstainBelow
    /// Whether questions may be answered from recalled evidence (when the system recalls any).
    public var readsEvidence = true
    /// Recalled passages an answer carries as its evidence.
    public var evidencePassages = 3

    public init(abstainBelow: Float = AskOptions.defaultAbstainBelow, maxTokens: Int = 48, minConfidence: Float = 0.3, candidates: Int = 6) {
        self.abstainBelow = abstainBelow
        self.maxTokens = maxTokens
        self.minConfidence = minConfidence
        self.candidates = candidates
    }
}

/// What the memory answered to a question (or to one item of a question over a list).
public struct Answer: Sendable, Codable, Equatable {
    /// The span that answers ("4711", "Lisbon"); empty when abstained.
    public var answer: String
    /// When abstained, the span that would have been answered (for calibrating the threshold).
    public var withheld: String = ""
    /// Everything decoded after the winning probe.
    public var continuation: String
    /// The weaker of the probe's evidence (its first token's strength, scaled up for a cue one
    /// token short of the window) and the span tokens' confidences.
    public var confidence: Float
    public var abstained: Bool
    public var answerType: AnswerType
    /// The probe whose reading won.
    public var probe: Probe?
    /// The continuation's tokens.
    public var tokens: [ReadToken]
    public var memoriesRead: [Int]
    /// Probes read.
    public var probesRead: Int
    /// For a question over a list, each item's answer.
    public var items: [Answer]?
    /// The passages recalled for the question, best first (when the system recalls any).
    public var evidence: [Passage]?
    /// How the answer was found: "probe" (a cue read on) or "evidence" (read from a recalled
    /// passage).
    public var source: String?
    /// For an answer read from evidence, what its confidence rests on.
    public var reading: EvidenceReading?

}

/// The question layer: question → probes → reads → the span that answers, or no answer.
public struct QuestionAnswerer: Sendable {
    public var writer = ProbeWriter()
    public var options: AskOptions

    public init(options: AskOptions = AskOptions()) {
        self.options = options
    }

    /// Characters (Unicode scalars) of a question read at most: a question is a sentence or two, and probing grows
    /// with its words.
    public static let maxQuestionLength = 4096

    /// Answers `text` from `system` alone. A question with nothing to read, or about an empty
    /// document, abstains.
    public func answer(_ text: String, from system: some RecallSystem) throws -> Answer {
        guard text.unicodeScalars.count <= Self.maxQuestionLength else {
            throw MoMError(
                .invalidQuestion, "the question is \(text.unicodeScalars.count) characters long: ask in at most \(Self.maxQuestionLength)")
        }
        let question = Question(text)
        // A question with nothing to read, or about a document with nothing in it, has no answer.
        guard !question.isEmpty, system.tokenCount > 0 else { return .nothing(question.answerType) }
        let probes = writer.probes(for: question)
        var groups: [(item: String?, probes: [Probe])] = []
        for probe in probes {
            if let index = groups.firstIndex(where: { $0.item == probe.item }) {
                groups[index].probes.append(probe)
            } else {
                groups.append((probe.item, [probe]))
            }
        }
        guard !groups.isEmpty else { return .nothing(question.answerType) }
        // Things named together in a question that asks for one value ask one thing of both
        // ("Who was blamed for Luckett and Roberson leaving?"): one answer, judged against the
        // evidence as any other.
        if groups.count > 1 && !Self.asksForSeveral(question.text) { groups = [(nil, groups.flatMap(\.probes))] }
        let answers = try groups.map { try answer(question, probes: $0.probes, from: system) }
        guard answers.count > 1 else { return try judged(answers[0], question, from: system) }
        // A list: every item answered is part of the answer; the weakest answered item sets the confidence.
        let answered = answers.filter { !$0.abstained }
        return Answer(
            answer: answered.map(\.answer).joined(separator: ", "),
            continuation: answered.map(\.continuation).joined(separator: " | "),
            confidence: answered.map(\.confidence).min() ?? answers.map(\.confidence).max() ?? 0,
            abstained: answered.isEmpty, answerType: question.answerType, probe: answered.first?.probe,
            tokens: answered.flatMap(\.tokens), memoriesRead: Array(Set(answered.flatMap(\.memoriesRead))).sorted(),
            probesRead: answers.map(\.probesRead).reduce(0, +), items: answers)
    }

    /// Tokens a candidate is decoded to at first: enough to settle the span of most answers. A
    /// candidate whose span could run past them is decoded on to the full limit, and so is the
    /// winner, so the answer and its continuation are what a full decoding of each gives.
    static let settlingTokens = 8

    /// Decodes every candidate in full, skipping none: the plain reference the pruned search is
    /// tested against.
    var decodesEveryCandidateInFull = false

    /// The best-reading probe's answer among `probes`.
    func answer(_ question: Question, probes: [Probe], from system: some RecallSystem) throws -> Answer {
        let firsts = try system.strongestFirstTokens(of: probes.map(\.cue), limit: options.candidates)
        let evidence = Evidence(question)
        var leader: (answer: Answer, continuation: ReadResult, isPrefix: Bool)?
        for (index, first) in firsts {
            // The probes come in order of their first token's strength times the cue's evidence
            // scale, which bounds every answer's confidence: once the best answer reaches it,
            // weaker probes cannot win.
            let probe = probes[index]
            let scale = try system.evidenceScale(of: probe.cue)
            if let leader, leader.answer.confidence >= min(first.strength * scale, 1) { break }
            // Only a whole statement earns the scale (a sentence-opening "Maria was born in"): a
            // fragment of the question with a copula ("Maria was") matches whatever else the
            // document says of Maria.
            // A fragment earns it too when what it reads carries a word of what was asked
            // ("Emil has" → "6 horses on the farm", asked how many horses): `corroborated`.
            let cue = CueWords(probe.cue)
            let statement = probe.isStatement || evidence.isNamed(by: cue)
            let strength = min(first.strength * (statement ? scale : 1), 1)
            let corroborated = min(first.strength * scale, 1)
            // The first token read here is the continuation's first, and an answer is no more
            // confident than it: a probe that cannot beat the best is not decoded.
            if !decodesEveryCandidateInFull, let leader, leader.answer.confidence >= min(max(strength, corroborated), first.confidence) {
                continue
            }
            let candidate = try read(
                probe, for: question, evidence: strength, corroborated: corroborated, facts: evidence, cue: cue, from: system)
            if leader == nil || candidate.answer.confidence > leader!.answer.confidence { leader = candidate }
        }
        guard let found = leader else { return .nothing(question.answerType, probesRead: probes.count) }
        var best = found.answer
        best.probesRead = probes.count
        if found.isPrefix, let probe = best.probe {
            let continuation = try system.read(
                continuing: found.continuation, cue: probe.cue, options: readOptions(maxTokens: options.maxTokens))
            best.continuation = continuation.answer
            best.tokens = continuation.tokens
            best.memoriesRead = continuation.memoriesRead
        }
        if best.confidence < options.abstainBelow || best.answer.isEmpty {
            best.abstained = true
            best.withheld = best.answer
            best.answer = ""
        }
        return best
    }

    func readOptions(maxTokens: Int) -> ReadOptions {
        ReadOptions(maxTokens: maxTokens, minConfidence: options.minConfidence)
    }

    /// One probe's answer: its continuation, the span of the question's type in it, and the
    /// confidence of that span. `isPrefix` when the continuation was cut at `settlingTokens`
    /// after its span had settled (the read goes on from there if the probe wins).
    func read(
        _ probe: Probe, for question: Question, evidence: Float, corroborated: Float, facts: Evidence, cue: CueWords,
        from system: some RecallSystem
    ) throws -> (answer: Answer, continuation: ReadResult, isPrefix: Bool) {
        let first = decodesEveryCandidateInFull ? options.maxTokens : min(Self.settlingTokens, options.maxTokens)
        var continuation = try system.read(cue: probe.cue, options: readOptions(maxTokens: first))
        let search = AnswerSpan.search(question.answerType, in: continuation)
        var span = search.span
        var isPrefix = continuation.stop == .maxTokens && first < options.maxTokens
        // A span found without looking past the last token decoded, and ending before it, is the
        // span of any longer continuation; otherwise the rest is needed.
        if isPrefix && !(search.isSettled && (span?.tokens.upperBound ?? 0) < continuation.tokens.count) {
            continuation = try system.read(continuing: continuation, cue: probe.cue, options: readOptions(maxTokens: options.maxTokens))
            span = AnswerSpan.find(question.answerType, in: continuation)
            isPrefix = false
        }
        var confidence = evidence
        if let span {
            let around = Self.wordsAround(span, in: continuation)
            if cue.isCorroborated(by: around, words: facts.words) { confidence = max(evidence, corroborated) }
            // A count of something else is no answer: "How many horses does Jonas own?" read as
            // "Jonas has" → "12 goats"; nor is a reading with no word of the relation asked about:
            // "How old is Maria?" read as "Maria was" → "born in Lisbon in 1984".
            let required = [facts.countedNames, facts.relation.flatMap { cue.states($0) ? nil : $0.evidence }]
            for case let names? in required where cue.spaced.isDisjoint(with: names) && !cue.isCorroborated(by: around, words: names) {
                confidence = 0
            }
            // The question's own words are no answer to it ("the Band of the Fighting Irish" →
            // "Fighting Irish").
            if Self.repeatsTheQuestion(span.text, question) { confidence = 0 }
            // A person asked for and a phrase read ("Who …?" → "and a strong woman"): the
            // continuation names no one. (A place may be a phrase: "under the mat".)
            if !span.fitsType && question.answerType == .name { confidence *= Self.unfitShare }
            for token in continuation.tokens[..<span.tokens.upperBound] { confidence = min(confidence, token.confidence) }
            // A number or code whose decoding broke off right after it may be cut short: the
            // token that failed is part of its evidence.
            let cut = continuation.stop == .lowConfidence && span.tokens.upperBound == continuation.tokens.count
            if cut && [.number, .code, .time].contains(question.answerType) {
                confidence = min(confidence, options.minConfidence)
            }
        } else {
            confidence = 0
        }
        let answer = Answer(
            answer: span?.text ?? "", continuation: continuation.answer, confidence: max(confidence, 0), abstained: false,
            answerType: question.answerType, probe: probe, tokens: continuation.tokens, memoriesRead: continuation.memoriesRead,
            probesRead: 0, items: nil)
        return (answer, continuation, isPrefix)
    }
}

extension QuestionAnswerer {
    /// The probe's answer weighed against the evidence's: a probe's confidence counts only as far
    /// as its cue and continuation hold the question's weighted words (a strong read of the
    /// question's last words says nothing of the rest); the evidence answers when it is surer.
    func judged(_ probed: Answer, _ question: Question, from system: some RecallSystem) throws -> Answer {
        guard options.readsEvidence else { return probed }
        let query = EvidenceQuery(question: question.text, system: system)
        guard query.totalWeight > 0 else { return probed }
        var probe = probed
        let (found, passages, spans) = try answerFromEvidence(question, query: query, from: system, keeping: 5)
        probe = weighed(probe, query: query, passages: passages, from: system)
        let spoken = probe.answer.isEmpty ? probe.withheld : probe.answer
        guard var read = found else {
            if !passages.isEmpty { probe.evidence = Array(passages.prefix(options.evidencePassages)) }
            return probe
        }
        read.source = "evidence"
        read.probesRead = probe.probesRead
        // A question over a list, answered from the evidence with several values of which the
        // probe read one: the probe vouches for the list, which answers all of the question.
        let items = read.items ?? []
        let vouched = !probe.abstained && items.count > 1 && items.contains { $0.answer.lowercased() == spoken.lowercased() }
        if vouched { read.confidence = max(read.confidence, probe.confidence) }
        if !read.answer.isEmpty && read.confidence < options.evidenceAbstainBelow {
            read.abstained = true
            read.withheld = read.answer
            read.answer = ""
        }
        // Evidence that answers from a passage holding half the question or more, where the
        // reader found the probe's answer (`comparable`) among none of its spans, answers instead
        // of the probe. A number or code that a recalled passage holds stands (a needle's
        // sentence whose decoding lost the question's words still holds its value).
        func overruled() -> Bool {
            guard (read.reading?.support ?? 0) >= Self.overrulingSupport else { return false }
            if spoken.contains(where: \.isNumber) && system.corroborates(spoken, in: passages) { return false }
            let said = Self.comparable(spoken)
            return said.isEmpty || !spans.contains { Self.comparable($0) == said }
        }
        if !probe.abstained && !vouched && (read.abstained || (probe.confidence >= read.confidence && !overruled())) {
            probe.evidence = read.evidence
            return probe
        }
        if !read.abstained { return read }
        // Neither answers: say what the surer of them would have answered.
        if probe.confidence >= read.confidence {
            probe.evidence = read.evidence
            return probe
        }
        return read
    }

    /// A probe's answer weighed against the passages recalled for the question: one that a
    /// passage contradicts keeps support² of its confidence, one with no content word none; then
    /// judged against `abstainBelow`.
    func weighed(_ probed: Answer, query: EvidenceQuery, passages: [Passage], from system: some RecallSystem) -> Answer {
        var probe = probed
        let spoken = probe.answer.isEmpty ? probe.withheld : probe.answer
        // A probe that a passage recalled by the question's words contradicts (the passage holds
        // most of the question but not the probe's answer) counts only as far as the words the
        // state read the answer under (the `window` tokens before it) and read on hold the
        // question's weighted words: the rest of the cue is the question's own. Where no passage holds the question
        // (its sentence out of the ring, or badly decoded) the probe stands as it read.
        // A passage holds the question by its text or, where its decoding lost words, by what the
        // topic memory read for it.
        let holding = { (passage: Passage) in max(passage.support, query.scoreShare(of: passage)) }
        let contradicted = passages.contains { holding($0) >= Self.contradictingSupport }
        let best = passages.map(holding).max() ?? 0
        let witnesses = passages.filter { holding($0) >= best * Self.corroboratingShare }
        // "that", "a", "called": a probe whose answer holds no content word answers nothing.
        if !spoken.isEmpty && !Self.saysSomething(spoken) { probe.confidence = 0 }
        if !spoken.isEmpty, contradicted, let cue = probe.probe?.cue, !system.corroborates(spoken, in: witnesses) {
            // The answer's first token was read under the `window` tokens before it, which may
            // have left some of the cue behind: a phrase written elsewhere too decodes the other
            // place's continuation.
            let continuation = probe.continuation
            let at = continuation.range(of: spoken)?.lowerBound ?? continuation.startIndex
            let matched = ProbeWriter.readKey(cue + " " + continuation[..<at]).joined(separator: " ")
            let stems = EvidenceText.stems(matched + " " + continuation[at...])
            let support = query.support(of: stems)
            probe.confidence *= support * support
        }
        // The sentence that holds a probe's answer, read under the last words of the cue, must
        // hold most of the rest of the cue too: "Which cooperative organised the Harvest Fair
        // 12?" read as "… the Harvest Fair 12 was" finds "a country festival" in a sentence of
        // the fair that names no cooperative. Below `cueHeld` of the cue's weight the probe
        // keeps (share / cueHeld)² of its confidence.
        if !spoken.isEmpty, let cue = probe.probe?.cue {
            let asked = Self.cueQuery(cue, system: system)
            let holders = passages.filter { $0.holds(spoken) && system.mayHold(spoken, in: $0) }
            if asked.totalWeight > 0, let held = holders.map({ system.support(of: asked, in: $0) }).max() {
                let share = min(held / Self.cueHeld, 1)
                probe.confidence *= share * share
            }
        }
        if !probe.abstained && probe.confidence < options.abstainBelow {
            probe.abstained = true
            probe.withheld = probe.answer
            probe.answer = ""
        }
        probe.source = "probe"
        return probe
    }

    /// A cue's words weighted as evidence, a word the document never mentions (which no sentence
    /// can hold) as much as the cue's rarest mentioned word.
    static func cueQuery(_ cue: String, system: some RecallSystem) -> EvidenceQuery {
        EvidenceQuery(question: cue) { words in
            let weights = system.evidenceWeights(of: words)
            let mentioned = words.map(system.mentions)
            let rarest = zip(weights, mentioned).filter(\.1).map(\.0).max() ?? 0
            return zip(weights, mentioned).map { $1 ? $0 : max($0, rarest) }
        }
    }

    /// An answer as two readings of it compare: its lower-case terms without articles, from its
    /// first content word or number on ("The Eiffel Tower," and "eiffel tower" are one answer, so
    /// are "under the mat" and "mat").
    static func comparable(_ answer: String) -> [String] {
        let terms = EvidenceText.terms(answer).filter { !["a", "an", "the"].contains($0) }
        let first = terms.firstIndex { !TopicTerms.isFunctionWord($0) || $0.contains(where: \.isNumber) } ?? terms.endIndex
        return Array(terms[first...])
    }

    /// The share of the question an evidence answer's passage holds for it to overrule a probe
    /// whose answer the reader did not find.
    static let overrulingSupport: Float = 0.5

    /// The share of its confidence a probe keeps when a name was asked and its continuation holds
    /// none (its span is a phrase).
    static let unfitShare: Float = 0.5

    /// The share of a probe's cue (by weight) that the sentence holding its answer holds for the
    /// probe to keep all its confidence.
    static let cueHeld: Float = 2.0 / 3

    /// Whether an answer holds a word outside the function words, or a digit: "that", "a" and
    /// "called" answer nothing.
    static func saysSomething(_ answer: String) -> Bool {
        EvidenceText.terms(answer).contains { !TopicTerms.isFunctionWord($0) || $0.contains(where: \.isNumber) }
    }

    /// Whether every content word of a span (a word outside the function words, or a number) is
    /// one of the question's, in either number: a reading that names what was asked, not an
    /// answer.
    static func repeatsTheQuestion(_ span: String, _ question: Question) -> Bool {
        let asked = Set(EvidenceQuery.words(of: question.text).map(TopicTerms.stem))
        let said = EvidenceText.terms(span).filter { !TopicTerms.isFunctionWord($0) && ($0.count > 1 || $0.allSatisfy(\.isNumber)) }
        return !said.isEmpty && said.allSatisfy { asked.contains(TopicTerms.stem($0)) }
    }

    /// The share of the question a recalled passage must hold for its silence on a probe's
    /// answer to count against it.
    static let contradictingSupport: Float = 0.3
    /// A recalled passage corroborates a probe's answer when it holds about as much of the
    /// question as the passage that holds most: at least this share of that.
    static let corroboratingShare: Float = 0.8

    /// What a question says of the readings that answer it, worked out once per question.
    struct Evidence {
        /// Words a reading about what was asked carries (`Question.evidenceWords`).
        let words: Set<String>
        let head: String?
        let contentWords: Set<String>
        /// What "how many" counts, in either number.
        let countedNames: Set<String>?
        /// The relation asked about, if the question names one.
        let relation: EnglishWords.Relation?

        init(_ question: Question) {
            words = question.evidenceWords
            head = Question.headNoun(of: question.body)
            contentWords = question.contentWords
            countedNames = question.countedNoun.map { Set([$0] + (Inflection.otherNumber($0).map { [$0] } ?? [])) }
            relation = question.relation.flatMap { EnglishWords.relations[$0.name] }
        }

        /// Whether a phrase probe names the thing asked about as fully as a statement would: its
        /// head noun and at least one more of the question's content words ("bank password is"
        /// for "What's the password for the bank account?"), not its subject alone ("Maria was").
        func isNamed(by cue: CueWords) -> Bool {
            guard let head else { return false }
            let heads = [head] + (Inflection.otherNumber(head).map { [$0] } ?? [])
            guard heads.contains(where: cue.key.contains) else { return false }
            return cue.key.intersection(contentWords).count >= 2
        }
    }

    /// A probe's cue as words, lower-cased, split once for every check of a candidate.
    struct CueWords {
        /// The words as written between spaces ("lamp's", "is:").
        let spaced: Set<String>
        /// The last tokens the engine reads (`ProbeWriter.readKey`).
        let key: Set<String>
        let ordered: [String]

        init(_ cue: String) {
            ordered = cue.lowercased().split(separator: " ").map(String.init)
            spaced = Set(ordered)
            key = Set(ProbeWriter.readKey(cue))
        }

        /// Whether a reading's words hold one of `words` that the cue does not: the reading is
        /// about what the question asks, not only about its subject.
        func isCorroborated(by around: [String], words: Set<String>) -> Bool {
            !words.isEmpty && around.contains { words.contains($0) && !spaced.contains($0) && !key.contains($0) }
        }

        /// Whether the cue ends in one of the relation's own verbs ("Mateo was born in", "the lamp
        /// costs"); a bare "is" or "was" states any relation, so it does not count.
        func states(_ relation: EnglishWords.Relation) -> Bool {
            relation.verbs.contains { verb in
                !(verb.count == 1 && EnglishWords.beForms.contains(verb[0])) && ordered.count >= verb.count
                    && Array(ordered.suffix(verb.count)) == verb
            }
        }
    }

    /// Tokens of a continuation searched for a word of what was asked, around its span.
    static let corroborationWindow = 12

    /// The first tokens of a continuation outside its span, lower-cased.
    static func wordsAround(_ span: AnswerSpan, in continuation: ReadResult) -> [String] {
        continuation.tokens.prefix(corroborationWindow).enumerated().filter { !span.tokens.contains($0.offset) }.map {
            $0.element.text.lowercased()
        }
    }
}

extension Answer {
    /// The answer to a question with nothing to read.
    static func nothing(_ type: AnswerType, probesRead: Int = 0) -> Answer {
        Answer(
            answer: "", continuation: "", confidence: 0, abstained: true, answerType: type, probe: nil, tokens: [], memoriesRead: [],
            probesRead: probesRead, items: nil)
    }
}
