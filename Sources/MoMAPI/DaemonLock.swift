import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Marks a database as owned by a running daemon, so the CLI talks to the daemon instead of
/// folding behind its back.
///
/// The daemon holds an exclusive `flock` on `DB.daemon` for its whole life and writes its address
/// into it. The lock dies with the process, however it dies, so a file left by a killed daemon is
/// recognised as stale: a CLI that can take the lock knows no daemon runs.
public final class DaemonLock: Sendable {
    let descriptor: Int32
    public let path: String

    /// The lock file of a database.
    public static func lockPath(forDatabase databasePath: String) -> String { databasePath + ".daemon" }

    /// Takes the database for a daemon at `address`.
    ///
    /// - Throws: if another daemon holds it (naming its address) or the file cannot be made.
    public init(databasePath: String, address: ServerAddress) throws {
        path = Self.lockPath(forDatabase: databasePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DaemonLockError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let owner = Self.readAddress(descriptor: descriptor) ?? "an unknown address"
            close(descriptor)
            throw DaemonLockError("another momd daemon already serves this database, at \(owner)")
        }
        let text = Array((address.description + "\n").utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The address of the daemon that owns the database, or nil if none runs.
    public static func runningDaemon(databasePath: String) -> ServerAddress? {
        let descriptor = open(lockPath(forDatabase: databasePath), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        return readAddress(descriptor: descriptor).flatMap { try? ServerAddress(parsing: $0) }
    }

    static func readAddress(descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

public struct DaemonLockError: Error, CustomStringConvertible, Sendable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
