/* Blank space read the way the inspectors' rules read it: in a window of text, a run of
 * whitespace that holds a line break becomes one line break, and any other run of two or
 * more whitespace characters one space (a single whitespace character stays as it is).
 * Padding then cannot push the words of an instruction apart beyond a rule's reach.
 *
 * sandbox/inspectors/engine.py does the same with two regular-expression substitutions
 * (`_collapsed`), for any text; this is its case for a text whose whitespace is all ASCII (in
 * UTF-8 an ASCII byte is never part of another character), taken by most windows: source code's
 * indentation gives most of them such a run, and the two substitutions cost about fifteen
 * microseconds a window. Whitespace is ASCII's as str.isspace has it: space, \t \n \v \f \r
 * and the information separators 0x1c-0x1f. */
#include <string.h>

#include "sbx.h"

static int blank(uint8_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

size_t sbx_collapse_blanks(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        uint8_t c = in[i];
        if (!blank(c)) {
            out[o++] = c;
            i++;
            continue;
        }
        size_t j = i;
        int newline = 0;
        while (j < n && blank(in[j])) {
            newline |= in[j] == '\n';
            j++;
        }
        out[o++] = newline ? '\n' : (j - i == 1 ? c : ' ');
        i = j;
    }
    return o;
}

/* Hard-wrapped prose read as the sentences it holds: each line break where the text goes on
 * becomes a space, one byte for one (offsets stay the same). The rules of
 * sandbox/inspectors/prefilter.py's unwrap_lines, whose twin this is (the test suite holds the
 * two equal on random text): a break is soft where the line it ends was filled (UNWRAP_FILLED
 * bytes or more, trailing blanks aside, with a space after its indent) and ends as prose does,
 * and the next line goes on as a sentence does. Bytes of UTF-8 beyond ASCII count as
 * lower-case letters: a wrapped line of French or German goes on with one as often as not. */
#define UNWRAP_FILLED 40

static int line_blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }
static int lower(uint8_t c) { return (c >= 'a' && c <= 'z') || c >= 0x80; }
static int upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static int digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int word(uint8_t c) { return lower(c) || upper(c) || digit(c) || c == '_'; }

/* "Assistant:", "Subject:", "user:" at in[at]: a label, which opens a line of its own. */
static int label(const uint8_t *in, size_t n, size_t at)
{
    if (at >= n || !((in[at] >= 'a' && in[at] <= 'z') || upper(in[at])))
        return 0;
    /* The colon is within the 21 bytes after the first (most lines have none there): one
     * search instead of reading the words up to it, on every line of a text. */
    if (!memchr(in + at + 1, ':', n - at - 1 < 21 ? n - at - 1 : 21))
        return 0;
    size_t j = at + 1;
    while (j < n && j - at <= 20 && ((word(in[j]) && in[j] < 0x80) || in[j] == ' ' || in[j] == '-'))
        j++;
    if (j >= n || in[j] != ':')
        return 0;
    return j + 1 >= n || line_blank(in[j + 1]) || in[j + 1] == '\n';
}

/* "1. ", "12) " at in[at]: a list item's number. */
static int list_number(const uint8_t *in, size_t n, size_t at)
{
    size_t j = at;
    while (j < n && digit(in[j]))
        j++;
    if (j - at > 3 || j >= n || (in[j] != '.' && in[j] != ')'))
        return 0;
    return j + 1 >= n || line_blank(in[j + 1]) || in[j + 1] == '\n';
}

/* The marker of a comment or a quote that opens the line body at in[at] ("#", "//", "///",
 * "//!", "--", ";" runs, ">" runs), when blanks follow it: its length, else 0. Not "*", "-" or
 * "+", a list's bullets: each of their items opens a line of its own. */
static size_t marker(const uint8_t *in, size_t n, size_t at)
{
    size_t j = at;
    if (j >= n)
        return 0;
    if (in[j] == '#') {
        j++;
    } else if (in[j] == '/' && j + 1 < n && in[j + 1] == '/') {
        j += 2;
        if (j < n && (in[j] == '/' || in[j] == '!'))
            j++;
    } else if (in[j] == '-' && j + 1 < n && in[j + 1] == '-') {
        j += 2;
    } else if (in[j] == ';' || in[j] == '>') {
        while (j < n && in[j] == in[at])
            j++;
    } else {
        return 0;
    }
    return j < n && (in[j] == ' ' || in[j] == '\t') ? j - at : 0;
}

/* Whether the line break at in[at] is soft; *skip is then how many bytes after it, up to the
 * words that go on, are the next line's indent and a comment's or a quote's marker that the
 * line before opens with too (a hard-wrapped comment: "# ... the instructions you're
 * following\n    # are stale"). */
static int soft_break(const uint8_t *in, size_t n, size_t start, size_t at, size_t *skip)
{
    size_t end = at;
    while (end > start && line_blank(in[end - 1]))
        end--;
    if (end - start < UNWRAP_FILLED)
        return 0;
    size_t body = start;
    while (body < end && line_blank(in[body]))
        body++;
    if (!memchr(in + body, ' ', end - body))
        return 0; /* one run of letters (base64, a hash): no sentence to go on */
    uint8_t last = in[end - 1];
    if (last == ';' || last == '{' || last == '}' || last == '[' || (last == ',' && end - 2 >= start && in[end - 2] == '"'))
        return 0; /* a statement of code, a record of JSON */
    size_t next = at + 1;
    while (next < n && (in[next] == ' ' || in[next] == '\t'))
        next++;
    size_t mark = marker(in, n, body);
    if (mark && next + mark <= n && memcmp(in + body, in + next, mark) == 0 && marker(in, n, next) == mark) {
        next += mark;
        while (next < n && (in[next] == ' ' || in[next] == '\t'))
            next++;
    }
    *skip = next - at;
    if (next >= n)
        return 0;
    uint8_t first = in[next], after = next + 1 < n ? in[next + 1] : 0;
    if (label(in, n, next))
        return 0;
    if (lower(first))
        return 1;
    if (last == '.' || last == '!' || last == '?')
        return 0; /* a sentence ended: the next line may be the next record */
    if (upper(first))
        return upper(after);
    switch (first) {
    case '`': case '(': case '~': case '/': case '$':
        return 1;
    case '"': case '\'':
        return lower(last);
    case '!':
        return after == '[';
    case '.':
        return word(after);
    case '-':
        return word(after) || (after == '-' && next + 2 < n && word(in[next + 2]));
    case '&':
        return after == '&';
    default:
        return digit(first) && !list_number(in, n, next);
    }
}

size_t sbx_unwrap_lines(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t changed = 0, start = 0;
    memcpy(out, in, n);
    for (const uint8_t *p = memchr(in, '\n', n); p; p = memchr(p + 1, '\n', n - (size_t)(p + 1 - in))) {
        size_t at = (size_t)(p - in);
        size_t skip = 0;
        if (soft_break(in, n, start, at, &skip)) {
            out[at] = ' ';
            for (size_t k = at + 1; k < at + skip; k++)
                if (in[k] != ' ' && in[k] != '\t')
                    out[k] = ' '; /* a comment's marker, read as the blank it stands for */
            changed++;
        }
        start = at + 1;
    }
    return changed;
}
