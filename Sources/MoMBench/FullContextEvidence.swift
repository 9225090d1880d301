import Foundation
import GRDB
import MoMAsk
import MoMCore

/// The full-context baseline with its sentences searchable: SQLite's FTS5 (BM25) finds the
/// sentences a question's words point to, over the text the baseline keeps verbatim, and the
/// same question layer reads them. What the state loses against this is what compression costs.
public struct FullContextEvidence: RecallSystem, Sendable {
    public let baseline: FullContextBaseline
    /// The document's sentences (cut as the topic memory cuts them), with the token each began at.
    public let sentences: [(text: String, token: UInt64)]
    /// Sentences holding each stem.
    let frequencies: [String: Int]
    let index: DatabaseQueue

    public init(_ baseline: FullContextBaseline) throws {
        self.baseline = baseline
        sentences = baseline.sentences()
        var frequencies: [String: Int] = [:]
        for sentence in sentences {
            for stem in EvidenceText.stems(sentence.text) {
                frequencies[stem, default: 0] += 1
            }
        }
        self.frequencies = frequencies
        index = try DatabaseQueue()
        let sentences = self.sentences
        try index.write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE sentence USING fts5(text, tokenize = 'porter unicode61')")
            for (number, sentence) in sentences.enumerated() {
                try db.execute(sql: "INSERT INTO sentence(rowid, text) VALUES (?, ?)", arguments: [number, sentence.text])
            }
        }
    }

    public var tokenCount: UInt64 { baseline.tokenCount }
    /// Bytes the baseline keeps, plus the text its search reads.
    public var stateBytes: Int { baseline.stateBytes + sentences.reduce(0) { $0 + $1.text.utf8.count } }

    public func read(cue: String, options: ReadOptions) throws -> ReadResult { try baseline.read(cue: cue, options: options) }

    public func read(continuing result: ReadResult, cue: String, options: ReadOptions) throws -> ReadResult {
        baseline.read(continuing: result, cue: cue, options: options)
    }

    public func evidenceScale(of cue: String) throws -> Float { try baseline.evidenceScale(of: cue) }

    /// The same IDF as the topic memory's, from exact counts.
    public func evidenceWeights(of words: [String]) -> [Float] {
        let total = Double(sentences.count) + 1
        return words.map { word in
            guard let count = frequencies[TopicTerms.stem(word)], count > 0 else { return Float(log(total / 1.5)) / 2 }
            return Float(log(total / (Double(count) + 0.5)))
        }
    }

    public func mentions(_ word: String) -> Bool { frequencies[TopicTerms.stem(word.lowercased())] != nil }

    /// BM25's best sentences for the query's words (any of them).
    public func recall(_ query: EvidenceQuery, limit: Int) throws -> [Passage] {
        let terms = zip(query.words, query.weights).filter { $0.1 > 0 && frequencies[TopicTerms.stem($0.0)] != nil }.map { word, _ in
            "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        guard !terms.isEmpty else { return [] }
        let match = terms.joined(separator: " OR ")
        let rows = try index.read { db in
            try Row.fetchAll(
                db, sql: "SELECT rowid, bm25(sentence) AS rank FROM sentence WHERE sentence MATCH ? ORDER BY rank, rowid LIMIT ?",
                arguments: [match, limit])
        }
        return rows.map { row in
            let number: Int = row["rowid"]
            let rank: Double = row["rank"]
            return Passage(
                text: sentences[number].text, sentence: number, token: sentences[number].token, score: Float(-rank), sureness: 1)
        }
    }
}

extension FullContextBaseline {
    /// The text the baseline keeps, cut into sentences as the topic memory cuts them: after
    /// ". ! ?" where whitespace follows, and every `TopicMemory.maxSentenceTokens` tokens.
    public func sentences() -> [(text: String, token: UInt64)] {
        var sentences: [(text: String, token: UInt64)] = []
        var text = ""
        var start: UInt64 = 0
        var length = 0
        var endPending = false
        for (position, entry) in cache.tokens.enumerated() {
            let surface = cache.vocabulary.surface(Int(entry))
            let space = cache.vocabulary.hasLeadingSpace(Int(entry))
            let begins = TopicMemory.beginsSentence(afterEnd: endPending, leadingSpace: space, length: UInt16(min(length, Int(UInt16.max))))
            endPending = false
            if begins && length > 0 {
                sentences.append((text, start))
                text = ""
                length = 0
            }
            if length == 0 { start = UInt64(position) }
            if space && !text.isEmpty { text += " " }
            text += surface
            length += 1
            endPending = TopicMemory.endsSentence(surface.utf8)
        }
        if length > 0 { sentences.append((text, start)) }
        return sentences
    }
}
