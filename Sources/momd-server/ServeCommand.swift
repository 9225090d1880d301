import ArgumentParser
#if canImport(CMalloc)
import CMalloc
#endif
import Foundation
import Logging
import MoMAPI
import MoMCLI
import MoMServer
import MoMStore
import NIOSSL

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: MomdCommands.serveAbstract,
        discussion: """
            While it runs, the daemon owns the database: other momd commands on the same database \
            go through it. SIGTERM or SIGINT stops accepting, finishes requests in flight, \
            snapshots every dirty document and exits 0.

            Examples:
              momd serve
              momd serve --listen 127.0.0.1:7411 --api-key-file keys.txt
              momd serve --db postgres://momd@db.internal:5432/momd --listen 10.0.0.11:7411 --api-key-file keys.txt --tls-cert momd.pem --tls-key momd.key
            """
    )

    @Option(help: "Unix socket to listen on (default: the database path with .sock appended).")
    var socket: String?

    @Option(help: "Listen on TCP HOST:PORT instead of a socket (e.g. 127.0.0.1:7411). A non-loopback host needs --api-key-file, or --no-auth.")
    var listen: String?

    @Option(help: "Documents whose state stays in memory; the least recently used idle one beyond it is snapshotted and evicted.")
    var hotDocuments: Int = ServerOptions.defaultHotDocuments

    @Option(help: "Snapshot a document after this many tokens.")
    var snapshotTokens: UInt64 = SnapshotPolicy.default.everyTokens

    @Option(help: "Snapshot a document this many seconds after its last snapshot, if anything was folded.")
    var snapshotSeconds: Double = SnapshotPolicy.default.everySeconds

    @Option(help: "Snapshots kept per document.")
    var snapshotsKept: Int = SnapshotPolicy.default.retained

    @Option(help: "Largest ingest request, in bytes (the body is folded as it streams; this bounds one request).")
    var maxIngestBytes: UInt64 = RequestLimits().maxIngestBytes

    @Option(help: "With --listen: seconds a request head may take from its first byte (408 past it; slowloris).")
    var headerTimeout: Double = ConnectionLimits().headerTimeout.seconds

    @Option(help: "With --listen: seconds a request body may pause between two reads (408 past it).")
    var bodyTimeout: Double = ConnectionLimits().bodyTimeout.seconds

    @Option(help: "With --listen: seconds a connection may stay open with no request in it.")
    var idleTimeout: Double = ConnectionLimits().idleTimeout.seconds

    @Option(help: "With --listen: connections served at once; a request on one past it is answered 503 with Retry-After.")
    var maxConnections: Int = ConnectionLimits().maxConnections

    @Option(help: "Largest state a document created through the daemon may have, in MiB of memories (the default state is 4).")
    var maxStateMib: Int = RequestLimits.defaultMaxStateBytes >> 20

    @Option(help: "On a PostgreSQL store: seconds a document's lease lasts unless renewed, the longest a dead daemon keeps its documents from the others.")
    var leaseSeconds: Double = LeaseHolder.defaultDuration.seconds

    @Option(
        name: .customLong("allowed-host"),
        help: ArgumentHelp(
            "With --listen: a name clients may reach the daemon by (their Host header), besides the listen address, localhost, 127.0.0.1 and [::1]. Repeatable.",
            valueName: "name"))
    var allowedHosts: [String] = []

    @Option(
        help: ArgumentHelp(
            "A file of API keys, one a line: `read KEY` or `write KEY`. With --listen, every request but GET /healthz then needs `Authorization: Bearer KEY`; the first write key also goes with writes this daemon forwards to another.",
            valueName: "file"))
    var apiKeyFile: String?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp(
            "With --listen: serve TLS (https://) with this PEM certificate chain, the daemon's certificate first; needs --tls-key. Clients verify it against the system's roots or --cacert / MOMD_CACERT.",
            valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Serve a non-loopback --listen address without API keys: anyone who can reach it can read and write every document.")
    var noAuth = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard socket == nil || listen == nil else { throw ValidationError("give --socket or --listen, not both") }
        guard hotDocuments >= 1 else { throw ValidationError("--hot-documents must be at least 1") }
        guard (1...2048).contains(maxStateMib) else { throw ValidationError("--max-state-mib must be in 1...2048") }
        do { try policy.validate() } catch let error as StoreError { throw ValidationError(error.message) }
        if let listen {
            let address = try parseListen(listen)
            if !address.isLoopback && apiKeyFile == nil && !noAuth {
                throw ValidationError(
                    "--listen \(listen) is not a loopback address: give --api-key-file FILE, or --no-auth to let anyone who can reach it read and write every document")
            }
        } else if !allowedHosts.isEmpty {
            throw ValidationError("--allowed-host applies to --listen: the Unix socket checks no Host")
        }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("give --tls-cert and --tls-key together") }
        if tlsCertificate != nil && listen == nil {
            throw ValidationError("--tls-cert applies to --listen: the Unix socket is this machine's user's alone and speaks no TLS")
        }
        guard apiKeyFile == nil || !noAuth else { throw ValidationError("give --api-key-file or --no-auth, not both") }
        for name in allowedHosts {
            do { try ListenerAccess.validateHostName(name) } catch { throw ValidationError("--allowed-host: \(error)") }
        }
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)] {
            guard value >= 0.1, value <= 86400 else { throw ValidationError("\(name) must be in 0.1...86400 seconds") }
        }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1...1000000") }
        guard leaseSeconds >= 0.5, leaseSeconds <= 3600 else { throw ValidationError("--lease-seconds must be in 0.5...3600") }
        if store.isPostgres && socket == nil && listen == nil {
            throw ValidationError("a daemon on PostgreSQL needs --listen HOST:PORT (other daemons forward writes there) or --socket PATH")
        }
    }

    var policy: SnapshotPolicy {
        SnapshotPolicy(everyTokens: snapshotTokens, everySeconds: snapshotSeconds, retained: snapshotsKept)
    }

    func parseListen(_ text: String) throws -> ServerAddress {
        do { return try ServerAddress(listen: text, secure: tlsCertificate != nil) } catch { throw ValidationError("--listen: \(error)") }
    }

    /// The listener's certificate and key, and what forwarded requests trust, read before the
    /// database is opened; a file that cannot be used stops the start.
    func loadTLS() throws -> (server: TLSConfiguration?, forwarding: TLSConfiguration?) {
        do {
            let server = try tlsCertificate.map { try DaemonTLS.server(certificateFile: $0, keyFile: tlsKey ?? "") }
            let forwarding = try store.resolvedCACertificates.map { try DaemonTLS.client(caFile: $0) }
            return (server, forwarding)
        } catch let error as DaemonTLSError {
            throw CommandError(error.description, exitCode: .noInput)
        }
    }

    /// The key file, read before the database is opened; a malformed line stops the start.
    func loadKeys(_ path: String) throws -> APIKeys {
        do { return try APIKeys.load(path: path) } catch { throw CommandError("\(error)", exitCode: .usage) }
    }

    func run() async throws {
        try await reportingErrors {
            let databasePath = store.resolvedDatabasePath
            let address: ServerAddress = try listen.map(parseListen) ?? .unixSocket(path: socket ?? databasePath + ".sock")
            // Everything the daemon creates (socket, database, lock) is for its user alone.
            umask(0o077)
            #if canImport(CMalloc)
            // States are 4 MiB blocks that come and go as documents are evicted and reloaded.
            // A fixed mmap threshold maps and unmaps each one, so an evicted state's memory goes
            // back to the system; glibc's adaptive threshold would otherwise rise past 4 MiB and
            // leave them fragmenting the heap (`momd bench serve`, 1,000 documents, 64 hot:
            // 376–493 MiB resident without this, 312 MiB with it).
            mallopt(M_MMAP_THRESHOLD, 1 << 20)
            #endif
            let keys = try apiKeyFile.map(loadKeys)
            let tls = try loadTLS()
            let opened = try store.openStore(createIfMissing: true)
            // One daemon per SQLite file (its lock); on PostgreSQL any number share the store.
            var lock: DaemonLock?
            if !store.isPostgres {
                do { lock = try DaemonLock(databasePath: databasePath, address: address) } catch {
                    throw CommandError("\(error)", exitCode: .temporaryFailure)
                }
            }
            var logger = Logger(label: "momd")
            logger.logLevel = .info
            if !address.isLoopback && keys == nil {
                logger.warning(
                    "listening on a non-loopback address without API keys (--no-auth): anyone who can reach it can read and write documents",
                    metadata: ["address": "\(address)"])
            }
            if let apiKeyFile, let keys {
                switch address {
                case .tcp: logger.info("API keys required on every request but GET /healthz", metadata: ["keys": "\(keys.count)"])
                case .unixSocket: logger.info("the Unix socket takes no key; the key file's first write key goes with forwarded writes only")
                }
                if let mode = (try? FileManager.default.attributesOfItem(atPath: apiKeyFile))?[.posixPermissions] as? NSNumber,
                    mode.intValue & 0o044 != 0
                {
                    logger.warning("the API key file can be read by other users: chmod 600 it", metadata: ["file": "\(apiKeyFile)"])
                }
            }
            let app = try buildApplication(
                store: opened,
                options: ServerOptions(
                    address: address, hotDocuments: hotDocuments, policy: policy,
                    limits: RequestLimits(maxIngestBytes: maxIngestBytes, maxStateBytes: maxStateMib << 20),
                    leaseDuration: .milliseconds(Int64(leaseSeconds * 1000)), allowedHosts: allowedHosts, apiKeys: keys,
                    tls: tls.server, forwardingTLS: tls.forwarding,
                    connectionLimits: ConnectionLimits(
                        headerTimeout: .milliseconds(Int64(headerTimeout * 1000)), bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)),
                        idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), maxConnections: maxConnections)),
                logger: logger)
            try await app.runService()
            try? opened.close()
            if case .unixSocket(let path) = address { try? FileManager.default.removeItem(atPath: path) }
            withExtendedLifetime(lock) {}
        }
    }
}
