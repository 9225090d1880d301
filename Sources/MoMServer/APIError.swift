import Foundation
import Hummingbird
import MoMAPI
import MoMCore
import MoMStore
import NIOCore

/// An API failure: an HTTP status and a JSON body `{"error": {"code", "message"}}` a client can
/// show as it is.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Seconds a client should wait before retrying (`Retry-After`), for 503s that will pass.
    public var retryAfter: Int?
    /// The challenge of a 401 (`WWW-Authenticate`): how to authenticate.
    public var challenge: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The body every error response carries.
    public struct Body: Codable, Sendable {
        public struct Detail: Codable, Sendable {
            public var code: String
            public var message: String
        }
        public var error: Detail

        /// The body as JSON, its keys sorted ("code" before "message"), so the same error reads
        /// the same every time.
        public func encoded() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(self)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try Body(error: .init(code: code, message: message)).encoded()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        if let challenge { headers[.wwwAuthenticate] = challenge }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps the engine's and the store's errors to statuses.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            let status: HTTPResponse.Status
            switch error.code {
            case .invalidDocumentName, .invalidArgument: status = .badRequest
            case .unknownDocument, .unknownSnapshot: status = .notFound
            case .configurationMismatch, .concurrentWrite, .offsetMismatch, .leaseHeld: status = .conflict
            case .unavailable, .leaseLost:
                var refusal = APIError(.serviceUnavailable, code: error.code.rawValue, error.message)
                refusal.retryAfter = 1
                return refusal
            case .binaryData: status = .unprocessableContent
            case .notMomdDatabase, .newerSchema, .corruptData, .database: status = .internalServerError
            }
            return APIError(status, code: error.code.rawValue, error.message)
        case let error as MoMError:
            let status: HTTPResponse.Status
            switch error.code {
            case .emptyCue, .invalidQuestion: status = .badRequest
            // Well-formed, but a configuration the model cannot have.
            case .invalidConfiguration: status = .unprocessableContent
            case .emptyDocument: status = .conflict
            case .configurationMismatch: status = .conflict
            case .corruptState, .unsupportedStateVersion: status = .internalServerError
            }
            return APIError(status, code: error.code.rawValue, error.message)
        case let error as HTTPError:
            return APIError(error.status, code: "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
        case let error as RequestBodyTimeout:
            return APIError(
                .requestTimeout, code: "request_timeout",
                "the request body stopped arriving for \(error.seconds) s (momd serve --body-timeout); an ingest keeps what it acknowledged: resend from the committed offset")
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "request_too_large", "the request body is larger than this endpoint takes")
        case let error as RequestFieldError:
            return APIError(.badRequest, code: "bad_request", error.description)
        case is DecodingError:
            return APIError(.badRequest, code: "bad_request", "the request body is not the JSON this endpoint takes")
        default:
            return APIError(.internalServerError, code: "internal", "\(error)")
        }
    }
}

/// Turns every error a route throws into an `APIError` response.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.from(error)
        }
    }
}
