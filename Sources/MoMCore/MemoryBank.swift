/// The memory matrices and their gated-delta-rule kernels.
///
/// Each memory is a dk × dv Float32 matrix, one row per key dimension (`S: [dk, dv]`), so a sparse
/// key touches only its rows. State stays Float32 — not Float16 — because the delta rule subtracts
/// the memory's own prediction each step, and the rounding of a narrower type would accumulate
/// over millions of writes into the very error the rule exists to erase.
///
/// Decay is lazy: memory m holds `scales[m] · stored[m]`, so multiplying by α costs O(1) and a
/// write stays O(nnz · dv). When a scale falls below `renormalizeBelow` the scale is folded back
/// into the matrix.
public struct MemoryBank: Sendable, Equatable {
    public let count: Int
    public let dk: Int
    public let dv: Int
    /// All matrices back to back: memory m, row i, column j at `(m * dk + i) * dv + j`.
    @usableFromInline var _storage: [Float]
    @usableFromInline var _scales: [Float]
    /// Scratch for Sᵀk, allocated once.
    @usableFromInline var _prediction: [Float]
    /// Memories not in place in a state read on demand (MemoryBank+OnDemand.swift); nil when
    /// every memory is.
    var _absent: AbsentMemories?

    static let renormalizeBelow: Float = 1e-20

    public init(count: Int, dk: Int, dv: Int) {
        self.count = count
        self.dk = dk
        self.dv = dv
        _storage = [Float](repeating: 0, count: count * dk * dv)
        _scales = [Float](repeating: 1, count: count)
        _prediction = [Float](repeating: 0, count: dv)
    }

    init(count: Int, dk: Int, dv: Int, storage: [Float], scales: [Float]) {
        self.init(count: count, dk: dk, dv: dv)
        _storage = storage
        _scales = scales
    }

    public static func == (lhs: MemoryBank, rhs: MemoryBank) -> Bool {
        lhs.count == rhs.count && lhs.dk == rhs.dk && lhs.dv == rhs.dv && lhs._storage == rhs._storage
            && lhs._scales == rhs._scales
    }

    /// The stored (unscaled) floats, memory after memory.
    public var storedValues: [Float] { _storage }
    /// The lazy decay scale of each memory.
    public var scales: [Float] { _scales }

    /// Memory m as a dense dk × dv matrix with its scale applied.
    public func matrix(_ memory: Int) -> [Float] {
        let base = memory * dk * dv
        let scale = _scales[memory]
        return (0..<(dk * dv)).map { _storage[base + $0] * scale }
    }

    /// Whether every float is finite: no NaN or Inf ever enters a memory.
    public var isFinite: Bool { _storage.allSatisfy(\.isFinite) && _scales.allSatisfy(\.isFinite) }

    // MARK: Fast kernel

    /// One gated-delta-rule step on memory m with a sparse unit key:
    /// S ← αS; u = β(v − Sᵀk); S ← S + k uᵀ, touching only the key's rows.
    public mutating func update(memory: Int, key: SparseVector, value: [Float], alpha: Float, beta: Float) {
        precondition(value.count == dv, "value must have dv entries")
        if alpha != 1 {
            _scales[memory] *= alpha
            if _scales[memory] < Self.renormalizeBelow { renormalize(memory) }
        }
        let scale = _scales[memory]
        let dv = self.dv
        let base = memory * dk * dv
        value.withUnsafeBufferPointer { value in
            _prediction.withUnsafeMutableBufferPointer { prediction in
                _storage.withUnsafeMutableBufferPointer { storage in
                    key.indices.withUnsafeBufferPointer { indices in
                        key.values.withUnsafeBufferPointer { values in
                            let prediction = prediction.baseAddress!
                            let matrix = storage.baseAddress! + base
                            // Sᵀk over the touched rows, ascending: the same sums as the dense
                            // loop, since the rows it skips add exact zeros.
                            VectorKernels.gatherRows(
                                into: prediction, matrix: matrix, rows: indices.baseAddress!,
                                weights: values.baseAddress!, rowCount: indices.count, width: dv)
                            // u = β(v − scale·Sᵀk), stored divided by the scale.
                            for column in 0..<dv {
                                var delta = beta * (value[column] - scale * prediction[column])
                                if scale != 1 { delta /= scale }
                                prediction[column] = delta
                            }
                            for position in 0..<indices.count {
                                let row = matrix + Int(indices[position]) &* dv  // < dk·dv: no overflow
                                VectorKernels.accumulate(row, values[position], prediction, count: dv)
                            }
                        }
                    }
                }
            }
        }
    }

    /// One Hebbian (linear-attention) step on memory m: S ← αS; S ← S + k (βv)ᵀ.
    public mutating func updateHebbian(memory: Int, key: SparseVector, value: [Float], alpha: Float, beta: Float) {
        precondition(value.count == dv, "value must have dv entries")
        if alpha != 1 {
            _scales[memory] *= alpha
            if _scales[memory] < Self.renormalizeBelow { renormalize(memory) }
        }
        let scale = _scales[memory]
        let dv = self.dv
        let base = memory * dk * dv
        for column in 0..<dv { _prediction[column] = beta * value[column] / scale }
        _prediction.withUnsafeBufferPointer { delta in
            _storage.withUnsafeMutableBufferPointer { storage in
                for position in 0..<key.indices.count {
                    let row = storage.baseAddress! + base + Int(key.indices[position]) &* dv  // inside the matrix
                    VectorKernels.accumulate(row, key.values[position], delta.baseAddress!, count: dv)
                }
            }
        }
    }

    /// Adds `weight · Sᵀq` of memory m to `output` (dv floats), reading only the query's rows.
    public func read(memory: Int, query: SparseVector, weight: Float, into output: inout [Float]) {
        if let absent = _absent, absent.recordMiss(memory) { return }
        let scale = _scales[memory] * weight
        let dv = self.dv
        let base = memory * dk * dv
        var sums = [Float](repeating: 0, count: dv)
        _storage.withUnsafeBufferPointer { storage in
            sums.withUnsafeMutableBufferPointer { sums in
                for position in 0..<query.indices.count {
                    let row = storage.baseAddress! + base + Int(query.indices[position]) &* dv
                    VectorKernels.accumulate(sums.baseAddress!, query.values[position], row, count: dv)
                }
            }
        }
        for column in 0..<dv { output[column] += scale * sums[column] }
    }

    mutating func renormalize(_ memory: Int) {
        let scale = _scales[memory]
        let base = memory * dk * dv
        for offset in 0..<(dk * dv) { _storage[base + offset] *= scale }
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
