import CLZ4

/// Standard LZ4 frames (the format `lz4 -d` reads) with the content size, a checksum per block and
/// a content checksum, so a damaged frame is refused instead of decoded into wrong bytes.
///
/// The block checksums are there because the content checksum alone misses a few changes that
/// decode to the same bytes (the match-length bits of a block's last token are never read); with
/// them, every changed byte of a frame is refused.
public enum LZ4Frame {
    /// Compresses `bytes` into one frame: blocks of up to 4 MiB (linked when there are several),
    /// the content size, an xxHash32 checksum per block and one of the content.
    public static func compress(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max4MB
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.contentSize = UInt64(bytes.count)
        preferences.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled
        preferences.compressionLevel = 0
        let bound = LZ4F_compressFrameBound(bytes.count, &preferences)
        return [UInt8](unsafeUninitializedCapacity: bound) { output, initialized in
            let written = LZ4F_compressFrame(output.baseAddress, bound, bytes.baseAddress, bytes.count, &preferences)
            // The bound is LZ4's own worst case for these preferences, so compression cannot fail.
            precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame failed: \(errorName(written))")
            initialized = written
        }
    }

    /// Compresses a byte array into one frame.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { compress($0) }
    }

    /// Decompresses one whole frame, all or nothing.
    ///
    /// - Parameters:
    ///   - expectedSize: if given, the frame must declare exactly this many content bytes.
    ///   - limit: the most content bytes a frame may declare (guards the allocation).
    /// - Throws: `StoreError(.corruptData)` naming what failed: the frame header, a block, the
    ///   content checksum, a missing content size, truncation or trailing bytes.
    public static func decompress(_ frame: UnsafeRawBufferPointer, expectedSize: Int? = nil, limit: Int = 1 << 33) throws
        -> [UInt8]
    {
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let context else {
            throw StoreError(.database, "cannot create an LZ4 decompression context: \(errorName(created))")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        guard let base = frame.baseAddress, frame.count > 0 else { throw corrupt("the LZ4 frame is empty") }
        var info = LZ4F_frameInfo_t()
        var headerBytes = frame.count
        let hint = LZ4F_getFrameInfo(context, &info, base, &headerBytes)
        guard LZ4F_isError(hint) == 0 else { throw corrupt("bad LZ4 frame header (\(errorName(hint)))") }
        guard info.contentChecksumFlag == LZ4F_contentChecksumEnabled, info.blockChecksumFlag == LZ4F_blockChecksumEnabled
        else {
            throw corrupt("the LZ4 frame lacks its block or content checksums")
        }
        guard info.contentSize > 0, info.contentSize <= UInt64(limit) else {
            throw corrupt("the LZ4 frame declares \(info.contentSize) content bytes")
        }
        let size = Int(info.contentSize)
        if let expectedSize, expectedSize != size {
            throw corrupt("the LZ4 frame holds \(size) bytes where \(expectedSize) were recorded")
        }
        var consumed = headerBytes
        var produced = 0
        let output = try [UInt8](unsafeUninitializedCapacity: size) { output, initialized in
            initialized = 0
            while true {
                var sourceSize = frame.count - consumed
                var outputSize = size - produced
                let next = LZ4F_decompress(
                    context, output.baseAddress! + produced, &outputSize, base + consumed, &sourceSize, nil)
                guard LZ4F_isError(next) == 0 else {
                    throw corrupt("the LZ4 frame does not decode (\(errorName(next)))")
                }
                consumed += sourceSize
                produced += outputSize
                if next == 0 { break }  // frame complete and its content checksum verified
                guard sourceSize > 0 || outputSize > 0 else {
                    throw corrupt(
                        consumed == frame.count
                            ? "the LZ4 frame is truncated" : "the LZ4 frame holds more than its declared \(size) bytes")
                }
            }
            initialized = produced
        }
        guard produced == size else {
            throw corrupt("the LZ4 frame decodes to \(produced) bytes, not its declared \(size)")
        }
        guard consumed == frame.count else {
            throw corrupt("\(frame.count - consumed) unexpected bytes follow the LZ4 frame")
        }
        return output
    }

    /// Decompresses one whole frame held in a byte array.
    public static func decompress(_ frame: [UInt8], expectedSize: Int? = nil, limit: Int = 1 << 33) throws -> [UInt8] {
        try frame.withUnsafeBytes { try decompress($0, expectedSize: expectedSize, limit: limit) }
    }

    static func corrupt(_ message: String) -> StoreError { StoreError(.corruptData, message) }

    static func errorName(_ code: Int) -> String {
        String(cString: LZ4F_getErrorName(code))
    }
}
