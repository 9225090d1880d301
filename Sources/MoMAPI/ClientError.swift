import Foundation

/// A failure the daemon reported, or a failure to reach it.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    /// The API's error code (`unknown_document`, …), or `unreachable`.
    public let code: String
    public let message: String
    /// The HTTP status, if the daemon answered.
    public let status: Int?
    /// Seconds the daemon said to wait before retrying (`Retry-After` of a 503).
    public var retryAfter: Double?

    public init(code: String, _ message: String, status: Int? = nil, retryAfter: Double? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    /// A refusal that passes: the document's lease is held by a daemon that cannot be reached
    /// (it died, and its lease has not lapsed), the lease was lost mid-request, the database or
    /// the daemon is busy. Resent from the committed offset, the request is served once it
    /// passes.
    public var isRetryable: Bool {
        status == 503 && ["lease_held", "lease_lost", "database_unavailable", "too_many_connections"].contains(code)
    }

    public var description: String { message }
}
