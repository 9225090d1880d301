import Foundation
import Synchronization
import GRDB
import MoMCore

// MARK: Public views

/// A stored document and what it takes on disk.
public struct DocumentInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var configuration: MoMConfiguration
    /// Bytes acknowledged: every one is covered by a snapshot or the journal.
    public var byteCount: UInt64
    /// Tokens folded from those bytes (a token still open in the carry is not counted).
    public var tokenCount: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var snapshotCount: Int
    /// Compressed bytes of the kept snapshots.
    public var snapshotBytes: Int64
    /// Compressed bytes of the journal.
    public var journalBytes: Int64
    /// Routing-history chunks stored.
    public var routingChunkCount: Int

    package init(id: Int64, name: String, configuration: MoMConfiguration, byteCount: UInt64, tokenCount: UInt64, createdAt: Date, updatedAt: Date, snapshotCount: Int, snapshotBytes: Int64, journalBytes: Int64, routingChunkCount: Int) {
        self.id = id
        self.name = name
        self.configuration = configuration
        self.byteCount = byteCount
        self.tokenCount = tokenCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.snapshotCount = snapshotCount
        self.snapshotBytes = snapshotBytes
        self.journalBytes = journalBytes
        self.routingChunkCount = routingChunkCount
    }

    /// Bytes the document's rows hold (blobs only; SQLite's page overhead comes on top).
    public var storedBytes: Int64 { snapshotBytes + journalBytes }
}

/// One kept snapshot of a document (its blob not loaded).
public struct SnapshotInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var byteCount: UInt64
    public var tokenCount: UInt64
    /// Bytes of the encoded state.
    public var stateBytes: Int
    /// Bytes of the compressed blob.
    public var storedBytes: Int
    /// `MoMState.digest` of the state.
    public var digest: String
    public var createdAt: Date

    package init(id: Int64, byteCount: UInt64, tokenCount: UInt64, stateBytes: Int, storedBytes: Int, digest: String, createdAt: Date) {
        self.id = id
        self.byteCount = byteCount
        self.tokenCount = tokenCount
        self.stateBytes = stateBytes
        self.storedBytes = storedBytes
        self.digest = digest
        self.createdAt = createdAt
    }
}

// MARK: Records

/// A `document` row.
package struct DocumentRecord: Codable, FetchableRecord, MutablePersistableRecord {
    package static let databaseTableName = "document"

    package var id: Int64?
    package var name: String
    package var configuration: String
    package var fingerprint: String
    package var byteCount: Int64
    package var tokenCount: Int64
    package var createdAt: Double
    package var updatedAt: Double

    enum CodingKeys: String, CodingKey {
        case id, name, configuration, fingerprint
        case byteCount = "byte_count"
        case tokenCount = "token_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    package mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    package init(name: String, configuration: MoMConfiguration, now: Double) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.name = name
        self.configuration = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        fingerprint = configuration.fingerprintHex
        byteCount = 0
        tokenCount = 0
        createdAt = now
        updatedAt = now
    }

    /// The stored configuration, checked against its fingerprint.
    package func decodedConfiguration() throws -> MoMConfiguration {
        try Self.decodeConfiguration(configuration, fingerprint: fingerprint, document: name)
    }

    /// A configuration as stored (JSON), checked against its stored fingerprint.
    ///
    /// Decoded ones are kept by their text: every read of a document decodes its configuration,
    /// and JSONDecoder took about a millisecond of a cold ask.
    package static func decodeConfiguration(_ configuration: String, fingerprint: String, document name: String) throws -> MoMConfiguration {
        let key = fingerprint + "\n" + configuration
        if let decoded = decodedConfigurations.withLock({ $0[key] }) { return decoded }
        let decoded: MoMConfiguration
        do {
            decoded = try JSONDecoder().decode(MoMConfiguration.self, from: Data(configuration.utf8))
        } catch {
            throw StoreError(.corruptData, "document '\(name)' has an unreadable configuration: \(error)")
        }
        guard decoded.fingerprintHex == fingerprint else {
            throw StoreError(
                .corruptData,
                "document '\(name)' has a configuration that does not match its fingerprint \(fingerprint)")
        }
        decodedConfigurations.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }  // a process sees a handful of configurations
            cache[key] = decoded
        }
        return decoded
    }

    package static let decodedConfigurations = Mutex<[String: MoMConfiguration]>([:])
}

/// A `snapshot` row without its blob.
package struct SnapshotRow: Codable, FetchableRecord {
    package static let columns = "id, byte_count, token_count, state_bytes, length(state) AS stored_bytes, digest, created_at"

    package var id: Int64
    package var byteCount: Int64
    package var tokenCount: Int64
    package var stateBytes: Int64
    package var storedBytes: Int64
    package var digest: String
    package var createdAt: Double

    package init(id: Int64, byteCount: Int64, tokenCount: Int64, stateBytes: Int64, storedBytes: Int64, digest: String, createdAt: Double) {
        self.id = id
        self.byteCount = byteCount
        self.tokenCount = tokenCount
        self.stateBytes = stateBytes
        self.storedBytes = storedBytes
        self.digest = digest
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, digest
        case byteCount = "byte_count"
        case tokenCount = "token_count"
        case stateBytes = "state_bytes"
        case storedBytes = "stored_bytes"
        case createdAt = "created_at"
    }

    package var info: SnapshotInfo {
        SnapshotInfo(
            id: id, byteCount: UInt64(byteCount), tokenCount: UInt64(tokenCount), stateBytes: Int(stateBytes),
            storedBytes: Int(storedBytes), digest: digest, createdAt: Date(timeIntervalSince1970: createdAt))
    }
}

/// A `routing_chunk` row: per-memory arrays as little-endian blobs.
package struct RoutingChunkRecord: Codable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "routing_chunk"

    package var documentID: Int64
    package var chunkIndex: Int64
    package var tokens: Int64
    package var counts: Data
    package var meanWeights: Data

    enum CodingKeys: String, CodingKey {
        case tokens, counts
        case documentID = "document_id"
        case chunkIndex = "chunk_index"
        case meanWeights = "mean_weights"
    }

    package init(documentID: Int64, chunkIndex: Int64, tokens: Int64, counts: Data, meanWeights: Data) {
        self.documentID = documentID
        self.chunkIndex = chunkIndex
        self.tokens = tokens
        self.counts = counts
        self.meanWeights = meanWeights
    }

    package init(documentID: Int64, chunk: RoutingChunk) {
        self.documentID = documentID
        chunkIndex = Int64(chunk.index)
        tokens = Int64(chunk.tokens)
        var counts = ByteWriter(capacity: chunk.counts.count * 4)
        for count in chunk.counts { counts.append(count) }
        var weights = ByteWriter(capacity: chunk.meanWeights.count * 4)
        for weight in chunk.meanWeights { weights.append(weight.bitPattern) }
        self.counts = Data(counts.bytes)
        meanWeights = Data(weights.bytes)
    }

    package func chunk() throws -> RoutingChunk {
        guard counts.count % 4 == 0, counts.count == meanWeights.count else {
            throw StoreError(.corruptData, "routing chunk \(chunkIndex) has mismatched per-memory arrays")
        }
        var countReader = ByteReader([UInt8](counts))
        var weightReader = ByteReader([UInt8](meanWeights))
        var counts: [UInt32] = []
        var weights: [Float] = []
        while countReader.remaining > 0 {
            counts.append(try countReader.read(UInt32.self))
            weights.append(Float(bitPattern: try weightReader.read(UInt32.self)))
        }
        return RoutingChunk(index: UInt64(chunkIndex), tokens: UInt32(tokens), counts: counts, meanWeights: weights)
    }
}

/// A `token_route` row: the per-token routes of one acknowledged append, as one LZ4 frame of
/// the memory bytes (`token_count · top_k`) followed by the u16 little-endian quantised weights.
package struct TokenRouteRecord: Codable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "token_route"

    package var documentID: Int64
    package var firstToken: Int64
    package var tokenCount: Int64
    package var topK: Int64
    package var frame: Data

    enum CodingKeys: String, CodingKey {
        case frame
        case documentID = "document_id"
        case firstToken = "first_token"
        case tokenCount = "token_count"
        case topK = "top_k"
    }

    package init(documentID: Int64, firstToken: Int64, tokenCount: Int64, topK: Int64, frame: Data) {
        self.documentID = documentID
        self.firstToken = firstToken
        self.tokenCount = tokenCount
        self.topK = topK
        self.frame = frame
    }

    package init(documentID: Int64, routes: TokenRoutes) {
        self.documentID = documentID
        firstToken = Int64(routes.firstToken)
        tokenCount = Int64(routes.tokenCount)
        topK = Int64(routes.topK)
        var writer = ByteWriter(capacity: routes.memories.count * 3)
        writer.append(bytes: routes.memories)
        for weight in routes.weights { writer.append(weight) }
        frame = Data(LZ4Frame.compress(writer.bytes))
    }

    /// The routes the row holds, checked against its counts.
    package func routes() throws -> TokenRoutes {
        // A row holds one append's tokens; 2^31 is far past any append, and keeps the products below in range.
        guard firstToken >= 0, (1...Int64(Int32.max)).contains(tokenCount), (1...Int64(TokenRoutes.maxMemories)).contains(topK)
        else {
            throw StoreError(
                .corruptData,
                "token routes at token \(firstToken) have out-of-range counts (\(tokenCount) tokens, top-k \(topK))")
        }
        let entries = Int(tokenCount) * Int(topK)  // < 2^31 · 255: no overflow in 64 bits
        let bytes: [UInt8]
        do {
            bytes = try LZ4Frame.decompress([UInt8](frame), expectedSize: entries * 3)
        } catch let error as StoreError {
            throw StoreError(.corruptData, "token routes at token \(firstToken) are damaged: \(error.message)")
        }
        var reader = ByteReader(bytes)
        let memories = Array(try reader.readBytes(entries))
        var weights: [UInt16] = []
        weights.reserveCapacity(entries)
        for _ in 0..<entries { weights.append(try reader.read(UInt16.self)) }
        do {
            return try TokenRoutes(firstToken: UInt64(firstToken), topK: Int(topK), memories: memories, weights: weights)
        } catch let error as MoMError {
            throw StoreError(.corruptData, "token routes at token \(firstToken) are damaged: \(error.message)")
        }
    }
}
