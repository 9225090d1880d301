import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// What one TCP connection may hold of the daemon, against clients that would hold it all: a
/// request head sent a byte at a time (slowloris), a body that stops, connections opened and
/// left, more connections than the daemon serves.
public struct ConnectionLimits: Sendable {
    /// A request head must be complete this long after its first byte arrived (408 otherwise).
    public var headerTimeout: Duration
    /// A request body may pause this long between two reads (408 otherwise); an ingest that
    /// streams a large file keeps sending, so this bounds a stall, not a transfer.
    public var bodyTimeout: Duration
    /// A connection with no request in it (none yet, or between two) is closed after this long.
    public var idleTimeout: Duration
    /// Connections served at once; a request on one past it is answered 503 with `Retry-After`
    /// and its connection closed. Past twice this many the daemon stops accepting until some
    /// close (they wait in the listen backlog).
    public var maxConnections: Int

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 512
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

/// A request body that stopped arriving for `ConnectionLimits.bodyTimeout`: what the handler
/// reading it sees, answered 408.
struct RequestBodyTimeout: Error {
    let seconds: Double
}

/// The connections a listener holds open.
final class ConnectionCount: Sendable {
    let open = Atomic<Int>(0)
}

/// A server child channel (HTTP/1, with or without TLS) whose connections are bounded: a
/// `ByteWatch` before everything (before TLS) tells when a request's first byte arrives, and the
/// `RequestGuard` after the HTTP codec keeps the timers and the connection count.
struct BoundedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteWatch(), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 (over TLS when `tls` is given) with every connection held to `limits`.
    static func bounded(
        limits: ConnectionLimits, metrics: ServerMetrics, tls: TLSConfiguration?
    ) -> HTTPServerBuilder {
        let count = ConnectionCount()
        return HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestGuard(limits: limits, metrics: metrics, count: count)],
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 << 10, maxHeaderListSize: 32 << 10, maxHeaderFieldCount: 100))
            let http = HTTP1Channel(responder: responder, configuration: configuration)
            if let tls { return BoundedChannel(base: try TLSChannel(http, tlsConfiguration: tls)) }
            return BoundedChannel(base: http)
        }
    }
}

/// Sees every byte a connection receives, before TLS and HTTP, and tells the connection's
/// `RequestGuard` when a request may have begun.
final class ByteWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    var requestGuard: RequestGuard?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if requestGuard == nil { requestGuard = try? context.pipeline.syncOperations.handler(type: RequestGuard.self) }
        requestGuard?.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// One connection's bounds, between the HTTP codec and the server: the header, body and idle
/// timers, the 503 of a connection past the limit, and closing a connection whose request was
/// refused before its body was read.
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limits: ConnectionLimits
    let metrics: ServerMetrics
    let count: ConnectionCount

    var context: ChannelHandlerContext?
    var timer: Scheduled<Void>?
    var counted = false
    var overCapacity = false
    /// A request head arrived and its end has not.
    var requestOpen = false
    /// Bytes arrived since the last request ended (or the connection opened): a head is coming.
    var headStarted = false
    /// A response head was written and its end has not.
    var responseOpen = false
    /// Close once the response in progress ends: its request was refused or timed out before
    /// its body was read, and the rest of it is not worth reading.
    var closeAfterResponse = false
    /// The connection was answered 503 and closes: nothing more of it is read.
    var refusing = false

    init(limits: ConnectionLimits, metrics: ServerMetrics, count: ConnectionCount) {
        self.limits = limits
        self.metrics = metrics
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let open = count.open.wrappingAdd(1, ordering: .relaxed).newValue
        counted = true
        overCapacity = open > limits.maxConnections
        if overCapacity && open > 2 * limits.maxConnections {
            // Far past the limit: not even a 503.
            metrics.connectionsRefused.increment()
            context.close(promise: nil)
            return
        }
        schedule(after: limits.idleTimeout) { guardHandler in guardHandler.idleTimedOut() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if counted {
            count.open.wrappingSubtract(1, ordering: .relaxed)
            counted = false
        }
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    // MARK: Timers

    func schedule(after delay: Duration, _ action: @escaping (RequestGuard) -> Void) {
        timer?.cancel()
        guard let context else { return }
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            self.timer = nil
            action(self)
        }
    }

    func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    /// The first byte of a request (or of a TLS handshake) after an idle spell: the head has
    /// `headerTimeout` from now.
    func bytesArrived() {
        guard !requestOpen, !responseOpen, !headStarted else { return }
        headStarted = true
        schedule(after: limits.headerTimeout) { guardHandler in guardHandler.headTimedOut() }
    }

    func idleTimedOut() {
        guard let context, !requestOpen, !responseOpen, !headStarted else { return }
        context.close(promise: nil)
    }

    func headTimedOut() {
        guard !requestOpen, !responseOpen else { return }
        metrics.requestTimeouts.increment()
        refuse(
            .requestTimeout, code: "request_timeout",
            "the request head did not arrive within \(Self.seconds(limits.headerTimeout)) s of its first byte (momd serve --header-timeout)")
    }

    func bodyTimedOut() {
        guard let context, requestOpen else { return }
        metrics.requestTimeouts.increment()
        closeAfterResponse = true
        // The handler reading the body sees this error and answers 408; if nothing reads the
        // body, the connection closes a little later anyway.
        context.fireErrorCaught(RequestBodyTimeout(seconds: Self.seconds(limits.bodyTimeout)))
        schedule(after: .seconds(5)) { guardHandler in guardHandler.context?.close(promise: nil) }
    }

    /// Answers with an error of the API's shape, on a connection no request is being served on,
    /// and closes it.
    func refuse(_ status: HTTPResponse.Status, code: String, _ message: String, retryAfter: Int? = nil) {
        guard let context else { return }
        let body = (try? APIError.Body(error: .init(code: code, message: message)).encoded()) ?? Data()
        var fields: HTTPFields = [.contentType: "application/json", .connection: "close", .contentLength: "\(body.count)"]
        if let retryAfter { fields[.retryAfter] = "\(retryAfter)" }
        cancelTimer()
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
        // A write that cannot complete (a TLS handshake never finished) closes all the same.
        schedule(after: .milliseconds(500)) { guardHandler in guardHandler.context?.close(promise: nil) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: Parts

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head:
            if overCapacity {
                metrics.connectionsRefused.increment()
                refusing = true
                refuse(
                    .serviceUnavailable, code: "too_many_connections",
                    "this daemon serves \(limits.maxConnections) connections at once (momd serve --max-connections); retry shortly",
                    retryAfter: 1)
                return
            }
            requestOpen = true
            headStarted = false
            schedule(after: limits.bodyTimeout) { guardHandler in guardHandler.bodyTimedOut() }
        case .body:
            schedule(after: limits.bodyTimeout) { guardHandler in guardHandler.bodyTimedOut() }
        case .end:
            requestOpen = false
            headStarted = false
            cancelTimer()
            if !responseOpen && closeAfterResponse {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let response):
            responseOpen = true
            // A refusal written before the request's body was read: the rest is not read.
            if requestOpen && (response.status == .contentTooLarge || response.status == .requestTimeout) {
                closeAfterResponse = true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responseOpen = false
            if closeAfterResponse && requestOpen {
                context.writeAndFlush(data).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                promise?.succeed()
                return
            }
            context.write(data, promise: promise)
            if !requestOpen {
                schedule(after: limits.idleTimeout) { guardHandler in guardHandler.idleTimedOut() }
            }
        }
    }
}

/// Counts the requests refused for their size (413) or time (408) by the routes, and refuses
/// a body whose declared length is past its route's bound before any of it is read.
struct RequestBoundsMiddleware<Context: RequestContext>: RouterMiddleware {
    let limits: RequestLimits
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ UInt64($0) }) {
            let limit = Self.bodyLimit(of: request, limits)
            if declared > limit {
                metrics.requestsTooLarge.increment()
                throw APIError(
                    .contentTooLarge, code: "request_too_large",
                    "\(request.method) \(ListenerAccess.quoted(request.uri.path)) takes a body of at most \(limit) bytes; this one declares \(declared)")
            }
        }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if error.status == .contentTooLarge { metrics.requestsTooLarge.increment() }
            throw error
        }
    }

    /// An ingest streams up to `maxIngestBytes`; an ask or a configuration is JSON of at most
    /// `maxAskBytes`; the other routes take no body, and get the same small bound.
    static func bodyLimit(of request: Request, _ limits: RequestLimits) -> UInt64 {
        let parts = request.uri.path.split(separator: "/")
        if request.method == .post && parts.count == 4 && parts[0] == "v1" && parts[1] == "docs" && parts[3] == "ingest" {
            return limits.maxIngestBytes
        }
        return UInt64(limits.maxAskBytes)
    }
}
