import Hummingbird

/// Query parameters read strictly: a value that is present but malformed or out of range is a
/// 400 naming the parameter, never silently taken as absent or clamped, so the server enforces
/// exactly what schemas/openapi.yaml states.
extension Request {
    /// An optional integer parameter that must lie in `range`.
    func integerQuery<Value: FixedWidthInteger & Sendable>(_ name: String, in range: ClosedRange<Value>) throws -> Value? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Value(text), range.contains(value) else {
            throw APIError(
                .badRequest, code: "bad_request",
                "query parameter '\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// An optional boolean parameter: `true` or `false`.
    func booleanQuery(_ name: String) throws -> Bool? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            throw APIError(.badRequest, code: "bad_request", "query parameter '\(name)' must be true or false, not '\(text)'")
        }
    }

    /// Whether the request carries no body at all, as opposed to an empty one a client meant
    /// to send: no Content-Type and nothing announced (no Transfer-Encoding, a Content-Length
    /// absent or 0; many clients send `Content-Length: 0` on a bodiless POST).
    var hasNoBody: Bool {
        headers[.contentType] == nil && headers[.transferEncoding] == nil && (headers[.contentLength] ?? "0") == "0"
    }
}

/// The largest offset or token count the API takes: the spec's `int64`.
let maximumInt64Query = UInt64(Int64.max)
