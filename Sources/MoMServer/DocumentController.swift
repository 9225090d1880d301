import Foundation
import Hummingbird
import MoMAPI
import MoMAsk
import MoMCore
import MoMStore
import NIOSSL

/// The HTTP API of DESIGN §5 over the registry of documents.
public struct DocumentController<Context: RequestContext>: Sendable {
    public let registry: DocumentRegistry
    public let metrics: ServerMetrics
    public let limits: RequestLimits
    /// The API key sent with a request forwarded to another daemon (`Authorization: Bearer`).
    public let forwardingKey: String?
    /// What a forwarded request verifies an `https://` holder against; nil: the system's roots.
    public let forwardingTLS: TLSConfiguration?

    public init(
        registry: DocumentRegistry, metrics: ServerMetrics, limits: RequestLimits = RequestLimits(), forwardingKey: String? = nil,
        forwardingTLS: TLSConfiguration? = nil
    ) {
        self.registry = registry
        self.metrics = metrics
        self.limits = limits
        self.forwardingKey = forwardingKey
        self.forwardingTLS = forwardingTLS
    }

    var store: MoMStore { registry.store }

    /// Every route this controller serves, as `METHOD /path` with `{doc}` for the document; a
    /// test holds schemas/openapi.yaml to exactly this list.
    public static var routes: [String] {
        [
            "GET /healthz", "GET /metrics", "GET /v1/docs", "GET /v1/docs/{doc}", "PUT /v1/docs/{doc}",
            "DELETE /v1/docs/{doc}",
            "POST /v1/docs/{doc}/ingest", "POST /v1/docs/{doc}/ask", "GET /v1/docs/{doc}/routing",
        ]
    }

    public func addRoutes(to router: Hummingbird.Router<Context>) {
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("metrics") { _, _ in
            metrics.documents.set(to: Double((try? store.documents().count) ?? 0))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        let documents = router.group("v1/docs")
        documents.get { _, _ in
            // The lease holder of each document, where leases are kept: the web page shows who writes what.
            let summaries = try store.documents().map { info in
                DocumentSummary(info, lease: store.keepsLeases ? try store.leaseHolder(of: info.name) : nil)
            }
            return try jsonResponse(DocumentListResponse(documents: summaries))
        }
        documents.get(":doc") { request, context in try await show(request, context: context) }
        documents.put(":doc") { request, context in try await create(request, context: context) }
        documents.delete(":doc") { _, context in
            let name = try context.parameters.require("doc")
            try await registry.remove(name)
            return Response(status: .noContent)
        }
        documents.post(":doc/ingest") { request, context in try await ingest(request, context: context) }
        documents.post(":doc/ask") { request, context in try await ask(request, context: context) }
        documents.get(":doc/routing") { request, context in
            let name = try context.parameters.require("doc")
            let from = try request.integerQuery("from", in: 0...maximumInt64Query) ?? 0
            let limit = try request.integerQuery("limit", in: 0...100_000) ?? 1000
            let info = try store.document(named: name)
            return try jsonResponse(RoutingResponse(
                document: name, chunkTokens: info.configuration.routingChunkTokens,
                chunks: try store.routingHistory(of: name, from: from, limit: limit)))
        }
        addMethodNotAllowed(to: router)
    }

    /// Answers 405, with the methods a path does serve in `Allow`, for every other method a
    /// client may try on it (the router alone would answer 404, as for a path it does not know).
    func addMethodNotAllowed(to router: Hummingbird.Router<Context>) {
        var served: [String: [String]] = [:]
        for route in Self.routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            served[String(parts[1]), default: []].append(String(parts[0]))
        }
        let candidates = ["GET", "PUT", "POST", "DELETE", "PATCH", "TRACE", "QUERY", "CONNECT"]
        for (path, methods) in served {
            let allow = methods.joined(separator: ", ")
            let routerPath = RouterPath(path.replacingOccurrences(of: "{doc}", with: ":doc"))
            for method in candidates where !methods.contains(method) {
                guard let httpMethod = HTTPRequest.Method(method) else { continue }
                router.on(routerPath, method: httpMethod) { request, _ in
                    let body = try JSONCoding.encoder.encode(
                        APIError.Body(error: .init(
                            code: "method_not_allowed", message: "\(request.method) is not served on \(path); it takes \(allow)")))
                    return Response(
                        status: .methodNotAllowed, headers: [.contentType: "application/json", .allow: allow],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
                }
            }
        }
    }

    // MARK: Handlers

    func show(_ request: Request, context: Context) async throws -> Response {
        let name = try context.parameters.require("doc")
        try DocumentName.validate(name)
        // A hot document may hold acknowledged bytes its snapshots do not cover yet; the store
        // replays them from the journal, so the report is the acknowledged state either way.
        let selector: StateSelector = try request.integerQuery("at", in: 0...maximumInt64Query).map { .atOrBefore(tokens: $0) } ?? .current
        return try jsonResponse(try store.report(of: name, at: selector))
    }

    /// Creates a document with a memory-model configuration; the same configuration again is a
    /// no-op, another one is refused (409), so a client can send it before every ingest.
    func create(_ request: Request, context: Context) async throws -> Response {
        let name = try context.parameters.require("doc")
        try DocumentName.validate(name)
        let body = try await request.body.collect(upTo: limits.maxAskBytes)
        let configuration: MoMConfiguration
        do {
            configuration = try JSONCoding.decoder.decode(MoMConfiguration.self, from: Data(buffer: body))
        } catch {
            throw APIError(.badRequest, code: "bad_request", "the body is not a memory-model configuration: \(error)")
        }
        do {
            try configuration.validate()
        } catch let error as MoMError {
            // Well-formed, but a configuration the model cannot have (out of a field's range, or fields that do not fit together).
            throw APIError(.unprocessableContent, code: error.code.rawValue, error.message)
        }
        guard configuration.memoryBytes <= limits.maxStateBytes else {
            throw APIError(
                .unprocessableContent, code: "state_too_large",
                "the configuration's memories take \(Self.mebibytes(configuration.memoryBytes)) MiB; this daemon creates documents of at most \(Self.mebibytes(limits.maxStateBytes)) MiB (momd serve --max-state-mib)"
            )
        }
        let existed = (try? store.document(named: name)) != nil
        let info = try store.createDocument(named: name, configuration: configuration)
        return try jsonResponse(DocumentSummary(info), status: existed ? .ok : .created)
    }

    func ingest(_ request: Request, context: Context) async throws -> Response {
        let name = try context.parameters.require("doc")
        let offset = try request.integerQuery("offset", in: 0...maximumInt64Query)
        let allowingBinary = try request.booleanQuery("allow_binary") ?? false
        guard !request.hasNoBody else {
            throw APIError(
                .badRequest, code: "missing_body",
                "an ingest request carries the text as its body (application/octet-stream); to create an empty document, send an empty body with that Content-Type"
            )
        }
        var response: IngestResponse?
        var body = request.body
        // A holder that cannot be reached (it died) is waited out once or twice: its lease
        // lapses and this daemon takes the document over with the body it already read.
        var waits = 0
        while response == nil {
            do {
                let source = body
                response = try await registry.withDocument(name, createIfMissing: true) { actor in
                    // The lease first: when another daemon holds it, the body goes there untouched.
                    do {
                        try await actor.claim()
                    } catch let error as StoreError where error.code == .leaseHeld {
                        throw HeldElsewhere(refusal: error)
                    }
                    return try await ingest(source, into: actor, from: offset, allowingBinary: allowingBinary)
                }
            } catch let held as HeldElsewhere {
                switch try await forward(request, body: body, document: name, heldBy: held.refusal, mayWait: waits < 2) {
                case .answered(let answer): return answer
                case .takeOver(let read):
                    waits += 1
                    body = RequestBody(buffer: read)
                }
            }
        }
        guard let response else { throw APIError(.internalServerError, code: "internal", "no ingest response") }
        metrics.ingestRequests.increment()
        metrics.bytesFolded.increment(by: Int64(response.foldedBytes))
        return try jsonResponse(response)
    }

    /// One ingest stream into a claimed document.
    func ingest(_ body: RequestBody, into actor: DocumentActor, from offset: UInt64?, allowingBinary: Bool) async throws
        -> IngestResponse
    {
        try await actor.beginIngest()
        do {
            let response = try await stream(body, into: actor, from: offset, allowingBinary: allowingBinary)
            await actor.endIngest()
            return response
        } catch {
            await actor.endIngest()
            throw error
        }
    }

    /// Folds a request body into a document in batches as it arrives; each batch is committed
    /// before the next is read. Binary data stops the stream (422) after the text before it is
    /// committed, unless `allowingBinary`.
    func stream(_ body: RequestBody, into actor: DocumentActor, from offset: UInt64?, allowingBinary: Bool) async throws
        -> IngestResponse
    {
        var position = offset
        var received: UInt64 = 0
        let before = await actor.committedOffset
        var pending: [UInt8] = []
        pending.reserveCapacity(limits.ingestBatchBytes)
        // Counted per committed batch, so a request stopped part-way counts what it folded.
        var tokens = await actor.tokenCount
        func flush() async throws {
            guard !pending.isEmpty else { return }
            let (_, snapshotTime) = try await actor.append(pending, at: position, allowingBinary: allowingBinary)
            metrics.recordSnapshot(snapshotTime)
            let folded = await actor.tokenCount
            metrics.tokensFolded.increment(by: Int64(folded - tokens))
            tokens = folded
            if let start = position { position = start + UInt64(pending.count) }
            pending.removeAll(keepingCapacity: true)
        }
        for try await buffer in body {
            received += UInt64(buffer.readableBytes)
            guard received <= limits.maxIngestBytes else {
                try await flush()
                throw APIError(
                    .contentTooLarge, code: "request_too_large",
                    "an ingest request may carry at most \(limits.maxIngestBytes) bytes; the first ones are committed, send the rest from the committed offset"
                )
            }
            pending.append(contentsOf: buffer.readableBytesView)
            if pending.count >= limits.ingestBatchBytes { try await flush() }
        }
        try await flush()
        let after = await actor.committedOffset
        return IngestResponse(
            document: actor.name, foldedBytes: after - before, committedOffset: after, tokens: await actor.tokenCount, bytes: after)
    }

    func ask(_ request: Request, context: Context) async throws -> Response {
        let name = try context.parameters.require("doc")
        try DocumentName.validate(name)
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let body = try await request.body.collect(upTo: limits.maxAskBytes)
            let ask = try JSONCoding.decoder.decode(AskRequest.self, from: Data(buffer: body))
            try Self.validate(ask)
            if ask.at == nil, let forwarded = try await forwardAsk(request, body: body, document: name) {
                return forwarded
            }
            let answerer = QuestionAnswerer(options: ask.options)
            let answer: Answer
            let tokens: UInt64
            if ask.at == nil,
                let hot = try await registry.withHotDocument(name, { actor in try await actor.ask(ask.question, answerer: answerer) })
            {
                (answer, tokens) = hot
            } else if ask.at == nil, await registry.hasRoom {
                // Room in the hot set: open the document whole, evicting nothing, so that the
                // asks after this one are hot (after a restart every document starts cold).
                (answer, tokens) = try await registry.withDocument(name, createIfMissing: false) { actor in
                    try await actor.ask(ask.question, answerer: answerer)
                }
            } else {
                // A cold document with the hot set full (or an older state) answers from its
                // snapshot, read on demand, and evicts nothing.
                let read = try store.read(name, at: ask.at.map { .atOrBefore(tokens: $0) } ?? .current) { state in
                    try answerer.answer(ask.question, from: state)
                }
                registry.report(read.warnings, document: name)
                (answer, tokens) = (read.value, read.tokenCount)
            }
            let elapsed = clock.now - started
            metrics.asks.increment()
            metrics.askDuration.record(elapsed)
            return try jsonResponse(
                AskResponse(document: name, question: ask.question, answer: answer, stateTokens: tokens, latency: elapsed),
                encoder: JSONCoding.wireKeyEncoder)
        } catch {
            metrics.askFailures.increment()
            throw error
        }
    }
}

extension DocumentController {
    static func mebibytes(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20)" : String(format: "%.1f", Double(bytes) / Double(1 << 20))
    }

    /// The ask request's bounds, as schemas/openapi.yaml states them (the thresholds' range is
    /// checked while decoding, before they are rounded to Float).
    static func validate(_ ask: AskRequest) throws {
        func refuse(_ message: String) -> APIError { APIError(.badRequest, code: "bad_request", message) }
        guard ask.question.contains(where: { !$0.isWhitespace }) else {
            throw MoMError(.invalidQuestion, "the question is empty: ask a question or give the words that precede the answer")
        }
        guard ask.question.unicodeScalars.count <= maxQuestionCharacters else {
            throw refuse("question must be at most \(maxQuestionCharacters) characters")
        }
        if let maxTokens = ask.maxTokens, !(1...maxAnswerTokens).contains(maxTokens) {
            throw refuse("max_tokens must be in 1...\(maxAnswerTokens), not \(maxTokens)")
        }
        if let evidence = ask.evidence, !(0...maxEvidencePassages).contains(evidence) {
            throw refuse("evidence must be in 0...\(maxEvidencePassages), not \(evidence)")
        }
        if let at = ask.at, at > maximumInt64Query { throw refuse("at must be at most \(maximumInt64Query)") }
    }

    /// Recalled passages one answer may carry: each is a sentence decoded from the state.
    static var maxEvidencePassages: Int { 20 }

    /// Longer than any question; it keeps an ask request's JSON under `maxAskBytes`.
    static var maxQuestionCharacters: Int { QuestionAnswerer.maxQuestionLength }
    /// Each answer token is one decoding step over the vocabulary; this bounds an ask's work.
    static var maxAnswerTokens: Int { 4096 }
}

/// Bounds on what one request may carry.
public struct RequestLimits: Sendable {
    /// Bytes of one ingest request; the stream is folded as it arrives, so this bounds a
    /// request's duration, not memory.
    public var maxIngestBytes: UInt64
    /// Bytes of one ask request's JSON.
    public var maxAskBytes: Int
    /// Bytes folded and committed per transaction while a body streams in.
    public var ingestBatchBytes: Int
    /// Bytes of one ingest request a daemon forwards to the document's lease holder (read whole
    /// first); a larger one is told to go to the holder itself.
    public var maxForwardedBytes: Int
    /// Bytes of memories a document created through the daemon may have. Every hot document
    /// holds its state in memory, and reporting one (`GET /v1/docs/{doc}`) encodes it whole, so
    /// a client must not be able to ask for gigabytes. 16 MiB is the largest size `--capacity`
    /// picks; the default state is 4 MiB.
    public var maxStateBytes: Int

    public static let defaultMaxStateBytes = 16 << 20

    public init(
        maxIngestBytes: UInt64 = 64 << 30, maxAskBytes: Int = 64 << 10, ingestBatchBytes: Int = 256 << 10,
        maxForwardedBytes: Int = 64 << 20, maxStateBytes: Int = defaultMaxStateBytes
    ) {
        self.maxIngestBytes = maxIngestBytes
        self.maxAskBytes = maxAskBytes
        self.ingestBatchBytes = ingestBatchBytes
        self.maxForwardedBytes = maxForwardedBytes
        self.maxStateBytes = maxStateBytes
    }
}

/// A JSON response with snake_case keys and ISO 8601 dates.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// `encoder` without key conversion, for values whose encoding writes the wire's names
    /// itself (`AskResponse`).
    public static var wireKeyEncoder: JSONEncoder {
        let encoder = encoder
        encoder.keyEncodingStrategy = .useDefaultKeys
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, encoder: JSONEncoder = JSONCoding.encoder) throws -> Response {
    var body = try encoder.encode(value)
    body.append(UInt8(ascii: "\n"))
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
}
