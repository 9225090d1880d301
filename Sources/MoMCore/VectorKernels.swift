import CKernels

/// Small vector kernels over raw pointers, in SIMD8 lanes with a scalar tail.
///
/// Each lane computes exactly what the scalar loop computes (`y + a·x`, one rounding per
/// operation, never fused), so the fast paths give the plain reference's bits.
enum VectorKernels {
    /// y[j] ← y[j] + a·x[j] for j in 0..<count.
    @inline(__always)
    static func accumulate(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, count: Int) {
        let lanes = SIMD8<Float>(repeating: a)
        var offset = 0
        while offset &+ 8 <= count {  // offsets stay below count, so &+ cannot overflow
            let xs = UnsafeRawPointer(x + offset).loadUnaligned(as: SIMD8<Float>.self)
            let ys = UnsafeRawPointer(y + offset).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + offset).storeBytes(of: ys + lanes * xs, as: SIMD8<Float>.self)
            offset &+= 8
        }
        while offset < count {
            y[offset] = y[offset] + a * x[offset]
            offset &+= 1
        }
    }

    /// The dot product Σ x[j]·y[j], summed left to right.
    @inline(__always)
    static func dotSequential(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var sum: Float = 0
        var offset = 0
        while offset < count {
            sum = sum + x[offset] * y[offset]
            offset &+= 1
        }
        return sum
    }

    /// out[j] ← Σₚ weights[p]·matrix[rows[p]·width + j], rows in the order given, each column
    /// summed left to right from 0 — the dense reference's sums when the rows ascend.
    ///
    /// Columns go eight at a time with the partial sums in registers, so no sum waits on a store.
    @inline(__always)
    static func gatherRows(
        into out: UnsafeMutablePointer<Float>, matrix: UnsafePointer<Float>, rows: UnsafePointer<Int32>,
        weights: UnsafePointer<Float>, rowCount: Int, width: Int
    ) {
        var column = 0
        while column &+ 8 <= width {  // column < width, so &+ cannot overflow
            var sums = SIMD8<Float>(repeating: 0)
            for position in 0..<rowCount {
                let row = matrix + (Int(rows[position]) &* width &+ column)  // inside the matrix
                let xs = UnsafeRawPointer(row).loadUnaligned(as: SIMD8<Float>.self)
                sums = sums + SIMD8<Float>(repeating: weights[position]) * xs
            }
            UnsafeMutableRawPointer(out + column).storeBytes(of: sums, as: SIMD8<Float>.self)
            column &+= 8
        }
        while column < width {
            var sum: Float = 0
            for position in 0..<rowCount {
                sum = sum + weights[position] * matrix[Int(rows[position]) &* width &+ column]
            }
            out[column] = sum
            column &+= 1
        }
    }

    // MARK: Int8 rows

    /// `gatherRows` over int8 codes: out[j] ← Σₚ weights[p]·codes[rows[p]·width + j], rows in the
    /// order given, each column summed left to right from 0 (in C: Sources/CKernels).
    @inline(__always)
    static func gatherRows(
        into out: UnsafeMutablePointer<Float>, codes: UnsafePointer<Int8>, rows: UnsafePointer<Int32>,
        weights: UnsafePointer<Float>, rowCount: Int, width: Int
    ) {
        momd_gather_codes(out, codes, rows, weights, Int32(truncatingIfNeeded: rowCount), Int32(truncatingIfNeeded: width))
    }

    /// codes[j] ← codes[j] + a·x[j], rounded to the nearest integer (ties to even) and clamped to
    /// −127…127: one write to an int8 row, computed in Float32 (in C: Sources/CKernels).
    @inline(__always)
    static func accumulate(codes: UnsafeMutablePointer<Int8>, _ a: Float, _ x: UnsafePointer<Float>, count: Int) {
        momd_add_to_codes(codes, a, x, Int32(truncatingIfNeeded: count))
    }

    /// `accumulate(codes:)` of `x` into each of `rows` (rows of `width` codes at `codes`), weight
    /// `weights[p]`, in order: a write's rows in one call (in C: Sources/CKernels).
    @inline(__always)
    static func accumulateRows(
        codes: UnsafeMutablePointer<Int8>, rows: UnsafePointer<Int32>, weights: UnsafePointer<Float>, rowCount: Int,
        _ x: UnsafePointer<Float>, width: Int
    ) {
        momd_add_rows_to_codes(codes, rows, weights, Int32(truncatingIfNeeded: rowCount), x, Int32(truncatingIfNeeded: width))
    }
}
