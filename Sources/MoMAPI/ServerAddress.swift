import Foundation

/// Where the daemon listens and the CLI connects: `unix:///path.sock`, `http://127.0.0.1:PORT`
/// or `https://HOST:PORT` (TLS: the daemon's certificate is verified against the system's roots
/// or `--cacert` / `MOMD_CACERT`).
public enum ServerAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String)
    /// `secure`: TLS (`momd serve --tls-cert`), `https://`.
    case tcp(host: String, port: Int, secure: Bool = false)

    /// Parses the `MOMD_HOST` forms.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw ServerAddressError("'\(text)' needs an absolute socket path: unix:///path/to/momd.sock")
            }
            self = .unixSocket(path: path)
        } else if text.hasPrefix("http://") || text.hasPrefix("https://") {
            let secure = text.hasPrefix("https://")
            let scheme = secure ? "https://" : "http://"
            let rest = text.dropFirst(scheme.count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw ServerAddressError("'\(text)' needs a host and port: \(scheme)127.0.0.1:PORT")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ServerAddressError("'\(text)' needs a host and port: \(scheme)127.0.0.1:PORT") }
            self = .tcp(host: host, port: port, secure: secure)
        } else {
            throw ServerAddressError(
                "'\(text)' is not a momd address: use unix:///path/to/momd.sock, http://127.0.0.1:PORT or https://HOST:PORT")
        }
    }

    /// Parses `--listen HOST:PORT`; `secure` for a listener with a TLS certificate.
    public init(listen text: String, secure: Bool = false) throws {
        try self.init(parsing: (secure ? "https://" : "http://") + text)
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix://\(path)"
        case .tcp(let host, let port, let secure): "\(secure ? "https" : "http")://\(authority(host: host, port: port))"
        }
    }

    /// `host:port`, an IPv6 host in brackets.
    func authority(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether a TCP host is a loopback address.
    public var isLoopback: Bool {
        switch self {
        case .unixSocket: true
        case .tcp(let host, _, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    /// Whether the connection is TLS.
    public var isSecure: Bool {
        if case .tcp(_, _, true) = self { return true }
        return false
    }
}

public struct ServerAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
