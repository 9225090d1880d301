import Foundation

/// Where the daemon listens and the CLI connects: `unix:///path.sock` or `http://127.0.0.1:PORT`.
public enum ServerAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String)
    case tcp(host: String, port: Int)

    /// Parses the `MOMD_HOST` forms.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw ServerAddressError("'\(text)' needs an absolute socket path: unix:///path/to/momd.sock")
            }
            self = .unixSocket(path: path)
        } else if text.hasPrefix("http://") {
            let rest = text.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw ServerAddressError("'\(text)' needs a host and port: http://127.0.0.1:PORT")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self = .tcp(host: host, port: port)
        } else {
            throw ServerAddressError("'\(text)' is not a momd address: use unix:///path/to/momd.sock or http://127.0.0.1:PORT")
        }
    }

    /// Parses `--listen HOST:PORT`.
    public init(listen text: String) throws {
        try self.init(parsing: "http://" + text)
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix://\(path)"
        case .tcp(let host, let port): host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }

    /// Whether a TCP host is a loopback address.
    public var isLoopback: Bool {
        switch self {
        case .unixSocket: true
        case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }
}

public struct ServerAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
