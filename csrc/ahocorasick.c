/* The inspectors' prefilter: every occurrence of a set of literals in one pass, ASCII
 * letters matched without regard to case and any run of whitespace matched as one space
 * (the text is normalised before it gets here, so other scripts arrive folded already).
 *
 * An Aho-Corasick automaton compiled into a DFA over byte classes: bytes that no literal
 * tells apart share a class, so a row of the transition table is as wide as the distinct
 * bytes of the literals (plus one), not 256. Scanning is then one table load per byte, with
 * no walk along failure links; benign text stays in the few shallow states, which stay in
 * cache. Matches come out in the order they end, all of them (overlapping ones too), into a
 * caller's array of bounded size; the scan resumes where the array filled up, so a text of
 * any size is scanned in bounded memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbx.h"

/* Bounds on what a build accepts: the automaton has at most one state per literal byte. */
#define AC_MAX_LITERAL 4096
#define AC_MAX_TOTAL (1u << 18)

struct sbx_ac {
    uint32_t classes;    /* the width of a row */
    uint32_t states;
    uint32_t max_out;    /* the most matches one byte can end */
    uint8_t cls[256];    /* byte -> class (ASCII upper case folded to lower) */
    uint32_t *next;      /* states * classes */
    uint32_t *out_start; /* states + 1: the outputs of s are out[out_start[s] .. out_start[s + 1]) */
    uint32_t *out;       /* literal ids: a state's own, then those of its failure chain */
};

static int is_space(uint8_t b)
{
    return b == ' ' || (b >= '\t' && b <= '\r');
}

/* ASCII letters to lower case, and every whitespace byte to a space: with runs of
 * whitespace read as one (see sbx_ac_scan), "ignore  all\nprevious" is "ignore all previous". */
static uint8_t fold(uint8_t b)
{
    if (is_space(b))
        return ' ';
    return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + ('a' - 'A')) : b;
}

void sbx_ac_free(struct sbx_ac *ac)
{
    if (!ac)
        return;
    free(ac->next);
    free(ac->out_start);
    free(ac->out);
    free(ac);
}

uint32_t sbx_ac_max_matches_per_byte(const struct sbx_ac *ac)
{
    return ac->max_out;
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The outputs of every state, in BFS order (`order`, root first): a failure state is
 * shallower, so its list is complete when a deeper state copies it. */
static int build_outputs(struct sbx_ac *ac, const uint32_t *order, const uint32_t *fail, const uint32_t *own,
                         const uint32_t *chain)
{
    uint32_t states = ac->states;
    uint32_t *count = calloc(states, sizeof(uint32_t));
    ac->out_start = calloc((size_t)states + 1, sizeof(uint32_t));
    if (!count || !ac->out_start) {
        free(count);
        return -ENOMEM;
    }
    size_t outs = 0;
    for (uint32_t q = 0; q < states; q++) {
        uint32_t s = order[q], k = 0;
        for (uint32_t id = own[s]; id; id = chain[id - 1])
            k++;
        count[s] = k + (s ? count[fail[s]] : 0);
        outs += count[s];
        if (count[s] > ac->max_out)
            ac->max_out = count[s];
    }
    ac->out = malloc((outs ? outs : 1) * sizeof(uint32_t));
    if (!ac->out) {
        free(count);
        return -ENOMEM;
    }
    size_t at = 0;
    for (uint32_t s = 0; s < states; s++) {
        ac->out_start[s] = (uint32_t)at;
        at += count[s];
    }
    ac->out_start[states] = (uint32_t)at;
    for (uint32_t q = 0; q < states; q++) {
        uint32_t s = order[q], w = ac->out_start[s];
        for (uint32_t id = own[s]; id; id = chain[id - 1])
            ac->out[w++] = id - 1;
        if (s)
            memcpy(ac->out + w, ac->out + ac->out_start[fail[s]], count[fail[s]] * sizeof(uint32_t));
    }
    /* Each byte's matches come out by literal id: the order the pure-Python twin gives. */
    for (uint32_t s = 0; s < states; s++)
        if (count[s] > 1)
            qsort(ac->out + ac->out_start[s], count[s], sizeof(uint32_t), by_id);
    free(count);
    return 0;
}

int sbx_ac_build(const uint8_t *const *lits, const size_t *lens, size_t n, struct sbx_ac **out)
{
    *out = NULL;
    if (n == 0 || n > AC_MAX_TOTAL)
        return -EINVAL;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] == 0 || lens[i] > AC_MAX_LITERAL)
            return -EINVAL;
        total += lens[i];
    }
    if (total > AC_MAX_TOTAL)
        return -E2BIG;

    struct sbx_ac *ac = calloc(1, sizeof(*ac));
    if (!ac)
        return -ENOMEM;
    /* Byte classes: one per distinct folded byte of the literals, 0 for every other byte. */
    uint8_t used[256] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lens[i]; k++)
            used[fold(lits[i][k])] = 1;
    uint32_t classes = 1;
    uint8_t by_byte[256] = {0};
    for (int b = 0; b < 256; b++)
        if (used[b])
            by_byte[b] = (uint8_t)classes++;
    for (int b = 0; b < 256; b++)
        ac->cls[b] = by_byte[fold((uint8_t)b)];
    ac->classes = classes;

    uint32_t *next = calloc(total * classes, sizeof(uint32_t)); /* 0: no edge (the root is no child) */
    uint32_t *fail = calloc(total, sizeof(uint32_t));
    uint32_t *own = calloc(total, sizeof(uint32_t));   /* 1 + a literal ending here, or 0 */
    uint32_t *chain = calloc(n, sizeof(uint32_t));     /* the other literals ending at that state */
    uint32_t *order = calloc(total, sizeof(uint32_t)); /* BFS order, root first */
    int rc = -ENOMEM;
    if (!next || !fail || !own || !chain || !order)
        goto done;

    /* The trie; equal literals end at one state, linked by `chain`. */
    uint32_t states = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (size_t k = 0; k < lens[i]; k++) {
            uint32_t *edge = &next[(size_t)s * classes + ac->cls[lits[i][k]]];
            if (!*edge)
                *edge = states++;
            s = *edge;
        }
        chain[i] = own[s];
        own[s] = (uint32_t)i + 1;
    }
    ac->states = states;

    /* Failure links breadth first, turning the trie into a DFA on the way: a missing edge
     * goes where the failure state's edge goes (that row is complete: it is shallower). */
    uint32_t head = 1, tail = 1;
    order[0] = 0;
    for (uint32_t c = 0; c < classes; c++)
        if (next[c])
            order[tail++] = next[c]; /* depth 1: fail to the root (calloc) */
    while (head < tail) {
        uint32_t s = order[head++];
        for (uint32_t c = 0; c < classes; c++) {
            uint32_t *edge = &next[(size_t)s * classes + c];
            uint32_t via_fail = next[(size_t)fail[s] * classes + c];
            if (*edge) {
                fail[*edge] = via_fail;
                order[tail++] = *edge;
            } else {
                *edge = via_fail;
            }
        }
    }
    if ((rc = build_outputs(ac, order, fail, own, chain)) < 0)
        goto done;
    ac->next = next;
    next = NULL;
    *out = ac;
    ac = NULL;
    rc = 0;
done:
    sbx_ac_free(ac);
    free(next);
    free(fail);
    free(own);
    free(chain);
    free(order);
    return rc;
}

size_t sbx_ac_scan(const struct sbx_ac *ac, const uint8_t *buf, size_t len, size_t *pos, uint32_t *state,
                   struct sbx_ac_match *out, size_t cap)
{
    const uint32_t *next = ac->next, *starts = ac->out_start;
    const uint32_t classes = ac->classes;
    size_t found = 0, i = *pos;
    uint32_t s = *state;
    int after_space = i > 0 && is_space(buf[i - 1]);
    while (i < len) {
        /* A whitespace byte after another is skipped: a run of them is one space. */
        int space = is_space(buf[i]);
        if (space && after_space) {
            i++;
            continue;
        }
        after_space = space;
        uint32_t t = next[(size_t)s * classes + ac->cls[buf[i]]];
        uint32_t a = starts[t], b = starts[t + 1];
        if (a != b) {
            if (found + (b - a) > cap) {
                after_space = 0;
                break; /* this byte's matches on the next call: it is not consumed */
            }
            for (uint32_t k = a; k < b; k++) {
                out[found].id = ac->out[k];
                out[found].end = i + 1;
                found++;
            }
        }
        s = t;
        i++;
    }
    *pos = i;
    *state = s;
    return found;
}

size_t sbx_byte_runs(const uint8_t *buf, size_t len, const uint8_t member[256], size_t min_len, size_t *pos,
                     struct sbx_span *out, size_t cap)
{
    size_t found = 0, i = *pos;
    while (i < len && found < cap) {
        while (i < len && !member[buf[i]])
            i++;
        size_t start = i;
        while (i < len && member[buf[i]])
            i++;
        if (i - start >= min_len && i > start) {
            out[found].start = start;
            out[found].end = i;
            found++;
        }
    }
    *pos = i;
    return found;
}
