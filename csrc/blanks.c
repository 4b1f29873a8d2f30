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
