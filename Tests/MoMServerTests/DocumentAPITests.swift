import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMBench
import MoMCore
import MoMServer
import MoMStore
import Testing

@Suite("HTTP API, in process")
struct DocumentAPITests {
    @Test("healthz answers ok")
    func health() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(try decode([String: String].self, response) == ["status": "ok"])
        }
    }

    @Test("ingest then ask returns the pass key, and the report matches an embedded fold bit for bit")
    func ingestAndAsk() async throws {
        let daemon = try TestDaemon()
        let text = passkeyText()
        try await daemon.test { client in
            let ingest = try await client.execute(uri: "/v1/docs/notes/ingest", method: .post, body: ByteBuffer(string: text)) {
                try decode(IngestResponse.self, $0)
            }
            #expect(ingest.committedOffset == UInt64(text.utf8.count))
            #expect(ingest.foldedBytes == UInt64(text.utf8.count))
            #expect(ingest.tokens > 3900)

            let answer = try await client.execute(
                uri: "/v1/docs/notes/ask", method: .post, body: try json(AskRequest(question: Passkey.question))
            ) { try decode(AskResponse.self, $0) }
            #expect(Passkey.firstDigits(answer.answer) == "68048")
            #expect(answer.tokens.count >= 5)
            #expect(answer.tokens.allSatisfy { $0.confidence > 0.3 })
            #expect(!answer.memoriesRead.isEmpty)
            #expect(answer.stateTokens == ingest.tokens)

            var embedded = try MoMState()
            embedded.fold(text)
            let report = try await client.execute(uri: "/v1/docs/notes", method: .get) { try decode(DocumentReport.self, $0) }
            #expect(report.digest == embedded.digest)
            #expect(report.tokens == embedded.tokenCount)
            #expect(report.bytes == UInt64(text.utf8.count))

            let list = try await client.execute(uri: "/v1/docs", method: .get) { try decode(DocumentListResponse.self, $0) }
            #expect(list.documents.map(\.name) == ["notes"])
        }
    }

    @Test("the daemon snapshots a document as its policy asks while ingest goes on, not only at eviction")
    func snapshotsFollowThePolicy() async throws {
        let daemon = try TestDaemon(policy: SnapshotPolicy(everyTokens: 1000, everySeconds: 3600, retained: 2))
        let text = Array(passkeyText(tokens: 4000).utf8)
        try await daemon.test { client in
            var offset = 0
            while offset < text.count {
                let end = min(text.count, offset + 2000)
                let response = try await client.execute(
                    uri: "/v1/docs/notes/ingest?offset=\(offset)", method: .post, body: ByteBuffer(bytes: text[offset..<end])
                ) { try decode(IngestResponse.self, $0) }
                #expect(response.committedOffset == UInt64(end))
                offset = end
            }
        }
        // Still hot, never evicted or closed: the snapshots were written on the way.
        let snapshots = try daemon.store.snapshots(of: "notes")
        #expect(snapshots.count == 2)
        #expect(snapshots.allSatisfy { $0.tokenCount >= 1000 })
        let document = try daemon.store.document(named: "notes")
        #expect(document.journalBytes < document.snapshotBytes)
        #expect(try daemon.store.loadState(of: "notes").replayedBytes < UInt64(text.count / 2))
    }

    @Test("an ingest split into retried chunks with offsets folds every byte exactly once")
    func idempotentOffsets() async throws {
        let daemon = try TestDaemon()
        let text = Array(passkeyText(tokens: 1500).utf8)
        let first = Array(text[..<3000])
        let second = Array(text[2000...])  // overlaps the first by 1000 bytes, as a retry would
        try await daemon.test { client in
            for _ in 0..<2 {  // the same chunk twice: the retry folds nothing
                let response = try await client.execute(
                    uri: "/v1/docs/log/ingest?offset=0", method: .post, body: ByteBuffer(bytes: first)
                ) { try decode(IngestResponse.self, $0) }
                #expect(response.committedOffset == 3000)
            }
            let response = try await client.execute(
                uri: "/v1/docs/log/ingest?offset=2000", method: .post, body: ByteBuffer(bytes: second)
            ) { try decode(IngestResponse.self, $0) }
            #expect(response.committedOffset == UInt64(text.count))
            #expect(response.foldedBytes == UInt64(text.count - 3000))

            try await client.execute(uri: "/v1/docs/log/ingest?offset=999999", method: .post, body: ByteBuffer(string: "x")) {
                try expectError($0, .conflict, "offset_mismatch")
            }
            var embedded = try MoMState()
            embedded.fold(text)
            let report = try await client.execute(uri: "/v1/docs/log", method: .get) { try decode(DocumentReport.self, $0) }
            #expect(report.digest == embedded.digest)
        }
    }

    @Test("bad input gets a 4xx with a JSON error naming what was wrong")
    func badInput() async throws {
        let daemon = try TestDaemon(limits: RequestLimits(maxIngestBytes: 10_000, maxAskBytes: 1024))
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/bad%20name/ingest", method: .post, body: ByteBuffer(string: "x")) {
                try expectError($0, .badRequest, "invalid_document_name")
            }
            try await client.execute(uri: "/v1/docs/nobody/ask", method: .post, body: try json(AskRequest(question: "hello"))) {
                try expectError($0, .notFound, "unknown_document")
            }
            try await client.execute(uri: "/v1/docs/nobody", method: .get) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/docs/doc/ingest", method: .post, body: ByteBuffer(string: "The sky is blue. ")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/docs/doc/ask", method: .post, body: try json(AskRequest(question: "   "))) {
                try expectError($0, .badRequest, "invalid_question")
            }
            try await client.execute(uri: "/v1/docs/doc/ask", method: .post, body: ByteBuffer(string: "{not json")) {
                try expectError($0, .badRequest, "bad_request")
            }
            // A field given as null is refused, naming it, not read as its default.
            for field in ["abstain_below", "min_confidence", "max_tokens", "at", "evidence"] {
                let body = ByteBuffer(string: #"{"question": "Is the sky blue?", "\#(field)": null}"#)
                try await client.execute(uri: "/v1/docs/doc/ask", method: .post, body: body) { response in
                    try expectError(response, .badRequest, "bad_request")
                    #expect(String(buffer: response.body).contains("\(field) must be a number, not null"))
                }
            }
            let long = String(repeating: "word ", count: 400)
            try await client.execute(uri: "/v1/docs/doc/ask", method: .post, body: try json(AskRequest(question: long))) {
                #expect($0.status == .contentTooLarge)
            }
            // An oversized ingest commits what fits, says so, and the daemon stays up.
            let big = String(repeating: "alpha beta ", count: 2000)
            try await client.execute(uri: "/v1/docs/big/ingest", method: .post, body: ByteBuffer(string: big)) {
                try expectError($0, .contentTooLarge, "request_too_large")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("invalid UTF-8 is folded as U+FFFD, not refused")
    func invalidUTF8() async throws {
        let daemon = try TestDaemon()
        let bytes: [UInt8] = Array("The code is ".utf8) + [0xFF, 0xFE, 0xC3] + Array(" 42. The code is 42.\n".utf8)
        try await daemon.test { client in
            let response = try await client.execute(uri: "/v1/docs/bin/ingest", method: .post, body: ByteBuffer(bytes: bytes)) {
                try decode(IngestResponse.self, $0)
            }
            #expect(response.committedOffset == UInt64(bytes.count))
            var embedded = try MoMState()
            embedded.fold(bytes)
            #expect(response.tokens == embedded.tokenCount)
            #expect(embedded.vocabulary.count > 0)
        }
    }

    @Test("delete removes a document; its name is free again")
    func delete() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/gone/ingest", method: .post, body: ByteBuffer(string: "some words here. ")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/docs/gone", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/docs/gone", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/docs/gone", method: .delete) { #expect($0.status == .notFound) }
            let list = try await client.execute(uri: "/v1/docs", method: .get) { try decode(DocumentListResponse.self, $0) }
            #expect(list.documents.isEmpty)
        }
    }

    @Test("PUT creates a document with a configuration; the same one again is a no-op, another is refused")
    func createWithConfiguration() async throws {
        let daemon = try TestDaemon()
        var small = MoMConfiguration.default
        small.memories = 4
        small.dk = 256
        var other = small
        other.seed &+= 1
        var invalid = small
        invalid.topK = 9
        // Valid, but 32 MiB of memories: over the daemon's 16 MiB.
        var huge = MoMConfiguration.default
        huge.memories = 128
        try await daemon.test { [small, other, invalid, huge] client in
            try await client.execute(uri: "/v1/docs/small", method: .put, body: try json(small)) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/docs/small", method: .put, body: try json(small)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/docs/small", method: .put, body: try json(other)) {
                try expectError($0, .conflict, "configuration_mismatch")
            }
            // Each field in range, but top_k above memories: well-formed, so 422.
            try await client.execute(uri: "/v1/docs/bad", method: .put, body: try json(invalid)) {
                try expectError($0, .unprocessableContent, "invalid_configuration")
            }
            try await client.execute(uri: "/v1/docs/huge", method: .put, body: try json(huge)) {
                try expectError($0, .unprocessableContent, "state_too_large")
                let message = String(buffer: $0.body)
                #expect(message.contains("32 MiB") && message.contains("at most 16 MiB"), "\(message)")
            }
            try await client.execute(uri: "/v1/docs/bad", method: .put, body: ByteBuffer(string: "{}")) {
                try expectError($0, .badRequest, "bad_request")
            }
            try await client.execute(uri: "/v1/docs/small/ingest", method: .post, body: ByteBuffer(string: "The pass key is 31337. ")) {
                #expect($0.status == .ok)
            }
        }
        #expect(try daemon.store.document(named: "small").configuration == small)
        #expect(try daemon.store.documents().map(\.name) == ["small"])
    }

    @Test("routing history comes back per chunk, and metrics count what happened")
    func routingAndMetrics() async throws {
        let daemon = try TestDaemon()
        let text = passkeyText(tokens: 9000)
        try await daemon.test { client in
            let ingested = try await client.execute(uri: "/v1/docs/r/ingest", method: .post, body: ByteBuffer(string: text)) {
                try decode(IngestResponse.self, $0)
            }
            #expect(ingested.tokens > 9000)
            let routing = try await client.execute(uri: "/v1/docs/r/routing", method: .get) { try decode(RoutingResponse.self, $0) }
            #expect(routing.chunkTokens == MoMConfiguration.default.routingChunkTokens)
            #expect(routing.chunks.count == 2)  // 9000 tokens: two full chunks of 4096
            #expect(routing.chunks.map(\.index) == [0, 1])
            #expect(routing.chunks[1].counts.reduce(0, +) == 4096)
            try await client.execute(uri: "/v1/docs/r/ask", method: .post, body: try json(AskRequest(question: Passkey.question))) {
                #expect($0.status == .ok)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("momd_asks_total 1"))
            #expect(metrics.contains("momd_documents 1"))
            #expect(metrics.contains("momd_bytes_folded_total \(text.utf8.count)"))
            #expect(metrics.contains("momd_tokens_folded_total \(ingested.tokens)"), "\(metrics)")
            #expect(metrics.contains("momd_ask_duration_seconds_count 1"))
            #expect(metrics.contains("momd_snapshot_duration_seconds"))
        }
    }

    @Test("concurrent requests for cold documents keep the hot set within its bound, and every document intact")
    func concurrentEviction() async throws {
        let daemon = try TestDaemon(hotDocuments: 3)
        let count = 10
        try await daemon.test { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let text = Passkey.haystack(tokens: 300, depth: 0.5, key: "\(20_000 + index)")
                        try await client.execute(uri: "/v1/docs/c\(index)/ingest", method: .post, body: ByteBuffer(string: text)) {
                            #expect($0.status == .ok)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await daemon.registry.hotCount <= 3)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let answer = try await client.execute(
                            uri: "/v1/docs/c\(index)/ask", method: .post, body: try json(AskRequest(question: Passkey.question))
                        ) { try decode(AskResponse.self, $0) }
                        #expect(Passkey.firstDigits(answer.answer) == "\(20_000 + index)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(await daemon.registry.hotCount <= 3)
        }
        #expect(try daemon.store.documents().count == count)
    }

    @Test("with more documents than hot slots, cold ones are snapshotted, evicted and reloaded intact")
    func eviction() async throws {
        let daemon = try TestDaemon(hotDocuments: 2)
        let names = (0..<5).map { "doc\($0)" }
        try await daemon.test { client in
            for (index, name) in names.enumerated() {
                let text = Passkey.haystack(tokens: 600, depth: 0.5, key: "1234\(index)")
                try await client.execute(uri: "/v1/docs/\(name)/ingest", method: .post, body: ByteBuffer(string: text)) {
                    #expect($0.status == .ok)
                }
            }
            #expect(await daemon.registry.hotCount <= 2)
            for (index, name) in names.enumerated() {
                let answer = try await client.execute(
                    uri: "/v1/docs/\(name)/ask", method: .post, body: try json(AskRequest(question: Passkey.question))
                ) { try decode(AskResponse.self, $0) }
                #expect(Passkey.firstDigits(answer.answer) == "1234\(index)")
            }
            #expect(await daemon.registry.hotCount <= 2)
            // Evicted documents were snapshotted on the way out.
            let snapshots = try daemon.store.documents().map(\.snapshotCount)
            #expect(snapshots.filter { $0 > 0 }.count >= 3)
        }
    }
}
