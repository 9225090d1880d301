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
        let decoder = try FrameDecoder()
        let size = try decoder.contentSize(of: frame, limit: limit)
        if let expectedSize, expectedSize != size {
            throw corrupt("the LZ4 frame holds \(size) bytes where \(expectedSize) were recorded")
        }
        var consumed = 0
        let output = try [UInt8](unsafeUninitializedCapacity: size) { output, initialized in
            initialized = 0
            consumed = try decoder.decode(frame, into: UnsafeMutableRawBufferPointer(output))
            initialized = size
        }
        guard consumed == frame.count else {
            throw corrupt("\(frame.count - consumed) unexpected bytes follow the LZ4 frame")
        }
        return output
    }

    /// Decompresses frames written back to back (what `lz4 -d` turns into their contents back to
    /// back), all or nothing: every frame passes its checks and together they hold exactly
    /// `expectedSize` bytes.
    public static func decompressConcatenated(_ frames: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        let decoder = try FrameDecoder()
        var consumed = 0
        var produced = 0
        let output = try [UInt8](unsafeUninitializedCapacity: expectedSize) { output, initialized in
            initialized = 0
            while consumed < frames.count {
                let frame = UnsafeRawBufferPointer(rebasing: frames[consumed...])
                let size = try decoder.contentSize(of: frame, limit: expectedSize - produced)
                let target = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(output)[produced..<produced + size])
                consumed += try decoder.decode(frame, into: target)
                produced += size
            }
            guard produced == expectedSize else {
                throw corrupt("the LZ4 frames hold \(produced) bytes where \(expectedSize) were recorded")
            }
            initialized = produced
        }
        return output
    }

    /// The length of the frame that starts at `offset` of a larger buffer, found by reading its
    /// header and block sizes only (`read(offset, count)` returns those bytes), so one frame of
    /// many can be located without reading the others.
    public static func frameLength(at offset: Int, total: Int, read: (Int, Int) throws -> [UInt8]) throws -> Int {
        let headerLength = 15  // magic, FLG, BD, content size, header checksum: what `compress` writes
        guard total - offset >= headerLength + 4 else { throw corrupt("an LZ4 frame is truncated") }
        let header = try read(offset, headerLength)
        let magic = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
        guard magic == 0x184D_2204, header[4] & 0b1101_1111 == 0x5C else {
            throw corrupt("bad LZ4 frame header at byte \(offset)")
        }
        var position = offset + headerLength
        while true {
            guard total - position >= 4 else { throw corrupt("an LZ4 frame is truncated") }
            let word = try read(position, 4)
            let size = Int(UInt32(word[0]) | UInt32(word[1]) << 8 | UInt32(word[2]) << 16 | UInt32(word[3] & 0x7F) << 24)
            position += 4
            if size == 0 && word[3] & 0x80 == 0 { break }  // end mark
            position += size + 4  // the block and its checksum
            guard position <= total else { throw corrupt("an LZ4 frame is truncated") }
        }
        position += 4  // content checksum
        guard position <= total else { throw corrupt("an LZ4 frame is truncated") }
        return position - offset
    }

    /// One LZ4 decompression context, reused frame after frame.
    final class FrameDecoder {
        let context: OpaquePointer

        init() throws {
            var context: OpaquePointer?
            let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
            guard LZ4F_isError(created) == 0, let context else {
                throw StoreError(.database, "cannot create an LZ4 decompression context: \(errorName(created))")
            }
            self.context = context
        }

        deinit { LZ4F_freeDecompressionContext(context) }

        /// The content size the frame at the start of `frame` declares, after checking its header.
        func contentSize(of frame: UnsafeRawBufferPointer, limit: Int) throws -> Int {
            guard let base = frame.baseAddress, frame.count > 0 else { throw corrupt("the LZ4 frame is empty") }
            LZ4F_resetDecompressionContext(context)
            var info = LZ4F_frameInfo_t()
            var headerBytes = frame.count
            let hint = LZ4F_getFrameInfo(context, &info, base, &headerBytes)
            LZ4F_resetDecompressionContext(context)
            guard LZ4F_isError(hint) == 0 else { throw corrupt("bad LZ4 frame header (\(errorName(hint)))") }
            guard info.contentChecksumFlag == LZ4F_contentChecksumEnabled, info.blockChecksumFlag == LZ4F_blockChecksumEnabled
            else {
                throw corrupt("the LZ4 frame lacks its block or content checksums")
            }
            guard info.contentSize > 0, info.contentSize <= UInt64(max(limit, 0)) else {
                throw corrupt("the LZ4 frame declares \(info.contentSize) content bytes")
            }
            return Int(info.contentSize)
        }

        /// Decodes the frame at the start of `frame` into `output` (exactly its content size) and
        /// returns the bytes of `frame` it took; the content checksum is verified.
        func decode(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
            let base = frame.baseAddress!
            var consumed = 0
            var produced = 0
            while true {
                var sourceSize = frame.count - consumed
                var outputSize = output.count - produced
                let next = LZ4F_decompress(context, output.baseAddress! + produced, &outputSize, base + consumed, &sourceSize, nil)
                guard LZ4F_isError(next) == 0 else {
                    throw corrupt("the LZ4 frame does not decode (\(errorName(next)))")
                }
                consumed += sourceSize
                produced += outputSize
                if next == 0 { break }  // frame complete and its content checksum verified
                guard sourceSize > 0 || outputSize > 0 else {
                    throw corrupt(
                        consumed == frame.count
                            ? "the LZ4 frame is truncated" : "the LZ4 frame holds more than its declared \(output.count) bytes")
                }
            }
            guard produced == output.count else {
                throw corrupt("the LZ4 frame decodes to \(produced) bytes, not its declared \(output.count)")
            }
            return consumed
        }
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
