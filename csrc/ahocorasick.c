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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* ASCII whitespace as Python's str.isspace() (and so the rules' \s) has it: tab to carriage
 * return, the four information separators 0x1c to 0x1f, and space. Padding words apart with
 * separators must not move them out of each other's reach when \s would match them. */
static int is_space(uint8_t b)
{
    return b == ' ' || (b >= '\t' && b <= '\r') || (b >= 0x1c && b <= 0x1f);
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
 * Word boundaries: a literal may require that no word byte of ASCII (letter, digit,
 * underscore) precedes or follows it. A character beyond ASCII may be a word's or not to
 * the rules' \b ("ai" in "«ai»" and "ai—" is a word): it never drops a hit. A literal may
 * also require that it is not part of a path or a file's name (SBX_GATE_NOT_PATH_*: the
 * name of an AI inside "agent/call-pinentry.c" or "gpg-agent.texi" addresses no reader, and
 * a change log of GnuPG holds hundreds), and that no ':' follows it (SBX_GATE_NOT_LABEL:
 * "agent: Fix ...", the part of a program an entry of that log changed). */

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
    /* The automaton's transitions premultiplied: the row offset of the next state, the
     * states renumbered so that those which end a literal come last, from row offset
     * first_out on. Scanning is then one dependent load per byte (no multiply and no mask in
     * the chain: whether a state reports is a comparison beside it), and the output lists
     * are looked at only on a hit. */
    uint32_t *row;
    uint32_t first_out;
    uint32_t *state_of; /* per renumbered state: the automaton's state */
};

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
    free(g->state_of);
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
        g->flags[i] = (uint8_t)((flags ? flags[i] : 0) & (SBX_GATE_WORD_BEFORE | SBX_GATE_WORD_AFTER |
                                                           SBX_GATE_NOT_PATH_BEFORE | SBX_GATE_NOT_PATH_AFTER |
                                                           SBX_GATE_NOT_LABEL));
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
    const uint32_t states = g->ac->states, classes = g->ac->classes, space = g->ac->cls[' '];
    const uint32_t *next = g->ac->next;
    /* A reporting state that a whitespace byte leads to (its literal ends in a space) gets a
     * silent twin with the same transitions: the next whitespace byte of the run goes to the
     * twin and stays there, so that a run of whitespace reads as one space and reports once. */
    uint32_t *number = malloc(2 * (size_t)states * sizeof(uint32_t)); /* state -> renumbered, -> twin */
    if (!number) {
        sbx_gate_free(g);
        return -ENOMEM;
    }
    uint32_t *twin = number + states, twins = 0;
    for (uint32_t st = 0; st < states; st++)
        twin[st] = UINT32_MAX;
    for (uint32_t st = 0; st < states; st++) {
        uint32_t to = next[(size_t)st * classes + space];
        if (g->ac->out_start[to] != g->ac->out_start[to + 1] && twin[to] == UINT32_MAX) {
            twin[to] = 0;
            twins++;
        }
    }
    size_t rows = (size_t)states + twins, cells = rows * classes;
    if (cells > UINT32_MAX) {
        free(number);
        sbx_gate_free(g);
        return -E2BIG;
    }
    g->row = malloc(cells * sizeof(uint32_t));
    g->state_of = malloc(rows * sizeof(uint32_t));
    if (!g->row || !g->state_of) {
        free(number);
        sbx_gate_free(g);
        return -ENOMEM;
    }
    /* Silent states first (the root, which reports nothing, stays 0), then the twins, then
     * the reporting states. */
    uint32_t k = 0;
    for (uint32_t st = 0; st < states; st++)
        if (g->ac->out_start[st] == g->ac->out_start[st + 1]) {
            number[st] = k;
            g->state_of[k++] = st;
        }
    for (uint32_t st = 0; st < states; st++)
        if (twin[st] != UINT32_MAX) {
            twin[st] = k;
            g->state_of[k++] = st;
        }
    g->first_out = k * classes;
    for (uint32_t st = 0; st < states; st++)
        if (g->ac->out_start[st] != g->ac->out_start[st + 1]) {
            number[st] = k;
            g->state_of[k++] = st;
        }
    for (size_t c = 0; c < (size_t)states * classes; c++) {
        uint32_t from = (uint32_t)(c / classes), cl = (uint32_t)(c % classes), to = next[c];
        g->row[(size_t)number[from] * classes + cl] = number[to] * classes;
        if (twin[from] != UINT32_MAX)
            g->row[(size_t)twin[from] * classes + cl] = number[to] * classes;
    }
    /* Whitespace after whitespace stays where the first byte of the run led: in a silent
     * state (the root, or one inside a literal), or in the twin of a reporting one. */
    for (uint32_t st = 0; st < states; st++) {
        uint32_t to = next[(size_t)st * classes + space];
        uint32_t stay = twin[to] != UINT32_MAX ? twin[to] : number[to];
        g->row[(size_t)number[to] * classes + space] = stay * classes;
        if (twin[to] != UINT32_MAX)
            g->row[(size_t)twin[to] * classes + space] = stay * classes;
    }
    free(number);
    *out = g;
    return 0;
}

/* A word byte of ASCII: a letter, a digit, an underscore. Not a byte beyond ASCII, which the
 * rules' \w may or may not take: the gate must never drop what they match. */
static int ascii_word(uint8_t b)
{
    return b == '_' || (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
}

/* A byte of a path's token: ASCII, not whitespace, not a quote or a bracket. A byte beyond
 * ASCII ends the token here (it may be whitespace to the rules' \s), so the gate reads a
 * token no longer than the rules' NOT_IN_PATH marks do and drops a hit only where they would. */
static int path_byte(uint8_t b)
{
    return b < 0x80 && !is_space(b) && !strchr("\"'`<>()[]{}", b);
}

/* A byte that ends a token to the marks' expressions as well (whitespace to every \s, a
 * quote, a bracket): where a slash opens a token, this stands before it. */
static int token_edge(uint8_t b)
{
    return b == ' ' || (b >= '\t' && b <= '\r') || (b != 0 && strchr("\"'`<>()[]{}", b));
}

static int slash(uint8_t b)
{
    return b == '/' || b == '\\';
}

/* The most token bytes read on either side of a literal: fewer than the marks' 64, so that
 * the gate finds a path only where they do. */
#define PATH_REACH 60

/* Whether the literal at buf[start .. end) is part of a path or a file's name on the side
 * its flags ask about (sandbox/inspectors/prefilter.py's NOT_IN_PATH_BEFORE and _AFTER, the
 * same as regular expressions): a file's extension after it ("gpg-agent.c") or a module's
 * name before it ("pkg.agent"); a slash after it that another slash or a file's extension
 * follows in its token ("agent/call.c", "agent/x/"), or one before it that opens the token
 * ("/agent") or that another slash or an extension precedes in it ("lib/x/agent"). Not a
 * slash between two words ("Copilot/agent sessions", "bots/agents"): that is "or". */
static int in_path(const uint8_t *buf, size_t len, size_t start, size_t end, uint8_t f)
{
    if ((f & SBX_GATE_NOT_PATH_BEFORE) && start > 0) {
        uint8_t b = buf[start - 1];
        if (b == '.' && start > 1 && ascii_word(buf[start - 2]))
            return 1;
        if (slash(b)) {
            if (start == 1 || token_edge(buf[start - 2]))
                return 1;
            for (size_t p = start - 2, n = 0; n <= PATH_REACH && path_byte(buf[p]); p--, n++) {
                if (slash(buf[p]) || (buf[p] == '.' && p + 1 < start - 1 && ascii_word(buf[p + 1])))
                    return 1;
                if (p == 0)
                    break;
            }
        }
    }
    if ((f & SBX_GATE_NOT_PATH_AFTER) && end < len) {
        uint8_t b = buf[end];
        if (b == '.' && end + 1 < len && ascii_word(buf[end + 1]))
            return 1;
        if (slash(b))
            for (size_t j = end + 1, n = 0; j < len && n <= PATH_REACH; j++, n++) {
                if (slash(buf[j]) || (buf[j] == '.' && j + 1 < len && ascii_word(buf[j + 1])))
                    return 1;
                if (!path_byte(buf[j]))
                    break;
            }
    }
    return 0;
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
    uint32_t state = g->state_of[off / ac->classes];
    for (uint32_t k = ac->out_start[state]; k < ac->out_start[state + 1]; k++) {
        uint32_t l = ac->out[k];
        uint8_t f = g->flags[l];
        /* Without a space in it, a literal's bytes are the text's: no walk back needed. */
        size_t start = (f & GATE_HAS_SPACE) ? literal_start(buf, end, g->length[l]) : end - g->length[l];
        if (start >= before)
            continue;
        if ((f & SBX_GATE_WORD_BEFORE) && start > 0 && ascii_word(buf[start - 1]))
            continue;
        if ((f & SBX_GATE_WORD_AFTER) && end < len && ascii_word(buf[end]))
            continue;
        if ((f & (SBX_GATE_NOT_PATH_BEFORE | SBX_GATE_NOT_PATH_AFTER)) && in_path(buf, len, start, end, f))
            continue;
        if ((f & SBX_GATE_NOT_LABEL) && end < len && buf[end] == ':')
            continue;
        if (push(h, l, start, end) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Bytes scanned per round, cut in GATE_STREAMS parts scanned side by side (see scan_range). */
#define GATE_CHUNK (128u << 10)

/* Runs of member bytes (where base64 and hex blocks may hide) are found in the same pass,
 * and a run that ends at least `min` bytes long is pushed. The work sits beside the
 * automaton's chain of loads, not in it. */
struct runs {
    uint8_t kind[256]; /* per byte: KIND_MEMBER, KIND_SPACE */
    /* The member bytes as ranges [low[i], low[i] + span[i]], for the vector path of
     * runs_over; ranges = -1 where there are more than RUNS_MAX_RANGES (the table is read). */
    int ranges;
    uint8_t low[8], span[8];
    /* The same classes as two tables of sixteen, for the SSSE3 path of runs_over (nibbles =
     * 1 where they fit, see nibble_tables): byte v is a member where
     * nib_lo[v & 15] & nib_hi[v >> 4] & member_bits, whitespace where ... & space_bits. */
    int nibbles;
    uint8_t nib_lo[16], nib_hi[16], member_bits, space_bits;
    size_t min;
    struct wbuf *out;
    /* Where each 64-byte block of the text starts once whitespace runs are read as one byte
     * (marks[k] for raw offset 64 k, valid below `marked`), and which of its bytes are
     * whitespace after whitespace (bit j of extra[k]: byte 64 k + j), so that any offset is
     * converted with one popcount: the gate measures reach in those terms, so that padding
     * an instruction apart with blank space does not separate its words. */
    size_t *marks;
    uint64_t *extra;
    size_t marked;
    size_t consumed;
};

#define MARK_SHIFT 6
#define KIND_MEMBER 1
#define KIND_SPACE 2
/* Bit 0 of each byte of w, as the eight low bits: the multiplication moves byte i's bit to
 * bit 56 + i, and no two partial products overlap below it. */
#define GATHER8(w) (((((uint64_t)(w)) & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56)

static __attribute__((noinline)) int push_run(struct runs *rs, size_t start, size_t end)
{
    return push(rs->out, 0, start, end);
}

static const uint8_t SPACE[256] = {['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [0x1c] = 1,
                                    [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [' '] = 1}; /* is_space */

/* The bits set in x. Without -mpopcnt (the wheels target every x86-64) the builtin is a
 * call into libgcc; the bit-parallel sum is a few instructions inline. */
static inline size_t popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (size_t)((x * 0x0101010101010101ull) >> 56);
}

/* Bits j of x set where bit j .. j + n - 1 of x all are (n <= 64, bits past 63 read as 0):
 * runs of n ones found by doubling, in about log2(n) steps. */
static uint64_t ones_runs(uint64_t x, size_t n)
{
    size_t have = 1;
    while (x && 2 * have <= n) {
        x &= x >> have;
        have *= 2;
    }
    return have < n && x ? x & (x >> (n - have)) : x;
}

/* The runs of buf[p .. p + 64) given its member mask m (bit j: byte p + j), the run open
 * before it starting at *run: pushed where they end inside, and *run left at the start of
 * the one still open at the end. Most blocks of benign text hold no run of `min` bytes:
 * they cost a few bit operations, not a branch per byte. */
static int runs_in_block(struct runs *rs, size_t p, uint64_t m, size_t *run)
{
    if (m == ~(uint64_t)0)
        return 0; /* the open run goes on */
    const size_t min = rs->min;
    uint64_t gaps = ~m;
    size_t first = (size_t)__builtin_ctzll(gaps), last = 63 - (size_t)__builtin_clzll(gaps);
    if (p + first - *run >= min && push_run(rs, *run, p + first) < 0)
        return -ENOMEM;
    /* Runs wholly inside, between the first gap and the last: fewer than 63 bytes long. */
    uint64_t inside = last > first + 1 ? m & ((((uint64_t)1 << last) - 1) & ~(((uint64_t)2 << first) - 1)) : 0;
    if (inside && min < 63 && ones_runs(inside, min)) {
        size_t prev = first;
        uint64_t rest = gaps & ~(((uint64_t)2 << first) - 1);
        while (rest) {
            size_t z = (size_t)__builtin_ctzll(rest);
            if (z - prev - 1 >= min && push_run(rs, p + prev + 1, p + z) < 0)
                return -ENOMEM;
            prev = z;
            rest &= rest - 1;
        }
    }
    *run = p + last + 1;
    return 0;
}

#define RUNS_MAX_RANGES 8

/* The member bytes of rs->kind as ranges (rs->ranges, rs->low, rs->span). */
static void member_ranges(struct runs *rs)
{
    rs->ranges = 0;
    for (unsigned v = 0; v < 256; v++) {
        if (!(rs->kind[v] & KIND_MEMBER))
            continue;
        unsigned end = v;
        while (end + 1 < 256 && (rs->kind[end + 1] & KIND_MEMBER))
            end++;
        if (rs->ranges == RUNS_MAX_RANGES) {
            rs->ranges = -1;
            return;
        }
        rs->low[rs->ranges] = (uint8_t)v;
        rs->span[rs->ranges] = (uint8_t)(end - v);
        rs->ranges++;
        v = end;
    }
}

/* The member mask (*m) and the whitespace mask (*s) of the 64 bytes at b: bit j for byte j.
 * With SSE2 (every x86-64), sixteen bytes at a time: a byte is in [low, low + span] where
 * (byte - low), wrapping, is at most span, which min and an equality tell without a signed
 * compare; whitespace is the two ranges 0x09-0x0d and 0x1c-0x20 of SPACE. Elsewhere, or for
 * more ranges than RUNS_MAX_RANGES, the kind table a byte at a time, eight gathered by one
 * multiplication. Both give the same masks (tests/unit/test_prefilter.py compares the runs and
 * offsets the C gate finds with its Python twin's). */
#if defined(__SSE2__)
/* The ranges of member bytes as vectors, made once per call of runs_over. */
struct member_vectors {
    int ranges, singles; /* the first `singles` ranges are of one byte each */
    __m128i low[RUNS_MAX_RANGES], span[RUNS_MAX_RANGES];
};
#else
struct member_vectors {
    int ranges;
};
#endif

static void member_vectors(const struct runs *rs, struct member_vectors *mv)
{
    mv->ranges = rs->ranges;
#if defined(__SSE2__)
    int k = 0;
    mv->singles = 0;
    for (int pass = 0; pass < 2; pass++) /* the ranges of one byte first */
        for (int r = 0; r < rs->ranges; r++) {
            if ((rs->span[r] == 0) != (pass == 0))
                continue;
            mv->low[k] = _mm_set1_epi8((char)rs->low[r]);
            mv->span[k] = _mm_set1_epi8((char)rs->span[r]);
            k++;
            mv->singles += pass == 0;
        }
#endif
}

static inline void block_masks(const struct runs *rs, const struct member_vectors *mv, const uint8_t *b, uint64_t *m,
                               uint64_t *s)
{
#if defined(__SSE2__)
    if (mv->ranges >= 0) {
        const __m128i tab = _mm_set1_epi8(0x09), fs = _mm_set1_epi8(0x1c), four = _mm_set1_epi8(4);
        uint64_t mm = 0, ss = 0;
        for (unsigned q = 0; q < 4; q++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * q));
            __m128i x = _mm_sub_epi8(v, tab), y = _mm_sub_epi8(v, fs);
            __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, four), x), _mm_cmpeq_epi8(_mm_min_epu8(y, four), y));
            __m128i in = _mm_setzero_si128();
            for (int r = 0; r < mv->singles; r++) /* ranges of one byte: one equality */
                in = _mm_or_si128(in, _mm_cmpeq_epi8(v, mv->low[r]));
            for (int r = mv->singles; r < mv->ranges; r++) {
                __m128i z = _mm_sub_epi8(v, mv->low[r]);
                in = _mm_or_si128(in, _mm_cmpeq_epi8(_mm_min_epu8(z, mv->span[r]), z));
            }
            ss |= (uint64_t)(uint16_t)_mm_movemask_epi8(sp) << (16 * q);
            mm |= (uint64_t)(uint16_t)_mm_movemask_epi8(in) << (16 * q);
        }
        *m = mm;
        *s = ss;
        return;
    }
#else
    (void)mv;
#endif
    const uint8_t *kind = rs->kind;
    uint64_t mm = 0, ss = 0;
    for (unsigned g = 0; g < 8; g++) {
        const uint8_t *p = b + 8 * g;
        /* eight kinds side by side, then their bits gathered by one multiplication each */
        uint64_t w = (uint64_t)kind[p[0]] | (uint64_t)kind[p[1]] << 8 | (uint64_t)kind[p[2]] << 16 |
                     (uint64_t)kind[p[3]] << 24 | (uint64_t)kind[p[4]] << 32 | (uint64_t)kind[p[5]] << 40 |
                     (uint64_t)kind[p[6]] << 48 | (uint64_t)kind[p[7]] << 56;
        mm |= GATHER8(w) << (8 * g);
        ss |= GATHER8(w >> 1) << (8 * g);
    }
    *m = mm;
    *s = ss;
}

/* The kinds of rs->kind as nibble tables (see struct runs): per high nibble, the set of low
 * nibbles that are members, and the set that are whitespace; each distinct set of either
 * kind takes a bit. Eight bits hold the base64 alphabet (five sets) and whitespace (three).
 * More than eight: nibbles = 0, and the SSE2 ranges or the table are used. */
static void nibble_tables(struct runs *rs)
{
    uint16_t sets[8];
    int count = 0;
    memset(rs->nib_lo, 0, sizeof rs->nib_lo);
    memset(rs->nib_hi, 0, sizeof rs->nib_hi);
    rs->member_bits = rs->space_bits = 0;
    rs->nibbles = 0;
    for (int kind = KIND_MEMBER; kind <= KIND_SPACE; kind <<= 1) {
        int first = count; /* the sets of this kind start here: a set of the other kind is another bit */
        for (unsigned h = 0; h < 16; h++) {
            uint16_t set = 0;
            for (unsigned l = 0; l < 16; l++)
                if (rs->kind[h << 4 | l] & kind)
                    set |= (uint16_t)(1u << l);
            if (!set)
                continue;
            int b = first;
            while (b < count && sets[b] != set)
                b++;
            if (b == count) {
                if (count == 8)
                    return;
                sets[count++] = set;
                for (unsigned l = 0; l < 16; l++)
                    if (set >> l & 1)
                        rs->nib_lo[l] |= (uint8_t)(1u << b);
            }
            rs->nib_hi[h] |= (uint8_t)(1u << b);
            if (kind == KIND_MEMBER)
                rs->member_bits |= (uint8_t)(1u << b);
            else
                rs->space_bits |= (uint8_t)(1u << b);
        }
    }
    rs->nibbles = 1;
}

/* Whether this machine has SSSE3 (its byte shuffle is the nibble table lookup): every x86-64
 * made since 2008, but not part of the baseline the wheels are built for, so asked at run
 * time. sbx_gate_vectors turns the path off (the tests run both). Not on macOS, whose
 * compilers' run-time support for __builtin_cpu_supports this project has not built with. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__)
#include <tmmintrin.h>
#define HAVE_SSSE3_PATH 1
static int ssse3_state = -1; /* -1: not asked yet */

static int use_ssse3(void)
{
    if (ssse3_state < 0) {
        __builtin_cpu_init();
        ssse3_state = __builtin_cpu_supports("ssse3") ? 1 : 0;
    }
    return ssse3_state;
}

/* The 64-byte blocks of runs_over with the nibble tables: per sixteen bytes two shuffles,
 * an AND and two tests, where the ranges take two to four operations each. Leaves *at at
 * the first byte it did not read. */
__attribute__((target("ssse3"))) static int blocks_ssse3(struct runs *rs, const uint8_t *buf, size_t hi, size_t *at,
                                                         size_t *r, size_t *consumed, uint64_t *prev)
{
    const __m128i lo_tab = _mm_loadu_si128((const __m128i *)(const void *)rs->nib_lo);
    const __m128i hi_tab = _mm_loadu_si128((const __m128i *)(const void *)rs->nib_hi);
    const __m128i low4 = _mm_set1_epi8(0x0f), mbits = _mm_set1_epi8((char)rs->member_bits);
    const __m128i sbits = _mm_set1_epi8((char)rs->space_bits), zero = _mm_setzero_si128();
    size_t p = *at, c = *consumed;
    uint64_t before = *prev;
    for (; p + 64 <= hi; p += 64) {
        uint64_t m = 0, s = 0;
        for (unsigned q = 0; q < 4; q++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p + 16 * q));
            __m128i t = _mm_and_si128(_mm_shuffle_epi8(lo_tab, _mm_and_si128(v, low4)),
                                      _mm_shuffle_epi8(hi_tab, _mm_and_si128(_mm_srli_epi16(v, 4), low4)));
            /* bytes of no kind compare equal to zero: the masks are the complements */
            m |= (uint64_t)(uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(t, mbits), zero)) << (16 * q);
            s |= (uint64_t)(uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(t, sbits), zero)) << (16 * q);
        }
        rs->marks[p >> MARK_SHIFT] = c;
        uint64_t extra = s & ((s << 1) | before);
        rs->extra[p >> MARK_SHIFT] = extra;
        c += 64 - popcount64(extra);
        before = s >> 63;
        if (runs_in_block(rs, p, m, r) < 0)
            return -ENOMEM;
    }
    *at = p;
    *consumed = c;
    *prev = before;
    return 0;
}
#endif

void sbx_gate_vectors(int on)
{
#ifdef HAVE_SSSE3_PATH
    ssse3_state = on ? -1 : 0;
#else
    (void)on;
#endif
}

/* The runs of member bytes in buf[lo .. hi) from run start *run (carried from the range
 * before), and the marks: a loop of its own over bytes still in cache, so that it does not
 * lengthen the automaton's chain of loads. 64 bytes at a time, as two bit masks (member,
 * whitespace) built without a branch: a whitespace byte after another counts nothing
 * towards the marks, and a run of members is looked at only where one ends. */
static int runs_over(struct runs *rs, const uint8_t *buf, size_t lo, size_t hi, size_t *run)
{
    const uint8_t *kind = rs->kind;
    size_t r = *run, consumed = rs->consumed, at = lo;
    uint64_t prev = lo > 0 ? SPACE[buf[lo - 1]] : 0; /* whether the byte before is whitespace */
    struct member_vectors mv;
    member_vectors(rs, &mv);
#ifdef HAVE_SSSE3_PATH
    /* The ranges start on a block (GATE_CHUNK is a multiple of 64): so do the marks. */
    if (rs->nibbles && (at & 63) == 0 && use_ssse3() &&
        blocks_ssse3(rs, buf, hi, &at, &r, &consumed, &prev) < 0)
        return -ENOMEM;
#endif
    for (; at + 64 <= hi; at += 64) {
        if ((at & ((1u << MARK_SHIFT) - 1)) == 0)
            rs->marks[at >> MARK_SHIFT] = consumed;
        uint64_t m, s;
        block_masks(rs, &mv, buf + at, &m, &s);
        uint64_t extra = s & ((s << 1) | prev);
        rs->extra[at >> MARK_SHIFT] = extra;
        consumed += 64 - popcount64(extra);
        prev = s >> 63;
        if (runs_in_block(rs, at, m, &r) < 0)
            return -ENOMEM;
    }
    for (; at < hi; at++) { /* the tail of the text, byte by byte */
        if ((at & ((1u << MARK_SHIFT) - 1)) == 0) {
            rs->marks[at >> MARK_SHIFT] = consumed;
            rs->extra[at >> MARK_SHIFT] = 0;
        }
        uint64_t space = SPACE[buf[at]];
        rs->extra[at >> MARK_SHIFT] |= (space & prev) << (at & 63);
        consumed += 1 - (space & prev);
        prev = space;
        if (!(kind[buf[at]] & KIND_MEMBER)) {
            if (at - r >= rs->min && push_run(rs, r, at) < 0)
                return -ENOMEM;
            r = at + 1;
        }
    }
    *run = r;
    rs->consumed = consumed;
    rs->marked = hi;
    return 0;
}

/* The offset `p` of the text once whitespace runs are read as one byte: from its block's
 * mark and mask. Past what runs_over has marked (a hit found beyond the round, rare), the
 * bytes are counted from the last mark. */
static size_t collapsed(const struct runs *rs, const uint8_t *buf, size_t p)
{
    if (p < rs->marked) {
        size_t k = p >> MARK_SHIFT;
        uint64_t below = rs->extra[k] & ((((uint64_t)1) << (p & 63)) - 1);
        return rs->marks[k] + (p & 63) - popcount64(below);
    }
    size_t k = rs->marked ? (rs->marked - 1) >> MARK_SHIFT : 0;
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
    const uint32_t first_out = g->first_out;
    uint32_t o = *off;
    for (size_t i = lo; i < hi; i++) {
        o = row[o + cls[buf[i]]];
        if (o >= first_out && record(g, buf, len, o, i + 1, (size_t)-1, h) < 0)
            return -ENOMEM;
    }
    *off = o;
    return 0;
}

/* Streams scanned side by side in scan_range, and the least bytes each must have: more
 * than the longest literal, so that a stream's run past the next one's start (see
 * scan_range) ends before the stream after that begins. */
#define GATE_STREAMS 4
#define GATE_MIN_STREAM 8192u
_Static_assert(GATE_STREAMS == 4, "scan_streams spells out four streams");

/* The GATE_STREAMS streams of scan_range, in one loop: stream i from at[i] to at[i + 1]
 * (at[GATE_STREAMS] is the range's end), from row offset o[i], its hits onto h[i]. */
static int scan_streams(const struct sbx_gate *g, const uint8_t *buf, size_t len, const size_t *at, uint32_t *o,
                        struct wbuf *h)
{
    const uint32_t *row = g->row;
    const uint8_t *cls = g->ac->cls;
    const uint32_t first_out = g->first_out;
    size_t n = (size_t)-1;
    for (int i = 0; i < GATE_STREAMS; i++)
        if (at[i + 1] - at[i] < n)
            n = at[i + 1] - at[i];
    const uint8_t *b0 = buf + at[0], *b1 = buf + at[1], *b2 = buf + at[2], *b3 = buf + at[3];
    /* size_t, not uint32_t: the sum of a state and a class is then an address offset as it
     * is, without the zero-extension a 32-bit sum takes (one instruction a byte less). */
    size_t o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3];
    const size_t first = first_out;
    size_t k = 0;
    while (k < n) {
        /* The hot loop calls nothing, so that its pointers and states stay in registers
         * (a call inside it made the compiler keep its counters on the stack). */
        for (; k < n; k++) {
            o0 = row[o0 + cls[b0[k]]];
            o1 = row[o1 + cls[b1[k]]];
            o2 = row[o2 + cls[b2[k]]];
            o3 = row[o3 + cls[b3[k]]];
            if (__builtin_expect((o0 >= first) | (o1 >= first) | (o2 >= first) | (o3 >= first), 0))
                break;
        }
        if (k == n)
            break;
        if (o0 >= first_out && record(g, buf, len, (uint32_t)o0, at[0] + k + 1, (size_t)-1, &h[0]) < 0)
            return -ENOMEM;
        if (o1 >= first_out && record(g, buf, len, (uint32_t)o1, at[1] + k + 1, (size_t)-1, &h[1]) < 0)
            return -ENOMEM;
        if (o2 >= first_out && record(g, buf, len, (uint32_t)o2, at[2] + k + 1, (size_t)-1, &h[2]) < 0)
            return -ENOMEM;
        if (o3 >= first_out && record(g, buf, len, (uint32_t)o3, at[3] + k + 1, (size_t)-1, &h[3]) < 0)
            return -ENOMEM;
        k++;
    }
    o[0] = (uint32_t)o0, o[1] = (uint32_t)o1, o[2] = (uint32_t)o2, o[3] = (uint32_t)o3;
    for (int i = 0; i < GATE_STREAMS; i++)
        if (scan_one(g, buf, len, at[i] + n, at[i + 1], &o[i], &h[i]) < 0)
            return -ENOMEM;
    return 0;
}

/* Two lists of hits, each in order of end (then of literal), as one onto `out`. */
static int merge_hits(const struct wbuf *x, const struct wbuf *y, struct wbuf *out)
{
    size_t i = 0, j = 0;
    while (i < x->count || j < y->count) {
        const struct sbx_window *p = i < x->count ? &x->items[i] : NULL, *q = j < y->count ? &y->items[j] : NULL;
        int first = q == NULL || (p != NULL && (p->high < q->high || (p->high == q->high && p->id < q->id)));
        const struct sbx_window *w = first ? p : q;
        if (push(out, w->id, w->low, w->high) < 0)
            return -ENOMEM;
        i += first;
        j += !first;
    }
    return 0;
}

/* Hits of buf[lo .. hi) in order of end, scanned from row offset *off, which is left at the
 * state after hi; and the range's runs (from run start *run). The range is cut in
 * GATE_STREAMS parts scanned side by side in one loop: each step of the automaton waits for
 * a table load, and independent chains of loads overlap. Each stream but the first starts
 * from the root, after a byte that is not whitespace (so it reads the same bytes as the one
 * before); the stream before it then goes on past that start until its state holds nothing
 * from before it (its depth is no more than what it read since), reporting only the hits
 * that started before it (`cont`). From there the two agree. */
static int scan_range(const struct sbx_gate *g, const uint8_t *buf, size_t len, size_t lo, size_t hi,
                      uint32_t *off, size_t *run, struct runs *rs, struct wbuf *h, struct wbuf *cont,
                      struct wbuf *merged)
{
    const uint32_t *row = g->row;
    const uint8_t *cls = g->ac->cls;
    merged->count = 0;
    if (runs_over(rs, buf, lo, hi, run) < 0)
        return -ENOMEM;
    if (hi - lo < GATE_STREAMS * GATE_MIN_STREAM) /* not worth the streams */
        return scan_one(g, buf, len, lo, hi, off, merged);
    size_t at[GATE_STREAMS + 1];
    uint32_t o[GATE_STREAMS];
    at[0] = lo;
    at[GATE_STREAMS] = hi;
    o[0] = *off;
    for (int i = 1; i < GATE_STREAMS; i++) {
        size_t cut = lo + i * ((hi - lo) / GATE_STREAMS), limit = cut + GATE_MIN_STREAM / 2;
        while (cut < limit && is_space(buf[cut - 1]))
            cut++;
        if (cut >= limit) /* blank space all along: one stream */
            return scan_one(g, buf, len, lo, hi, off, merged);
        at[i] = cut;
        o[i] = 0;
    }
    for (int i = 0; i < GATE_STREAMS; i++)
        h[i].count = 0;
    if (scan_streams(g, buf, len, at, o, h) < 0)
        return -ENOMEM;
    const uint32_t classes = g->ac->classes;
    /* The first stream's hits all end by at[1]; then, for each stream, the hits of its run
     * past the next one's start merged with those of the next one (all of which end after
     * that start, and before the stream after it begins). */
    for (size_t k = 0; k < h[0].count; k++)
        if (push(merged, h[0].items[k].id, h[0].items[k].low, h[0].items[k].high) < 0)
            return -ENOMEM;
    for (int i = 0; i + 1 < GATE_STREAMS; i++) {
        cont->count = 0;
        uint32_t oc = o[i];
        size_t read = 0, start = at[i + 1];
        int after_space = 0;
        for (size_t j = start; j < len && g->ac->depth[g->state_of[oc / classes]] > read; j++) {
            int space = is_space(buf[j]);
            read += !(space && after_space);
            after_space = space;
            oc = row[oc + cls[buf[j]]];
            if (oc >= g->first_out && record(g, buf, len, oc, j + 1, start, cont) < 0)
                return -ENOMEM;
        }
        if (merge_hits(cont, &h[i + 1], merged) < 0)
            return -ENOMEM;
    }
    *off = o[GATE_STREAMS - 1];
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
    struct wbuf o = {0}, h[GATE_STREAMS] = {{0}}, cont = {0}, hits = {0}, found_runs = {0};
    struct runs rs;
    rs.marks = NULL;
    rs.extra = NULL;
    for (unsigned v = 0; v < 256; v++)
        rs.kind[v] = (uint8_t)((member && member[v] ? KIND_MEMBER : 0) | (SPACE[v] ? KIND_SPACE : 0));
    member_ranges(&rs);
    nibble_tables(&rs);
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
    rs.extra = malloc(((len >> MARK_SHIFT) + 2) * sizeof(uint64_t));
    rs.marked = 0;
    rs.consumed = 0;
    if (!last || !pending || !rs.marks || !rs.extra) {
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
        if ((rc = scan_range(g, buf, len, lo, hi, &off, &run, &rs, h, &cont, &hits)) < 0)
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
    free(rs.extra);
    for (int i = 0; i < GATE_STREAMS; i++)
        free(h[i].items);
    free(cont.items);
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
