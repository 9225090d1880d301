#ifndef MOMD_CKERNELS_H
#define MOMD_CKERNELS_H

#include <stdint.h>

/// out[j] = Σₚ weights[p]·codes[rows[p]·width + j] for j in 0..<width: each column summed over
/// the rows in the order given, from 0, one rounding per product and per sum (never fused).
void momd_gather_codes(float *out, const int8_t *codes, const int32_t *rows, const float *weights, int row_count, int width);

/// row[j] = clamp(round(row[j] + a·x[j]), −127, 127) for j in 0..<count: the product and the sum
/// rounded once each in Float32, then rounded to the nearest integer, ties to even.
void momd_add_to_codes(int8_t *row, float a, const float *x, int count);

/// Asks the cache for the rows `rows[p]` of `width` bytes each at `base`, ahead of a read.
void momd_prefetch_rows(const void *base, const int32_t *rows, int row_count, long width);

#endif
