"""Normalisation before matching: what a reader (or a model) would see, whatever tricks
the text plays on a scanner.

- Unicode tag characters (U+E0000 to U+E007F) spell ASCII invisibly: they are removed and what
  they spell is kept as a payload of its own; zero-width characters and bidi controls are
  removed. How many of each there were is reported: their presence is itself a signal.
- NFKC (full-width and other compatibility forms to their plain letters), letters of other
  scripts that look like Latin ones folded to them (Cyrillic o, U+043E, is ``o``), HTML entities
  resolved.
- Payloads hidden in encodings are decoded, at most two levels deep and within a size
  bound: base64 and base64url blocks, hex, ``%XX`` escapes, ``\\xNN`` and ``\\uNNNN``
  escapes. A decoding is kept only when it gives readable text.

Whitespace runs are not rewritten here, over megabytes: the rules' windows collapse them
(sandbox.inspectors.engine), which is where it matters.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field

from sandbox.inspectors.prefilter import byte_runs

MAX_DEPTH = 2
MAX_RUNS = 256  # encoded blocks looked at per text
MAX_BLOCK = 64 << 10  # an encoded block longer than this is data, not a message

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\u2061\u2062\u2063\u2064\u115f\u1160\u3164"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0061-\U000e007a\U000e0030-\U000e0039]{2,6}\U000e007f")
_REMOVE = {ord(c): None for c in _ZERO_WIDTH + _BIDI} | {c: None for c in range(0xE0000, 0xE0080)}
_ZW_IN_WORD = re.compile("[A-Za-z][" + _ZERO_WIDTH + "]+[A-Za-z]")

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
    }
)

_CONFUSABLE_CHARS = frozenset(chr(c) for c in _CONFUSABLES)

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPE_BYTES = b"\\xu0123456789abcdefABCDEF"
_PERCENT_BYTES = b"%0123456789abcdefABCDEF"
_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2}){4,}|(?:\\u[0-9a-fA-F]{4}){4,}")
_PERCENT = re.compile(r"(?:%[0-9a-fA-F]{2}){3,}")


@dataclass(frozen=True, slots=True)
class Layer:
    """A payload decoded from a text: how (``base64``, ``hex``, ``url``, ``escape``,
    ``unicode_tags``), from where (its span in the text it came from: UTF-8 byte offsets of
    the encoded blocks, character offsets for tag characters), how deep."""

    kind: str
    text: str
    depth: int
    origin: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str
    invisible: dict[str, int] = field(default_factory=dict)  # "zero_width_in_words", "bidi", "tags"
    layers: tuple[Layer, ...] = ()


def normalize(text: str, *, decode: bool = True, budget: int | None = None) -> Normalized:
    """The text as it reads, and the payloads hidden in it (see the module docstring).
    ``budget``: the most characters of decoded payload kept (default: the text's length,
    at least 64 KiB), so that decoding cannot grow the work past a bound."""
    invisible: dict[str, int] = {}
    layers: list[Layer] = []
    if not text.isascii():
        # Only the pieces that are not ASCII need the Unicode work (a big log or source file
        # is mostly ASCII): pieces end at a newline, so nothing that combines is cut.
        pieces = []
        for piece in _pieces(text):
            if not piece.isascii():
                piece = _unicode(piece, invisible, layers)
            pieces.append(piece)
        text = "".join(pieces)
    if "&" in text:
        text = html.unescape(text)
    if decode:
        left = [max(len(text), 64 << 10) if budget is None else budget]
        for layer in list(layers):
            layers.extend(_nested(layer, left))
        layers.extend(_decoded(text, 1, left))
    return Normalized(text, invisible, tuple(layers))


PIECE = 1 << 16


def _pieces(text: str) -> list[str]:
    out, at = [], 0
    while at < len(text):
        cut = text.find("\n", at + PIECE)
        cut = len(text) if cut < 0 else cut + 1
        out.append(text[at:cut])
        at = cut
    return out


def _unicode(text: str, invisible: dict[str, int], layers: list[Layer]) -> str:
    """The Unicode part of normalize() for one piece: invisible characters counted and
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
    bidi = sum(text.count(c) for c in _BIDI)
    if bidi:
        invisible["bidi"] = invisible.get("bidi", 0) + bidi
    zero_width = sum(text.count(c) for c in _ZERO_WIDTH)
    if zero_width:
        in_words = len(_ZW_IN_WORD.findall(text))
        if in_words:
            invisible["zero_width_in_words"] = invisible.get("zero_width_in_words", 0) + in_words
    if bidi or zero_width or "tags" in invisible:
        text = text.translate(_REMOVE)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if not _CONFUSABLE_CHARS.isdisjoint(text):  # translate() is slow on long non-ASCII text
        text = text.translate(_CONFUSABLES)
    return text


def _nested(layer: Layer, left: list[int]) -> list[Layer]:
    if layer.depth >= MAX_DEPTH:
        return []
    return _decoded(layer.text, layer.depth + 1, left)


def _decoded(text: str, depth: int, left: list[int]) -> list[Layer]:
    """Readable payloads of ``text`` (and theirs, to MAX_DEPTH), within ``left[0]``."""
    out: list[Layer] = []
    for kind, start, end, payload in _candidates(text):
        if left[0] <= 0:
            break
        if payload is None:
            continue
        payload = payload[: left[0]]
        left[0] -= len(payload)
        inner = normalize(payload, decode=False).text
        layer = Layer(kind, inner, depth, (start, end))
        out.append(layer)
        out.extend(_nested(layer, left))
    return out


def _candidates(text: str) -> list[tuple[str, int, int, str | None]]:
    found: list[tuple[str, int, int, str | None]] = []
    data = text.encode("utf-8", "surrogatepass")
    runs, _ = byte_runs(data, _B64, 24, MAX_RUNS)
    for start, end in runs:  # byte offsets: the blocks themselves are ASCII
        if end - start > MAX_BLOCK:
            continue
        block = data[start:end].decode("ascii")
        if re.fullmatch(r"[0-9a-fA-F]+", block):
            found.append(("hex", start, end, _readable(_unhex(block))))
        else:
            found.append(("base64", start, end, _readable(_unbase64(block))))
    # Escapes are looked for only in runs of the bytes they are made of (found in C): a
    # regular expression over megabytes of text with "%" in every format string is not.
    if "\\x" in text or "\\u" in text:
        for start, end in byte_runs(data, _ESCAPE_BYTES, 16, MAX_RUNS)[0]:
            run = data[start:end].decode("ascii")
            for m in _ESCAPES.finditer(run):
                found.append(("escape", start + m.start(), start + m.end(), _readable(_unescape(m.group()))))
    if "%" in text:
        for start, end in byte_runs(data, _PERCENT_BYTES, 9, MAX_RUNS)[0]:
            run = data[start:end].decode("ascii")
            for m in _PERCENT.finditer(run):
                found.append(("url", start + m.start(), start + m.end(),
                              _readable(urllib.parse.unquote_to_bytes(m.group()))))
    return found


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
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in decoded if c.isalpha())
    if printable < 0.95 * len(decoded) or letters < 0.5 * len(decoded) or " " not in decoded:
        return None
    return decoded
