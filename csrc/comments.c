/* The HTML comments of a text, for the adversary inspector: an instruction inside one is
 * hidden from the person who reads the page, and an address to the agent near one is read.
 *
 * sandbox/inspectors/adversary.py (_comment_spans) has the rules and a Python twin that this
 * must agree with (tests/unit/test_adversary.py compares them): a comment runs from "<!--" to
 * the first "-->" after it, or to the end of the text when none follows (as a browser hides
 * the rest of the page). Not a comment: an opener with a quote right before it and the same
 * quote right after it (the string '<!--' in an HTML parser's source), or, where no closer
 * follows, any opener with a quote right before it. In Python the loop took a microsecond a
 * comment; a megabyte of empty comments among addresses to the agent held 140,000. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbx.h"

static int quote(uint8_t c)
{
    return c == '"' || c == '\'' || c == '`';
}

static const uint8_t *find(const uint8_t *buf, size_t len, size_t from, const char *what)
{
    if (from >= len)
        return NULL;
    return memmem(buf + from, len - from, what, strlen(what));
}

static int keep(size_t **starts, size_t **ends, size_t *count, size_t *cap, size_t start, size_t end)
{
    if (*count == *cap) {
        size_t more = *cap ? *cap * 2 : 64;
        size_t *s = realloc(*starts, more * sizeof(size_t));
        if (!s)
            return -ENOMEM;
        *starts = s;
        size_t *e = realloc(*ends, more * sizeof(size_t));
        if (!e)
            return -ENOMEM;
        *ends = e;
        *cap = more;
    }
    (*starts)[*count] = start;
    (*ends)[*count] = end;
    (*count)++;
    return 0;
}

int sbx_comment_spans(const uint8_t *buf, size_t len, size_t **starts, size_t **ends, size_t *count)
{
    size_t cap = 0, at = 0;
    *starts = *ends = NULL;
    *count = 0;
    /* The first closer after the last opener it was looked for from (one search serves every
     * opener before it); `closed` is 0 once none is left. */
    const uint8_t *close = NULL;
    int looked = 0, closed = 1;
    const uint8_t *open;
    while ((open = find(buf, len, at, "<!--")) != NULL) {
        size_t start = (size_t)(open - buf);
        if (closed && (!looked || (size_t)(close - buf) < start + 4)) {
            close = find(buf, len, start + 4, "-->");
            looked = 1;
            closed = close != NULL;
        }
        if (start > 0 && quote(buf[start - 1])) {
            if (closed && start + 4 < len && buf[start + 4] == buf[start - 1]) {
                at = start + 4; /* '<!--': a string, not a comment */
                continue;
            }
            if (!closed) {
                /* Never closed: the first later opener no quote stands before runs to the end. */
                const uint8_t *next = NULL;
                for (size_t from = start + 4; (next = find(buf, len, from, "<!--")) != NULL;
                     from = (size_t)(next - buf) + 4)
                    if (!quote(buf[next - buf - 1]))
                        break;
                if (!next)
                    break;
                start = (size_t)(next - buf);
            }
        }
        size_t end = closed ? (size_t)(close - buf) + 3 : len;
        if (keep(starts, ends, count, &cap, start, end) < 0) {
            free(*starts);
            free(*ends);
            *starts = *ends = NULL;
            *count = 0;
            return -ENOMEM;
        }
        at = end;
    }
    return 0;
}
