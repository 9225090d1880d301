import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MoMAPI
import MoMCore
import MoMStore
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the daemon runs.
public struct ServerOptions: Sendable {
    public var address: ServerAddress
    /// Documents whose state stays in memory; past it the least recently used idle one is
    /// snapshotted and evicted.
    public var hotDocuments: Int

    /// 128 default-sized states are 512 MiB. A document asked for while cold costs a load
    /// (about 40 ms for 4 MiB), so the bound should cover the documents in active use:
    /// `momd bench serve` (100 documents asked at random by 32 clients) answers about 1,900
    /// asks/s with 128 hot and under 100 with 64, where a third of the asks load a state.
    public static let defaultHotDocuments = 128
    public var policy: SnapshotPolicy
    public var limits: RequestLimits
    /// How long a document's lease lasts without renewal, in a store many daemons share: the
    /// longest a dead daemon keeps its documents from the others.
    public var leaseDuration: Duration
    /// Names a TCP listener answers to besides its listen address and the loopback names
    /// (`--allowed-host`): what clients put in Host when they reach it by another name.
    public var allowedHosts: [String]
    /// The keys a TCP listener takes (`--api-key-file`); nil: none needed. Its first write key
    /// also goes with every request this daemon forwards to another one.
    public var apiKeys: APIKeys?
    /// The listener's certificate and key (`--tls-cert`, `--tls-key`): a TCP address that is
    /// `secure` speaks TLS with it.
    public var tls: TLSConfiguration?
    /// What this daemon verifies another one's certificate against when it forwards to an
    /// `https://` holder (`--cacert`); nil: the system's roots.
    public var forwardingTLS: TLSConfiguration?
    /// What one TCP connection may hold (timeouts, the number open at once); the Unix socket,
    /// its user's alone, has no such bounds.
    public var connectionLimits: ConnectionLimits

    public init(
        address: ServerAddress, hotDocuments: Int = ServerOptions.defaultHotDocuments, policy: SnapshotPolicy = .default,
        limits: RequestLimits = RequestLimits(), leaseDuration: Duration = LeaseHolder.defaultDuration,
        allowedHosts: [String] = [], apiKeys: APIKeys? = nil, tls: TLSConfiguration? = nil, forwardingTLS: TLSConfiguration? = nil,
        connectionLimits: ConnectionLimits = ConnectionLimits()
    ) {
        self.address = address
        self.hotDocuments = hotDocuments
        self.policy = policy
        self.limits = limits
        self.leaseDuration = leaseDuration
        self.allowedHosts = allowedHosts
        self.apiKeys = apiKeys
        self.tls = tls
        self.forwardingTLS = forwardingTLS
        self.connectionLimits = connectionLimits
    }

    /// What a TCP listener checks before routing; nil for the Unix socket, whose clients are
    /// this machine's user (mode 0600).
    public var listenerAccess: ListenerAccess? {
        switch address {
        case .tcp(let host, _, _): ListenerAccess(listenHost: host, allowedHosts: allowedHosts, keys: apiKeys)
        case .unixSocket: nil
        }
    }

    /// Who this daemon writes as: a new id per process, and the address other daemons forward
    /// writes to (a TCP address, `HOST:PORT`, or `https://HOST:PORT` for a TLS listener; a Unix
    /// socket is reachable from this machine only, so it is not advertised).
    public var leaseHolder: LeaseHolder {
        let advertised: String
        switch address {
        case .tcp(let host, let port, let secure):
            let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            advertised = secure ? "https://" + authority : authority
        case .unixSocket: advertised = ""
        }
        return LeaseHolder(owner: "momd-\(UUID().uuidString.prefix(13).lowercased())", address: advertised, duration: leaseDuration)
    }
}

/// The router of the HTTP API, for the daemon and for in-process tests. `access`, a TCP
/// listener's checks, runs before every route (and before the 404 of an unknown path);
/// `forwardingKey` goes with the requests this daemon forwards to another, and `forwardingTLS`
/// verifies an `https://` one.
public func buildRouter(
    registry: DocumentRegistry, metrics: ServerMetrics, limits: RequestLimits = RequestLimits(), access: ListenerAccess? = nil,
    forwardingKey: String? = nil, forwardingTLS: TLSConfiguration? = nil
) -> Hummingbird.Router<BasicRequestContext> {
    let router = Hummingbird.Router(context: BasicRequestContext.self)
    router.add(middleware: WebPageMiddleware(access: access))
    if let access { router.add(middleware: ListenerAccessMiddleware(access: access)) }
    router.add(middleware: RequestBoundsMiddleware(limits: limits, metrics: metrics))
    router.add(middleware: APIErrorMiddleware())
    DocumentController(registry: registry, metrics: metrics, limits: limits, forwardingKey: forwardingKey, forwardingTLS: forwardingTLS)
        .addRoutes(to: router)
    return router
}

/// The daemon: the API on a Unix socket (mode 0600) or a TCP port, and on graceful shutdown
/// (SIGTERM, SIGINT) a snapshot of every dirty document after the last request finishes.
public func buildApplication(store: MoMStore, options: ServerOptions, logger: Logger) throws -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let registry = DocumentRegistry(
        store: store, capacity: options.hotDocuments, policy: options.policy, metrics: metrics, leaseHolder: options.leaseHolder,
        logger: logger)
    let router = buildRouter(
        registry: registry, metrics: metrics, limits: options.limits, access: options.listenerAccess,
        forwardingKey: options.apiKeys?.forwardingKey, forwardingTLS: options.forwardingTLS)
    let bindAddress: BindAddress
    var server = HTTPServerBuilder.http1()
    switch options.address {
    case .unixSocket(let path):
        try prepareSocketPath(path)
        bindAddress = .unixDomainSocket(path: path)
    case .tcp(let host, let port, let secure):
        bindAddress = .hostname(host, port: port)
        if secure && options.tls == nil {
            throw ServerAddressError("\(options.address) needs a certificate and key (--tls-cert, --tls-key)")
        }
        server = .bounded(limits: options.connectionLimits, metrics: metrics, tls: secure ? options.tls : nil)
    }
    let address = options.address
    return Application(
        router: router,
        server: server,
        configuration: .init(address: bindAddress, serverName: "momd/\(MoMVersion.current)"),
        services: [RegistryShutdownService(registry: registry, logger: logger)],
        onServerRunning: { _ in
            if case .unixSocket(let path) = address { _ = chmod(path, 0o600) }
            logger.info("momd serving", metadata: ["address": "\(address)", "store": "\(store.location)", "owner": "\(registry.leaseHolder.owner)"])
        },
        logger: logger
    )
}

/// Removes a stale socket file; refuses one a live daemon listens on.
func prepareSocketPath(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else { return }
    let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(probe) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        throw ServerAddressError("socket path \(path) is too long for a Unix socket")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if connected == 0 { throw ServerAddressError("a server already listens on \(path)") }
    try FileManager.default.removeItem(atPath: path)
}

/// Waits for graceful shutdown, which reaches it after the HTTP server has stopped accepting
/// and finished its requests, then snapshots every dirty document.
struct RegistryShutdownService: Service {
    let registry: DocumentRegistry
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let failed = await registry.closeAll()
        if failed.isEmpty {
            logger.info("momd stopped: every document snapshotted")
        } else {
            logger.error("momd stopped; snapshots failed (their input stays in the journal)", metadata: ["documents": "\(failed)"])
        }
    }
}
