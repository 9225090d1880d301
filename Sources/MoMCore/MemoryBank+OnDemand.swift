import Synchronization

/// The memories a state read on demand does not hold yet, and the ones a read asked for.
///
/// A read of an absent memory adds nothing to the read-out and is recorded here; the caller
/// loads the recorded memories and reads again, until a read asks for none it lacks: that read
/// saw only memories in place, so it equals a read of the whole state (reads are deterministic).
final class AbsentMemories: Sendable {
    let absent: Set<Int>
    let misses = Mutex<Set<Int>>([])

    init(_ absent: Set<Int>) { self.absent = absent }

    /// Records a read of `memory` if it is absent; returns whether it was.
    func recordMiss(_ memory: Int) -> Bool {
        guard absent.contains(memory) else { return false }
        misses.withLock { _ = $0.insert(memory) }
        return true
    }
}

extension MemoryBank {
    /// Whether every memory is in place (always, except in a state read on demand).
    public var isComplete: Bool { _absent == nil }

    /// The memories not in place, ascending.
    public var absentMemories: [Int] { _absent?.absent.sorted() ?? [] }

    /// A bank of `count` memories with none in place: zero matrices that reads report as missing.
    init(absent count: Int, dk: Int, dv: Int, rowFormat: RowFormat, scales: [Float]) {
        self.init(count: count, dk: dk, dv: dv, rowFormat: rowFormat)
        _scales = scales
        _absent = count > 0 ? AbsentMemories(Set(0..<count)) : nil
    }

    /// Puts memory m in place from its byte planes as the encoded state lays them out: for
    /// Float32 rows four planes (`planes[b · dk·dv + x]` is byte b of value x), for int8 rows the
    /// codes themselves.
    mutating func install(memory: Int, planes: UnsafeRawBufferPointer) throws {
        let values = dk * dv
        let expected = rowFormat.bytesPerValue * values
        guard planes.count == expected else {
            throw MoMError(.corruptState, "memory \(memory) holds \(planes.count) bytes, not \(expected)")
        }
        let base = memory * values
        switch rowFormat {
        case .float32:
            var finite = true
            _storage.withUnsafeMutableBufferPointer { storage in
                for index in 0..<values {
                    let bits =
                        UInt32(planes[index]) | UInt32(planes[values + index]) << 8 | UInt32(planes[2 * values + index]) << 16
                        | UInt32(planes[3 * values + index]) << 24
                    let value = Float(bitPattern: bits)
                    finite = finite && value.isFinite
                    storage[base + index] = value
                }
            }
            guard finite else { throw MoMError(.corruptState, "state memory \(memory) holds non-finite values") }
        case .int8:
            guard !ByteReader.holdsCodeOutOfRange(planes) else {
                throw MoMError(.corruptState, "state memory \(memory) holds a code outside −127…127")
            }
            _codes.withUnsafeMutableBytes { codes in
                UnsafeMutableRawBufferPointer(rebasing: codes[base..<(base + values)]).copyMemory(from: planes)
            }
        }
        if var absent = _absent?.absent {
            absent.remove(memory)
            _absent = absent.isEmpty ? nil : AbsentMemories(absent)
        }
    }

    /// The same bank with a fresh record of misses.
    func recordingMisses() -> (MemoryBank, AbsentMemories?) {
        guard let absent = _absent else { return (self, nil) }
        var copy = self
        copy._absent = AbsentMemories(absent.absent)
        return (copy, copy._absent)
    }
}
