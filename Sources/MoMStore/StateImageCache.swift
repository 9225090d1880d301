import CKernels
import Foundation
import MoMCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Decoded states kept uncompressed on local disk, so that an ask on a document that is not in
/// memory reads one file instead of decompressing a snapshot from the database.
///
/// An image is the state's canonical encoding (`MoMState.encoded()`) and a 56-byte trailer. It
/// is mapped into memory (`MappedFile`), and the int8 codes stay there: the state reads its rows
/// from the file's cached pages. It stands for one snapshot: the document's current state when nothing
/// was appended after that snapshot, and is used only when the snapshot row's digest, byte count
/// and the document's identity all match what the trailer says. It is derived data: written to a
/// temporary file and renamed into place (never half written), checked on every read by CRC-32C
/// (`check`; about ten times faster than the state's own serial checksum, which the image
/// therefore need not recompute), and on any mismatch or damage simply not used: the read falls
/// back to the snapshot in the database. The directory is bounded: past `byteLimit` the least
/// recently used images are removed.
///
/// Trailer, little-endian: magic `momdimg\0` (8 bytes), image version u64 (1), the
/// document id i64, the state's byte count u64, its digest u64, the body's length u64, the
/// body's check u64.
public struct StateImageCache: Sendable {
    public let directory: String
    public let byteLimit: Int

    static let magic: [UInt8] = Array("momdimg".utf8) + [0]
    static let version: UInt32 = 1
    static let trailerLength = 56
    static let suffix = ".state"

    /// - Parameters:
    ///   - directory: created if missing.
    ///   - byteLimit: the most the images may take together; the least recently used go first.
    public init(directory: String, byteLimit: Int = 1 << 30) {
        self.directory = directory
        self.byteLimit = byteLimit
    }

    /// The default place: `$XDG_CACHE_HOME/momd/states`, else `~/.cache/momd/states`.
    public static func defaultDirectory(_ environment: [String: String]) -> String {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/momd/states" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/momd/states"
    }

    // MARK: Reading

    /// The state a snapshot row holds, if an intact image of it is kept; nil otherwise.
    ///
    /// Int8 rows are not copied at all: the state keeps the mapping (`CodeRows`) until it is
    /// written to. The prefix and the suffix are copied out to be decoded.
    func state(document: DocumentInfo, row: SnapshotRow) -> MoMState? {
        guard let digest = UInt64(row.digest, radix: 16) else { return nil }
        let path = self.path(document: document, byteCount: UInt64(row.byteCount))
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) > Self.trailerLength + StateLayout.headerLength,
            let file = MappedFile(descriptor: descriptor, count: Int(info.st_size))
        else { return nil }
        let bytes = file.bytes
        let bodyLength = file.count - Self.trailerLength
        guard let layout = StateLayout(header: UnsafeRawBufferPointer(rebasing: bytes[..<StateLayout.headerLength]), totalLength: bodyLength) else { return nil }
        let trailer = Trailer(bytes[bodyLength...])
        guard trailer.magic == Self.magic, trailer.version == UInt64(Self.version), trailer.documentID == document.id,
            trailer.byteCount == UInt64(row.byteCount), trailer.digest == digest,
            trailer.bodyLength == UInt64(layout.totalLength)
        else { return nil }
        let prefix = UnsafeRawBufferPointer(rebasing: bytes[..<layout.prefixLength])
        let matrices = UnsafeRawBufferPointer(rebasing: bytes[layout.prefixLength..<layout.suffixStart])
        let suffix = UnsafeRawBufferPointer(rebasing: bytes[layout.suffixStart..<bodyLength])
        guard Self.check(prefix: prefix, matrices: matrices, suffix: suffix) == trailer.check else { return damaged(path) }
        // The int8 rows stay in the mapping: an ask reads the rows it needs from the file's
        // cached pages, with no copy. Float32 rows are decoded from their byte planes.
        let state: MoMState?
        if layout.planeCount == 1 {
            let codes = CodeRows(mapping: file, offset: layout.prefixLength, count: matrices.count)
            state = try? MoMState(decodingPrefix: [UInt8](prefix), codes: codes, suffix: [UInt8](suffix), expecting: document.configuration)
        } else {
            state = try? MoMState(decoding: [UInt8](bytes[..<bodyLength]), expecting: document.configuration, verifyingChecksum: false)
        }
        guard let state, state.byteCount == UInt64(row.byteCount), state.tokenCount == UInt64(row.tokenCount) else { return nil }
        touch(path)
        return state
    }

    /// Removes a damaged image (the next read writes it again) and gives nil.
    func damaged(_ path: String) -> MoMState? {
        unlink(path)
        return nil
    }

    // MARK: Writing

    /// Keeps an image of `state`, the state `row` holds. Failures are ignored: an image is only a
    /// faster way to what the database holds anyway.
    func keep(_ state: MoMState, document: DocumentInfo, row: SnapshotRow) {
        guard state.memoryBank.isComplete, let digest = UInt64(row.digest, radix: 16) else { return }
        let body = state.encoded()
        guard let layout = StateLayout(header: body.prefix(StateLayout.headerLength), totalLength: body.count) else { return }
        let check = body.withUnsafeBytes { bytes in
            Self.check(
                prefix: UnsafeRawBufferPointer(rebasing: bytes[..<layout.prefixLength]),
                matrices: UnsafeRawBufferPointer(rebasing: bytes[layout.prefixLength..<layout.suffixStart]),
                suffix: UnsafeRawBufferPointer(rebasing: bytes[layout.suffixStart...]))
        }
        let trailer = Trailer(
            magic: Self.magic, version: UInt64(Self.version), documentID: document.id, byteCount: UInt64(row.byteCount),
            digest: digest, bodyLength: UInt64(body.count), check: check
        ).bytes
        let path = self.path(document: document, byteCount: UInt64(row.byteCount))
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil
        else { return }
        let temporary = "\(directory)/.\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tmp"
        guard Self.writeFile(temporary, body, trailer), rename(temporary, path) == 0 else {
            unlink(temporary)
            return
        }
        removeOthers(of: document, keeping: path)
        enforceLimit()
    }

    // MARK: Files

    /// One name per document and byte count: a hash of the document's identity (name, id,
    /// creation time, configuration), so that a document removed and made again under the same
    /// name never meets the old one's images, then the byte count.
    func path(document: DocumentInfo, byteCount: UInt64) -> String {
        "\(directory)/\(Self.prefix(document))\(byteCount)\(Self.suffix)"
    }

    static func prefix(_ document: DocumentInfo) -> String {
        var identity = ByteWriter()
        identity.append(bytes: Array(document.name.utf8))
        identity.append(UInt64(bitPattern: document.id))
        identity.append(document.createdAt.timeIntervalSinceReferenceDate.bitPattern)
        identity.append(document.configuration.fingerprint)
        return StableHash.hexDigest(identity.bytes) + "-"
    }

    /// Removes the document's images of other byte counts: only its newest state is asked often.
    func removeOthers(of document: DocumentInfo, keeping path: String) {
        let prefix = Self.prefix(document)
        let kept = (path as NSString).lastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(Self.suffix) && name != kept {
            unlink("\(directory)/\(name)")
        }
    }

    /// Removes the least recently used images until the rest fit in `byteLimit`.
    func enforceLimit() {
        var images: [(path: String, bytes: Int, used: Double)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(Self.suffix) {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            images.append((path, Int(info.st_size), Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9))
        }
        var total = images.reduce(0) { $0 + $1.bytes }
        for image in images.sorted(by: { $0.used < $1.used }) where total > byteLimit {
            if unlink(image.path) == 0 { total -= image.bytes }
        }
    }

    /// Marks an image used now, for the least-recently-used bound.
    func touch(_ path: String) { utimes(path, nil) }

    static func writeFile(_ path: String, _ parts: [UInt8]...) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        for part in parts {
            let written = part.withUnsafeBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let put = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if put < 0 && errno == EINTR { continue }
                    guard put > 0 else { return false }
                    offset += put
                }
                return true
            }
            guard written else { return false }
        }
        return true
    }

    /// The image's check: the CRC-32C of each third of the prefix, of the matrices and of the
    /// suffix (`momd_crc32c_thirds`, three chains side by side with SSE4.2), mixed into one word.
    /// About ten times faster than the state's own serial checksum, and a burst of up to 32
    /// flipped bits anywhere changes it. Not a format anything else reads: images stay on the
    /// machine that wrote them.
    static func check(prefix: UnsafeRawBufferPointer, matrices: UnsafeRawBufferPointer, suffix: UnsafeRawBufferPointer) -> UInt64 {
        var combined: UInt64 = 0
        func add(_ bytes: UnsafeRawBufferPointer) {
            var crcs: (UInt32, UInt32, UInt32) = (0, 0, 0)
            withUnsafeMutableBytes(of: &crcs) { lanes in
                momd_crc32c_thirds(
                    bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                    lanes.baseAddress!.assumingMemoryBound(to: UInt32.self))
            }
            combined = StableHash.combine(combined, UInt64(truncatingIfNeeded: bytes.count))
            combined = StableHash.combine(combined, UInt64(crcs.0))
            combined = StableHash.combine(combined, UInt64(crcs.1) << 32 | UInt64(crcs.2))
        }
        add(prefix)
        add(matrices)
        add(suffix)
        return StableHash.mix64(combined)
    }

    struct Trailer {
        var magic: [UInt8]
        var version: UInt64
        var documentID: Int64
        var byteCount: UInt64
        var digest: UInt64
        var bodyLength: UInt64
        var check: UInt64

        /// The trailer at the end of an image's last bytes (at least `trailerLength` of them).
        init(_ bytes: some Collection<UInt8>) {
            var reader = ByteReader(Array(bytes))
            magic = Array((try? reader.readBytes(8)) ?? [])
            let fields = (0..<6).map { _ in (try? reader.read(UInt64.self)) ?? 0 }
            (version, documentID, byteCount) = (fields[0], Int64(bitPattern: fields[1]), fields[2])
            (digest, bodyLength, check) = (fields[3], fields[4], fields[5])
        }

        init(magic: [UInt8], version: UInt64, documentID: Int64, byteCount: UInt64, digest: UInt64, bodyLength: UInt64, check: UInt64) {
            (self.magic, self.version, self.documentID, self.byteCount) = (magic, version, documentID, byteCount)
            (self.digest, self.bodyLength, self.check) = (digest, bodyLength, check)
        }

        var bytes: [UInt8] {
            var writer = ByteWriter(capacity: StateImageCache.trailerLength)
            writer.append(bytes: magic)
            for field in [version, UInt64(bitPattern: documentID), byteCount, digest, bodyLength, check] { writer.append(field) }
            return writer.bytes
        }
    }
}
