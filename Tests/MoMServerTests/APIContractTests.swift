import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMCore
import MoMServer
import MoMStore
import Testing

/// What schemas/openapi.yaml promises beyond the routes: refused binary, strict parameters,
/// 405 for undeclared methods, 400 for a missing body.
@Suite("HTTP API contract, in process")
struct APIContractTests {
    /// The first 64 KiB of an executable.
    static let ls: [UInt8] = {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: "/bin/ls"))) ?? Data()
        return Array(data.prefix(1 << 16))
    }()

    @Test("binary data is refused with 422 after the text before it is committed; allow_binary=true folds it")
    func binaryIngest() async throws {
        let daemon = try TestDaemon()
        let text = Array("The pass key is 55555. Remember it.\n".utf8)
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/b/ingest", method: .post, body: ByteBuffer(bytes: text)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/docs/b/ingest", method: .post, body: ByteBuffer(bytes: Self.ls)) { response in
                try expectError(response, .unprocessableContent, "binary_data")
                let body = try JSONDecoder().decode(APIError.Body.self, from: Data(buffer: response.body))
                #expect(body.error.message.hasPrefix("'b': binary data from byte \(text.count) (a NUL byte at "))
            }
            // A line of text and then the binary in one request: the line is kept.
            let line = Array("one more line\n".utf8)
            try await client.execute(uri: "/v1/docs/b/ingest", method: .post, body: ByteBuffer(bytes: line + Self.ls)) {
                try expectError($0, .unprocessableContent, "binary_data")
            }
            let report = try await client.execute(uri: "/v1/docs/b", method: .get) { try decode(DocumentReport.self, $0) }
            #expect(report.bytes == UInt64(text.count + line.count))
            var embedded = try MoMState()
            embedded.fold(text + line)
            #expect(report.digest == embedded.digest)

            let folded = try await client.execute(
                uri: "/v1/docs/b/ingest?allow_binary=true", method: .post, body: ByteBuffer(bytes: Self.ls)
            ) { try decode(IngestResponse.self, $0) }
            #expect(folded.foldedBytes == UInt64(Self.ls.count))
            try await client.execute(uri: "/v1/docs/b/ingest?allow_binary=yes", method: .post, body: ByteBuffer(string: "x")) {
                try expectError($0, .badRequest, "bad_request")
            }
        }
    }

    @Test("valid UTF-8 in any script is folded through the daemon")
    func multilingualIngest() async throws {
        let daemon = try TestDaemon()
        let sample = try String(contentsOf: packageRoot.appendingPathComponent("fixtures/text/multilingual.txt"), encoding: .utf8)
        let text = Array(String(repeating: sample, count: 30).utf8)
        try await daemon.test { client in
            let response = try await client.execute(uri: "/v1/docs/m/ingest", method: .post, body: ByteBuffer(bytes: text)) {
                try decode(IngestResponse.self, $0)
            }
            #expect(response.committedOffset == UInt64(text.count))
        }
    }

    @Test("query parameters out of the spec's range or malformed are 400, not clamped or ignored")
    func strictQueryParameters() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/q/ingest", method: .post, body: ByteBuffer(string: "some words. ")) {
                #expect($0.status == .ok)
            }
            for uri in [
                "/v1/docs/q/routing?limit=100001", "/v1/docs/q/routing?limit=-1", "/v1/docs/q/routing?from=x",
                "/v1/docs/q?at=9223372036854775808", "/v1/docs/q?at=-5",
            ] {
                try await client.execute(uri: uri, method: .get) { try expectError($0, .badRequest, "bad_request") }
            }
            try await client.execute(uri: "/v1/docs/q/ingest?offset=abc", method: .post, body: ByteBuffer(string: "x")) {
                try expectError($0, .badRequest, "bad_request")
            }
            try await client.execute(uri: "/v1/docs/q/routing?limit=100000", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/docs/q?at=9223372036854775807", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("an undeclared method on a served path is 405 with the methods it takes in Allow")
    func methodNotAllowed() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            for (uri, method, allow) in [
                ("/v1/docs/x", HTTPRequest.Method("TRACE")!, "GET, PUT, DELETE"), ("/v1/docs/x/ask", .get, "POST"),
                ("/healthz", .post, "GET"), ("/v1/docs", .patch, "GET"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    try expectError(response, .methodNotAllowed, "method_not_allowed")
                    #expect(response.headers[.allow] == allow)
                }
            }
        }
    }

    @Test("an ingest with no body at all is 400; an empty octet-stream body creates the document")
    func missingBody() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/e/ingest", method: .post) { try expectError($0, .badRequest, "missing_body") }
            try await client.execute(uri: "/v1/docs/e", method: .get) { try expectError($0, .notFound, "unknown_document") }
            try await client.execute(
                uri: "/v1/docs/e/ingest", method: .post, headers: [.contentType: "application/octet-stream"], body: ByteBuffer()
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/docs/e", method: .get) { #expect($0.status == .ok) }
        }
    }
}
