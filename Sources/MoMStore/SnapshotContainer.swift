import MoMCore

/// How a snapshot's encoded state is kept in its blob: LZ4 frames back to back, one per piece of
/// the state (`StateLayout.pieces`: prefix, each byte plane of each memory, suffix), so that a
/// read can decompress the prefix, the suffix and only the memories it needs. `lz4 -d` turns the
/// blob into the encoded state, as it did when a blob was one frame (which momd still reads).
public enum SnapshotContainer {
    /// The blob of an encoded state: one frame per piece, or one frame for a state whose layout
    /// is not known here.
    public static func compress(_ encoded: [UInt8]) -> [UInt8] {
        guard let layout = StateLayout(header: encoded, totalLength: encoded.count) else {
            return LZ4Frame.compress(encoded)
        }
        var blob: [UInt8] = []
        blob.reserveCapacity(encoded.count + encoded.count / 8)
        encoded.withUnsafeBytes { bytes in
            for piece in layout.pieces {
                blob.append(contentsOf: LZ4Frame.compress(UnsafeRawBufferPointer(rebasing: bytes[piece])))
            }
        }
        return blob
    }

    /// The encoded state of a blob, all frames checked.
    public static func decompress(_ blob: UnsafeRawBufferPointer, stateBytes: Int) throws -> [UInt8] {
        try LZ4Frame.decompressConcatenated(blob, expectedSize: stateBytes)
    }
}
