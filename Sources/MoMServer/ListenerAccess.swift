import Foundation
import HTTPTypes
import Hummingbird
import MoMAPI

/// Who a TCP listener answers, checked before any route runs.
///
/// - Host: a web page on another site can make a browser send requests to a loopback port by
///   pointing its own name at 127.0.0.1 (DNS rebinding); the browser then sends that name as
///   Host, so a request whose Host is none of this daemon's names is refused (421).
/// - Origin: a page can also send a write to the daemon's own address (a form's POST needs no
///   permission); the browser names the page in Origin, so a write from an Origin whose host is
///   none of this daemon's names is refused (403). Reads are let through: without CORS headers,
///   which this daemon never sends, the page cannot read what comes back.
/// - API keys, when configured: every request but `GET /healthz` carries
///   `Authorization: Bearer KEY` (401 without a key this daemon holds), and a read key may not
///   change anything (403).
///
/// The Unix socket has none of this: its clients are this machine's user (mode 0600), and its
/// requests' Host is the encoded socket path.
public struct ListenerAccess: Sendable {
    /// Host names (lowercase, IPv6 without brackets) this daemon answers to, with any port: a
    /// port seen through a tunnel or a proxy (`ssh -L 9000:localhost:7411`) differs from the
    /// one it listens on, and the name, not the port, is what a rebinding page controls.
    public let hosts: Set<String>
    /// nil: no key needed.
    public let keys: APIKeys?

    /// Names every loopback client may use, whatever the listen address.
    public static let loopbackNames: [String] = ["localhost", "127.0.0.1", "::1"]

    /// `listenHost` as `--listen` named it, `allowedHosts` from `--allowed-host`.
    public init(listenHost: String, allowedHosts: [String] = [], keys: APIKeys? = nil) {
        var hosts = Set(Self.loopbackNames)
        hosts.insert(Self.normalized(listenHost))
        for name in allowedHosts { hosts.insert(Self.normalized(name)) }
        self.hosts = hosts
        self.keys = keys
    }

    /// Checks a host name given on the command line (`--allowed-host`): a DNS name or an IP
    /// address, without scheme, port or path.
    public static func validateHostName(_ name: String) throws {
        let bare = normalized(name)
        let isIPv6 = bare.contains(":")
        let allowed = isIPv6 ? CharacterSet(charactersIn: "0123456789abcdef:.") : CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard !bare.isEmpty, bare.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ServerAddressError("'\(name)' is not a host name: give a name or an address without scheme or port, e.g. momd.internal or 10.0.0.11")
        }
    }

    /// Lowercase, and an IPv6 address without its brackets.
    static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        return name
    }

    // MARK: The checks

    /// Refuses a request this listener must not serve, in order: a foreign Host (421), a write
    /// from a foreign web page (403), no key or a wrong one (401), a read key on a write (403).
    func check(_ request: Request) throws {
        try checkHost(request)
        try checkOrigin(request)
        try checkKey(request)
    }

    func checkHost(_ request: Request) throws {
        // The first Host header is the request's authority; a second one would leave two
        // readers of the request to disagree about where it was sent.
        guard let authority = request.head.authority, request.headers[values: hostField].isEmpty,
            let host = Self.host(ofAuthority: authority), hosts.contains(host)
        else {
            let named = request.head.authority.map { "names '\(Self.quoted($0))'" } ?? "names no Host"
            throw APIError(
                .misdirectedRequest, code: "misdirected_request",
                "this daemon answers to \(hostList) (any port), and this request \(named); to reach it by another name, start it with --allowed-host NAME"
            )
        }
    }

    func checkOrigin(_ request: Request) throws {
        let origins = request.headers[values: .origin]
        guard !origins.isEmpty, !Self.onlyReadsByMethod(request.method) else { return }
        guard origins.count == 1, let host = Self.host(ofOrigin: origins[0]), hosts.contains(host) else {
            throw APIError(
                .forbidden, code: "cross_origin",
                "a web page at \(Self.quoted(origins.joined(separator: ", "))) may not change documents here: a write with an Origin must come from \(hostList)"
            )
        }
    }

    func checkKey(_ request: Request) throws {
        guard let keys, !(request.method == .get && request.uri.path == "/healthz") else { return }
        let credentials = request.headers[values: .authorization]
        guard credentials.count == 1, let token = Self.bearerToken(credentials[0]) else {
            throw Self.unauthorized(
                credentials.isEmpty
                    ? "this daemon takes requests with an API key: send `Authorization: Bearer KEY` (momd sends $MOMD_API_KEY)"
                    : "send one `Authorization: Bearer KEY` header with one of this daemon's API keys")
        }
        guard let access = keys.access(of: token.utf8) else {
            throw Self.unauthorized("the API key is not one of this daemon's keys")
        }
        if access == .read && !Self.onlyReads(request) {
            throw APIError(
                .forbidden, code: "read_only_key",
                "a read key cannot change documents: \(request.method) \(Self.quoted(request.uri.path)) needs a write key")
        }
    }

    // MARK: Parsing

    var hostList: String {
        let loopback = Self.loopbackNames.map { $0.contains(":") ? "[\($0)]" : $0 }
        let others = hosts.subtracting(Self.loopbackNames).sorted().map { $0.contains(":") ? "[\($0)]" : $0 }
        return (loopback + others).joined(separator: ", ")
    }

    /// Requests that change nothing: GET, HEAD, OPTIONS, and an ask, which is a POST only for
    /// its body.
    static func onlyReads(_ request: Request) -> Bool {
        if onlyReadsByMethod(request.method) { return true }
        // The same split of the path as the router's, so nothing routed to another handler
        // passes for an ask.
        let parts = request.uri.path.split(separator: "/")
        return request.method == .post && parts.count == 4 && parts[0] == "v1" && parts[1] == "docs" && parts[3] == "ask"
    }

    static func onlyReadsByMethod(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// The host of `host`, `host:port`, `[v6]` or `[v6]:port`, normalized; nil if malformed.
    static func host(ofAuthority authority: String) -> String? {
        var host: Substring
        var rest: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            rest = authority[authority.index(after: close)...]
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            rest = authority[colon...]
        } else {
            host = authority[...]
            rest = ""
        }
        if !rest.isEmpty {
            let digits = rest.dropFirst()
            guard rest.first == ":", digits.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(digits), (1...65535).contains(port)
            else { return nil }
        }
        guard !host.isEmpty else { return nil }
        return host.lowercased()
    }

    /// The host of an Origin (`scheme://host[:port]`); nil for `null` (a sandboxed or local
    /// page) or anything malformed.
    static func host(ofOrigin origin: String) -> String? {
        guard let separator = origin.range(of: "://") else { return nil }
        let scheme = origin[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        return host(ofAuthority: String(origin[separator.upperBound...]))
    }

    /// The token of `Bearer TOKEN` (the scheme in any case).
    static func bearerToken(_ credentials: String) -> Substring? {
        let parts = credentials.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop(while: { $0 == " " })
        return token.isEmpty ? nil : token
    }

    /// A client's text, shortened, to quote in a message.
    static func quoted(_ text: String) -> String {
        text.count > 100 ? text.prefix(100) + "…" : text
    }

    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message)
        error.challenge = #"Bearer realm="momd""#
        return error
    }
}

/// The name of a Host header past the first, which HTTP/1 parsing leaves among the fields.
private let hostField = HTTPField.Name("Host")!

/// Runs a TCP listener's checks before any route.
struct ListenerAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: ListenerAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try access.check(request)
        return try await next(request, context)
    }
}
