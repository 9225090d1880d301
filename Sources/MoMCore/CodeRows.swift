#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's bytes mapped read-only into memory, unmapped when the last holder lets go.
///
/// The pages are the kernel's cached pages of the file: mapping a state image costs neither a
/// copy nor a cleared page per 4 KiB, and an ask then touches only the rows it reads. The file
/// must not be cut short while it is mapped (a read past its end would fault); momd replaces
/// files by renaming new ones into place and removes them by unlinking, which leaves a mapping
/// of the old file intact.
public final class MappedFile: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int

    /// Maps `count` bytes of an open file from its start, its pages read in at once (the caller
    /// is about to check every byte); nil when the file cannot be mapped.
    public init?(descriptor: Int32, count: Int) {
        guard count > 0 else { return nil }
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let address = mmap(nil, count, PROT_READ, flags, descriptor, 0), address != MAP_FAILED else { return nil }
        base = UnsafeRawPointer(address)
        self.count = count
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// The int8 rows of a memory bank: an array the bank owns, or rows of a mapped state image
/// (`MappedFile`) until the first write, which copies them into an array of the bank's own.
/// Both hold the same values the same way, so a state answers and encodes alike from either.
public struct CodeRows: Sendable, Equatable {
    private var owned: [Int8]
    private var mapping: (file: MappedFile, offset: Int)?
    public let count: Int

    public init(_ codes: [Int8]) {
        owned = codes
        count = codes.count
    }

    /// `count` codes at `offset` of a mapped file.
    public init(mapping file: MappedFile, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= file.count, "the codes lie outside the mapping")
        owned = []
        mapping = (file, offset)
        self.count = count
    }

    /// Whether the rows are still those of a mapped file.
    public var isMapped: Bool { mapping != nil }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Int8>) throws -> R) rethrows -> R {
        if let (file, offset) = mapping {
            return try body(UnsafeBufferPointer(start: (file.base + offset).assumingMemoryBound(to: Int8.self), count: count))
        }
        return try owned.withUnsafeBufferPointer(body)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
    }

    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Int8>) throws -> R) rethrows -> R {
        ownRows()
        return try owned.withUnsafeMutableBufferPointer(body)
    }

    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        ownRows()
        return try owned.withUnsafeMutableBytes(body)
    }

    public subscript(index: Int) -> Int8 {
        precondition(index >= 0 && index < count, "code index out of range")
        return withUnsafeBufferPointer { $0[index] }
    }

    /// The codes as an array (a copy when they are mapped).
    public var array: [Int8] {
        mapping == nil ? owned : withUnsafeBufferPointer { [Int8]($0) }
    }

    /// Copies mapped rows into an array of the bank's own, before a write.
    private mutating func ownRows() {
        guard mapping != nil else { return }
        owned = array
        mapping = nil
    }

    public static func == (lhs: CodeRows, rhs: CodeRows) -> Bool {
        lhs.count == rhs.count
            && (lhs.count == 0
                || lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 } })
    }
}
