import Foundation
import Testing

@testable import momd_server

/// A `momd serve` process for a test: started on a database, waited for until it answers,
/// stopped with SIGTERM.
struct DaemonProcess {
    let process: Process
    let log: URL
    /// What a client sets MOMD_HOST to.
    let host: String

    /// Starts `momd serve --db DATABASE` with `arguments` (`--listen 127.0.0.1:PORT`, else the
    /// database's socket) and returns once `momd docs` succeeds through it; `apiKey` is the key
    /// that check sends (MOMD_API_KEY), for a daemon started with `--api-key-file`. With
    /// `certificates` it serves TLS with their server certificate, and the check trusts their CA.
    static func start(
        database: String, directory: URL, name: String, listenPort: Int? = nil, extra: [String] = [], apiKey: String? = nil,
        certificates: TestCertificates? = nil, binary: URL = Momd.binary
    ) throws -> DaemonProcess {
        let log = directory.appendingPathComponent("\(name).err")
        var arguments = ["serve", "--db", database] + extra
        let host: String
        if let listenPort {
            arguments += ["--listen", "127.0.0.1:\(listenPort)"]
            host = "\(certificates == nil ? "http" : "https")://127.0.0.1:\(listenPort)"
            if let certificates {
                arguments += ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--cacert", certificates.authority]
            }
        } else {
            host = "unix://" + database + ".sock"
        }
        let process = try Momd.start(
            arguments, stdin: nil, stdout: directory.appendingPathComponent("\(name).out"), stderr: log, binary: binary)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            let environment = ["MOMD_HOST": host, "MOMD_API_KEY": apiKey ?? "", "MOMD_CACERT": certificates?.authority ?? ""]
            if try Momd.run(["docs", "--json"], environment: environment).status == 0 {
                return DaemonProcess(process: process, log: log, host: host)
            }
            usleep(50_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        Issue.record("the daemon did not come up: \(text)")
        throw CancellationError()
    }

    /// SIGTERM, then its exit status.
    @discardableResult
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
