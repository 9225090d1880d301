import Foundation

/// Who may fold a document now, in a store that many daemons share (PostgreSQL): the owner
/// holds the lease until it expires, renewing it while it writes; each new holder gets a larger
/// fencing token, and every write checks its token against the lease in the same transaction,
/// so an owner that paused past its lease cannot write after another took over.
public struct Lease: Sendable, Equatable, Codable {
    public var document: String
    /// The holder: a daemon's id, unique per process.
    public var owner: String
    /// Where the holder serves its API (`host:port`), for forwarding requests to it.
    public var address: String
    public var fence: Fence
    /// When the lease lapses unless renewed, by the database's clock.
    public var expiresAt: Date

    package init(document: String, owner: String, address: String, fence: Fence, expiresAt: Date) {
        self.document = document
        self.owner = owner
        self.address = address
        self.fence = fence
        self.expiresAt = expiresAt
    }
}

extension Fence: Codable {
    public init(from decoder: any Decoder) throws { token = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(token)
    }
}

/// Who a session writes as, where leases are kept.
public struct LeaseHolder: Sendable, Equatable {
    /// Unique per process: a daemon's id, or this CLI process's.
    public var owner: String
    /// Where the holder serves its API (`host:port`), empty for a CLI command.
    public var address: String
    /// How long a lease lasts without renewal: the longest a dead holder keeps a document.
    public var duration: Duration

    public init(owner: String, address: String = "", duration: Duration = LeaseHolder.defaultDuration) {
        self.owner = owner
        self.address = address
        self.duration = duration
    }

    public static let defaultDuration: Duration = .seconds(10)

    /// A holder unique to this process, for embedded commands.
    public static let thisProcess = LeaseHolder(
        owner: "momd[\(ProcessInfo.processInfo.processIdentifier)]@\(ProcessInfo.processInfo.hostName)/\(UUID().uuidString.prefix(8))")
}

/// What asking for a lease gave.
public enum LeaseAttempt: Sendable, Equatable {
    /// The caller holds the lease now (newly, or still).
    case acquired(Lease)
    /// Another holder has it and it has not expired.
    case heldBy(Lease)
}

/// The lease table of a backend that keeps one.
package protocol LeaseKeeping: Sendable {
    /// Takes the document's lease for `owner` if it is free, expired, or already `owner`'s
    /// (then it is renewed and keeps its token).
    func acquire(name: String, owner: String, address: String, duration: Duration) throws -> LeaseAttempt
    /// Gives a lease up (if the token is still the holder's), so another can take it at once.
    func release(name: String, fence: Fence) throws
    /// The document's lease as it stands (expired or not), nil if none was ever taken.
    func holder(name: String) throws -> Lease?
}

extension MoMStore {
    /// Whether this store keeps leases (PostgreSQL). A store that does not (SQLite) has one
    /// writer by its file lock, and writes carry no fence.
    public var keepsLeases: Bool { backend.leases != nil }

    /// Takes the lease of an existing document for `owner` (see `LeaseKeeping.acquire`).
    ///
    /// - Throws: `unknownDocument`; `invalidArgument` if the store keeps no leases.
    public func acquireLease(of name: String, owner: String, address: String, duration: Duration) throws -> LeaseAttempt {
        let leases = try requireLeases()
        try DocumentName.validate(name)
        return try Self.mapErrors { try leases.acquire(name: name, owner: owner, address: address, duration: duration) }
    }

    /// Gives up a lease this holder has (no-op if it was lost already).
    public func releaseLease(of name: String, fence: Fence) throws {
        let leases = try requireLeases()
        try DocumentName.validate(name)
        try Self.mapErrors { try leases.release(name: name, fence: fence) }
    }

    /// The document's lease as it stands, nil if it was never taken.
    public func leaseHolder(of name: String) throws -> Lease? {
        let leases = try requireLeases()
        try DocumentName.validate(name)
        return try Self.mapErrors { try leases.holder(name: name) }
    }

    func requireLeases() throws -> any LeaseKeeping {
        guard let leases = backend.leases else {
            throw StoreError(.invalidArgument, "\(backend.location) keeps no leases: only a PostgreSQL store is shared by several daemons")
        }
        return leases
    }
}
