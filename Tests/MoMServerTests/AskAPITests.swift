import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMServer
import Testing

/// `POST /v1/docs/{doc}/ask` takes questions: the span that answers, the probe that matched, and an
/// abstention (200, `abstained: true`, no answer) when nothing in the state answers.
@Suite struct AskAPITests {
    static let facts = """
        The rain came down on the roofs of the town all through the night. Maria was born in Lisbon in 1984. \
        A dog barked somewhere beyond the hill while the lamps went out one by one. The garage door code is 4711. \
        Everyone agreed that the winter had been long and the spring was late.

        """

    @Test func questionsAnswerWithTheSpanOrAbstain() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/facts/ingest", method: .post, body: ByteBuffer(string: Self.facts)) {
                #expect($0.status == .ok)
            }
            let born = try await client.execute(
                uri: "/v1/docs/facts/ask", method: .post, body: try json(AskRequest(question: "Where was Maria born?"))
            ) { try decode(AskResponse.self, $0) }
            #expect(born.answer == "Lisbon")
            #expect(born.continuation.hasPrefix("Lisbon in 1984"))
            #expect(born.answerType == "place")
            #expect(born.probe?.cue == "Maria was born in")
            #expect(!born.abstained && born.confidence > 0.9)
            #expect(born.latencyMs > 0)

            let code = try await client.execute(
                uri: "/v1/docs/facts/ask", method: .post, body: try json(AskRequest(question: "What is the code for the garage door?"))
            ) { try decode(AskResponse.self, $0) }
            #expect(code.answer == "4711")

            try await client.execute(
                uri: "/v1/docs/facts/ask", method: .post, body: try json(AskRequest(question: "What is the password for the bank account?"))
            ) { response in
                #expect(response.status == .ok)
                let unknown = try decode(AskResponse.self, response)
                #expect(unknown.abstained)
                #expect(unknown.answer.isEmpty)
                let body = String(buffer: response.body)
                #expect(body.contains("\"abstained\":true"))
                #expect(body.contains("\"latency_ms\":"))
            }

            let punctuation = try await client.execute(
                uri: "/v1/docs/facts/ask", method: .post, body: try json(AskRequest(question: "?!"))
            ) { try decode(AskResponse.self, $0) }
            #expect(punctuation.abstained && punctuation.probesRead == 0)
        }
    }

    /// The answer's wire names come from its own encoding, so the daemon's encoder without key
    /// conversion writes byte for byte what the snake-case encoder writes, and clients decode it.
    @Test func answersEncodeTheSameWithoutKeyConversion() throws {
        let wire = Data("""
            {"abstained":false,"answer":"Lisbon, 4711","answer_type":"place","confidence":0.75,"continuation":"in Lisbon in 1984",\
            "document":"facts","items":[{"abstained":false,"answer":"Lisbon","confidence":1,"item":"Maria"},\
            {"abstained":true,"answer":"","confidence":0.25,"item":"the door"}],"latency_ms":1.5,"memories_read":[1,3],\
            "probe":{"cue":". Maria was born","item":"Maria","rewrite":"declarative"},"probes_read":72,\
            "question":"Where was Maria born?","state_tokens":16430,\
            "tokens":[{"confidence":1,"memories":[11],"strength":1.0752907,"text":"in"}]}
            """.utf8)
        let response = try JSONCoding.decoder.decode(AskResponse.self, from: wire)
        #expect(response.answerType == "place" && response.probesRead == 72 && response.latencyMs == 1.5)
        #expect(response.items?.count == 2 && response.probe?.item == "Maria")
        let plain = try JSONCoding.wireKeyEncoder.encode(response)
        #expect(plain == (try JSONCoding.encoder.encode(response)))
        #expect(String(decoding: plain, as: UTF8.self) == String(decoding: wire, as: UTF8.self))
        #expect(try JSONCoding.decoder.decode(AskResponse.self, from: plain) == response)
        var bare = response
        bare.items = nil
        bare.probe = nil
        let encoded = try JSONCoding.wireKeyEncoder.encode(bare)
        #expect(encoded == (try JSONCoding.encoder.encode(bare)))
        #expect(!String(decoding: encoded, as: UTF8.self).contains("\"items\""))
    }
}
