import MoMAPI
import MoMCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hands the whole invocation to `momd-server` beside this binary: the process is replaced
/// (`execv`) with the same arguments, environment and standard input, none of which has been
/// read yet, so the command runs as if it had been started there.
struct ServerHandOff: ServerLink {
    /// The commands only momd-server has, and `help` for them; with `MOMD_HOST` set, every
    /// command (each goes to that daemon, `Backend.resolve`), handed over before it is parsed.
    static func isServerCommand(_ arguments: [String]) -> Bool {
        if let host = getenv("MOMD_HOST"), host.pointee != 0 { return true }
        let commands = ["serve", "bench"]  // not a Set: its storage type costs a start a conformance scan
        guard arguments.count > 1 else { return false }
        if commands.contains(arguments[1]) { return true }
        return arguments[1] == "help" && arguments.count > 2 && commands.contains(arguments[2])
    }

    func client(of address: ServerAddress, caCertificates: String?) throws -> any DaemonConnection { Self.run() }
    func openingServerStore() throws { Self.run() }

    /// Replaces this process with momd-server; on failure says why and exits 69 (unavailable).
    static func run() -> Never {
        let server = serverPath()
        var arguments = CommandLine.arguments
        arguments[0] = server
        let argv = arguments.map { strdup($0) } + [nil]
        execv(server, argv)
        let reason = String(cString: strerror(errno))
        writeStandardError("momd: cannot run \(server): \(reason) (momd-server is built beside momd: scripts/release-build.sh)\n")
        exit(69)
    }

    /// momd-server in this binary's directory.
    static func serverPath() -> String {
        var path = [CChar](repeating: 0, count: 4096)
        #if os(Linux)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        let executable = length > 0 ? String(decoding: path[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        #else
        var size = UInt32(path.count)
        let executable = _NSGetExecutablePath(&path, &size) == 0 ? String(cString: path) : CommandLine.arguments[0]
        #endif
        guard let slash = executable.lastIndex(of: "/") else { return "momd-server" }
        return executable[...slash] + "momd-server"
    }
}
