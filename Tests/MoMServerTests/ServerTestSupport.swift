import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMBench
import MoMCore
import MoMServer
import MoMStore
import Testing

/// An in-process daemon over a store (in memory unless one is given).
///
/// `@unchecked Sendable`: the router is built once in `init` and only read afterwards, and the
/// other members are Sendable.
struct TestDaemon: @unchecked Sendable {
    let store: MoMStore
    let registry: DocumentRegistry
    let metrics: ServerMetrics
    let router: Hummingbird.Router<BasicRequestContext>

    init(
        hotDocuments: Int = 8, limits: RequestLimits = RequestLimits(), policy: SnapshotPolicy = .default,
        store: MoMStore? = nil
    ) throws {
        self.store = try store ?? MoMStore.inMemory()
        metrics = ServerMetrics()
        registry = DocumentRegistry(store: self.store, capacity: hotDocuments, policy: policy, metrics: metrics)
        router = buildRouter(registry: registry, metrics: metrics, limits: limits)
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: router)
        try await app.test(.router, body)
    }
}

/// Decodes a JSON response body the way the CLI does.
func decode<Value: Decodable>(_ type: Value.Type, _ response: TestResponse) throws -> Value {
    try JSONCoding.decoder.decode(Value.self, from: Data(buffer: response.body))
}

func json(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONCoding.encoder.encode(value))
}

/// The error code of an error response.
func errorCode(_ response: TestResponse) throws -> String {
    try JSONDecoder().decode(APIError.Body.self, from: Data(buffer: response.body)).error.code
}

/// Checks an error response's status and code.
func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    let actual = try errorCode(response)
    #expect(actual == code, sourceLocation: sourceLocation)
}

/// The pass-key haystack the user flow folds, small enough for a debug build.
func passkeyText(key: String = "68048", tokens: Int = 4000) -> String {
    Passkey.haystack(tokens: tokens, depth: 0.5, key: key)
}

/// The package root, found from this file.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
