import Foundation
import Testing

/// A `momd serve` process for a test: started on a database, waited for until it answers,
/// stopped with SIGTERM.
struct DaemonProcess {
    let process: Process
    let log: URL
    /// What a client sets MOMD_HOST to.
    let host: String

    /// Starts `momd serve --db DATABASE` with `arguments` (`--listen 127.0.0.1:PORT`, else the
    /// database's socket) and returns once `momd docs` succeeds through it.
    static func start(database: String, directory: URL, name: String, listenPort: Int? = nil, extra: [String] = []) throws
        -> DaemonProcess
    {
        let log = directory.appendingPathComponent("\(name).err")
        var arguments = ["serve", "--db", database] + extra
        let host: String
        if let listenPort {
            arguments += ["--listen", "127.0.0.1:\(listenPort)"]
            host = "http://127.0.0.1:\(listenPort)"
        } else {
            host = "unix://" + database + ".sock"
        }
        let process = try Momd.start(arguments, stdin: nil, stdout: directory.appendingPathComponent("\(name).out"), stderr: log)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if try Momd.run(["docs", "--json"], environment: ["MOMD_HOST": host]).status == 0 {
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

/// A TCP port on loopback that nothing listens on now.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try #require(bound == 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
