import CKernels

/// The memory matrices and their gated-delta-rule kernels.
///
/// Each memory is a dk × dv matrix, one row per key dimension (`S: [dk, dv]`), so a sparse key
/// touches only its rows. The rows hold Float32 values or, in the `.int8` row format, fixed-point
/// int8 codes in steps of 1/64 (`RowFormat`): a byte holds four times the rows, and rows are what
/// a fixed-size memory recalls with. Every write is computed in Float32 either way — the
/// prediction Sᵀk, the error β(v − Sᵀk) and each row's new values — and an int8 row rounds its new
/// values to the nearest step (ties to even) and clamps them to ±127 steps. The rounding is what
/// the delta rule exists to erase: the next write of the same key sees it in its prediction.
///
/// Decay is lazy: memory m holds `scales[m] · stored[m]`, so multiplying by α costs O(1) and a
/// write stays O(nnz · dv). When a scale falls below its format's floor the scale is folded back
/// into the matrix.
public struct MemoryBank: Sendable, Equatable {
    public let count: Int
    public let dk: Int
    public let dv: Int
    public let rowFormat: RowFormat
    /// Float32 rows, all matrices back to back: memory m, row i, column j at `(m * dk + i) * dv + j`.
    /// Empty in the int8 format.
    @usableFromInline var _storage: [Float]
    /// Int8 rows in the same order, in steps of `codeStep`, owned or mapped from a state image.
    /// Empty in the Float32 format.
    @usableFromInline var _codes: CodeRows
    @usableFromInline var _scales: [Float]
    /// Scratch for Sᵀk, allocated once.
    @usableFromInline var _prediction: [Float]
    /// Memories not in place in a state read on demand (MemoryBank+OnDemand.swift); nil when
    /// every memory is.
    var _absent: AbsentMemories?

    static let renormalizeBelow: Float = 1e-20
    /// An int8 memory folds its scale in sooner: a write is stored divided by the scale, so a small
    /// scale would push every write against the clamp.
    static let renormalizeCodesBelow: Float = 0.5
    /// The value of one int8 step.
    public static let codeStep: Float = 1.0 / 64
    /// Steps per unit value (exactly 64, so dividing by a step is exact).
    static let stepsPerUnit: Float = 64

    public init(count: Int, dk: Int, dv: Int, rowFormat: RowFormat = .float32) {
        self.count = count
        self.dk = dk
        self.dv = dv
        self.rowFormat = rowFormat
        _storage = rowFormat == .float32 ? [Float](repeating: 0, count: count * dk * dv) : []
        _codes = CodeRows(rowFormat == .int8 ? [Int8](repeating: 0, count: count * dk * dv) : [])
        _scales = [Float](repeating: 1, count: count)
        _prediction = [Float](repeating: 0, count: dv)
    }

    /// A bank of decoded rows: the arrays are taken as they are (a fresh bank's zero rows would
    /// be allocated and cleared only to be dropped).
    init(count: Int, dk: Int, dv: Int, storage: [Float], scales: [Float]) {
        self.init(count: count, dk: dk, dv: dv, rowFormat: .float32, storage: storage, codes: CodeRows([]), scales: scales)
    }

    init(count: Int, dk: Int, dv: Int, codes: [Int8], scales: [Float]) {
        self.init(count: count, dk: dk, dv: dv, codes: CodeRows(codes), scales: scales)
    }

    init(count: Int, dk: Int, dv: Int, codes: CodeRows, scales: [Float]) {
        self.init(count: count, dk: dk, dv: dv, rowFormat: .int8, storage: [], codes: codes, scales: scales)
    }

    private init(count: Int, dk: Int, dv: Int, rowFormat: RowFormat, storage: [Float], codes: CodeRows, scales: [Float]) {
        self.count = count
        self.dk = dk
        self.dv = dv
        self.rowFormat = rowFormat
        _storage = storage
        _codes = codes
        _scales = scales
        _prediction = [Float](repeating: 0, count: dv)
    }

    public static func == (lhs: MemoryBank, rhs: MemoryBank) -> Bool {
        lhs.count == rhs.count && lhs.dk == rhs.dk && lhs.dv == rhs.dv && lhs.rowFormat == rhs.rowFormat
            && lhs._storage == rhs._storage && lhs._codes == rhs._codes && lhs._scales == rhs._scales
    }

    /// The stored (unscaled) floats, memory after memory (Float32 rows; empty for int8 ones).
    public var storedValues: [Float] { _storage }
    /// The stored int8 codes, memory after memory (int8 rows; empty for Float32 ones).
    public var storedCodes: [Int8] { _codes.array }
    /// The stored int8 codes' bytes, without a copy.
    public func withStoredCodeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try _codes.withUnsafeBytes(body)
    }
    /// Whether the int8 rows are still those of a mapped state image (no write since).
    public var codesAreMapped: Bool { _codes.isMapped }
    /// The lazy decay scale of each memory.
    public var scales: [Float] { _scales }
    /// Bytes the matrices take in memory and in an encoded state.
    public var matrixByteCount: Int { _storage.count * MemoryLayout<Float>.size + _codes.count }

    /// Memory m as a dense dk × dv matrix with its scale applied.
    public func matrix(_ memory: Int) -> [Float] {
        let base = memory * dk * dv
        let scale = _scales[memory]
        switch rowFormat {
        case .float32: return (0..<(dk * dv)).map { _storage[base + $0] * scale }
        case .int8: return (0..<(dk * dv)).map { Float(_codes[base + $0]) * Self.codeStep * scale }
        }
    }

    /// Whether every float is finite: no NaN or Inf ever enters a memory.
    public var isFinite: Bool { _storage.allSatisfy(\.isFinite) && _scales.allSatisfy(\.isFinite) }

    // MARK: Fast kernel

    /// One gated-delta-rule step on memory m with a sparse unit key:
    /// S ← αS; u = β(v − Sᵀk); S ← S + k uᵀ, touching only the key's rows.
    public mutating func update(memory: Int, key: SparseVector, value: [Float], alpha: Float, beta: Float) {
        precondition(value.count == dv, "value must have dv entries")
        decay(memory, by: alpha)
        let scale = _scales[memory]
        let dv = self.dv
        let base = memory * dk * dv
        let int8 = rowFormat == .int8
        var scratch: [Float] = []
        swap(&scratch, &_prediction)  // the scratch leaves self while the rows are written
        defer { swap(&scratch, &_prediction) }
        value.withUnsafeBufferPointer { value in
            scratch.withUnsafeMutableBufferPointer { prediction in
                key.indices.withUnsafeBufferPointer { indices in
                    key.values.withUnsafeBufferPointer { values in
                        let prediction = prediction.baseAddress!
                        let rows = indices.baseAddress!
                        let weights = values.baseAddress!
                        // Sᵀk over the touched rows, ascending: the same sums as the dense
                        // loop, since the rows it skips add exact zeros.
                        if int8 {
                            _codes.withUnsafeBufferPointer { codes in
                                VectorKernels.gatherRows(
                                    into: prediction, codes: codes.baseAddress! + base, rows: rows, weights: weights,
                                    rowCount: indices.count, width: dv)
                            }
                        } else {
                            _storage.withUnsafeBufferPointer { storage in
                                VectorKernels.gatherRows(
                                    into: prediction, matrix: storage.baseAddress! + base, rows: rows, weights: weights,
                                    rowCount: indices.count, width: dv)
                            }
                        }
                        // u = β(v − scale·Sᵀk), stored divided by the scale (and, for codes, by the
                        // step; the gathered sums of codes are in steps too).
                        for column in 0..<dv {
                            let predicted = int8 ? prediction[column] * Self.codeStep : prediction[column]
                            var delta = beta * (value[column] - scale * predicted)
                            if scale != 1 { delta /= scale }
                            prediction[column] = int8 ? delta * Self.stepsPerUnit : delta
                        }
                        addRows(base: base, rows: rows, weights: weights, rowCount: indices.count, delta: prediction)
                    }
                }
            }
        }
    }

    /// One Hebbian (linear-attention) step on memory m: S ← αS; S ← S + k (βv)ᵀ.
    public mutating func updateHebbian(memory: Int, key: SparseVector, value: [Float], alpha: Float, beta: Float) {
        precondition(value.count == dv, "value must have dv entries")
        decay(memory, by: alpha)
        let scale = _scales[memory]
        let unit = rowFormat == .int8 ? Self.stepsPerUnit : 1
        var scratch: [Float] = []
        swap(&scratch, &_prediction)  // the scratch leaves self while the rows are written
        defer { swap(&scratch, &_prediction) }
        for column in 0..<dv { scratch[column] = beta * value[column] / scale * unit }
        scratch.withUnsafeBufferPointer { delta in
            key.indices.withUnsafeBufferPointer { indices in
                key.values.withUnsafeBufferPointer { values in
                    addRows(
                        base: memory * dk * dv, rows: indices.baseAddress!, weights: values.baseAddress!,
                        rowCount: indices.count, delta: delta.baseAddress!)
                }
            }
        }
    }

    /// Row rows[p] of the matrix at `base` ← itself + weights[p]·delta, in the stored units (steps
    /// for int8 rows, rounded and clamped).
    private mutating func addRows(
        base: Int, rows: UnsafePointer<Int32>, weights: UnsafePointer<Float>, rowCount: Int, delta: UnsafePointer<Float>
    ) {
        let dv = self.dv
        switch rowFormat {
        case .float32:
            _storage.withUnsafeMutableBufferPointer { storage in
                for position in 0..<rowCount {
                    let row = storage.baseAddress! + base + Int(rows[position]) &* dv  // inside the matrix
                    VectorKernels.accumulate(row, weights[position], delta, count: dv)
                }
            }
        case .int8:
            _codes.withUnsafeMutableBufferPointer { codes in
                VectorKernels.accumulateRows(codes: codes.baseAddress! + base, rows: rows, weights: weights, rowCount: rowCount, delta, width: dv)
            }
        }
    }

    /// Asks the cache for memory m's rows of `key` ahead of a write to them.
    public func prefetch(memory: Int, key: SparseVector) {
        let base = memory * dk * dv
        key.indices.withUnsafeBufferPointer { rows in
            switch rowFormat {
            case .float32:
                _storage.withUnsafeBufferPointer {
                    momd_prefetch_rows($0.baseAddress! + base, rows.baseAddress!, Int32(rows.count), dv * 4)
                }
            case .int8:
                _codes.withUnsafeBufferPointer {
                    momd_prefetch_rows($0.baseAddress! + base, rows.baseAddress!, Int32(rows.count), dv)
                }
            }
        }
    }

    /// Adds `weight · Sᵀq` of memory m to `output` (dv floats), reading only the query's rows.
    public func read(memory: Int, query: SparseVector, weight: Float, into output: inout [Float]) {
        if let absent = _absent, absent.recordMiss(memory) { return }
        guard !query.indices.isEmpty else { return }
        let dv = self.dv
        let base = memory * dk * dv
        // On the stack: a read is a few rows, and a heap array per read cost more than the rows.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: dv) { sums in
            sums.initialize(repeating: 0)
            switch rowFormat {
            case .float32:
                _storage.withUnsafeBufferPointer { storage in
                    for position in 0..<query.indices.count {
                        let row = storage.baseAddress! + base + Int(query.indices[position]) &* dv
                        VectorKernels.accumulate(sums.baseAddress!, query.values[position], row, count: dv)
                    }
                }
            case .int8:
                // The same sums as adding the rows one at a time, kept in registers.
                _codes.withUnsafeBufferPointer { codes in
                    query.indices.withUnsafeBufferPointer { rows in
                        query.values.withUnsafeBufferPointer { weights in
                            VectorKernels.gatherRows(
                                into: sums.baseAddress!, codes: codes.baseAddress! + base, rows: rows.baseAddress!,
                                weights: weights.baseAddress!, rowCount: rows.count, width: dv)
                        }
                    }
                }
            }
            let scale = _scales[memory] * weight * (rowFormat == .int8 ? Self.codeStep : 1)
            for column in 0..<dv { output[column] += scale * sums[column] }
        }
    }

    /// S ← αS for memory m, lazily.
    private mutating func decay(_ memory: Int, by alpha: Float) {
        guard alpha != 1 else { return }
        _scales[memory] *= alpha
        let floor = rowFormat == .int8 ? Self.renormalizeCodesBelow : Self.renormalizeBelow
        if _scales[memory] < floor { renormalize(memory) }
    }

    mutating func renormalize(_ memory: Int) {
        let scale = _scales[memory]
        let base = memory * dk * dv
        switch rowFormat {
        case .float32:
            for offset in 0..<(dk * dv) { _storage[base + offset] *= scale }
        case .int8:
            let count = dk * dv
            _codes.withUnsafeMutableBufferPointer { codes in
                for offset in base..<(base + count) {
                    codes[offset] = Int8((Float(codes[offset]) * scale).rounded(.toNearestOrEven))
                }
            }
        }
        _scales[memory] = 1
    }
}

/// The gated delta rule on dense arrays, written as plainly as the recurrence reads: the
/// reference every fast kernel and the flash-linear-attention fixtures are checked against.
public enum GatedDeltaRule {
    /// One step on a dense state `S: [dk, dv]`: S ← exp(g)·S; u = β(v − Sᵀk); S ← S + k uᵀ.
    public static func referenceStep(
        state: inout [Float], key: [Float], value: [Float], beta: Float, logDecay: Float, dk: Int, dv: Int
    ) {
        precondition(state.count == dk * dv && key.count == dk && value.count == dv, "shapes must agree")
        if logDecay != 0 {
            let decay = Float.exp(logDecay)
            for index in 0..<state.count { state[index] *= decay }
        }
        var prediction = [Float](repeating: 0, count: dv)
        for row in 0..<dk {
            for column in 0..<dv { prediction[column] += key[row] * state[row * dv + column] }
        }
        var delta = [Float](repeating: 0, count: dv)
        for column in 0..<dv { delta[column] = beta * (value[column] - prediction[column]) }
        for row in 0..<dk {
            for column in 0..<dv { state[row * dv + column] += key[row] * delta[column] }
        }
    }

    /// The read o = Sᵀq of a dense state.
    public static func referenceRead(state: [Float], query: [Float], dk: Int, dv: Int) -> [Float] {
        precondition(state.count == dk * dv && query.count == dk, "shapes must agree")
        var output = [Float](repeating: 0, count: dv)
        for row in 0..<dk {
            for column in 0..<dv { output[column] += query[row] * state[row * dv + column] }
        }
        return output
    }

    /// Runs the recurrence over T steps as flash-linear-attention's naive op does: the output of
    /// step t reads the state after its update, with the query scaled by `scale`.
    public static func referenceSequence(
        queries: [Float], keys: [Float], values: [Float], betas: [Float], logDecays: [Float],
        initialState: [Float]?, scale: Float, steps: Int, dk: Int, dv: Int
    ) -> (outputs: [Float], finalState: [Float]) {
        var state = initialState ?? [Float](repeating: 0, count: dk * dv)
        var outputs: [Float] = []
        outputs.reserveCapacity(steps * dv)
        for step in 0..<steps {
            let key = Array(keys[(step * dk)..<((step + 1) * dk)])
            let value = Array(values[(step * dv)..<((step + 1) * dv)])
            referenceStep(state: &state, key: key, value: value, beta: betas[step], logDecay: logDecays[step], dk: dk, dv: dv)
            let query = queries[(step * dk)..<((step + 1) * dk)].map { $0 * scale }
            outputs.append(contentsOf: referenceRead(state: state, query: query, dk: dk, dv: dv))
        }
        return (outputs, state)
    }
}
