"""Normalisation before matching: what a reader (or a model) would see, whatever tricks
the text plays on a scanner.

- Unicode tag characters (U+E0000 to U+E007F) spell ASCII invisibly: they are removed and what
  they spell is kept as a payload of its own; zero-width characters and bidi controls are
  removed. How many of each there were is reported: their presence is itself a signal.
- NFKC (full-width and other compatibility forms to their plain letters), letters of other
  scripts that look like Latin ones folded to them (Cyrillic o, U+043E, is ``o``), HTML entities
  resolved.
- Payloads hidden in encodings are decoded (:func:`decoded_layers`), at most two levels
  deep and within a size bound: base64 and base64url blocks, hex, ``%XX`` escapes,
  ``\\xNN`` and ``\\uNNNN`` escapes, HTML character references, and words spelled with
  their letters spaced or dotted apart or digits for letters ("i g n o r e", "1gn0r3",
  found near spellings of a few words every override needs). A decoding is kept only
  when it gives readable text. Where they are is learnt from the rules' own scan (the
  prefilter gate reports the runs of base64 bytes and the places of escape markers in the
  same pass), so a text is read once, not once per encoding.

Whitespace runs are not rewritten here, over megabytes: the prefilter's gate measures
distances with each run read as one byte, and a window holding a long run is read with
its runs collapsed (sandbox.inspectors.engine), which is where it matters. A text that is all ASCII (most
source and logs) needs none of the Unicode work; in one that is not, only the stretches
around non-ASCII bytes are worked on.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

from sandbox.inspectors.prefilter import encoded_blocks, hidden_by_refs, non_ascii_stretches, utf8, utf8_runs

MAX_DEPTH = 2
MAX_BLOCK = 64 << 10  # an encoded block longer than this is data, not a message
MIN_BLOCK = 24  # bytes: a shorter base64 or hex block holds no sentence worth reading

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\u2061\u2062\u2063\u2064\u115f\u1160\u3164"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0061-\U000e007a\U000e0030-\U000e0039]{2,6}\U000e007f")
_REMOVE = {ord(c): None for c in _ZERO_WIDTH + _BIDI} | {c: None for c in range(0xE0000, 0xE0080)}
# Soft hyphens (U+00AD) are removed like the rest but not counted: typesetters put them in
# long words on purpose ("Donau\u00addampf\u00adschiff"), and the words read the same without them.
_ZW_IN_WORD = re.compile("[A-Za-z][" + _ZERO_WIDTH.replace("\u00ad", "") + "]+[A-Za-z]")

# Letters of Cyrillic, Greek and Armenian that are drawn like Latin ones (and the Latin
# look-alikes NFKC leaves alone), as attackers use them to write "ignore" that no ASCII
# pattern matches. Only the common ones: a full confusables table would fold real words.
_CONFUSABLES = str.maketrans(
    {
        "\u0430": "a", "\u0432": "b", "\u0435": "e", "\u043a": "k", "\u043c": "m", "\u043d": "h",
        "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0442": "t", "\u0443": "y", "\u0445": "x",
        "\u0455": "s", "\u0456": "i", "\u0458": "j", "\u0501": "d", "\u04cf": "l", "\u051b": "q",
        "\u051d": "w", "\u0261": "g", "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K",
        "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T",
        "\u0425": "X", "\u0405": "S", "\u0406": "I", "\u0408": "J", "\u0391": "A", "\u0392": "B",
        "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I", "\u039a": "K", "\u039c": "M",
        "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
        "\u03bf": "o", "\u03bd": "v", "\u03b9": "i", "\u03ba": "k", "\u03c1": "p", "\u03c4": "t",
        "\u03c5": "u", "\u03c7": "x", "\u03b1": "a", "\u03b5": "e", "\u0585": "o", "\u057d": "u",
        "\u0581": "g", "\u0570": "h", "\u0578": "n", "\u0131": "i", "\u0237": "j",
        # What a case-insensitive pattern takes for an ASCII letter or for \s but the
        # prefilter (which folds ASCII only) would not: dotted capital I, and the line and
        # paragraph separators, next line and ogham space that NFKC leaves alone.
        "\u0130": "I", "\u2028": "\n", "\u2029": "\n", "\u0085": "\n", "\u1680": " ",
    }
)

_CONFUSABLE_RE = re.compile("[" + "".join(chr(c) for c in _CONFUSABLES) + "]")
_INVISIBLE_RE = re.compile("[" + _ZERO_WIDTH + _BIDI + "]")
# Any character the Unicode work may change besides what NFKC does: invisible ones, tags,
# look-alikes.
_SPECIAL = re.compile("[" + _ZERO_WIDTH + _BIDI + "".join(chr(c) for c in _CONFUSABLES) + "\U000e0000-\U000e007f]")

B64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"
_ESCAPES = re.compile(rb"\\(?:x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2}){3,}|u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4}){3,})")
_PERCENT = re.compile(rb"%[0-9a-fA-F]{2}(?:%[0-9a-fA-F]{2}){2,}")
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\n\r\t"
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
_NUMERIC_REF = rb"&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});?\s*+"
# Four in a row. Written to begin with the literal "&#" (not a group), as _IN_WORD below:
# the re module then skips to each "&#" in C rather than trying the pattern at every byte.
_SPELLED = _NUMERIC_REF + b"(?:" + _NUMERIC_REF + b"){3}"
# A reference to a letter inside a word ("&#105;gnore", "ign&#111;re"): a person reads the
# word; the text as written does not hold it.
_LETTER_REF = (  # a numeric reference to an ASCII letter
    rb"&#(?:0*(?:6[5-9]|[78][0-9]|90|9[7-9]|1[01][0-9]|12[0-2])|[xX]0*(?:4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA]));?"
)
_IN_WORD = rb"&#(?:(?<=[A-Za-z]&#)" + _LETTER_REF[2:] + rb"|" + _LETTER_REF[2:] + rb"(?=[A-Za-z]))"
# Either, in one search: both begin "&#", which the re module takes out as the pattern's
# prefix and skips to in C (a page's "&#x27;" quotes make hundreds of places to look at).
_HIDDEN_BY_REFS = re.compile(_SPELLED + b"|" + _IN_WORD)
# Words of an override written so that no rule's literal is in them: letters spaced or dotted
# apart ("i g n o r e", "I.g.n.o.r.e") or digits for letters ("1gn0r3", "pr3v10us"). Their
# places are found by these spellings of a few words every override needs; the text around
# is read back (_unspelled) and scanned as a layer.
_KEY_WORDS = ("ignore", "disregard", "forget", "instructions", "previous", "system", "prompt", "override")
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def _leet_spellings(word: str) -> list[str]:
    """Every spelling of ``word`` with one digit or more for the letters _LEET maps."""
    spellings = [""]
    for letter in word:
        spellings = [s + c for s in spellings for c in (letter, _LEET.get(letter, letter))]
    return sorted(set(spellings) - {word})


_SPELLINGS = tuple(
    spelled
    for word in _KEY_WORDS
    for spelled in (" ".join(word), ".".join(word), *_leet_spellings(word))
)
# Where each kind of escape may start: literals the rules' prefilter gate looks for too
# (engine.RuleSet reports their places). Percent escapes of text start %2 to %7.
SITES: dict[str, tuple[str, ...]] = {
    "url": ("%2", "%3", "%4", "%5", "%6", "%7"),
    "escape": ("\\x", "\\u"),
    "html": ("&#",),
    "spelled": _SPELLINGS,
}
_SITE_PATTERNS = {"url": _PERCENT, "escape": _ESCAPES}
# bytes around a marker that the decoding reads
SITE_WINDOW = {"url": 16, "escape": 16, "html": 160, "spelled": 240}
# Bytes of a text read back for spelled words (decoded_layers): this many, or one in this
# many of the text's, whichever is more; past it, the text is reported not read in full.
SPELLED_FLOOR, SPELLED_SHARE = 64 << 10, 16


@dataclass(frozen=True, slots=True)
class Layer:
    """A payload decoded from a text: how (``base64``, ``hex``, ``url``, ``escape``,
    ``html``, ``unicode_tags``), from where (its span in the text it came from: UTF-8 byte
    offsets of the encoded blocks; (0, 0) for tag characters), how deep."""

    kind: str
    text: str
    depth: int
    origin: tuple[int, int]

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8", "surrogatepass")


class Normalized:
    """A text as it reads: ``data`` (its UTF-8 bytes, which the rules scan and findings'
    spans point into), ``text`` (the same as str, decoded on first use), how many invisible
    characters of each kind it had, and the payloads spelled by tag characters."""

    __slots__ = ("_text", "data", "invisible", "layers")

    def __init__(self, data: bytes, invisible: dict[str, int], layers: tuple[Layer, ...], text: str | None) -> None:
        self.data = data
        self.invisible = invisible
        self.layers = layers
        self._text = text

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode("utf-8", "surrogatepass")
        return self._text


def normalize(text: str) -> Normalized:
    """The text as it reads (see the module docstring); encoded payloads are not decoded
    here but by :func:`decoded_layers`, from what the rules' scan found."""
    if text.isascii():
        return Normalized(utf8(text), {}, (), text)
    data, runs = utf8_runs(text, _JOIN)
    invisible: dict[str, int] = {}
    layers: list[Layer] = []
    # Only the stretches around non-ASCII bytes need the Unicode work; each is cut at ASCII
    # whitespace (so that nothing that combines, and no word with a zero-width character in
    # it, is cut), and stretches close together are worked on as one.
    # Those whose every character is one that needs nothing (an accented word, a dash, curly
    # quotes: _stable_table) are passed over in C; the rest are read in one batch, and only
    # those with a character to change are worked on one by one.
    stretches = non_ascii_stretches(data, _JOIN, _REACH, _stable_table(), runs)
    pieces = b"\x00".join(data[low:high] for low, high in stretches).decode("utf-8", "surrogatepass").split("\x00")
    if len(pieces) != len(stretches):  # a NUL inside a stretch: read them one by one
        pieces = [data[low:high].decode("utf-8", "surrogatepass") for low, high in stretches]
    parts: list[bytes | memoryview] = []
    view = memoryview(data)  # the text between changes joined without a copy of each slice first
    at = 0
    for (low, high), piece in zip(stretches, pieces, strict=True):
        if not _SPECIAL.search(piece) and unicodedata.is_normalized("NFKC", piece):
            continue
        changed = _unicode(piece, invisible, layers)
        if changed == piece:  # what was counted is kept; the text is as it was
            continue
        parts.append(view[at:low])
        parts.append(changed.encode("utf-8", "surrogatepass"))
        at = high
    # What tag characters spell is one message, however far apart its pieces are.
    spelled = [layer for layer in layers if layer.kind == "unicode_tags"]
    if len(spelled) > 1:
        layers = [layer for layer in layers if layer.kind != "unicode_tags"]
        layers.append(Layer("unicode_tags", "".join(layer.text for layer in spelled), 1, (0, 0)))
    if not parts:
        return Normalized(data, invisible, tuple(layers), text)
    parts.append(view[at:])
    # A stretch changed, so the text did (UTF-8 tells strings apart): no need to compare.
    return Normalized(b"".join(parts), invisible, tuple(layers), None)


_REACH = 64  # bytes looked back and ahead of a non-ASCII run for the whitespace to cut at
# Non-ASCII runs closer than this are worked on together. Less than twice _REACH, so that
# runs a few words apart still make one stretch (their widenings overlap and are joined);
# 256 gave fewer stretches but longer ones, each read whole (10 MB: 7.0 against 5.8 ms).
_JOIN = 64
# Where the characters that normalisation leaves alone are looked for: Latin, Greek,
# Cyrillic, Armenian, Hebrew, Arabic and their neighbours; Latin Extended Additional to the
# arrows, dashes, quotes and symbols. Neither range holds a character of combining class 0
# that composes with the one before it (Hangul vowels and finals, Indic vowel signs: they
# lie between the two), which tests/unit/test_prefilter.py checks against every character.
_STABLE_RANGES = ((0x80, 0x900), (0x1E00, 0x2C00))


@functools.cache
def _stable_table() -> bytes:
    """A bit table of the code points (below U+2C00) that _unicode leaves as they are
    whatever stands around them: NFKC keeps them, they combine with nothing before them
    (combining class 0; see _STABLE_RANGES), and they are not invisible or look-alikes. A
    stretch of them and ASCII needs no work. Built on first use (about 3 ms)."""
    table = bytearray(_STABLE_RANGES[-1][1] // 8)
    for low, high in _STABLE_RANGES:
        for code in range(low, high):
            c = chr(code)
            if unicodedata.combining(c) == 0 and unicodedata.is_normalized("NFKC", c) and not _SPECIAL.match(c):
                table[code >> 3] |= 1 << (code & 7)
    return bytes(table)


def _unicode(text: str, invisible: dict[str, int], layers: list[Layer]) -> str:
    """The Unicode part of normalize() for one stretch: invisible characters counted and
    removed (tag characters kept as the payload they spell), NFKC, look-alikes folded."""
    if _TAGS.search(text):
        # Flag emoji of subdivisions (England, Scotland, Wales) are a black flag, tag letters
        # spelling the region code, and the cancel tag: Unicode's own use of tags, not a message.
        tags = _TAGS.findall(_FLAG_TAGS.sub("\U0001f3f4", text))
        if tags:
            invisible["tags"] = invisible.get("tags", 0) + sum(len(t) for t in tags)
            spelled = "".join(chr(ord(c) - 0xE0000) for t in tags for c in t if 0x20 <= ord(c) - 0xE0000 < 0x7F)
            if spelled.strip():
                layers.append(Layer("unicode_tags", spelled, 1, (0, 0)))
        text = text.translate(_REMOVE)
    if _INVISIBLE_RE.search(text):
        bidi = sum(text.count(c) for c in _BIDI)
        if bidi:
            invisible["bidi"] = invisible.get("bidi", 0) + bidi
        in_words = len(_ZW_IN_WORD.findall(text))
        if in_words:
            invisible["zero_width_in_words"] = invisible.get("zero_width_in_words", 0) + in_words
        text = text.translate(_REMOVE)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _CONFUSABLE_RE.search(text):
        text = text.translate(_CONFUSABLES)
    return text


def decoded_layers(
    data: bytes, sites: dict[str, list[tuple[int, int]]], runs: list[tuple[int, int]], depth: int, left: list[int]
) -> tuple[list[Layer], bool]:
    """``(layers, complete)``: the readable payloads encoded in ``data`` (at ``depth``),
    from the places a scan found: ``sites`` (per kind of escape, byte ranges where its
    markers are) and ``runs`` (runs of base64 bytes). At most ``left[0]`` characters of
    payload are kept in all (and taken off it); ``complete`` is False when some block was
    left undecoded for want of budget."""
    out: list[Layer] = []
    complete = True

    def keep(kind: str, start: int, end: int, payload: str | None) -> None:
        nonlocal complete
        if payload is None:
            return
        if left[0] <= 0:
            complete = False
            return
        payload = payload[: left[0]]
        left[0] -= len(payload)
        inner = normalize(payload)
        out.append(Layer(kind, inner.text, depth, (start, end)))

    for start, end, hexadecimal in encoded_blocks(data, runs, MAX_BLOCK):
        block = data[start:end]
        if hexadecimal:
            keep("hex", start, end, _readable(_unhex(block.decode("ascii"))))
        else:
            keep("base64", start, end, _readable(_unbase64(block.decode("ascii"))))
    # Reading spelled words back costs the regular expressions of _unspelled over every
    # byte around their places (150 ms for a megabyte of them): at most this much of a text.
    spelled_left = max(SPELLED_FLOOR, len(data) // SPELLED_SHARE)
    for kind, spans in sites.items():
        if kind not in SITES:
            continue  # a place of another kind (an inspector's own)
        pattern = _SITE_PATTERNS.get(kind)
        for low, high in joined(spans):
            if kind == "html":
                # Letters spelled as numeric references, four or more in a row ("&#105;&#103;
                # &#110;..."), or one inside a word: the region is decoded as a whole, the text
                # around the references kept. The odd "don&#39;t" of a web page is neither.
                # Both begin with a numeric reference: a page's named ones (&quot; &raquo;) are passed over in C.
                if not hidden_by_refs(data, low, high, _HIDDEN_BY_REFS):
                    continue
                region = data[low:high].decode("utf-8", "ignore")
                decoded = html.unescape(region)
                if decoded != region:
                    keep(kind, low, high, _readable(decoded.encode("utf-8", "surrogatepass")))
                continue
            if kind == "spelled":
                spelled_left -= high - low
                if spelled_left < 0:
                    complete = False
                    break
                region = data[low:high].decode("utf-8", "ignore")
                unspelled = _unspelled(region)
                if unspelled != region:
                    keep(kind, low, high, _readable(unspelled.encode("utf-8", "surrogatepass")))
                continue
            assert pattern is not None
            for m in pattern.finditer(data, max(0, low - 8), min(len(data), high + 8)):
                raw = m.group()
                if kind == "url":
                    keep(kind, m.start(), m.end(), _readable(urllib.parse.unquote_to_bytes(raw)))
                else:
                    keep(kind, m.start(), m.end(), _readable(_unescape(raw.decode("ascii"))))
    return out, complete


# Single letters (or digits) apart, five or more: each followed by one separator (between the
# letters of a word) or a few spaces (between words).
_SPACED = re.compile(r"(?<![\w.*_-])\w(?:(?:[ .*_-]| {2,4})\w){4,}(?!\w)")
_SEPARATE = re.compile(r"[ .*_-]")
_HEXWORD = re.compile(r"[0-9a-f]++", re.IGNORECASE)
# A word of letters with digits among them that stand for letters (not a number, a hash or a
# version: a letter before and after a digit, or a digit at the start before letters).
_LEETWORD = re.compile(r"\b(?=[0-9a-z@$]*[a-z])(?=[a-z@$]*[013457@$])[0-9a-z@$]{3,}\b", re.IGNORECASE)
_UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _unspelled(region: str) -> str:
    """``region`` with words spaced or dotted apart joined (a run of two or more spaces, or a
    space between dotted words, is the space between words) and digits that stand for
    letters read as them."""
    def join(m: re.Match[str]) -> str:
        # "i g n o r e  a l l": the double space parts words; "I.g.n.o.r.e a.l.l": the space does
        return " ".join(_SEPARATE.sub("", word) for word in re.split(r" {2,}|(?<=\w) (?=\w\.)", m.group()))

    text = _SPACED.sub(join, region)
    return _LEETWORD.sub(lambda m: m.group() if _HEXWORD.fullmatch(m.group()) else m.group().translate(_UNLEET), text)


def joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching ranges as one (a long escaped run spans many windows)."""
    out: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(high, out[-1][1]))
        else:
            out.append((low, high))
    return out


def _unhex(block: str) -> bytes | None:
    try:
        return bytes.fromhex(block[: len(block) // 2 * 2])
    except ValueError:
        return None


def _unbase64(block: str) -> bytes | None:
    body = block.rstrip("=")
    body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
    padded = body + "=" * (-len(body) % 4)
    try:
        if "-" in body or "_" in body:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unescape(block: str) -> bytes | None:
    try:
        return block.encode("ascii").decode("unicode_escape").encode("utf-8", "surrogatepass")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None


def _readable(data: bytes | None) -> str | None:
    """``data`` as text when it reads as text: valid UTF-8, nearly all printable, with
    letters and spaces (a hash or an image decodes to neither)."""
    if not data or len(data) < 8:
        return None
    text = None  # ASCII data is decoded only once it has passed
    if data.isascii():
        ascii_part, others = data, ""
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        # The ASCII characters are counted in C, the others one by one: a megabyte of text
        # with a few non-ASCII letters (crafted) once cost a Python loop over all of it.
        ascii_part, others = text.encode("ascii", "ignore"), _ASCII_RUN.sub("", text)
    # Most candidates (identifiers, hashes) fail here, counted in C.
    length = len(ascii_part) + len(others)
    printable = len(ascii_part) - len(ascii_part.translate(None, _PRINTABLE)) + sum(map(str.isprintable, others))
    letters = len(ascii_part) - len(ascii_part.translate(None, _LETTERS)) + sum(map(str.isalpha, others))
    if printable < 0.95 * length or letters < 0.5 * length or b" " not in ascii_part:
        return None
    return text if text is not None else data.decode("ascii")
