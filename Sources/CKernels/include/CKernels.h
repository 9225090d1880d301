#ifndef MOMD_CKERNELS_H
#define MOMD_CKERNELS_H

#include <stdint.h>

/// out[j] = Σₚ weights[p]·codes[rows[p]·width + j] for j in 0..<width: each column summed over
/// the rows in the order given, from 0, one rounding per product and per sum (never fused).
void momd_gather_codes(float *out, const int8_t *codes, const int32_t *rows, const float *weights, int row_count, int width);

/// row[j] = clamp(round(row[j] + a·x[j]), −127, 127) for j in 0..<count: the product and the sum
/// rounded once each in Float32, then rounded to the nearest integer, ties to even.
void momd_add_to_codes(int8_t *row, float a, const float *x, int count);

/// `momd_add_to_codes(codes + rows[p]·width, weights[p], x, width)` for each p in order: one
/// write's delta added to each of its rows, in one call.
void momd_add_rows_to_codes(int8_t *codes, const int32_t *rows, const float *weights, int row_count, const float *x, int width);

/// Asks the cache for the rows `rows[p]` of `width` bytes each at `base`, ahead of a read.
void momd_prefetch_rows(const void *base, const int32_t *rows, int row_count, long width);

/// Asks the cache for the line holding `address`, ahead of a read (inlined into the caller).
static inline void momd_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// Scores vocabulary entries by their 4-bit sign patterns, 32 entries a block:
/// scores[32·b + i] = Σₖ tables[16·k + nibble k of entry 32·b + i] for k in 0..<nibbles, in
/// wrapping 8-bit arithmetic (the caller keeps every sum below 256). blocks[(b·nibbles + k)·16 + i]
/// holds nibble k of entry 32·b + i in its low four bits and of entry 32·b + 16 + i in its high
/// four. Integer sums: every machine gets the same scores, with SSSE3 shuffles or without.
void momd_scan_nibbles(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables);

/// `momd_scan_nibbles` without SSSE3: the reference the shuffles are tested against.
void momd_scan_nibbles_scalar(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables);

/// The instruction sets `momd_scan_nibbles` picks from, best first where the CPU has them.
enum { MOMD_SCAN_SCALAR = 0, MOMD_SCAN_SSSE3 = 1, MOMD_SCAN_AVX2 = 2 };

/// `momd_scan_nibbles` with the given instructions: 1 when it ran, 0 (nothing written) when this
/// CPU or build lacks them. For tests that hold every path to the scalar one.
int momd_scan_nibbles_with(int instructions, uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables);

/// The smallest of scores[0..<count] (255 when count is 0).
uint8_t momd_min_score(const uint8_t *scores, long count);

/// Writes the indices e < count with scores[e] ≤ bound to entries, ascending, up to capacity of
/// them, and returns how many there are in all.
long momd_scores_at_most(const uint8_t *scores, long count, uint8_t bound, int32_t *entries, long capacity);

/// The CRC-32C (Castagnoli, as iSCSI and ext4 use it) of each third of data[0..<length]: lane k
/// covers bytes [k·p, (k+1)·p) with p = 8·⌊length / 24⌋, and the last lane also the bytes after
/// 3p. Three lanes so that SSE4.2's crc32 instruction runs three chains side by side.
void momd_crc32c_thirds(const uint8_t *data, long length, uint32_t crcs[3]);

/// `momd_crc32c_thirds` without SSE4.2, a bit at a time: the reference it is tested against.
void momd_crc32c_thirds_scalar(const uint8_t *data, long length, uint32_t crcs[3]);

#endif
