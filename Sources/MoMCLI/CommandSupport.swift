import ArgumentParser
import Foundation
import MoMCore
import MoMStore

/// A command-line failure: one line on stderr and a sysexits(3) status.
package struct CommandError: Error {
    /// Exit statuses, after sysexits(3).
    package enum Status: Int32 {
        case failure = 1
        case usage = 64  // EX_USAGE: a bad name, option or offset
        case dataError = 65  // EX_DATAERR: not a momd database, damaged data, binary input
        case noInput = 66  // EX_NOINPUT: unknown document or snapshot, unreadable file
        case ioError = 74  // EX_IOERR: SQLite or the file system failed
        case temporaryFailure = 75  // EX_TEMPFAIL: another writer holds the document
        case unavailable = 69  // EX_UNAVAILABLE: the daemon cannot be reached
        case noPermission = 77  // EX_NOPERM: the daemon wants an API key, another one, or a write key
    }

    package var message: String
    package var exitCode: Status

    package init(_ message: String, exitCode: Status = .failure) {
        self.message = message
        self.exitCode = exitCode
    }

    package init(_ error: StoreError) {
        let status: Status
        switch error.code {
        case .invalidDocumentName, .invalidArgument, .configurationMismatch, .offsetMismatch: status = .usage
        case .notMomdDatabase, .newerSchema, .corruptData, .binaryData: status = .dataError
        case .unknownDocument, .unknownSnapshot: status = .noInput
        case .database: status = .ioError
        case .concurrentWrite, .leaseHeld, .leaseLost: status = .temporaryFailure
        case .unavailable: status = .unavailable
        }
        self.init(error.message, exitCode: status)
    }
}

/// Runs a command body; any error becomes one line on stderr and a non-zero exit.
package func reportingErrors(_ body: () throws -> Void) throws {
    let failure: CommandError
    do {
        try body()
        return
    } catch let error as CommandError {
        failure = error
    } catch let error as StoreError {
        failure = CommandError(error)
    } catch let error as MoMError {
        failure = CommandError(StoreError(error))
    } catch {
        failure = CommandError("\(error)")
    }
    let line = failure.message.split(whereSeparator: \.isNewline).joined(separator: " ")
    writeStandardError("momd: \(line)\n")
    throw ExitCode(failure.exitCode.rawValue)
}

package func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Writes straight to stdout (unbuffered, so a reader sees each line as it is printed).
package func writeStandardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Prints a value as one line of JSON with snake_case keys.
package func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    writeStandardOutput(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
}

/// Shows warnings the store worked around; they go to stderr whether or not it is a terminal.
package func printWarnings(_ warnings: [StoreWarning]) {
    for warning in warnings { writeStandardError("momd: warning: \(warning.message)\n") }
}

/// Token counts, comma-separated, with K (×1024) and M (×1048576) suffixes: "4K,1M".
package func parseTokenCounts(_ text: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
        let item = part.trimmingCharacters(in: .whitespaces).uppercased()
        let (digits, scale): (Substring, Int) =
            item.hasSuffix("M") ? (item.dropLast(), 1 << 20) : item.hasSuffix("K") ? (item.dropLast(), 1 << 10) : (Substring(item), 1)
        guard let value = Int(digits), value > 0 else { throw ValidationError("bad length '\(part)': use e.g. 1000, 4K or 1M") }
        return value * scale
    }
}

/// A byte count for people: 1.5 MiB.
package func formatBytes(_ count: some BinaryInteger) -> String {
    let value = Double(count)
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var scaled = value
    var unit = 0
    while scaled >= 1024 && unit < units.count - 1 {
        scaled /= 1024
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", scaled, units[unit])
}

/// A one-line progress report on stderr, redrawn in place; silent unless stderr is a terminal.
package struct ProgressLine {
    package let isEnabled = isatty(STDERR_FILENO) != 0
    package let started = ContinuousClock.now
    package var lastDrawn = ContinuousClock.now

    /// Redraws the line at most five times a second; `text` gets the seconds since the start.
    package mutating func update(_ text: (Double) -> String) {
        guard isEnabled, ContinuousClock.now - lastDrawn >= .milliseconds(200) else { return }
        lastDrawn = .now
        writeStandardError("\r\u{1B}[K" + text(elapsedSeconds))
    }

    package func finish() {
        if isEnabled { writeStandardError("\r\u{1B}[K") }
    }

    package var elapsedSeconds: Double { (ContinuousClock.now - started).seconds }
}

/// What `ingest` shows while it folds: with the input's size known (files), the share done and
/// the time left at the rate so far.
package struct IngestProgress {
    package let document: String
    /// Bytes of all inputs, when every one is a file.
    package let totalBytes: UInt64?

    /// `consumed`: input bytes read or skipped so far; `added`: bytes this run folded.
    package func text(consumed: UInt64, added: UInt64, tokens: UInt64, seconds: Double) -> String {
        let rate = Double(added) / max(seconds, 1e-9)
        var line = "\(document): "
        if let totalBytes, totalBytes > 0 {
            let done = min(consumed, totalBytes)
            line += String(format: "%.0f%% of %@, ", (Double(done) / Double(totalBytes) * 100).rounded(.down), formatBytes(totalBytes))
        }
        line += "\(formatBytes(added)) folded, \(tokens) tokens, " + String(format: "%.1f MB/s", rate / 1e6)
        if let totalBytes, rate > 0, consumed < totalBytes {
            line += ", ETA " + formatDuration(Double(totalBytes - consumed) / rate)
        }
        return line
    }
}

/// A duration for people: 42 s, 3 min 07 s, 2 h 05 min.
package func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded(.up))
    if total < 60 { return "\(total) s" }
    if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
    return String(format: "%d h %02d min", total / 3600, total % 3600 / 60)
}

/// Where a benchmark keeps its scratch database: the directory given (created if missing), or a
/// new one under /tmp that `remove()` deletes. Kept short: a Unix socket's path is limited to
/// about 100 bytes.
package struct ScratchDirectory {
    package let path: String
    package let isTemporary: Bool

    package init(given: String?, name: String) throws {
        isTemporary = given == nil
        path = given ?? "/tmp/momd-\(name)-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create \(path): \(error.localizedDescription)", exitCode: .ioError)
        }
    }

    /// Deletes the directory if this benchmark made it.
    package func remove() {
        if isTemporary { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Bytes of an SQLite database on disk: the file and its write-ahead log.
package func databaseFileBytes(_ path: String) -> Int64 {
    ["", "-wal"].reduce(Int64(0)) { total, suffix in
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
        return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
    }
}
