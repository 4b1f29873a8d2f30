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
    uint32_t *depth;     /* per state: the length of the literal prefix it stands for */
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
    free(ac->depth);
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
    ac->depth = calloc(total, sizeof(uint32_t));
    int rc = -ENOMEM;
    if (!next || !fail || !own || !chain || !order || !ac->depth)
        goto done;

    /* The trie; equal literals end at one state, linked by `chain`. */
    uint32_t states = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (size_t k = 0; k < lens[i]; k++) {
            uint32_t *edge = &next[(size_t)s * classes + ac->cls[lits[i][k]]];
            if (!*edge) {
                ac->depth[states] = ac->depth[s] + 1;
                *edge = states++;
            }
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

/* The gate: which rules the literals found in a text make worth trying, and where.
 *
 * A rule has clauses: its anchors, then each group of literals that must also occur near
 * them. Every literal hit updates the latest hit of each clause it belongs to; a rule
 * triggers when the latest hits of all its clauses lie within `reach` bytes ending at the
 * current hit. (If hits of every clause exist within such a span, the latest ones do too,
 * and the span is found when its last hit arrives: nothing is missed.) A trigger becomes a
 * window of `window` bytes around its hits, merged with the rule's previous window while
 * they overlap and the union stays within `max_window`; so benign text full of one common
 * word costs a table update per hit and no window at all.
 *
 * Word boundaries: a literal may require that no word byte (ASCII letter, digit,
 * underscore, or any byte of a multi-byte UTF-8 character) precedes or follows it. */

#define GATE_NONE ((size_t)-1)
#define GATE_HAS_SPACE 0x80 /* internal literal flag: its start is found by walking back */

struct sbx_gate {
    struct sbx_ac *ac;
    uint32_t literals, clauses, rules;
    uint8_t *flags;          /* per literal: SBX_GATE_WORD_BEFORE | SBX_GATE_WORD_AFTER */
    uint32_t *length;        /* per literal: bytes it matches (a whitespace run counting one) */
    uint32_t *lit_start;     /* literals + 1: the clauses of literal l are lit_clause[lit_start[l] ..) */
    uint32_t *lit_clause;
    uint32_t *clause_rule;   /* per clause */
    uint32_t *rule_start;    /* rules + 1: the clauses of rule r are rule_clause[rule_start[r] ..) */
    uint32_t *rule_clause;
    size_t *reach, *window;  /* per rule */
    size_t max_window;
    /* The automaton's transitions premultiplied: the row offset of the next state, with
     * GATE_OUT set when that state ends a literal. Scanning is then one dependent load per
     * byte (no multiply in the chain), and the output lists are looked at only on a hit. */
    uint32_t *row;
};
#define GATE_OUT 0x80000000u

void sbx_gate_free(struct sbx_gate *g)
{
    if (!g)
        return;
    sbx_ac_free(g->ac);
    free(g->flags);
    free(g->length);
    free(g->lit_start);
    free(g->lit_clause);
    free(g->clause_rule);
    free(g->rule_start);
    free(g->rule_clause);
    free(g->reach);
    free(g->window);
    free(g->row);
    free(g);
}

int sbx_gate_build(const uint8_t *const *lits, const size_t *lens, const uint8_t *flags, size_t n,
                   const uint32_t *member_clause, const uint32_t *member_literal, size_t members,
                   const uint32_t *clause_rule, size_t clauses, const size_t *reach, const size_t *window,
                   size_t rules, size_t max_window, struct sbx_gate **out)
{
    *out = NULL;
    if (rules == 0 || clauses == 0 || rules > clauses || n > UINT32_MAX || clauses > UINT32_MAX)
        return -EINVAL;
    for (size_t c = 0; c < clauses; c++)
        if (clause_rule[c] >= rules)
            return -EINVAL;
    for (size_t m = 0; m < members; m++)
        if (member_clause[m] >= clauses || member_literal[m] >= n)
            return -EINVAL;
    struct sbx_gate *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    int rc = sbx_ac_build(lits, lens, n, &g->ac);
    if (rc < 0) {
        free(g);
        return rc;
    }
    g->literals = (uint32_t)n;
    g->clauses = (uint32_t)clauses;
    g->rules = (uint32_t)rules;
    g->max_window = max_window;
    g->flags = malloc(n);
    g->length = malloc(n * sizeof(uint32_t));
    g->lit_start = calloc(n + 1, sizeof(uint32_t));
    g->lit_clause = malloc((members ? members : 1) * sizeof(uint32_t));
    g->clause_rule = malloc(clauses * sizeof(uint32_t));
    g->rule_start = calloc(rules + 1, sizeof(uint32_t));
    g->rule_clause = malloc(clauses * sizeof(uint32_t));
    g->reach = malloc(rules * sizeof(size_t));
    g->window = malloc(rules * sizeof(size_t));
    if (!g->flags || !g->length || !g->lit_start || !g->lit_clause || !g->clause_rule || !g->rule_start ||
        !g->rule_clause || !g->reach || !g->window) {
        sbx_gate_free(g);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        /* What the automaton matches: a whitespace run in the literal is one byte of text. */
        uint32_t k = 0;
        for (size_t j = 0; j < lens[i]; j++)
            if (!(is_space(lits[i][j]) && j > 0 && is_space(lits[i][j - 1])))
                k++;
        g->length[i] = k;
        g->flags[i] = (uint8_t)((flags ? flags[i] : 0) & (SBX_GATE_WORD_BEFORE | SBX_GATE_WORD_AFTER));
        for (size_t j = 0; j < lens[i]; j++)
            if (is_space(lits[i][j]))
                g->flags[i] |= GATE_HAS_SPACE;
    }
    /* Counting sorts: members by literal, clauses by rule. */
    for (size_t m = 0; m < members; m++)
        g->lit_start[member_literal[m] + 1]++;
    for (size_t i = 0; i < n; i++)
        g->lit_start[i + 1] += g->lit_start[i];
    uint32_t *fill = calloc(n + rules + 1, sizeof(uint32_t));
    if (!fill) {
        sbx_gate_free(g);
        return -ENOMEM;
    }
    for (size_t m = 0; m < members; m++) {
        uint32_t l = member_literal[m];
        g->lit_clause[g->lit_start[l] + fill[l]++] = member_clause[m];
    }
    for (size_t c = 0; c < clauses; c++) {
        g->clause_rule[c] = clause_rule[c];
        g->rule_start[clause_rule[c] + 1]++;
    }
    for (size_t r = 0; r < rules; r++)
        g->rule_start[r + 1] += g->rule_start[r];
    uint32_t *rfill = fill + n;
    for (size_t c = 0; c < clauses; c++) {
        uint32_t r = clause_rule[c];
        g->rule_clause[g->rule_start[r] + rfill[r]++] = (uint32_t)c;
    }
    free(fill);
    for (size_t r = 0; r < rules; r++) {
        if (g->rule_start[r] == g->rule_start[r + 1]) { /* a rule without a clause never triggers */
            sbx_gate_free(g);
            return -EINVAL;
        }
        g->reach[r] = reach[r];
        g->window[r] = window[r];
    }
    size_t cells = (size_t)g->ac->states * g->ac->classes;
    if (cells >= GATE_OUT) {
        sbx_gate_free(g);
        return -E2BIG;
    }
    g->row = malloc(cells * sizeof(uint32_t));
    if (!g->row) {
        sbx_gate_free(g);
        return -ENOMEM;
    }
    const uint32_t classes = g->ac->classes, space = g->ac->cls[' '];
    for (size_t k = 0; k < cells; k++) {
        uint32_t t = g->ac->next[k];
        g->row[k] = t * classes | (g->ac->out_start[t] != g->ac->out_start[t + 1] ? GATE_OUT : 0);
    }
    /* A run of whitespace is one space, in the table itself: every state a whitespace byte
     * leads to (the root, or a state whose last literal byte is a space) stays where it is
     * on the next one, and reports nothing again. The scan loop has no branch for it. */
    for (size_t k = 0; k < cells; k++)
        if (k % classes == space)
            g->row[(g->ac->next[k]) * (size_t)classes + space] = g->ac->next[k] * classes;
    *out = g;
    return 0;
}

static int word_byte(uint8_t b)
{
    return b >= 0x80 || b == '_' || (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
}

/* Where the literal ending just before `end` starts in the text: its matched bytes counted
 * back, a whitespace run counting one (the scan consumed the run's first byte). */
static size_t literal_start(const uint8_t *buf, size_t end, uint32_t length)
{
    size_t j = end;
    while (length--) {
        j--;
        if (is_space(buf[j]))
            while (j > 0 && is_space(buf[j - 1]))
                j--;
    }
    return j;
}

/* A growable array of windows or hits. */
struct wbuf {
    struct sbx_window *items;
    size_t count, cap;
};

static int push(struct wbuf *w, uint32_t id, size_t low, size_t high)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        struct sbx_window *items = realloc(w->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        w->items = items;
        w->cap = cap;
    }
    w->items[w->count].id = id;
    w->items[w->count].low = low;
    w->items[w->count].high = high;
    w->count++;
    return 0;
}

/* The literals the state at row offset `off` ends, at `end`, that pass their word
 * boundaries and start before `before`: onto `h`. Out of the scan loop: hits are rare. */
static __attribute__((noinline)) int record(const struct sbx_gate *g, const uint8_t *buf, size_t len, uint32_t off,
                                            size_t end, size_t before, struct wbuf *h)
{
    const struct sbx_ac *ac = g->ac;
    uint32_t state = off / ac->classes;
    for (uint32_t k = ac->out_start[state]; k < ac->out_start[state + 1]; k++) {
        uint32_t l = ac->out[k];
        uint8_t f = g->flags[l];
        /* Without a space in it, a literal's bytes are the text's: no walk back needed. */
        size_t start = (f & GATE_HAS_SPACE) ? literal_start(buf, end, g->length[l]) : end - g->length[l];
        if (start >= before)
            continue;
        if ((f & SBX_GATE_WORD_BEFORE) && start > 0 && word_byte(buf[start - 1]))
            continue;
        if ((f & SBX_GATE_WORD_AFTER) && end < len && word_byte(buf[end]))
            continue;
        if (push(h, l, start, end) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Bytes scanned per round: two halves, each by its own stream (see sbx_gate_scan). */
#define GATE_CHUNK (128u << 10)

/* Runs of member bytes (where base64 and hex blocks may hide) are found in the same pass:
 * each stream keeps where its current run started, and a run that ends at least `min`
 * bytes long is pushed. The work sits beside the automaton's chain of loads, not in it. */
struct runs {
    uint8_t member[256];
    size_t min;
    struct wbuf *out;
    /* Where each 256-byte block of the text starts once whitespace runs are read as one
     * byte (marks[k] for raw offset 256 k, valid below `marked`): the gate measures reach
     * in those terms, so that padding an instruction apart with blank space does not
     * separate its words. */
    size_t *marks;
    size_t marked;
    size_t consumed;
};

#define MARK_SHIFT 8

static __attribute__((noinline)) int push_run(struct runs *rs, size_t start, size_t end)
{
    return push(rs->out, 0, start, end);
}

/* The runs of member bytes in buf[lo .. hi), from run start *run (carried from the range
 * before): a loop of its own, over bytes still in cache, so that it does not lengthen the
 * automaton's chain of loads. Branch-free but for the rare end of a long run. */
static const uint8_t SPACE[256] = {['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1};

static int runs_over(struct runs *rs, const uint8_t *buf, size_t lo, size_t hi, size_t *run)
{
    const uint8_t *member = rs->member;
    const size_t min = rs->min;
    size_t r = *run, consumed = rs->consumed;
    size_t prev = lo > 0 ? SPACE[buf[lo - 1]] : 0;
    for (size_t at = lo; at < hi; at++) {
        if (__builtin_expect((at & ((1u << MARK_SHIFT) - 1)) == 0, 0))
            rs->marks[at >> MARK_SHIFT] = consumed;
        size_t space = SPACE[buf[at]];
        consumed += 1 - (space & prev); /* a whitespace byte after another counts nothing */
        prev = space;
        /* all ones for a member byte, zero otherwise: arithmetic, so no branch to mispredict */
        size_t keep = (size_t)0 - (size_t)member[buf[at]];
        size_t ended = ~keep & ((size_t)0 - (size_t)(at - r >= min));
        if (__builtin_expect(ended != 0, 0) && push_run(rs, r, at) < 0)
            return -ENOMEM;
        r = (r & keep) | ((at + 1) & ~keep);
    }
    *run = r;
    rs->consumed = consumed;
    rs->marked = hi;
    return 0;
}

/* The offset `p` of the text once whitespace runs are read as one byte. Blocks past what
 * runs_over has marked (a hit found beyond the round, rare) are counted from the last mark. */
static size_t collapsed(const struct runs *rs, const uint8_t *buf, size_t p)
{
    size_t k = p >> MARK_SHIFT;
    size_t last_block = rs->marked ? (rs->marked - 1) >> MARK_SHIFT : 0;
    if (k > last_block)
        k = last_block;
    size_t at = k << MARK_SHIFT, c = rs->marked ? rs->marks[k] : 0;
    for (; at < p; at++)
        c += !(SPACE[buf[at]] && at > 0 && SPACE[buf[at - 1]]);
    return c;
}

/* Scan buf[lo .. hi) from row offset *off, every hit onto `h`. */
/* The first raw offset at which the text, whitespace runs read as one byte, has reached
 * `target` bytes (the inverse of collapsed()): found from the marks, then counted. */
static size_t raw_of(const struct runs *rs, const uint8_t *buf, size_t len, size_t target)
{
    if (target == 0)
        return 0;
    size_t blocks = rs->marked ? ((rs->marked - 1) >> MARK_SHIFT) + 1 : 0, lo = 0, hi = blocks;
    while (lo + 1 < hi) { /* the last block whose mark is below the target: the offset is in it or after */
        size_t m = (lo + hi) / 2;
        if (rs->marks[m] < target)
            lo = m;
        else
            hi = m;
    }
    size_t at = blocks ? lo << MARK_SHIFT : 0, c = blocks ? rs->marks[lo] : 0;
    while (c < target && at < len) {
        c += !(SPACE[buf[at]] && at > 0 && SPACE[buf[at - 1]]);
        at++;
    }
    return at;
}

static int scan_one(const struct sbx_gate *g, const uint8_t *buf, size_t len, size_t lo, size_t hi, uint32_t *off,
                    struct wbuf *h)
{
    const uint32_t *row = g->row;
    const uint8_t *cls = g->ac->cls;
    uint32_t o = *off;
    for (size_t i = lo; i < hi; i++) {
        uint32_t t = row[o + cls[buf[i]]];
        o = t & ~GATE_OUT;
        if ((t & GATE_OUT) && record(g, buf, len, o, i + 1, (size_t)-1, h) < 0)
            return -ENOMEM;
    }
    *off = o;
    return 0;
}

/* The two streams of scan_range: from lo to mid and from mid to hi, in one loop. */
static int scan_pair(const struct sbx_gate *g, const uint8_t *buf, size_t len, size_t lo, size_t mid, size_t hi,
                     uint32_t *pa, uint32_t *pb, struct wbuf *a, struct wbuf *b)
{
    const uint32_t *row = g->row;
    const uint8_t *cls = g->ac->cls;
    uint32_t oa = *pa, ob = *pb;
    size_t n = mid - lo < hi - mid ? mid - lo : hi - mid;
    for (size_t k = 0; k < n; k++) {
        uint32_t ta = row[oa + cls[buf[lo + k]]];
        uint32_t tb = row[ob + cls[buf[mid + k]]];
        oa = ta & ~GATE_OUT;
        ob = tb & ~GATE_OUT;
        if (__builtin_expect((ta | tb) & GATE_OUT, 0)) {
            if ((ta & GATE_OUT) && record(g, buf, len, oa, lo + k + 1, (size_t)-1, a) < 0)
                return -ENOMEM;
            if ((tb & GATE_OUT) && record(g, buf, len, ob, mid + k + 1, (size_t)-1, b) < 0)
                return -ENOMEM;
        }
    }
    if (scan_one(g, buf, len, lo + n, mid, &oa, a) < 0 || scan_one(g, buf, len, mid + n, hi, &ob, b) < 0)
        return -ENOMEM;
    *pa = oa;
    *pb = ob;
    return 0;
}

/* Hits of buf[lo .. hi) in order of end, scanned from row offset *off, which is left at the
 * state after hi; and the range's runs (from run start *run). The range is cut in two
 * halves scanned by two streams in one loop: each step of the automaton waits for a table
 * load, and two independent chains of loads overlap. The second stream starts from the
 * root at `mid`, after a byte that is not whitespace (so it reads the same bytes as the
 * first); the first then goes on past `mid` until its state holds nothing from before
 * `mid` (its depth is no more than what it read since), reporting only the hits that
 * started before `mid`. From there the two agree. */
static int scan_range(const struct sbx_gate *g, const uint8_t *buf, size_t len, size_t lo, size_t hi,
                      uint32_t *off, size_t *run, struct runs *rs, struct wbuf *a, struct wbuf *b,
                      struct wbuf *merged)
{
    const uint32_t *row = g->row;
    const uint8_t *cls = g->ac->cls;
    a->count = b->count = merged->count = 0;
    if (runs_over(rs, buf, lo, hi, run) < 0)
        return -ENOMEM;
    if (hi - lo < 8192) /* not worth two streams (and `mid - 1` below stays inside the range) */
        return scan_one(g, buf, len, lo, hi, off, merged);
    size_t mid = lo + (hi - lo) / 2, limit = mid + 4096 < hi ? mid + 4096 : hi;
    while (mid < limit && is_space(buf[mid - 1]))
        mid++;
    if (mid >= limit)
        return scan_one(g, buf, len, lo, hi, off, merged);
    uint32_t oa = *off, ob = 0;
    if (scan_pair(g, buf, len, lo, mid, hi, &oa, &ob, a, b) < 0)
        return -ENOMEM;
    /* The first stream's hits so far all end by `mid`; then its run past `mid`. */
    for (size_t k = 0; k < a->count; k++)
        if (push(merged, a->items[k].id, a->items[k].low, a->items[k].high) < 0)
            return -ENOMEM;
    a->count = 0;
    const uint32_t classes = g->ac->classes;
    size_t read = 0;
    int after_space = 0;
    for (size_t i = mid; i < len && g->ac->depth[oa / classes] > read; i++) {
        int space = is_space(buf[i]);
        read += !(space && after_space);
        after_space = space;
        uint32_t t = row[oa + cls[buf[i]]];
        oa = t & ~GATE_OUT;
        if ((t & GATE_OUT) && record(g, buf, len, oa, i + 1, mid, a) < 0)
            return -ENOMEM;
    }
    size_t i = 0, j = 0;
    while (i < a->count || j < b->count) {
        const struct sbx_window *x = i < a->count ? &a->items[i] : NULL, *y = j < b->count ? &b->items[j] : NULL;
        int first = y == NULL || (x != NULL && (x->high < y->high || (x->high == y->high && x->id < y->id)));
        const struct sbx_window *w = first ? x : y;
        if (push(merged, w->id, w->low, w->high) < 0)
            return -ENOMEM;
        i += first;
        j += !first;
    }
    *off = ob;
    return 0;
}

/* The gate's step for one hit: update its clauses' latest hits, and for each rule all of
 * whose clauses are now within reach, open or widen the rule's window (emitting the one
 * it replaces). 0, 1 at the limit, -ENOMEM. */
static int gate_hit(const struct sbx_gate *g, const struct sbx_window *hit, size_t len, size_t *last,
                    size_t *pending, struct wbuf *out, size_t limit, const struct runs *rs, const uint8_t *buf)
{
    uint32_t l = hit->id;
    size_t start = hit->low, end = hit->high;
    size_t cstart = GATE_NONE, cend = 0; /* the same, whitespace runs read as one byte (when needed) */
    for (uint32_t m = g->lit_start[l]; m < g->lit_start[l + 1]; m++) {
        uint32_t c = g->lit_clause[m], r = g->clause_rule[c];
        if (cstart == GATE_NONE) {
            cstart = collapsed(rs, buf, start);
            cend = cstart + g->length[l];
        }
        last[2 * c] = cstart;
        last[2 * c + 1] = start;
        size_t reach = g->reach[r], low = start;
        int all = 1;
        for (uint32_t q = g->rule_start[r]; q < g->rule_start[r + 1]; q++) {
            size_t other = last[2 * g->rule_clause[q]];
            if (other == GATE_NONE || cend - other > reach) {
                all = 0;
                break;
            }
        }
        if (!all)
            continue;
        /* The window starts where the reach does, not at the latest hits: a match may hold an
         * earlier hit of the same clause (an anchor repeated inside it). */
        if (g->rule_start[r + 1] - g->rule_start[r] > 1) {
            size_t from = raw_of(rs, buf, len, cend > reach ? cend - reach : 0);
            if (from < low)
                low = from;
        }
        size_t w = g->window[r];
        low = low > w ? low - w : 0;
        size_t high = end + w < len ? end + w : len;
        size_t *p = &pending[2 * r];
        if (p[0] != GATE_NONE && low <= p[1] &&
            (high > p[1] ? high : p[1]) - (low < p[0] ? low : p[0]) <= g->max_window) {
            if (low < p[0])
                p[0] = low;
            if (high > p[1])
                p[1] = high;
            continue;
        }
        if (p[0] != GATE_NONE && high <= p[1] && low >= p[0])
            continue; /* inside the open window already */
        if (p[0] != GATE_NONE) {
            if (out->count >= limit)
                return 1;
            if (push(out, r, p[0], p[1]) < 0)
                return -ENOMEM;
        }
        p[0] = low;
        p[1] = high;
    }
    return 0;
}

int sbx_gate_scan(const struct sbx_gate *g, const uint8_t *buf, size_t len, int raw, size_t limit,
                  const uint8_t *member, size_t min_run, struct sbx_window **out, size_t *count,
                  struct sbx_window **runs_out, size_t *runs_count)
{
    struct wbuf o = {0}, a = {0}, b = {0}, hits = {0}, found_runs = {0};
    struct runs rs;
    rs.marks = NULL;
    if (member)
        memcpy(rs.member, member, 256);
    else
        memset(rs.member, 0, 256);
    rs.min = min_run ? min_run : 1;
    rs.out = &found_runs;
    size_t run = 0;
    *runs_out = NULL;
    *runs_count = 0;
    size_t *last = NULL, *pending = NULL;
    int rc = 0;
    *out = NULL;
    *count = 0;
    /* last[2c], last[2c + 1]: where clause c's latest hit starts, whitespace runs read as one
     * byte and as it is; pending[2r ..]: rule r's open window */
    last = malloc(2 * (size_t)g->clauses * sizeof(size_t));
    pending = malloc(2 * (size_t)g->rules * sizeof(size_t));
    rs.marks = malloc(((len >> MARK_SHIFT) + 2) * sizeof(size_t));
    rs.marked = 0;
    rs.consumed = 0;
    if (!last || !pending || !rs.marks) {
        rc = -ENOMEM;
        goto done;
    }
    for (size_t c = 0; c < 2 * (size_t)g->clauses; c++)
        last[c] = GATE_NONE;
    for (size_t r = 0; r < 2 * (size_t)g->rules; r++)
        pending[r] = GATE_NONE;
    uint32_t off = 0;
    int cut = 0; /* the limit is reached: no more windows, but the runs are still all found */
    /* Round by round, so that the hits held at once stay bounded whatever the text. */
    for (size_t lo = 0; lo < len; lo += GATE_CHUNK) {
        size_t hi = len - lo > GATE_CHUNK ? lo + GATE_CHUNK : len;
        if (cut) {
            if ((rc = runs_over(&rs, buf, lo, hi, &run)) < 0)
                goto done;
            continue;
        }
        if ((rc = scan_range(g, buf, len, lo, hi, &off, &run, &rs, &a, &b, &hits)) < 0)
            goto done;
        for (size_t k = 0; k < hits.count && !cut; k++) {
            if (raw) {
                if (o.count >= limit)
                    cut = 1;
                else if ((rc = push(&o, hits.items[k].id, hits.items[k].low, hits.items[k].high)) < 0)
                    goto done;
            } else if ((rc = gate_hit(g, &hits.items[k], len, last, pending, &o, limit, &rs, buf)) < 0) {
                goto done;
            } else if (rc == 1) {
                cut = 1;
            }
        }
    }
    rc = 0;
    if (!raw && !cut)
        for (uint32_t r = 0; r < g->rules && !cut; r++) {
            if (pending[2 * r] == GATE_NONE)
                continue;
            if (o.count >= limit)
                cut = 1;
            else if ((rc = push(&o, r, pending[2 * r], pending[2 * r + 1])) < 0)
                goto done;
        }
    if (len - run >= rs.min && push(&found_runs, 0, run, len) < 0) {
        rc = -ENOMEM;
        goto done;
    }
    rc = cut;
done:
    free(last);
    free(pending);
    free(rs.marks);
    free(a.items);
    free(b.items);
    free(hits.items);
    if (rc < 0) {
        free(o.items);
        free(found_runs.items);
        return rc;
    }
    *out = o.items;
    *count = o.count;
    *runs_out = found_runs.items;
    *runs_count = found_runs.count;
    return rc; /* 1: the limit cut the list short */
}
