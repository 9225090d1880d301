// Int8 row kernels. The SSE2 lanes (every x86-64 has them) and the scalar loops compute the same
// Float32 operations in the same order, so every machine gets the same bits. Products and sums
// are separate roundings: the compiler may not contract them into fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

#if defined(__SSE2__)
#include <emmintrin.h>

/// Eight int8 codes at p as two vectors of four exact floats.
static inline void load_codes(const int8_t *p, __m128 *low, __m128 *high) {
    __m128i bytes = _mm_loadl_epi64((const __m128i *)p);
    __m128i words = _mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8);
    *low = _mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(words, words), 16));
    *high = _mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(words, words), 16));
}
#endif

static inline int8_t round_code(float y) {
    // fmaxf/fminf, like maxps/minps against the bounds, never return NaN for a NaN y.
    y = fminf(fmaxf(y, -127.0f), 127.0f);
    return (int8_t)nearbyintf(y);  // the default rounding: to nearest, ties to even (as cvtps2dq)
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/// The 32-column blocks of `momd_gather_codes` with AVX2: a block's four sums stay in registers
/// while every row is read once. The same products and sums in the same order per column, so
/// the same bits; returns the columns done.
__attribute__((target("avx2")))
static int gather_codes_avx2(float *out, const int8_t *codes, const int32_t *rows, const float *weights, int row_count, int width) {
    int column = 0;
    for (; column + 32 <= width; column += 32) {
        __m256 sums[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int p = 0; p < row_count; p++) {
            const int8_t *row = codes + (long)rows[p] * width + column;
            __m256 weight = _mm256_set1_ps(weights[p]);
            for (int k = 0; k < 4; k++) {
                __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(row + 8 * k))));
                sums[k] = _mm256_add_ps(sums[k], _mm256_mul_ps(weight, values));
            }
        }
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(out + column + 8 * k, sums[k]);
    }
    return column;
}
#endif

void momd_gather_codes(float *out, const int8_t *codes, const int32_t *rows, const float *weights, int row_count, int width) {
    int column = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2")) column = gather_codes_avx2(out, codes, rows, weights, row_count, width);
#endif
#if defined(__SSE2__)
    for (; column + 8 <= width; column += 8) {
        __m128 low_sum = _mm_setzero_ps(), high_sum = _mm_setzero_ps();
        for (int p = 0; p < row_count; p++) {
            __m128 low, high;
            load_codes(codes + (long)rows[p] * width + column, &low, &high);
            __m128 weight = _mm_set1_ps(weights[p]);
            low_sum = _mm_add_ps(low_sum, _mm_mul_ps(weight, low));
            high_sum = _mm_add_ps(high_sum, _mm_mul_ps(weight, high));
        }
        _mm_storeu_ps(out + column, low_sum);
        _mm_storeu_ps(out + column + 4, high_sum);
    }
#endif
    for (; column < width; column++) {
        float sum = 0;
        for (int p = 0; p < row_count; p++) {
            float product = weights[p] * (float)codes[(long)rows[p] * width + column];
            sum = sum + product;
        }
        out[column] = sum;
    }
}

void momd_add_to_codes(int8_t *row, float a, const float *x, int count) {
    int column = 0;
#if defined(__SSE2__)
    const __m128 scale = _mm_set1_ps(a), high_bound = _mm_set1_ps(127.0f), low_bound = _mm_set1_ps(-127.0f);
    for (; column + 8 <= count; column += 8) {
        __m128 low, high;
        load_codes(row + column, &low, &high);
        low = _mm_add_ps(low, _mm_mul_ps(scale, _mm_loadu_ps(x + column)));
        high = _mm_add_ps(high, _mm_mul_ps(scale, _mm_loadu_ps(x + column + 4)));
        // max then min with the bound second: a NaN lane becomes −127, as fmaxf gives.
        low = _mm_min_ps(_mm_max_ps(low, low_bound), high_bound);
        high = _mm_min_ps(_mm_max_ps(high, low_bound), high_bound);
        __m128i words = _mm_packs_epi32(_mm_cvtps_epi32(low), _mm_cvtps_epi32(high));
        _mm_storel_epi64((__m128i *)(row + column), _mm_packs_epi16(words, words));
    }
#endif
    for (; column < count; column++) {
        float product = a * x[column];
        row[column] = round_code((float)row[column] + product);
    }
}

#if defined(__x86_64__) || defined(__i386__)
/// `momd_add_rows_to_codes` with AVX2: eight columns an instruction instead of four, the same
/// operations in the same order per column (product, sum, clamp, round to nearest even).
__attribute__((target("avx2")))
static void add_rows_to_codes_avx2(int8_t *codes, const int32_t *rows, const float *weights, int row_count, const float *x, int width) {
    const __m256 high_bound = _mm256_set1_ps(127.0f), low_bound = _mm256_set1_ps(-127.0f);
    const int blocks = width / 8 * 8;
    for (int p = 0; p < row_count; p++) {
        int8_t *row = codes + (long)rows[p] * width;
        const __m256 scale = _mm256_set1_ps(weights[p]);
        for (int column = 0; column < blocks; column += 8) {
            __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(row + column))));
            values = _mm256_add_ps(values, _mm256_mul_ps(scale, _mm256_loadu_ps(x + column)));
            // max then min with the bound second: a NaN lane becomes −127, as fmaxf gives.
            values = _mm256_min_ps(_mm256_max_ps(values, low_bound), high_bound);
            __m256i words = _mm256_cvtps_epi32(values);
            __m128i halves = _mm_packs_epi32(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
            _mm_storel_epi64((__m128i *)(row + column), _mm_packs_epi16(halves, halves));
        }
        for (int column = blocks; column < width; column++) row[column] = round_code((float)row[column] + weights[p] * x[column]);
    }
}
#endif

void momd_add_rows_to_codes(int8_t *codes, const int32_t *rows, const float *weights, int row_count, const float *x, int width) {
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2")) {
        add_rows_to_codes_avx2(codes, rows, weights, row_count, x, width);
        return;
    }
#endif
    for (int p = 0; p < row_count; p++) momd_add_to_codes(codes + (long)rows[p] * width, weights[p], x, width);
}

void momd_prefetch_rows(const void *base, const int32_t *rows, int row_count, long width) {
    for (int p = 0; p < row_count; p++) {
        const char *row = (const char *)base + (long)rows[p] * width;
        for (long offset = 0; offset < width; offset += 64) __builtin_prefetch(row + offset, 1, 3);
    }
}

// Nibble scan. Sixteen table lookups at once with pshufb where the CPU has SSSE3 (checked at run
// time, as the baseline guarantees only SSE2); the scalar loop adds the same integers.

void momd_scan_nibbles_scalar(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables) {
    for (long block = 0; block < block_count; block++) {
        uint8_t *out = scores + block * 32;
        for (int i = 0; i < 32; i++) out[i] = 0;
        for (int k = 0; k < nibbles; k++) {
            const uint8_t *codes = blocks + (block * nibbles + k) * 16;
            const uint8_t *table = tables + k * 16;
            for (int i = 0; i < 16; i++) {
                out[i] = (uint8_t)(out[i] + table[codes[i] & 15]);
                out[i + 16] = (uint8_t)(out[i + 16] + table[codes[i] >> 4]);
            }
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <tmmintrin.h>

__attribute__((target("ssse3")))
static void scan_nibbles_ssse3(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables) {
    const __m128i low_bits = _mm_set1_epi8(15);
    for (long block = 0; block < block_count; block++) {
        __m128i low = _mm_setzero_si128();
        __m128i high = _mm_setzero_si128();
        const uint8_t *codes = blocks + block * nibbles * 16;
        for (int k = 0; k < nibbles; k++) {
            __m128i table = _mm_loadu_si128((const __m128i *)(tables + k * 16));
            __m128i packed = _mm_loadu_si128((const __m128i *)(codes + k * 16));
            low = _mm_add_epi8(low, _mm_shuffle_epi8(table, _mm_and_si128(packed, low_bits)));
            high = _mm_add_epi8(high, _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(packed, 4), low_bits)));
        }
        _mm_storeu_si128((__m128i *)(scores + block * 32), low);
        _mm_storeu_si128((__m128i *)(scores + block * 32 + 16), high);
    }
}

#include <immintrin.h>

/// Two nibbles a step: a block's nibbles k and k + 1 are 32 adjacent bytes, and so are their
/// tables, so one 256-bit shuffle looks up both (AVX2 shuffles within each 128-bit half); the
/// halves are added at the end. Wrapping 8-bit sums do not depend on their order.
__attribute__((target("avx2")))
static void scan_nibbles_avx2(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables) {
    const __m256i low_bits = _mm256_set1_epi8(15);
    const __m128i low_bits_half = _mm_set1_epi8(15);
    const int pairs = nibbles / 2;
    for (long block = 0; block < block_count; block++) {
        __m256i low = _mm256_setzero_si256();
        __m256i high = _mm256_setzero_si256();
        const uint8_t *codes = blocks + block * nibbles * 16;
        for (int p = 0; p < pairs; p++) {
            __m256i table = _mm256_loadu_si256((const __m256i *)(tables + p * 32));
            __m256i packed = _mm256_loadu_si256((const __m256i *)(codes + p * 32));
            low = _mm256_add_epi8(low, _mm256_shuffle_epi8(table, _mm256_and_si256(packed, low_bits)));
            high = _mm256_add_epi8(high, _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_bits)));
        }
        __m128i low_sum = _mm_add_epi8(_mm256_castsi256_si128(low), _mm256_extracti128_si256(low, 1));
        __m128i high_sum = _mm_add_epi8(_mm256_castsi256_si128(high), _mm256_extracti128_si256(high, 1));
        if (nibbles & 1) {
            const int k = nibbles - 1;
            __m128i table = _mm_loadu_si128((const __m128i *)(tables + k * 16));
            __m128i packed = _mm_loadu_si128((const __m128i *)(codes + k * 16));
            low_sum = _mm_add_epi8(low_sum, _mm_shuffle_epi8(table, _mm_and_si128(packed, low_bits_half)));
            high_sum = _mm_add_epi8(high_sum, _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(packed, 4), low_bits_half)));
        }
        _mm_storeu_si128((__m128i *)(scores + block * 32), low_sum);
        _mm_storeu_si128((__m128i *)(scores + block * 32 + 16), high_sum);
    }
}
#endif

int momd_scan_nibbles_with(int instructions, uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables) {
    switch (instructions) {
    case MOMD_SCAN_SCALAR:
        momd_scan_nibbles_scalar(scores, blocks, block_count, nibbles, tables);
        return 1;
#if defined(__x86_64__) || defined(__i386__)
    case MOMD_SCAN_SSSE3:
        if (!__builtin_cpu_supports("ssse3")) return 0;
        scan_nibbles_ssse3(scores, blocks, block_count, nibbles, tables);
        return 1;
    case MOMD_SCAN_AVX2:
        if (!__builtin_cpu_supports("avx2")) return 0;
        scan_nibbles_avx2(scores, blocks, block_count, nibbles, tables);
        return 1;
#endif
    default:
        return 0;
    }
}

void momd_scan_nibbles(uint8_t *scores, const uint8_t *blocks, long block_count, int nibbles, const uint8_t *tables) {
    if (momd_scan_nibbles_with(MOMD_SCAN_AVX2, scores, blocks, block_count, nibbles, tables)) return;
    if (momd_scan_nibbles_with(MOMD_SCAN_SSSE3, scores, blocks, block_count, nibbles, tables)) return;
    momd_scan_nibbles_scalar(scores, blocks, block_count, nibbles, tables);
}

#if defined(__x86_64__) || defined(__i386__)
/// The 32-byte part of `momd_min_score`: lowers *least to the smallest of the first whole
/// 32-byte chunks and returns how many bytes it read.
__attribute__((target("avx2")))
static long min_score_avx2(const uint8_t *scores, long count, uint8_t *least) {
    __m256i lanes = _mm256_set1_epi8((char)255);
    long e = 0;
    for (; e + 32 <= count; e += 32) lanes = _mm256_min_epu8(lanes, _mm256_loadu_si256((const __m256i *)(scores + e)));
    uint8_t lane[32];
    _mm256_storeu_si256((__m256i *)lane, lanes);
    for (int i = 0; i < 32; i++) if (lane[i] < *least) *least = lane[i];
    return e;
}

/// The 32-byte part of `momd_scores_at_most`: returns how many bytes it read.
__attribute__((target("avx2")))
static long scores_at_most_avx2(const uint8_t *scores, long count, uint8_t bound, int32_t *entries, long capacity, long *found) {
    __m256i bounds = _mm256_set1_epi8((char)bound);
    long e = 0;
    for (; e + 32 <= count; e += 32) {
        __m256i values = _mm256_loadu_si256((const __m256i *)(scores + e));
        unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(values, bounds), values));
        while (mask != 0) {
            int i = __builtin_ctz(mask);
            if (*found < capacity) entries[*found] = (int32_t)(e + i);
            (*found)++;
            mask &= mask - 1;
        }
    }
    return e;
}
#endif

uint8_t momd_min_score(const uint8_t *scores, long count) {
    uint8_t least = 255;
    long e = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2")) e = min_score_avx2(scores, count, &least);
#endif
#if defined(__SSE2__)
    __m128i lanes = _mm_set1_epi8((char)255);
    for (; e + 16 <= count; e += 16) lanes = _mm_min_epu8(lanes, _mm_loadu_si128((const __m128i *)(scores + e)));
    uint8_t lane[16];
    _mm_storeu_si128((__m128i *)lane, lanes);
    for (int i = 0; i < 16; i++) if (lane[i] < least) least = lane[i];
#endif
    for (; e < count; e++) if (scores[e] < least) least = scores[e];
    return least;
}

long momd_scores_at_most(const uint8_t *scores, long count, uint8_t bound, int32_t *entries, long capacity) {
    long found = 0;
    long e = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2")) e = scores_at_most_avx2(scores, count, bound, entries, capacity, &found);
#endif
#if defined(__SSE2__)
    __m128i bounds = _mm_set1_epi8((char)bound);
    for (; e + 16 <= count; e += 16) {
        __m128i values = _mm_loadu_si128((const __m128i *)(scores + e));
        // value ≤ bound exactly when min(value, bound) = value.
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(values, bounds), values));
        while (mask != 0) {
            int i = __builtin_ctz(mask);
            if (found < capacity) entries[found] = (int32_t)(e + i);
            found++;
            mask &= mask - 1;
        }
    }
#endif
    for (; e < count; e++) {
        if (scores[e] <= bound) {
            if (found < capacity) entries[found] = (int32_t)e;
            found++;
        }
    }
    return found;
}

static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *data, long length) {
    crc = ~crc;
    for (long i = 0; i < length; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void momd_crc32c_thirds_scalar(const uint8_t *data, long length, uint32_t crcs[3]) {
    long part = length / 24 * 8;
    crcs[0] = crc32c_bitwise(0, data, part);
    crcs[1] = crc32c_bitwise(0, data + part, part);
    crcs[2] = crc32c_bitwise(0, data + 2 * part, length - 2 * part);
}

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <string.h>

__attribute__((target("sse4.2")))
static void crc32c_thirds_sse42(const uint8_t *data, long length, uint32_t crcs[3]) {
    long part = length / 24 * 8;
    uint64_t a = 0xFFFFFFFFu, b = 0xFFFFFFFFu, c = 0xFFFFFFFFu;
    for (long i = 0; i < part; i += 8) {
        uint64_t x, y, z;
        memcpy(&x, data + i, 8);
        memcpy(&y, data + part + i, 8);
        memcpy(&z, data + 2 * part + i, 8);
        a = _mm_crc32_u64(a, x);
        b = _mm_crc32_u64(b, y);
        c = _mm_crc32_u64(c, z);
    }
    uint32_t last = (uint32_t)c;
    for (long i = 3 * part; i < length; i++) last = _mm_crc32_u8(last, data[i]);
    crcs[0] = ~(uint32_t)a;
    crcs[1] = ~(uint32_t)b;
    crcs[2] = ~last;
}
#endif

void momd_crc32c_thirds(const uint8_t *data, long length, uint32_t crcs[3]) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) {
        crc32c_thirds_sse42(data, length, crcs);
        return;
    }
#endif
    momd_crc32c_thirds_scalar(data, length, crcs);
}
