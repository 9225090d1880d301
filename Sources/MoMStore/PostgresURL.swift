import Foundation

/// A `postgres://user:password@host:port/database?sslmode=MODE&sslrootcert=FILE` URL, as `--db`
/// and `MOMD_DB` take it.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    /// From the URL, else `--db-password-file`, else the password file of `PGPASSFILE`
    /// (`~/.pgpass` when unset), as libpq reads them.
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert=`: the CA certificates (PEM) that verify the server's certificate, or
    /// `system` for the system's roots; nil: `~/.postgresql/root.crt` if there is one, else the
    /// system's roots. Only `verify-ca` and `verify-full` use it.
    public var rootCertificate: String?

    /// libpq's `sslmode`s that make a promise: `disable` (plain TCP, the default), `require`
    /// (TLS, any certificate), `verify-ca` (TLS, a certificate a trusted CA signed), `verify-full`
    /// (that, and for the host the URL names). `allow` and `prefer` are refused: they fall back to
    /// plain TCP when the server (or whoever is in between) says so.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`; without a password in it, the password comes from `passwordFile` (its
    /// first line) or else from the `PGPASSFILE` entry that matches host, port, database and user.
    public init(parsing text: String, passwordFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func refuse(_ why: String) -> StoreError {
            StoreError(.invalidArgument, "'\(Self.redact(text))' is not a usable PostgreSQL URL: \(why) (postgres://user:password@host:port/database)")
        }
        guard Self.isPostgres(text), let components = URLComponents(string: text) else { throw refuse("it does not parse") }
        guard let host = components.host, !host.isEmpty else { throw refuse("it names no host") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw refuse("it names no database after the host") }
        let query = components.queryItems ?? []
        if let item = query.first(where: { !["sslmode", "sslrootcert"].contains($0.name) }) {
            throw refuse("momd takes no '\(item.name)' parameter (only sslmode and sslrootcert)")
        }
        if let name = ["sslmode", "sslrootcert"].first(where: { name in query.filter { $0.name == name }.count > 1 }) {
            throw refuse("'\(name)' is given twice")
        }
        if let mode = query.first(where: { $0.name == "sslmode" }) {
            guard let value = mode.value, let parsed = SSLMode(rawValue: value) else {
                throw refuse(
                    "sslmode=\(mode.value ?? "") is not one momd takes: disable, require, verify-ca or verify-full (allow and prefer would fall back to plain TCP)")
            }
            sslMode = parsed
        } else {
            sslMode = .disable
        }
        if let root = query.first(where: { $0.name == "sslrootcert" }) {
            guard let value = root.value, !value.isEmpty else { throw refuse("sslrootcert needs a file, or 'system'") }
            rootCertificate = value
        } else {
            rootCertificate = nil
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? environment["USER"] ?? "postgres"
        self.database = database
        if let password = components.password {
            self.password = password
        } else if let passwordFile {
            self.password = try Self.password(inFile: passwordFile)
        } else {
            self.password = nil
            self.password = try Self.passwordFileEntry(for: self, environment: environment)
        }
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (sslMode == .disable ? "" : "?sslmode=\(sslMode.rawValue)")
    }

    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }

    // MARK: Passwords kept out of the URL

    /// The first line of a file that holds the password alone (`--db-password-file`).
    static func password(inFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.invalidArgument, "--db-password-file \(path): \(FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "no such file")")
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        guard !password.isEmpty else { throw StoreError(.invalidArgument, "--db-password-file \(path): the first line is empty") }
        return password
    }

    /// The password of the first line of `PGPASSFILE` (else `~/.pgpass`, if it exists) that
    /// matches `url`: `hostname:port:database:username:password`, `*` matching anything in the
    /// first four fields, `\:` and `\\` escaped, `#` lines skipped. Like libpq, a file other users
    /// can read is not used; unlike it, momd says so instead of going on without a password.
    static func passwordFileEntry(for url: PostgresURL, environment: [String: String]) throws -> String? {
        let path: String
        if let named = environment["PGPASSFILE"], !named.isEmpty {
            path = named
        } else if let home = environment["HOME"], !home.isEmpty {
            path = home + "/.pgpass"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
        } else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.invalidArgument, "PGPASSFILE \(path): \(FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "no such file")")
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber, mode.intValue & 0o077 != 0 {
            throw StoreError(.invalidArgument, "the password file \(path) can be read by other users: chmod 600 it")
        }
        let wanted = [url.host, String(url.port), url.database, url.user]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#") else { continue }
            let fields = Self.passwordFileFields(line)
            guard fields.count >= 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) {
                return fields[4...].joined(separator: ":")
            }
        }
        return nil
    }

    /// A password file line split at its unescaped colons, the escapes removed.
    static func passwordFileFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var escaped = false
        for character in line {
            if escaped {
                field.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
