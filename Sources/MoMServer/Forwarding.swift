import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import MoMAPI
import MoMCore
import MoMStore
import NIOCore
import NIOHTTP1
import NIOSSL

/// A write for a document whose lease another daemon holds, caught before any of its body was
/// read.
struct HeldElsewhere: Error {
    let refusal: StoreError
}

/// The header a forwarded request carries, so it is forwarded once at most.
let forwardedHeader = HTTPField.Name("Momd-Forwarded-By")!

extension DocumentController {
    /// What became of a write sent on to the lease holder.
    enum Forwarded {
        /// The holder's answer, relayed.
        case answered(Response)
        /// The holder could not be reached and its lease has lapsed since: the body, read whole,
        /// for this daemon to fold after taking the lease over.
        case takeOver(ByteBuffer)
    }

    /// Sends an ingest request to the daemon that holds the document's lease and relays its
    /// answer. The body is read here first (up to `limits.maxForwardedBytes`) and sent whole, so
    /// that nothing but this handler ever reads it: a holder that dies mid-request then costs a
    /// retry, never a half-read stream. A holder that cannot be reached (it died) is waited out
    /// when `mayWait`: once its lease lapses (by the store's word, at most the lease's duration
    /// plus a second from now) the body comes back for this daemon to take the document over.
    /// A larger body, a holder that cannot be reached with its lease far off or when waiting is
    /// spent, or a request forwarded once already gets 503 with the seconds left on the lease in
    /// `Retry-After`: retrying from the committed offset reaches whoever holds the document then.
    func forward(_ request: Request, body requestBody: RequestBody, document: String, heldBy refusal: StoreError, mayWait: Bool)
        async throws -> Forwarded
    {
        guard let holder = refusal.holder, !holder.address.isEmpty, request.headers[forwardedHeader] == nil else {
            throw unavailable(refusal)
        }
        let body: ByteBuffer
        do {
            body = try await requestBody.collect(upTo: limits.maxForwardedBytes)
        } catch is NIOTooManyBytesError {
            throw unavailable(refusal, why: "the request is larger than this daemon forwards (\(limits.maxForwardedBytes) bytes): send it to \(holder.address)")
        }
        do {
            return .answered(try await relay(request, body: body, contentType: "application/octet-stream", to: holder, timeout: .hours(1)))
        } catch {
            let left = holder.expiresAt.timeIntervalSinceNow
            guard mayWait, left < registry.leaseHolder.duration.seconds + 1 else { throw unavailable(refusal) }
            metrics.leaseWaits.increment()
            try await Task.sleep(for: .seconds(max(0, left) + 0.25))
            return .takeOver(body)
        }
    }

    /// In a store many daemons share, an ask about a document another live daemon is writing
    /// goes to that daemon, whose state is hot and current; nil (answer here) when no other
    /// daemon holds its lease, or the holder cannot be reached (the store then answers).
    func forwardAsk(_ request: Request, body: ByteBuffer, document: String) async throws -> Response? {
        guard store.keepsLeases, request.headers[forwardedHeader] == nil,
            let holder = try store.leaseHolder(of: document), holder.owner != registry.leaseHolder.owner,
            !holder.address.isEmpty, holder.expiresAt > Date()
        else { return nil }
        return try? await relay(request, body: body, contentType: "application/json", to: holder, timeout: .seconds(30))
    }

    /// Sends a request's body, read whole, to the lease holder as a POST to the same URI, marked
    /// as forwarded, and relays the holder's answer (status, content type, `Retry-After`, body).
    /// Throws when the holder cannot be reached or its answer cannot be read.
    ///
    /// The holder's listener checks what any client's does: Host is its listen address (the URL's
    /// authority) and, when this daemon has keys, its first write key goes along, since the
    /// daemons of a cluster take the same key file. The client's own key stays here.
    func relay(_ request: Request, body: ByteBuffer, contentType: String, to holder: Lease, timeout: TimeAmount) async throws
        -> Response
    {
        // A TLS holder advertises `https://HOST:PORT`, a plain one `HOST:PORT`.
        let secure = holder.address.hasPrefix("https://")
        var outbound = HTTPClientRequest(url: (secure ? "" : "http://") + holder.address + request.uri.description)
        if secure { outbound.tlsConfiguration = forwardingTLS ?? MoMClient.systemTLS }
        outbound.method = .POST
        outbound.headers.add(name: "Content-Type", value: contentType)
        outbound.headers.add(name: forwardedHeader.canonicalName, value: registry.leaseHolder.owner)
        if let forwardingKey { outbound.headers.add(name: "Authorization", value: "Bearer \(forwardingKey)") }
        outbound.body = .bytes(body)
        let response = try await MoMClient.sharedHTTP.execute(outbound, timeout: timeout)
        let answer = try await response.body.collect(upTo: 16 << 20)
        metrics.forwardedRequests.increment()
        var headers: HTTPFields = [.contentType: response.headers.first(name: "Content-Type") ?? "application/json"]
        if let retry = response.headers.first(name: "Retry-After") { headers[.retryAfter] = retry }
        return Response(status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: answer))
    }

    func unavailable(_ refusal: StoreError, why: String? = nil) -> APIError {
        let left = refusal.holder.map { max(1, Int($0.expiresAt.timeIntervalSinceNow.rounded(.up))) } ?? 1
        let message = why.map { refusal.message + "; " + $0 } ?? refusal.message
        var error = APIError(.serviceUnavailable, code: refusal.code.rawValue, message)
        error.retryAfter = left
        return error
    }
}
