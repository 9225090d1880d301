import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import MoMStore
import NIOCore
import NIOHTTP1

/// A write for a document whose lease another daemon holds, caught before any of its body was
/// read.
struct HeldElsewhere: Error {
    let refusal: StoreError
}

/// The header a forwarded request carries, so it is forwarded once at most.
let forwardedHeader = HTTPField.Name("Momd-Forwarded-By")!

extension DocumentController {
    /// Sends an ingest request, body streamed as it arrives, to the daemon that holds the
    /// document's lease, and relays its answer. When the holder cannot be reached (it died and
    /// its lease has not lapsed yet) or the request was forwarded once already, the client gets
    /// 503 with the seconds left on the lease in `Retry-After`: retrying from the committed
    /// offset then reaches whoever holds the document.
    func forward(_ request: Request, document: String, heldBy refusal: StoreError) async throws -> Response {
        guard let holder = refusal.holder, !holder.address.isEmpty, request.headers[forwardedHeader] == nil else {
            throw unavailable(refusal)
        }
        var outbound = HTTPClientRequest(url: "http://\(holder.address)\(request.uri.description)")
        outbound.method = .POST
        outbound.headers.add(name: "Content-Type", value: "application/octet-stream")
        outbound.headers.add(name: forwardedHeader.canonicalName, value: registry.leaseHolder.owner)
        outbound.body = .stream(request.body, length: .unknown)
        let response: HTTPClientResponse
        do {
            response = try await MoMClient.sharedHTTP.execute(outbound, timeout: .hours(24))
        } catch {
            throw unavailable(refusal)
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        metrics.forwardedRequests.increment()
        var headers: HTTPFields = [.contentType: response.headers.first(name: "Content-Type") ?? "application/json"]
        if let retry = response.headers.first(name: "Retry-After") { headers[.retryAfter] = retry }
        return Response(status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: body))
    }

    func unavailable(_ refusal: StoreError) -> APIError {
        let left = refusal.holder.map { max(1, Int($0.expiresAt.timeIntervalSinceNow.rounded(.up))) } ?? 1
        var error = APIError(.serviceUnavailable, code: refusal.code.rawValue, refusal.message)
        error.retryAfter = left
        return error
    }
}
