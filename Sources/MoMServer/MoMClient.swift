import AsyncHTTPClient
import Foundation
import MoMAPI
import MoMCore
import MoMStore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The CLI's side of the daemon's API.
public struct MoMClient: Sendable {
    public let address: ServerAddress
    let http: HTTPClient
    /// Longest a call waits; ingest streams may take long, so they get no deadline.
    let timeout: TimeAmount
    /// Sent as `Authorization: Bearer` to a TCP address; the Unix socket takes no key.
    let apiKey: String?
    /// What an `https://` address is verified against; nil: the system's roots.
    let tls: TLSConfiguration?

    public init(address: ServerAddress, timeout: TimeAmount = .seconds(120), apiKey: String? = nil, tls: TLSConfiguration? = nil) {
        self.address = address
        self.http = Self.sharedHTTP
        self.timeout = timeout
        self.apiKey = apiKey
        self.tls = tls
    }

    /// The environment variable the CLI reads its API key from.
    public static let apiKeyVariable = "MOMD_API_KEY"

    /// `$MOMD_API_KEY`, if set and not empty; refused if it cannot travel in a header.
    public static func environmentAPIKey() throws -> String? {
        guard let key = ProcessInfo.processInfo.environment[apiKeyVariable], !key.isEmpty else { return nil }
        guard key.utf8.allSatisfy(APIKeys.isTokenByte) else {
            throw ClientError(code: "bad_api_key", "\(apiKeyVariable) may hold letters, digits and - . _ ~ + / = only")
        }
        return key
    }

    /// One HTTP client for the process. It does not retry a failed connection, so a daemon that is
    /// not there is reported at once instead of after the pool's back-off.
    static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // Concurrent callers (`momd bench serve`) each get a connection instead of queueing.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        configuration.timeout.connect = .seconds(10)
        // Idle connections go back before a daemon's --idle-timeout (60 s by default) closes them
        // under a request about to be sent.
        configuration.connectionPool.idleTimeout = .seconds(20)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// TLS against the system's roots, for an `https://` address given no CA file.
    static let systemTLS: TLSConfiguration = (try? DaemonTLS.client(caFile: nil)) ?? .makeClientConfiguration()

    func url(_ path: String) throws -> String {
        switch address {
        case .unixSocket(let socketPath):
            guard let url = URL(httpURLWithSocketPath: socketPath, uri: path) else {
                throw ClientError(code: "bad_address", "cannot make a URL for socket \(socketPath)")
            }
            return url.absoluteString
        case .tcp:
            return address.description + path
        }
    }

    static func escape(_ name: String) -> String {
        // Document names are [A-Za-z0-9._-], which need no escaping; anything else is refused by
        // the server with a clear message, so pass it encoded rather than mangled.
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-"))) ?? name
    }

    // MARK: Calls

    public func health() async throws {
        let _: [String: String] = try await call(.GET, "/healthz")
    }

    /// The Prometheus text of `/metrics`.
    public func metrics() async throws -> String {
        var request = HTTPClientRequest(url: try url("/metrics"))
        request.method = .GET
        let body = try await Self.check(try await execute(request, deadline: timeout))
        return String(buffer: body)
    }

    public func documents() async throws -> [DocumentSummary] {
        let list: DocumentListResponse = try await call(.GET, "/v1/docs")
        return list.documents
    }

    public func report(of name: String, at tokens: UInt64? = nil) async throws -> DocumentReport {
        try await call(.GET, "/v1/docs/\(Self.escape(name))" + (tokens.map { "?at=\($0)" } ?? ""))
    }

    public func remove(_ name: String) async throws {
        var request = HTTPClientRequest(url: try url("/v1/docs/\(Self.escape(name))"))
        request.method = .DELETE
        let response = try await execute(request, deadline: timeout)
        try await Self.check(response)
    }

    /// Creates a document with a configuration (a no-op if it exists with the same one).
    @discardableResult
    public func create(_ name: String, configuration: MoMConfiguration) async throws -> DocumentSummary {
        var request = HTTPClientRequest(url: try url("/v1/docs/\(Self.escape(name))"))
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONCoding.encoder.encode(configuration)))
        return try await decode(try await execute(request, deadline: timeout))
    }

    /// Sends one piece of a document; `offset` (where its first byte belongs) makes a retry
    /// idempotent. Binary data is refused (`binary_data`) unless `allowingBinary`.
    public func ingest(_ name: String, offset: UInt64?, bytes: some Sequence<UInt8>, allowingBinary: Bool = false) async throws
        -> IngestResponse
    {
        var request = try ingestRequest(name, offset: offset, allowingBinary: allowingBinary)
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await decode(try await execute(request, deadline: .hours(1)))
    }

    public func ask(_ name: String, _ ask: AskRequest) async throws -> AskResponse {
        var request = HTTPClientRequest(url: try url("/v1/docs/\(Self.escape(name))/ask"))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONCoding.encoder.encode(ask)))
        return try await decode(try await execute(request, deadline: timeout))
    }

    public func routing(of name: String, from: UInt64 = 0, limit: Int = 1000) async throws -> RoutingResponse {
        try await call(.GET, "/v1/docs/\(Self.escape(name))/routing?from=\(from)&limit=\(limit)")
    }

    /// Streams bytes into a document; `offset` (where the first byte belongs in the document)
    /// makes a retry idempotent.
    public func ingest<Chunks: AsyncSequence & Sendable>(
        _ name: String, offset: UInt64?, chunks: Chunks, allowingBinary: Bool = false
    ) async throws -> IngestResponse where Chunks.Element == ByteBuffer {
        var request = try ingestRequest(name, offset: offset, allowingBinary: allowingBinary)
        request.body = .stream(chunks, length: .unknown)
        return try await decode(try await execute(request, deadline: .hours(24 * 365)))
    }

    func ingestRequest(_ name: String, offset: UInt64?, allowingBinary: Bool) throws -> HTTPClientRequest {
        var query: [String] = []
        if let offset { query.append("offset=\(offset)") }
        if allowingBinary { query.append("allow_binary=true") }
        let path = "/v1/docs/\(Self.escape(name))/ingest" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        var request = HTTPClientRequest(url: try url(path))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        return request
    }

    // MARK: Plumbing

    func call<Value: Decodable>(_ method: HTTPMethod, _ path: String) async throws -> Value {
        var request = HTTPClientRequest(url: try url(path))
        request.method = method
        return try await decode(try await execute(request, deadline: timeout))
    }

    func execute(_ request: HTTPClientRequest, deadline: TimeAmount) async throws -> HTTPClientResponse {
        var request = request
        if let apiKey, case .tcp = address { request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(apiKey)") }
        if address.isSecure { request.tlsConfiguration = tls ?? Self.systemTLS }
        do {
            return try await http.execute(request, timeout: deadline)
        } catch let error where DaemonTLS.isTLSFailure(error) {
            throw ClientError(
                code: "unreachable",
                "cannot reach the momd daemon at \(address) over TLS: \(error); a certificate signed by your own CA needs --cacert FILE or \(DaemonTLS.caCertificatesVariable)")
        } catch let error as HTTPClientError {
            throw ClientError(code: "unreachable", "cannot reach the momd daemon at \(address): \(error)")
        } catch let error as ClientError {
            throw error
        } catch let error as IOError {
            let reason = String(cString: strerror(error.errnoCode)).lowercased()
            throw ClientError(code: "unreachable", "cannot reach the momd daemon at \(address): \(reason); is `momd serve` running?")
        } catch {
            throw ClientError(code: "unreachable", "cannot reach the momd daemon at \(address): \(error)")
        }
    }

    func decode<Value: Decodable>(_ response: HTTPClientResponse) async throws -> Value {
        let body = try await Self.check(response)
        do {
            return try JSONCoding.decoder.decode(Value.self, from: Data(buffer: body))
        } catch {
            throw ClientError(code: "bad_response", "the daemon at \(address) answered something this momd cannot read: \(error)")
        }
    }

    @discardableResult
    static func check(_ response: HTTPClientResponse) async throws -> ByteBuffer {
        let body = try await response.body.collect(upTo: 256 << 20)
        guard (200..<300).contains(response.status.code) else {
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
            if let error = try? JSONDecoder().decode(APIError.Body.self, from: Data(buffer: body)) {
                throw ClientError(code: error.error.code, error.error.message, status: Int(response.status.code), retryAfter: retryAfter)
            }
            throw ClientError(code: "http_\(response.status.code)", "the daemon answered \(response.status)", status: Int(response.status.code))
        }
        return body
    }
}
