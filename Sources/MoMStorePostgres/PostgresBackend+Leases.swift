import Foundation
import MoMCore
import MoMStore
import PostgresNIO

/// The `lease` table: times are the database's (`clock_timestamp()`), the one clock every
/// daemon shares, so no two machines' clocks need to agree.
struct PostgresLeases: LeaseKeeping {
    let backend: PostgresBackend

    func acquire(name: String, owner: String, address: String, duration: Duration) throws -> LeaseAttempt {
        let milliseconds = Int64(duration.seconds * 1000)
        return try backend.connections.transaction { connection in
            let documentID = try Self.documentID(connection, name: name)
            let taken = try connection.run(
                """
                INSERT INTO lease AS l (document_id, owner, address, token, expires_at)
                VALUES (\(documentID), \(owner), \(address), nextval('lease_token'),
                    clock_timestamp() + \(milliseconds) * interval '1 millisecond')
                ON CONFLICT (document_id) DO UPDATE
                    SET owner = EXCLUDED.owner, address = EXCLUDED.address, expires_at = EXCLUDED.expires_at,
                        token = CASE WHEN l.owner = EXCLUDED.owner THEN l.token ELSE EXCLUDED.token END
                    WHERE l.owner = EXCLUDED.owner OR l.expires_at <= clock_timestamp()
                RETURNING owner, address, token, expires_at
                """)
            if let row = taken.first { return .acquired(try Self.lease(row, name: name)) }
            guard let held = try holder(connection, documentID: documentID, name: name) else {
                throw StoreError(.database, "the lease of '\(name)' was neither taken nor found")
            }
            return .heldBy(held)
        }
    }

    func release(name: String, fence: Fence) throws {
        try backend.connections.transaction { connection in
            let documentID = try Self.documentID(connection, name: name)
            try connection.run(
                "UPDATE lease SET expires_at = clock_timestamp() WHERE document_id = \(documentID) AND token = \(fence.token)")
        }
    }

    func holder(name: String) throws -> Lease? {
        try backend.connections.transaction(readOnly: true) { connection in
            try holder(connection, documentID: try Self.documentID(connection, name: name), name: name)
        }
    }

    /// The document's id, in the lease's own transaction; `unknownDocument` if there is none.
    static func documentID(_ connection: PostgresConnection, name: String) throws -> Int64 {
        guard let id = try PostgresReader(connection: connection).position(named: name)?.id else {
            throw MoMStore.unknownDocument(name)
        }
        return id
    }

    func holder(_ connection: PostgresConnection, documentID: Int64, name: String) throws -> Lease? {
        try connection.run("SELECT owner, address, token, expires_at FROM lease WHERE document_id = \(documentID)")
            .first.map { try Self.lease($0, name: name) }
    }

    static func lease(_ row: PostgresRow, name: String) throws -> Lease {
        let (owner, address, token, expires) = try row.decode((String, String, Int64, Date).self)
        return Lease(document: name, owner: owner, address: address, fence: Fence(token: token), expiresAt: expires)
    }
}
