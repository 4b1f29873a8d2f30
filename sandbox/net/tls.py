"""The server name of a TLS ClientHello, read without terminating TLS (RFC 8446 4.1.2,
RFC 6066 3). A pure function over the first bytes a client sends through a tunnel.

Why: a CONNECT names one host and the policy allows it; the TLS inside may ask the server
at that address for another name (domain fronting through a shared CDN). The proxy
compares the two before any byte goes upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The most ClientHello bytes read before giving up (a hello spans records at most this far).
MAX_HELLO = 64 << 10
#: encrypted_client_hello (draft-ietf-tls-esni) and the older encrypted_server_name.
_HIDDEN_NAME = frozenset({0xFE0D, 0xFFCE})


class NotClientHello(ValueError):
    """The bytes are not (the start of) a TLS ClientHello."""


@dataclass(frozen=True, slots=True)
class Hello:
    server_name: str | None  # lower case; None when the hello names no host


def _handshake(data: bytes) -> bytes | None:
    """The handshake message carried by the leading handshake records, or None if more
    bytes are needed."""
    out = bytearray()
    at = 0
    while True:
        if len(data) - at < 5:
            return None
        kind, major, length = data[at], data[at + 1], int.from_bytes(data[at + 3 : at + 5], "big")
        if kind != 0x16 or major != 3 or length == 0 or length > 1 << 14:
            raise NotClientHello("not a TLS handshake record")
        if len(data) - at - 5 < length:
            return None
        out += data[at + 5 : at + 5 + length]
        at += 5 + length
        if len(out) >= 4:
            if out[0] != 0x01:
                raise NotClientHello("the first handshake message is not a ClientHello")
            need = 4 + int.from_bytes(out[1:4], "big")
            if need > MAX_HELLO:
                raise NotClientHello("a ClientHello larger than any client sends")
            if len(out) >= need:
                return bytes(out[:need])


def parse_client_hello(data: bytes) -> Hello | None:
    """The ClientHello at the start of ``data``; None while more bytes are needed.

    Raises:
        NotClientHello: the bytes cannot be a ClientHello, or it is malformed.
    """
    message = _handshake(data)
    if message is None:
        return None
    body = memoryview(message)[4:]
    try:
        at = 2 + 32  # legacy_version, random
        at += 1 + body[at]  # legacy_session_id
        at += 2 + int.from_bytes(body[at : at + 2], "big")  # cipher_suites
        at += 1 + body[at]  # legacy_compression_methods
        if at == len(body):
            return Hello(None)  # no extensions at all
        end = at + 2 + int.from_bytes(body[at : at + 2], "big")
        at += 2
        if end != len(body):
            raise NotClientHello("the extensions do not fill the ClientHello")
        names: list[str] = []
        seen: set[int] = set()
        while at < end:
            kind = int.from_bytes(body[at : at + 2], "big")
            size = int.from_bytes(body[at + 2 : at + 4], "big")
            data_at, at = at + 4, at + 4 + size
            if at > end:
                raise NotClientHello("an extension runs past the ClientHello")
            if kind in seen:
                raise NotClientHello("an extension appears twice")  # RFC 8446: must not
            if kind in _HIDDEN_NAME:
                # With Encrypted ClientHello the outer server_name is a cover: the name the
                # server acts on is inside, where the proxy cannot compare it.
                raise NotClientHello("an encrypted ClientHello hides the server name")
            seen.add(kind)
            if kind == 0:  # server_name
                names = _server_names(body[data_at:at])
        if len(names) > 1:
            raise NotClientHello("more than one host name in server_name")
        return Hello(names[0] if names else None)
    except IndexError:
        raise NotClientHello("a truncated ClientHello") from None


def _server_names(ext: memoryview) -> list[str]:
    total = int.from_bytes(ext[0:2], "big")
    if total + 2 != len(ext):
        raise NotClientHello("a malformed server_name extension")
    at, names = 2, []
    while at < len(ext):
        kind, size = ext[at], int.from_bytes(ext[at + 1 : at + 3], "big")
        raw = bytes(ext[at + 3 : at + 3 + size])
        if len(raw) != size:
            raise NotClientHello("a truncated server name")
        at += 3 + size
        if kind == 0:
            if not raw or not raw.isascii() or any(b <= 0x20 or b == 0x7F for b in raw):
                raise NotClientHello("a server name outside the grammar")
            names.append(raw.decode("ascii").lower().rstrip("."))
    return names
