import Foundation

/// The API keys a TCP listener takes (`momd serve --api-key-file`): one a line, `read KEY` or
/// `write KEY`; blank lines and lines starting with `#` are skipped.
///
/// A key is checked in time that depends only on the length of what the client sent, never on
/// how much of it matches a key, so that response times do not spell a key out byte by byte.
/// Keys never appear in a message or a log line, not even a malformed one.
public struct APIKeys: Sendable {
    /// What a key may do: `read` is every GET and an ask; `write` is everything.
    public enum Access: String, Sendable, Comparable {
        case read, write

        public static func < (lhs: Access, rhs: Access) -> Bool { lhs == .read && rhs == .write }
    }

    struct Entry: Sendable {
        let key: [UInt8]
        let access: Access
    }

    let entries: [Entry]

    /// Shorter keys can be guessed; 16 characters of hex is 64 bits.
    public static let minimumKeyLength = 16

    /// The first write key of the file: what this daemon sends when it forwards a request to
    /// another daemon, which in a cluster takes the same file.
    public var forwardingKey: String? {
        entries.first { $0.access == .write }.map { String(decoding: $0.key, as: UTF8.self) }
    }

    public var count: Int { entries.count }

    /// Parses a key file's text; `source` names it in messages (`FILE:LINE: …`).
    public init(parsing text: String, source: String) throws {
        var entries: [Entry] = []
        var lineOfKey: [[UInt8]: Int] = [:]
        // "\r\n" is one Character, a newline like "\n".
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // The line itself is never quoted: it may be a key written without its role.
            guard fields.count == 2, let access = Access(rawValue: String(fields[0])) else {
                throw APIKeysError("\(source):\(number): expected `read KEY` or `write KEY`")
            }
            let key = Array(fields[1].utf8)
            guard key.allSatisfy(Self.isTokenByte) else {
                throw APIKeysError(
                    "\(source):\(number): a key may hold letters, digits and - . _ ~ + / = only (it travels as `Authorization: Bearer KEY`)")
            }
            guard key.count >= Self.minimumKeyLength else {
                throw APIKeysError(
                    "\(source):\(number): the key is shorter than \(Self.minimumKeyLength) characters; `openssl rand -hex 32` makes a good one")
            }
            if let earlier = lineOfKey[key] {
                throw APIKeysError("\(source):\(number): the key on line \(earlier) again; give each key once, with one role")
            }
            lineOfKey[key] = number
            entries.append(Entry(key: key, access: access))
        }
        guard !entries.isEmpty else {
            throw APIKeysError("\(source) holds no keys: write one a line, as `read KEY` or `write KEY`")
        }
        self.entries = entries
    }

    /// Reads and parses a key file.
    public static func load(path: String) throws -> APIKeys {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIKeysError("cannot read the API key file \(path): \(error.localizedDescription)")
        }
        return try APIKeys(parsing: text, source: path)
    }

    /// What the key a client presented may do; nil when it is none of these keys. Every key is
    /// compared, each over every byte presented, whatever matched before.
    func access(of presented: some Collection<UInt8>) -> Access? {
        let presented = Array(presented)
        var granted: Access?
        for entry in entries where Self.constantTimeEqual(presented, entry.key) {
            granted = max(granted ?? entry.access, entry.access)
        }
        return granted
    }

    /// Whether two byte strings are equal, in time that depends on `presented.count` alone.
    static func constantTimeEqual(_ presented: [UInt8], _ key: [UInt8]) -> Bool {
        guard !key.isEmpty else { return false }
        // A length mismatch fails the comparison without ending it early.
        var difference = UInt(bitPattern: presented.count ^ key.count)
        for index in presented.indices {
            difference |= UInt(presented[index] ^ key[index % key.count])
        }
        return difference == 0
    }

    /// RFC 6750's b64token characters: what a bearer token may hold.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
            UInt8(ascii: "="):
            true
        default: false
        }
    }
}

/// A key file that cannot be used; the message names the file and line.
public struct APIKeysError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
