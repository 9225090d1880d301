import MoMCore

/// An error the store reports, with a stable code and a message a user can act on.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable across releases so the CLI can map it to exit codes and the
    /// server to HTTP statuses.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The name is not `[A-Za-z0-9._-]{1,128}`.
        case invalidDocumentName = "invalid_document_name"
        /// No document has that name.
        case unknownDocument = "unknown_document"
        /// The document exists with another configuration than the one asked for.
        case configurationMismatch = "configuration_mismatch"
        /// The file is not a momd database; it was left untouched.
        case notMomdDatabase = "not_momd_database"
        /// The database was written by a newer momd; it was left untouched.
        case newerSchema = "newer_schema"
        /// A snapshot or journal entry failed its checks and nothing else covers it.
        case corruptData = "corrupt_data"
        /// Another writer changed the document under this one.
        case concurrentWrite = "concurrent_write"
        /// An append does not start where the document ends.
        case offsetMismatch = "offset_mismatch"
        /// No snapshot matches the request.
        case unknownSnapshot = "unknown_snapshot"
        /// The configuration or the snapshot policy is out of range.
        case invalidArgument = "invalid_argument"
        /// SQLite, PostgreSQL or the file system failed.
        case database = "database"
        /// The database server cannot be reached or refuses the login (host, port, password,
        /// database name); nothing was read or written.
        case unavailable = "database_unavailable"
        /// Another daemon holds the document's lease (`holder` says which, and where it serves).
        case leaseHeld = "lease_held"
        /// This writer's lease was taken over or expired: the write was refused whole (fencing);
        /// retrying goes through the current holder.
        case leaseLost = "lease_lost"
        /// Input meant as text holds binary data (`BinaryDetector`); the text before it was kept.
        case binaryData = "binary_data"
    }

    public let code: Code
    public let message: String

    /// For `leaseHeld`: the lease as it stands.
    public var holder: Lease?

    public init(_ code: Code, _ message: String, holder: Lease? = nil) {
        self.code = code
        self.message = message
        self.holder = holder
    }

    public var description: String { message }
}

/// A problem the store worked around and the caller should show: a damaged snapshot that was
/// skipped in favour of an older one plus the journal.
public struct StoreWarning: Sendable, Equatable, Codable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// An error of a backend outside this module (`MoMStorePostgres`) that it has already said as the
/// store's error; the store reports the `StoreError` it carries.
package protocol StoreErrorConvertible: Error {
    var storeError: StoreError { get }
}
