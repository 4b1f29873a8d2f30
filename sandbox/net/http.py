"""Strict HTTP/1.1 message heads for the egress proxy (RFC 9110/9112), pure functions.

A proxy that reads a request one way while the server behind it reads it another is how
requests are smuggled past a policy. So anything the grammar does not allow, or that two
readers could frame differently, is refused with 400 before a byte goes upstream: bare LF
line ends, whitespace before a colon, obs-fold, bytes outside the grammar, a
Content-Length that is not one run of digits or that appears twice, Transfer-Encoding
other than a single ``chunked`` or together with Content-Length, oversized lines and
heads. Only the two forms a proxy serves are accepted: ``CONNECT host:port`` and
absolute-form ``http://`` requests whose Host header names the same authority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Longest request or status line, and longest head (all header lines together).
MAX_LINE = 8 << 10
MAX_HEAD = 32 << 10
MAX_HEADERS = 100
#: Longest chunk-size line of a chunked body (size, extensions).
MAX_CHUNK_LINE = 4 << 10

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# VCHAR, obs-text, SP and HTAB: no other control character inside a value.
_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
_DIGITS = re.compile(rb"[0-9]{1,18}")
_STATUS = re.compile(rb"HTTP/1\.[01] ([1-9][0-9]{2}) [\t\x20-\x7e\x80-\xff]*")

# Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade",
    }
)


class HttpError(Exception):
    """A message the proxy refuses; ``status`` is the answer (400, 414, 431, 501, 505)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Framing:
    """How a body is delimited: ``none``, ``length`` (``length`` bytes), ``chunked``, or
    ``close`` (a response read until the server closes)."""

    kind: str
    length: int = 0


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    host: str  # as written in the target (brackets kept off IPv6), not yet canonical
    port: int
    path: str  # origin-form to send upstream ("" for CONNECT)
    framing: Framing

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for v in self.header("connection") for t in v.split(",")}
        tokens |= {t.strip().lower() for v in self.header("proxy-connection") for t in v.split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    head: bytes
    headers: tuple[tuple[str, str], ...]
    framing: Framing
    close: bool


def _lines(head: bytes) -> list[bytes]:
    """The head's lines; every line must end in CRLF (a bare CR or LF is refused)."""
    if not head.endswith(b"\r\n\r\n"):
        raise HttpError(400, "the head does not end in an empty line")
    lines = head[:-4].split(b"\r\n")
    if any(b"\r" in line or b"\n" in line for line in lines):
        raise HttpError(400, "a line ends in a bare CR or LF")
    return lines


def check_fields(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
    """Header lines (without their CRLF) held to the grammar; the (name, value) pairs.

    Raises:
        HttpError: obs-fold, a name outside the grammar, whitespace before the colon, or a
            control character in a value.
    """
    if any(b"\r" in line or b"\n" in line for line in lines):
        raise HttpError(400, "a line ends in a bare CR or LF")
    return _fields(lines)


def _fields(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
    if len(lines) > MAX_HEADERS:
        raise HttpError(431, f"more than {MAX_HEADERS} header lines")
    fields = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            raise HttpError(400, "obs-fold (a header continued on the next line)")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise HttpError(400, "a header name outside the grammar (or whitespace before the colon)")
        value = value.strip(b" \t")
        if not _VALUE.fullmatch(value):
            raise HttpError(400, f"a control character in the value of {name.decode()}")
        fields.append((name.decode("ascii"), value.decode("latin-1")))
    return tuple(fields)


def _framing(fields: tuple[tuple[str, str], ...], version: str) -> Framing:
    lengths = [v for k, v in fields if k.lower() == "content-length"]
    codings = [v for k, v in fields if k.lower() == "transfer-encoding"]
    if codings:
        if lengths:
            raise HttpError(400, "Transfer-Encoding and Content-Length together")
        if version == "HTTP/1.0":
            raise HttpError(400, "Transfer-Encoding in an HTTP/1.0 message")
        if len(codings) != 1 or codings[0].strip().lower() != "chunked":
            raise HttpError(501, f"Transfer-Encoding other than a single chunked: {', '.join(codings)!r}")
        return Framing("chunked")
    if lengths:
        if len(lengths) != 1 or not _DIGITS.fullmatch(lengths[0].encode("latin-1")):
            raise HttpError(400, f"Content-Length must be one run of digits, got {', '.join(lengths)!r}")
        return Framing("length", int(lengths[0]))
    return Framing("none")


def _authority(text: str, *, default_port: int | None) -> tuple[str, int]:
    """host and port of ``host:port``, ``[v6]:port`` or (with a default) a bare host."""
    if not text or "@" in text:
        raise HttpError(400, "the authority is empty or carries userinfo")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise HttpError(400, "an unclosed IPv6 bracket")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise HttpError(400, "text after the IPv6 address")
        port_text = rest[1:] if rest else ""
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            host, port_text = text, ""
    if not port_text:
        if default_port is None:
            raise HttpError(400, "CONNECT needs host:port")
        return host, default_port
    if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) < 65536:
        raise HttpError(400, f"not a port: {port_text!r}")
    if not host:
        raise HttpError(400, "an empty host")
    return host, int(port_text)


def parse_request(head: bytes) -> Request:
    """A request head (request line to the empty line, CRLF ends included).

    Raises:
        HttpError: anything outside the strict grammar, with the status to answer.
    """
    if len(head) > MAX_HEAD:
        raise HttpError(431, "the request head is too large")
    lines = _lines(head)
    request_line = lines[0]
    if len(request_line) > MAX_LINE:
        raise HttpError(414, "the request line is too long")
    parts = request_line.split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise HttpError(400, "a request line outside the grammar")
    method, target_bytes, version_bytes = parts
    if version_bytes not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise HttpError(505 if version_bytes.startswith(b"HTTP/") else 400, "only HTTP/1.0 and HTTP/1.1")
    if not all(0x21 <= b < 0x7F for b in target_bytes):
        raise HttpError(400, "the request target holds a byte outside the grammar")
    target = target_bytes.decode("ascii")
    version = version_bytes.decode("ascii")
    fields = _fields(lines[1:])
    hosts = [v for k, v in fields if k.lower() == "host"]
    if len(hosts) > 1 or (version == "HTTP/1.1" and not hosts):
        raise HttpError(400, "HTTP/1.1 needs exactly one Host header")
    framing = _framing(fields, version)
    name = method.decode("ascii")
    if name == "CONNECT":
        host, port = _authority(target, default_port=None)
        if framing.kind != "none":
            raise HttpError(400, "a CONNECT request with a body")
        return Request(name, target, version, fields, host, port, "", framing)
    if not target.lower().startswith("http://"):
        if target.lower().startswith("https://"):
            raise HttpError(400, "https:// goes through CONNECT, not a forwarded request")
        raise HttpError(400, "a proxy takes absolute-form targets (http://host/path) or CONNECT")
    rest = target[len("http://") :]
    if "#" in rest:
        raise HttpError(400, "a fragment in the request target")
    # The authority ends at the first "/" or "?", whichever comes first.
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    host, port = _authority(authority, default_port=80)
    origin = tail if tail.startswith("/") else "/" + tail
    if hosts:
        host_header, port_header = _authority(hosts[0], default_port=80)
        if (host_header.lower().rstrip("."), port_header) != (host.lower().rstrip("."), port):
            raise HttpError(400, f"the Host header ({hosts[0]}) names another authority than the target")
    return Request(name, target, version, fields, host, port, origin, framing)


def parse_response(head: bytes, method: str) -> Response:
    """A response head from upstream, read as strictly as requests are.

    Raises:
        HttpError: a malformed head (answered as 502 by the proxy).
    """
    if len(head) > MAX_HEAD:
        raise HttpError(502, "the response head is too large")
    lines = _lines(head)
    found = _STATUS.fullmatch(lines[0])
    if found is None:
        raise HttpError(502, "a status line outside the grammar")
    status = int(found.group(1))
    fields = _fields(lines[1:])
    version = lines[0][:8].decode()
    tokens = {t.strip().lower() for k, v in fields if k.lower() == "connection" for t in v.split(",")}
    close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        framing = Framing("none")
    else:
        framing = _framing(fields, version)
        if framing.kind == "none":
            framing, close = Framing("close"), True
    return Response(status, head, fields, framing, close)


def _framing_line(framing: Framing) -> list[str]:
    if framing.kind == "length":
        return [f"Content-Length: {framing.length}"]
    if framing.kind == "chunked":
        return ["Transfer-Encoding: chunked"]
    return []


def _authority_text(host: str, port: int, default: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == default else f"{shown}:{port}"


def upstream_head(request: Request) -> bytes:
    """The request as sent upstream: origin-form; the hop-by-hop headers, the ``Proxy-*``
    ones and those the Connection header names removed; one Host; and the framing header
    rebuilt from the framing the proxy checked and will copy (never dropped because the
    Connection header names it: the body would then read as a second request)."""
    named = {t.strip().lower() for v in request.header("connection") for t in v.split(",")}
    drop = HOP_BY_HOP | named | {"host", "content-length", "transfer-encoding"}
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {_authority_text(request.host, request.port, 80)}"]
    lines += _framing_line(request.framing)
    for name, value in request.headers:
        low = name.lower()
        if low in drop or low.startswith("proxy-"):
            continue
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def downstream_head(response: Response, *, keep_alive: bool, framing: Framing | None = None) -> bytes:
    """The response as sent to the client: hop-by-hop headers and those its Connection
    header names removed, the framing header rebuilt (``framing`` when the proxy re-frames
    the body, as it does for an HTTP/1.0 client), and a Connection header that says whether
    the client connection stays open."""
    named = {t.strip().lower() for k, v in response.headers if k.lower() == "connection" for t in v.split(",")}
    drop = HOP_BY_HOP | named | {"transfer-encoding"}
    if (framing or response.framing).kind != "none":
        # A delimited body gets the header rebuilt below; without a body (HEAD, 204, 304) a
        # Content-Length only describes the resource and stays.
        drop |= {"content-length"}
    lines = [response.head.split(b"\r\n", 1)[0].decode("latin-1")]
    lines += _framing_line(framing or response.framing)
    for name, value in response.headers:
        low = name.lower()
        if low in drop or low.startswith("proxy-"):
            continue
        lines.append(f"{name}: {value}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_chunk_size(line: bytes) -> int:
    """The size of a chunk from its line (without CRLF); extensions are allowed and ignored.

    Raises:
        HttpError: not a hex size, or too long.
    """
    if len(line) > MAX_CHUNK_LINE:
        raise HttpError(400, "a chunk-size line is too long")
    size, _, extension = line.partition(b";")
    if not re.fullmatch(rb"[0-9A-Fa-f]{1,15}", size) or not _VALUE.fullmatch(extension):
        raise HttpError(400, "a chunk size outside the grammar")
    return int(size, 16)
