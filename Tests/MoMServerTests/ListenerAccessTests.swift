import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import MoMAPI
import MoMCore
import MoMStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import MoMServer

/// Keys of the file every keyed daemon below takes.
enum TestKeys {
    static let write = "write-0123456789abcdef"
    static let read = "read-0123456789abcdef"
    /// As long as the write key, one byte off: refused like any other.
    static let nearlyWrite = "write-0123456789abcdeg"
    static let file = """
        # the operator's keys
        write \(write)

        read \(read)
        """

    static var keys: APIKeys { get throws { try APIKeys(parsing: file, source: "keys") } }
}

@Suite("API keys: the key file and the comparison")
struct APIKeysTests {
    @Test("one key a line with its role; comments, blank lines and CRLF skipped; the first write key forwards")
    func parsesAFile() throws {
        let keys = try APIKeys(parsing: "# keys\r\nread aaaaaaaaaaaaaaaa\r\n\r\n  write bbbbbbbbbbbbbbbb  \nwrite cccccccccccccccc\n", source: "k")
        #expect(keys.count == 3)
        #expect(keys.forwardingKey == "bbbbbbbbbbbbbbbb")
        #expect(keys.access(of: Array("aaaaaaaaaaaaaaaa".utf8)) == .read)
        #expect(keys.access(of: Array("cccccccccccccccc".utf8)) == .write)
        #expect(keys.access(of: Array("cccccccccccccccd".utf8)) == nil)
        #expect(keys.access(of: Array("cccccccccccccccc0".utf8)) == nil)
        #expect(keys.access(of: Array("cccccccc".utf8)) == nil)
        #expect(keys.access(of: [UInt8]()) == nil)
        #expect(try APIKeys(parsing: "read aaaaaaaaaaaaaaaa", source: "k").forwardingKey == nil)
    }

    @Test(
        "a malformed line refuses the file, naming the line and never quoting it",
        arguments: [
            ("write", "keys:2: expected `read KEY` or `write KEY`"),
            ("s3cr3t-s3cr3t-s3cr3t", "keys:2: expected `read KEY` or `write KEY`"),
            ("admin s3cr3t-s3cr3t-s3cr3t", "keys:2: expected `read KEY` or `write KEY`"),
            ("write s3cr3t s3cr3t", "keys:2: expected `read KEY` or `write KEY`"),
            ("write s3cr3t", "keys:2: the key is shorter than 16 characters"),
            ("write s3cr3t-s3cr3t-\"s3cr3t\"", "keys:2: a key may hold letters, digits and - . _ ~ + / = only"),
            ("read aaaaaaaaaaaaaaaa", "keys:2: the key on line 1 again"),
        ])
    func refusesAMalformedLine(line: String, message: String) throws {
        let error = try #require(throws: APIKeysError.self) { try APIKeys(parsing: "write aaaaaaaaaaaaaaaa\n\(line)\n", source: "keys") }
        #expect(error.description.hasPrefix(message), "\(error)")
        #expect(!error.description.contains("s3cr3t") && !error.description.contains("aaaa"), "\(error)")
    }

    @Test("a file without keys is refused")
    func refusesAnEmptyFile() throws {
        let error = try #require(throws: APIKeysError.self) { try APIKeys(parsing: "# nothing yet\n\n", source: "keys") }
        #expect(error.description == "keys holds no keys: write one a line, as `read KEY` or `write KEY`")
    }

    @Test("the comparison is exact: length, every byte")
    func comparesExactly() {
        let key = Array("0123456789abcdef".utf8)
        #expect(APIKeys.constantTimeEqual(key, key))
        #expect(!APIKeys.constantTimeEqual(Array("0123456789abcdef0123456789abcdef".utf8), key))
        #expect(!APIKeys.constantTimeEqual(Array("0123456789abcde".utf8), key))
        #expect(!APIKeys.constantTimeEqual(Array("1123456789abcdef".utf8), key))
        #expect(!APIKeys.constantTimeEqual([], key))
        #expect(!APIKeys.constantTimeEqual(key, []))
    }

    @Test(
        "Host and Origin parse to a bare lowercase host, or to nothing when malformed",
        arguments: [
            ("127.0.0.1:7411", "127.0.0.1"), ("LocalHost", "localhost"), ("[::1]:7411", "::1"), ("[::1]", "::1"),
            ("momd.internal:1", "momd.internal"), ("::1:7411", nil), ("localhost:", nil), ("localhost:+80", nil),
            ("localhost:70000", nil), ("localhost:80:80", nil), ("[::1", nil), ("[::1]x", nil), ("", nil), (":7411", nil),
        ] as [(String, String?)])
    func parsesAuthorities(authority: String, host: String?) {
        #expect(ListenerAccess.host(ofAuthority: authority) == host)
    }

    @Test func parsesOrigins() {
        #expect(ListenerAccess.host(ofOrigin: "http://localhost:3000") == "localhost")
        #expect(ListenerAccess.host(ofOrigin: "https://[::1]") == "::1")
        #expect(ListenerAccess.host(ofOrigin: "HTTP://Attacker.Example") == "attacker.example")
        #expect(ListenerAccess.host(ofOrigin: "null") == nil)
        #expect(ListenerAccess.host(ofOrigin: "file://") == nil)
        #expect(ListenerAccess.host(ofOrigin: "chrome-extension://abc") == nil)
    }

    @Test func parsesBearerCredentials() {
        #expect(ListenerAccess.bearerToken("Bearer abc") == "abc")
        #expect(ListenerAccess.bearerToken("bearer  abc") == "abc")
        #expect(ListenerAccess.bearerToken("Basic abc") == nil)
        #expect(ListenerAccess.bearerToken("Bearer") == nil)
        #expect(ListenerAccess.bearerToken("Bearer ") == nil)
    }

    @Test func validatesAllowedHostNames() throws {
        for name in ["momd.internal", "10.0.0.11", "[fd00::1]", "fd00::1", "MOMD-1.example"] {
            try ListenerAccess.validateHostName(name)
        }
        for name in ["http://momd.internal", "momd.internal:7411", "", "momd internal", "a/b"] {
            #expect(throws: ServerAddressError.self) { try ListenerAccess.validateHostName(name) }
        }
    }
}

@Suite("A TCP listener lets no one in: Host, Origin and API keys before every route")
struct ListenerAccessTests {
    /// The routes that change documents; every other route of the spec must only read (a test
    /// below holds the spec to these two lists, so a new route has to be placed in one).
    static let writeRoutes: Set<String> = ["PUT /v1/docs/{doc}", "DELETE /v1/docs/{doc}", "POST /v1/docs/{doc}/ingest"]
    static let readRoutes: Set<String> = [
        "GET /healthz", "GET /metrics", "GET /v1/docs", "GET /v1/docs/{doc}", "GET /v1/docs/{doc}/routing", "POST /v1/docs/{doc}/ask",
    ]

    @Test("every route of the spec is a read or a write here")
    func everyRouteIsPlaced() throws {
        #expect(Set(try OpenAPISpecTests.specifiedRoutes()) == Self.writeRoutes.union(Self.readRoutes))
    }

    @Test("every route, with a foreign Host, no key, a wrong key, a read key on a write, or a foreign Origin on a write: refused, and nothing changes")
    func everyRouteRefusesStrangers() async throws {
        let routes = try OpenAPISpecTests.specifiedRoutes()
        try await TCPTestDaemon.run(keys: try TestKeys.keys) { daemon in
            _ = try await daemon.send(.PUT, "/v1/docs/notes", key: TestKeys.write, body: try json(MoMConfiguration.default))
            let ingest = try await daemon.send(.POST, "/v1/docs/notes/ingest", key: TestKeys.write, body: "The door code is 4711. ")
            try #require(ingest.status == 200, "\(ingest.body)")
            let before = try await daemon.state()

            for route in routes {
                let isHealth = route == "GET /healthz"
                let isWrite = Self.writeRoutes.contains(route)
                let foreignHost = try await daemon.send(route, key: TestKeys.write, host: "attacker.example:\(daemon.port)")
                try expectRefusal(foreignHost, 421, "misdirected_request", route)
                #expect(try await daemon.state() == before, "\(route) with a foreign Host changed something")

                for (key, why) in [(nil, "no key"), (TestKeys.nearlyWrite, "a wrong key"), (String(TestKeys.write.dropLast()), "a key's prefix")] {
                    let response = try await daemon.send(route, key: key)
                    if isHealth {
                        #expect(response.status == 200, "GET /healthz takes no key")
                    } else {
                        try expectRefusal(response, 401, "unauthorized", "\(route) with \(why)")
                        #expect(response.headers.first(name: "WWW-Authenticate") == #"Bearer realm="momd""#)
                    }
                    #expect(try await daemon.state() == before, "\(route) with \(why) changed something")
                }

                let readKey = try await daemon.send(route, key: TestKeys.read)
                if isWrite {
                    try expectRefusal(readKey, 403, "read_only_key", "\(route) with a read key")
                } else {
                    #expect((200..<300).contains(readKey.status), "\(route) with a read key answered \(readKey.status): \(readKey.body)")
                }
                #expect(try await daemon.state() == before, "\(route) with a read key changed something")

                let foreignOrigin = try await daemon.send(route, key: TestKeys.write, origin: "http://attacker.example")
                if route.hasPrefix("GET ") {
                    #expect(foreignOrigin.status == 200, "a GET from a foreign page is answered (without CORS headers, it cannot read it)")
                    #expect(foreignOrigin.headers.first(name: "Access-Control-Allow-Origin") == nil)
                } else {
                    try expectRefusal(foreignOrigin, 403, "cross_origin", "\(route) from a foreign Origin")
                }
                #expect(try await daemon.state() == before, "\(route) from a foreign Origin changed something")
            }

            // The same requests with the write key do what they say: the refusals above were the checks'.
            let more = try await daemon.send(.POST, "/v1/docs/notes/ingest", key: TestKeys.write, body: "More words. ")
            try #require(more.status == 200, "\(more.body)")
            #expect(try await daemon.state() != before)
            let sameOrigin = try await daemon.send(
                .DELETE, "/v1/docs/notes", key: TestKeys.write, origin: "http://localhost:\(daemon.port)")
            #expect(sameOrigin.status == 204)
        }
    }

    @Test("DNS rebinding: a page at attacker.example that resolves to 127.0.0.1 can neither ask nor delete, with no keys set")
    func dnsRebindingIsRefused() async throws {
        try await TCPTestDaemon.run(keys: nil) { daemon in
            let ingest = try await daemon.send(.POST, "/v1/docs/notes/ingest", body: "The door code is 4711. ")
            try #require(ingest.status == 200, "\(ingest.body)")
            let before = try await daemon.state()
            let rebound = "attacker.example:\(daemon.port)"
            let ask = try await daemon.send(
                .POST, "/v1/docs/notes/ask", host: rebound, origin: "http://attacker.example:\(daemon.port)",
                body: #"{"question": "What is the door code?"}"#, contentType: "text/plain")
            try expectRefusal(ask, 421, "misdirected_request", "the rebound ask")
            #expect(!ask.body.contains("4711"))
            let delete = try await daemon.send(.DELETE, "/v1/docs/notes", host: rebound, origin: "http://attacker.example:\(daemon.port)")
            try expectRefusal(delete, 421, "misdirected_request", "the rebound delete")
            let read = try await daemon.send(.GET, "/v1/docs/notes", host: rebound)
            try expectRefusal(read, 421, "misdirected_request", "the rebound read")
            // The page's own request to 127.0.0.1 (no rebinding, a form's POST): its Origin gives it away.
            let crossSite = try await daemon.send(.DELETE, "/v1/docs/notes", origin: "http://attacker.example")
            try expectRefusal(crossSite, 403, "cross_origin", "the cross-site delete")
            let crossSiteAsk = try await daemon.send(
                .POST, "/v1/docs/notes/ask", origin: "null", body: #"{"question": "What is the door code?"}"#, contentType: "text/plain")
            try expectRefusal(crossSiteAsk, 403, "cross_origin", "the cross-site ask")
            #expect(try await daemon.state() == before)
            let still = try await daemon.send(.GET, "/v1/docs/notes")
            #expect(still.status == 200, "the document is still there")
        }
    }

    @Test("Host: the listen address, the loopback names in any case and port, and --allowed-host names are served; two Hosts are not")
    func allowedHosts() async throws {
        try await TCPTestDaemon.run(keys: nil, allowedHosts: ["momd.internal", "[fd00::1]"]) { daemon in
            for host in ["127.0.0.1:\(daemon.port)", "127.0.0.1", "LOCALHOST:9000", "[::1]:\(daemon.port)", "momd.internal:\(daemon.port)", "[FD00::1]"] {
                let response = try await daemon.send(.GET, "/v1/docs", host: host)
                #expect(response.status == 200, "Host \(host) answered \(response.status)")
            }
            for host in ["127.0.0.2:\(daemon.port)", "momd.internal.attacker.example", "localhost.", "[::2]", "momd.internal:bad"] {
                let response = try await daemon.send(.GET, "/v1/docs", host: host)
                try expectRefusal(response, 421, "misdirected_request", "Host \(host)")
            }
            let twoHosts = try await daemon.send(.GET, "/v1/docs", host: "127.0.0.1:\(daemon.port)", extraHeaders: [("Host", "attacker.example")])
            try expectRefusal(twoHosts, 421, "misdirected_request", "a second Host")
            let allowedOrigin = try await daemon.send(.POST, "/v1/docs/notes/ingest", origin: "https://momd.internal:8443", body: "Words. ")
            #expect(allowedOrigin.status == 200, "a page on an allowed host may write: \(allowedOrigin.body)")
            let unknown = try await daemon.send(.GET, "/v1/nothing", host: "attacker.example")
            try expectRefusal(unknown, 421, "misdirected_request", "an unknown path")
        }
    }

    @Test("the client sends $MOMD_API_KEY's key as a bearer token, and the error says what is missing")
    func theClientSendsItsKey() async throws {
        try await TCPTestDaemon.run(keys: try TestKeys.keys) { daemon in
            let address = ServerAddress.tcp(host: "127.0.0.1", port: daemon.port)
            let writer = MoMClient(address: address, apiKey: TestKeys.write)
            _ = try await writer.ingest("notes", offset: 0, bytes: Array("The door code is 4711. ".utf8))
            let reader = MoMClient(address: address, apiKey: TestKeys.read)
            #expect(try await reader.documents().map(\.name) == ["notes"])
            let refused = await #expect(throws: ClientError.self) { try await reader.remove("notes") }
            #expect(refused?.status == 403 && refused?.code == "read_only_key")
            let anonymous = await #expect(throws: ClientError.self) { _ = try await MoMClient(address: address).documents() }
            #expect(anonymous?.status == 401 && anonymous?.message.contains("MOMD_API_KEY") == true)
        }
    }

    @Test("the Unix socket takes no key and checks no Host, even when the daemon has keys")
    func theSocketIsExempt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("momd.sock").path
        let options = ServerOptions(address: .unixSocket(path: socket), apiKeys: try TestKeys.keys)
        #expect(options.listenerAccess == nil)
        try await TCPTestDaemon.run(options: options, directory: directory) {
            let client = MoMClient(address: .unixSocket(path: socket))
            var ready = false
            for _ in 0..<200 where !ready {
                if (try? await client.health()) != nil { ready = true } else { try await Task.sleep(for: .milliseconds(50)) }
            }
            let ingest = try await client.ingest("notes", offset: 0, bytes: Array("The door code is 4711. ".utf8))
            #expect(ingest.committedOffset == 23)
            try await client.remove("notes")
        }
    }
}

/// Checks a refusal's status and JSON error code.
func expectRefusal(
    _ response: TCPTestDaemon.Answer, _ status: Int, _ code: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status == status, "\(what) answered \(response.status): \(response.body)", sourceLocation: sourceLocation)
    let body = try JSONDecoder().decode(APIError.Body.self, from: Data(response.body.utf8))
    #expect(body.error.code == code, "\(what): \(response.body)", sourceLocation: sourceLocation)
    // The same error reads the same every time: keys sorted.
    #expect(response.body.hasPrefix("{\"error\":{\"code\":\"\(code)\",\"message\":"), "\(what): \(response.body)", sourceLocation: sourceLocation)
}

/// `buildApplication` on a loopback port over a scratch SQLite file, for one test.
struct TCPTestDaemon: Sendable {
    let port: Int

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    /// Runs `body` against a daemon on a free loopback port; stops it afterwards.
    static func run(keys: APIKeys?, allowedHosts: [String] = [], _ body: @Sendable (TCPTestDaemon) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-tcp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        let daemon = TCPTestDaemon(port: port)
        let options = ServerOptions(address: .tcp(host: "127.0.0.1", port: port), allowedHosts: allowedHosts, apiKeys: keys)
        try await run(options: options, directory: directory) {
            var ready = false
            for _ in 0..<200 where !ready {
                if (try? await daemon.send(.GET, "/healthz"))?.status == 200 { ready = true } else { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(ready, "the daemon did not come up")
            try await body(daemon)
        }
    }

    /// Runs a daemon with `options` on a database in `directory` while `body` runs.
    static func run(options: ServerOptions, directory: URL, _ body: @Sendable () async throws -> Void) async throws {
        let store = try MoMStore.open(path: directory.appendingPathComponent("momd.sqlite").path)
        var logger = Logger(label: "momd-test")
        logger.logLevel = .warning
        let app = try buildApplication(store: store, options: options, logger: logger)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The documents' names and tokens, and each one's digest: what a refused request must leave.
    func state() async throws -> [String] {
        let list = try await send(.GET, "/v1/docs", key: TestKeys.write)
        #expect(list.status == 200, "\(list.body)")
        let documents = try JSONCoding.decoder.decode(DocumentListResponse.self, from: Data(list.body.utf8)).documents
        var state: [String] = []
        for document in documents {
            let report = try await send(.GET, "/v1/docs/\(document.name)", key: TestKeys.write)
            let digest = try JSONCoding.decoder.decode(DocumentReport.self, from: Data(report.body.utf8)).digest
            state.append("\(document.name) \(document.tokens) \(digest)")
        }
        return state
    }

    /// A route of the spec (`METHOD /path` with `{doc}`) with a body it takes. The document is
    /// `notes`, but a PUT goes to a new one: on `notes` with its configuration it changes nothing
    /// whether refused or not.
    func send(_ route: String, key: String? = nil, host: String? = nil, origin: String? = nil) async throws -> Answer {
        let parts = route.split(separator: " ")
        let method = HTTPMethod(rawValue: String(parts[0]))
        let path = parts[1].replacingOccurrences(of: "{doc}", with: method == .PUT ? "fresh" : "notes")
        let body: String? =
            switch method {
            case .POST: path.hasSuffix("/ask") ? #"{"question": "What is the door code?"}"# : "The door code is 1234. "
            case .PUT: String(decoding: try JSONCoding.encoder.encode(MoMConfiguration.default), as: UTF8.self)
            default: nil
            }
        return try await send(method, path, key: key, host: host, origin: origin, body: body)
    }

    func send(
        _ method: HTTPMethod, _ path: String, key: String? = nil, host: String? = nil, origin: String? = nil, body: String? = nil,
        contentType: String? = nil, extraHeaders: [(String, String)] = []
    ) async throws -> Answer {
        try await send(method, path, key: key, host: host, origin: origin, body: body.map { ByteBuffer(string: $0) }, contentType: contentType,
            extraHeaders: extraHeaders)
    }

    func send(
        _ method: HTTPMethod, _ path: String, key: String? = nil, host: String? = nil, origin: String? = nil, body: ByteBuffer?,
        contentType: String? = nil, extraHeaders: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let host { request.headers.add(name: "Host", value: host) }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        if let body {
            let type = contentType ?? (path.hasSuffix("/ingest") ? "application/octet-stream" : "application/json")
            request.headers.add(name: "Content-Type", value: type)
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }
}
