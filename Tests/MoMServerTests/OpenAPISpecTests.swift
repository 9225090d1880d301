import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMCore
import MoMServer
import Testing

@Suite("schemas/openapi.yaml")
struct OpenAPISpecTests {
    /// Every operation under `paths:`, in the spec's order: `METHOD /path` and the statuses it
    /// declares (`"404": …` under its `responses:`).
    static func specifiedOperations() throws -> [(route: String, statuses: Set<Int>)] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("schemas/openapi.yaml"), encoding: .utf8)
        var operations: [(route: String, statuses: Set<Int>)] = []
        var inPaths = false
        var path: String?
        var inOperation = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { break }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    ") && !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix(while: { $0 != ":" })
                inOperation = ["get", "post", "put", "delete", "patch"].contains(key)
                if inOperation { operations.append(("\(key.uppercased()) \(path)", [])) }
            } else if inOperation, line.hasPrefix("        \"") && !line.hasPrefix("         "),
                let status = Int(line.dropFirst(9).prefix(3))
            {
                operations[operations.count - 1].statuses.insert(status)
            }
        }
        return operations
    }

    /// `METHOD /path` for every operation under `paths:`.
    static func specifiedRoutes() throws -> [String] { try specifiedOperations().map(\.route) }

    /// The statuses each operation declares, by `METHOD /path`.
    static func specifiedStatuses() throws -> [String: Set<Int>] {
        Dictionary(try specifiedOperations().map { ($0.route, $0.statuses) }, uniquingKeysWith: { $0.union($1) })
    }

    @Test("every route declares what a TCP listener refuses before routing: 421, 401 but on /healthz, 403 but on GETs")
    func specDeclaresTheListenersRefusals() throws {
        let statuses = try Self.specifiedStatuses()
        for route in try Self.specifiedRoutes() {
            let declared = statuses[route] ?? []
            #expect(declared.contains(421), "\(route) does not declare 421")
            #expect(declared.contains(401) == (route != "GET /healthz"), "\(route): 401")
            #expect(declared.contains(403) == !route.hasPrefix("GET "), "\(route): 403")
        }
    }

    @Test("every route declares what a TCP listener's bounds answer: 408, 413, 503")
    func specDeclaresTheConnectionBounds() throws {
        let statuses = try Self.specifiedStatuses()
        for route in try Self.specifiedRoutes() {
            let declared = statuses[route] ?? []
            #expect(declared.isSuperset(of: [408, 413, 503]), "\(route) declares \(declared.sorted())")
        }
    }

    @Test("what schemathesis found in issue 30: a string max_tokens is refused, and the statuses of a binary ingest and a misfit configuration are declared")
    func issue30ContractFindings() async throws {
        let daemon = try TestDaemon()
        let statuses = try Self.specifiedStatuses()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/probe/ingest", method: .post, body: ByteBuffer(string: "a few words. ")) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/docs/probe/ask", method: .post, body: ByteBuffer(string: #"{"question": "a few", "max_tokens": "5"}"#)
            ) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/docs/probe/ingest", method: .post, body: ByteBuffer(bytes: [0x61, 0x00, 0x62])) { response in
                #expect(response.status == .unprocessableContent)
                #expect(statuses["POST /v1/docs/{doc}/ingest"]?.contains(response.status.code) == true)
            }
            try await client.execute(uri: "/v1/docs/misfit", method: .put, body: ByteBuffer(string: #"{"order_weights": [0.0]}"#)) { response in
                #expect((400..<500).contains(response.status.code))
                #expect(statuses["PUT /v1/docs/{doc}"]?.contains(response.status.code) == true, "\(response.status)")
            }
        }
    }

    @Test("the spec lists exactly the routes the server registers")
    func specMatchesRoutes() throws {
        #expect(try Self.specifiedRoutes().sorted() == DocumentController<BasicRequestContext>.routes.sorted())
    }

    @Test("every route in the spec is served (no route falls through to the router's 404)")
    func everyRouteIsServed() async throws {
        let daemon = try TestDaemon()
        let routes = try Self.specifiedRoutes()
        try await daemon.test { client in
            try await client.execute(uri: "/v1/docs/probe/ingest", method: .post, body: ByteBuffer(string: "a few words. ")) {
                #expect($0.status == .ok)
            }
            for route in routes {
                let parts = route.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = parts[1].replacingOccurrences(of: "{doc}", with: "probe")
                let body: ByteBuffer? =
                    switch method {
                    case .post: ByteBuffer(string: uri.hasSuffix("/ask") ? #"{"question": "a few"}"# : "more words. ")
                    case .put: try json(MoMConfiguration.default)
                    default: nil
                    }
                try await client.execute(uri: uri, method: method, body: body) { response in
                    #expect((200..<300).contains(response.status.code), "\(route) answered \(response.status)")
                }
            }
            // The router's own 404 carries no JSON error: an unknown path shows the difference.
            try await client.execute(uri: "/v1/nothing", method: .get) { #expect($0.status == .notFound) }
        }
    }
}
