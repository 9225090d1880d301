import Foundation

/// A failure the daemon reported, or a failure to reach it.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    /// The API's error code (`unknown_document`, …), or `unreachable`.
    public let code: String
    public let message: String
    /// The HTTP status, if the daemon answered.
    public let status: Int?

    public init(code: String, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
