/* UTF-8 of a Python string's code points, as str.encode("utf-8", "surrogatepass") writes
 * it (a lone surrogate as its three bytes), for the inspectors: every text they scan is
 * encoded first, and CPython's encoder takes about a nanosecond per character of a string
 * that is not pure ASCII (a 10 MB build log with one accented name in it). Here a run of
 * ASCII costs a comparison per four or eight characters.
 *
 * A string's code points are stored `width` bytes each (1, 2 or 4: CPython's PEP 393
 * kinds), in the machine's byte order. */
#include <stdlib.h>
#include <string.h>

#include "sbx.h"

/* SSE2 is part of every x86-64: there eight code points are tested and narrowed at once
 * (10 MB of text with a few accented words: 3.8 ms before, 2.0 ms so). Other machines take
 * the four-at-a-time path below it. */
#if defined(__SSE2__)
#include <emmintrin.h>

/* Eight code points of width 2 at u, all ASCII: their bytes onto out. */
static int ascii8_16(const uint16_t *u, uint8_t *out)
{
    __m128i v = _mm_loadu_si128((const __m128i *)u);
    __m128i high = _mm_and_si128(v, _mm_set1_epi16((short)0xFF80));
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xFFFF)
        return 0;
    if (out)
        _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(v, v));
    return 1;
}

/* Thirty-two code points of width 2 at u, all ASCII (most of most text): their bytes onto
 * out, two stores of sixteen, one test for all. */
static int ascii32_16(const uint16_t *u, uint8_t *out)
{
    __m128i a = _mm_loadu_si128((const __m128i *)u), b = _mm_loadu_si128((const __m128i *)(u + 8));
    __m128i c = _mm_loadu_si128((const __m128i *)(u + 16)), d = _mm_loadu_si128((const __m128i *)(u + 24));
    __m128i high = _mm_and_si128(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)), _mm_set1_epi16((short)0xFF80));
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xFFFF)
        return 0;
    _mm_storeu_si128((__m128i *)out, _mm_packus_epi16(a, b));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_packus_epi16(c, d));
    return 1;
}

/* Eight of width 4. */
static int ascii8_32(const uint32_t *u, uint8_t *out)
{
    __m128i a = _mm_loadu_si128((const __m128i *)u), b = _mm_loadu_si128((const __m128i *)(u + 4));
    __m128i high = _mm_and_si128(_mm_or_si128(a, b), _mm_set1_epi32((int)0xFFFFFF80));
    if (_mm_movemask_epi8(_mm_cmpeq_epi32(high, _mm_setzero_si128())) != 0xFFFF)
        return 0;
    if (out) {
        __m128i halves = _mm_packs_epi32(a, b); /* each below 0x80: no saturation */
        _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(halves, halves));
    }
    return 1;
}
#define ASCII32_16(u, out) ascii32_16(u, out)
#define ASCII8_16(u, out) ascii8_16(u, out)
#define ASCII8_32(u, out) ascii8_32(u, out)
#else
#define ASCII32_16(u, out) 0
#define ASCII8_16(u, out) 0
#define ASCII8_32(u, out) 0
#endif

/* Four code points of width 2 or 4 at u, all ASCII? (Unaligned-safe loads through memcpy,
 * which the compiler turns into one.) */
static int ascii4_16(const uint16_t *u)
{
    uint64_t w;
    memcpy(&w, u, 8);
    return (w & 0xFF80FF80FF80FF80ull) == 0;
}

static int ascii4_32(const uint32_t *u)
{
    uint64_t a, b;
    memcpy(&a, u, 8);
    memcpy(&b, u + 2, 8);
    return ((a | b) & 0xFFFFFF80FFFFFF80ull) == 0;
}

size_t sbx_utf8_size(const void *units, size_t n, unsigned width)
{
    size_t extra = 0, i = 0;
    if (width == 1) {
        const uint8_t *u = units;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            w &= 0x8080808080808080ull;
            if (w) /* the high bits, one per byte: summed by one multiplication */
                extra += (size_t)(((w >> 7) * 0x0101010101010101ull) >> 56);
        }
        for (; i < n; i++)
            extra += u[i] >> 7;
    } else if (width == 2) {
        const uint16_t *u = units;
        for (; i < n; i++) {
            if (i + 8 <= n && ASCII8_16(u + i, NULL)) {
                i += 7;
                continue;
            }
            if (i + 4 <= n && ascii4_16(u + i)) {
                i += 3;
                continue;
            }
            extra += (size_t)(u[i] >= 0x80) + (size_t)(u[i] >= 0x800);
        }
    } else {
        const uint32_t *u = units;
        for (; i < n; i++) {
            if (i + 8 <= n && ASCII8_32(u + i, NULL)) {
                i += 7;
                continue;
            }
            if (i + 4 <= n && ascii4_32(u + i)) {
                i += 3;
                continue;
            }
            extra += (size_t)(u[i] >= 0x80) + (size_t)(u[i] >= 0x800) + (size_t)(u[i] >= 0x10000);
        }
    }
    return n + extra;
}

static uint8_t *put(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        *o++ = (uint8_t)c;
    } else if (c < 0x800) {
        *o++ = (uint8_t)(0xC0 | (c >> 6));
        *o++ = (uint8_t)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) { /* surrogates too: "surrogatepass" */
        *o++ = (uint8_t)(0xE0 | (c >> 12));
        *o++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (uint8_t)(0x80 | (c & 0x3F));
    } else {
        *o++ = (uint8_t)(0xF0 | (c >> 18));
        *o++ = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        *o++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (uint8_t)(0x80 | (c & 0x3F));
    }
    return o;
}

/* Where the non-ASCII code points were written (struct sbx_runs in sbx.h): the bytes of
 * one, [low, high) in the output, joined to the run before it when it touches it or less
 * than runs->join bytes lie between. Only the writers' slow path calls this, once per non-ASCII code point;
 * normalisation then reads the runs instead of the whole text for them. */
static void note_run(struct sbx_runs *runs, size_t low, size_t high)
{
    size_t *last_high = runs->count ? &runs->items[2 * runs->count - 1] : NULL;
    if (last_high && (low == *last_high || low - *last_high < runs->join)) {
        *last_high = high;
        return;
    }
    if (runs->count == runs->cap) {
        size_t cap = runs->cap ? 2 * runs->cap : 64;
        size_t *items = runs->failed ? NULL : realloc(runs->items, 2 * cap * sizeof(size_t));
        if (!items) {
            runs->failed = 1; /* the caller reports it; the bytes are still all written */
            return;
        }
        runs->items = items;
        runs->cap = cap;
    }
    runs->items[2 * runs->count] = low;
    runs->items[2 * runs->count + 1] = high;
    runs->count++;
}

/* put, with the code point's place noted when it is not ASCII. */
static uint8_t *put_noted(uint8_t *o, uint32_t c, const uint8_t *start, struct sbx_runs *runs)
{
    uint8_t *end = put(o, c);
    if (c >= 0x80 && runs)
        note_run(runs, runs->base + (size_t)(o - start), runs->base + (size_t)(end - start));
    return end;
}

/* One loop per width, each over its own pointer type: a shared loop reading the width as a
 * parameter (inlined with a constant at each call) measured 7.4 ms against 4.1 ms on 10 MB.
 * Each stops where fewer than UTF8_SLACK bytes of room are left (the most eight code points
 * take) and more code points remain than that room surely holds. */
#define UTF8_SLACK 32
#define ROOM_FOR_REST (cap - (size_t)(out - start) >= UTF8_SLACK || (n - i) * 4 <= cap - (size_t)(out - start))
size_t sbx_utf8_write(const void *units, size_t n, unsigned width, uint8_t *out, size_t cap, size_t *done,
                      struct sbx_runs *runs)
{
    uint8_t *const start = out;
    size_t i = 0;
    if (width == 1) {
        const uint8_t *u = units;
        while (i < n && ROOM_FOR_REST) {
            uint64_t w;
            if (i + 8 <= n && (memcpy(&w, u + i, 8), (w & 0x8080808080808080ull) == 0)) {
                memcpy(out, u + i, 8);
                out += 8;
                i += 8;
                continue;
            }
            out = put_noted(out, u[i++], start, runs);
        }
    } else if (width == 2) {
        const uint16_t *u = units;
        while (i < n && ROOM_FOR_REST) {
            if (i + 32 <= n && cap - (size_t)(out - start) >= 32 && ASCII32_16(u + i, out)) {
                out += 32;
                i += 32;
                continue;
            }
            if (i + 8 <= n && ASCII8_16(u + i, out)) {
                out += 8;
                i += 8;
                continue;
            }
            if (i + 4 <= n && ascii4_16(u + i)) {
                out[0] = (uint8_t)u[i], out[1] = (uint8_t)u[i + 1], out[2] = (uint8_t)u[i + 2];
                out[3] = (uint8_t)u[i + 3];
                out += 4;
                i += 4;
                continue;
            }
            out = put_noted(out, u[i++], start, runs);
        }
    } else {
        const uint32_t *u = units;
        while (i < n && ROOM_FOR_REST) {
            if (i + 8 <= n && ASCII8_32(u + i, out)) {
                out += 8;
                i += 8;
                continue;
            }
            if (i + 4 <= n && ascii4_32(u + i)) {
                out[0] = (uint8_t)u[i], out[1] = (uint8_t)u[i + 1], out[2] = (uint8_t)u[i + 2];
                out[3] = (uint8_t)u[i + 3];
                out += 4;
                i += 4;
                continue;
            }
            out = put_noted(out, u[i++], start, runs);
        }
    }
    *done = i;
    return (size_t)(out - start);
}
#undef ROOM_FOR_REST

size_t sbx_ascii_span(const uint8_t *buf, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint64_t a, b;
        memcpy(&a, buf + i, 8);
        memcpy(&b, buf + i + 8, 8);
        if ((a | b) & 0x8080808080808080ull)
            break;
    }
    while (i < n && buf[i] < 0x80)
        i++;
    return i;
}

/* Whether every code point of the UTF-8 in buf[0 .. n) is ASCII or has its bit set in
 * `table` (bit c % 8 of table[c / 8], for c below `bits`): text that normalisation would
 * leave as it is. A malformed sequence, or a code point past the table, is not marked. */
int sbx_utf8_all_marked(const uint8_t *buf, size_t n, const uint8_t *table, size_t bits)
{
    size_t i = 0;
    while (i < n) {
        i += sbx_ascii_span(buf + i, n - i);
        if (i >= n)
            break;
        uint8_t b = buf[i];
        uint32_t c;
        size_t more;
        if (b >= 0xC2 && b <= 0xDF)
            c = b & 0x1Fu, more = 1;
        else if (b >= 0xE0 && b <= 0xEF)
            c = b & 0x0Fu, more = 2;
        else if (b >= 0xF0 && b <= 0xF4)
            c = b & 0x07u, more = 3;
        else
            return 0;
        if (i + more >= n)
            return 0;
        for (size_t k = 1; k <= more; k++) {
            if ((buf[i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (buf[i + k] & 0x3Fu);
        }
        static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000}; /* below it: an overlong form */
        if (c < least[more] || c >= bits || !(table[c >> 3] & (1u << (c & 7))))
            return 0;
        i += more + 1;
    }
    return 1;
}

/* The length of the well-formed UTF-8 sequence at in[0 .. n) (Unicode's table 3-7: no
 * overlong form, no surrogate, nothing past U+10FFFF), or 0 where none starts there. */
static size_t well_formed(const uint8_t *in, size_t n)
{
    uint8_t b = in[0], low = 0x80, high = 0xBF;
    size_t len;
    if (b >= 0xC2 && b <= 0xDF)
        len = 2;
    else if (b >= 0xE0 && b <= 0xEF)
        len = 3, low = b == 0xE0 ? 0xA0 : 0x80, high = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4)
        len = 4, low = b == 0xF0 ? 0x90 : 0x80, high = b == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || in[1] < low || in[1] > high)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((in[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

size_t sbx_utf8_keep_valid(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t ascii = sbx_ascii_span(in + i, n - i);
        memmove(out + o, in + i, ascii);
        i += ascii, o += ascii;
        if (i >= n)
            break;
        size_t len = well_formed(in + i, n - i);
        if (len) {
            memmove(out + o, in + i, len);
            o += len;
            i += len;
        } else {
            i++; /* a byte that starts no well-formed sequence: dropped, as the "ignore" handler does */
        }
    }
    return o;
}
