"""Host policy, shared by the egress proxy and the egress inspector: what a host name or
address is once every spelling is undone, which patterns it matches, and the floor of
internal addresses that no allowlist entry opens unless it names the address itself.

Pure functions, no I/O: the proxy resolves names and calls :func:`floor_reason` on every
answer; the inspector matches the hosts it finds in commands. Both see the same host the
same way, so a destination cannot be allowed by one and be something else to the other.

Raises PolicyError for patterns that cannot be used (``*.com``, a bare ``*`` where it is
not asked for, a malformed entry). Hosts that cannot be canonicalised are refused, not
raised: a client sent them.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sandbox.errors import PolicyError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The internal-network floor: what no allowlist entry opens unless it names the address.
_FLOOR_V4 = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "this network"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
]
_FLOOR_V6 = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
]
# Cloud metadata endpoints: credentials for the machine's role are one request away.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NAME = re.compile(rf"{_LABEL.pattern}(?:\.{_LABEL.pattern})*")  # labels parted by dots, each a _LABEL
# What parse_ipv4 can take: one to four dotted parts of digits, hexadecimal and "x".
_IPV4_SHAPE = re.compile(r"[0-9a-fA-FxX]+(?:\.[0-9a-fA-FxX]+){0,3}")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f@/\\%?#\[\]]")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any spelling the C library's inet_aton accepts: one to four parts,
    each decimal, octal (a leading 0) or hexadecimal (0x), the last part filling the bytes
    that remain (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``). None otherwise."""
    if not _IPV4_SHAPE.fullmatch(text):
        return None  # most names: one search in C, not a pattern per label
    parts = text.split(".")
    values = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9a-fA-F]+", part):  # "0x" alone is refused, as glibc refuses it
            value = int(part[2:], 16)
        elif re.fullmatch(r"0[0-7]*", part):
            value = int(part, 8)
        elif re.fullmatch(r"[1-9][0-9]*", part):
            value = int(part)
        else:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    return ipaddress.IPv4Address(number << (8 * (4 - len(head))) | last)


def parse_ip(text: str) -> IPAddress | None:
    """An IP literal (IPv4 in any inet_aton spelling, IPv6 with or without brackets), or
    None for anything else (a zone id is not accepted: ``%`` never reaches a decision)."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "%" in text:
        return None  # a zone id names an interface of this machine, not a destination
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return parse_ipv4(text)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped (``::ffff:a.b.c.d``), compatible
    (``::a.b.c.d``), NAT64 (``64:ff9b::/96``) or 6to4 (``2002:AABB:CCDD::/48``)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    packed = int(address)
    if address in _NAT64 or (packed >> 32 == 0 and packed > 1):  # NAT64, or compatible (not :: or ::1)
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def floor_reason(address: IPAddress) -> str | None:
    """Why ``address`` is on the internal-network floor (its own range, or that of the IPv4
    address it carries), or None for a public address."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata endpoint"
    inner = embedded_ipv4(address)
    if inner is not None:
        why = floor_reason(inner)
        return f"{why}, inside {address.compressed}" if why else None
    table = _FLOOR_V4 if isinstance(address, ipaddress.IPv4Address) else _FLOOR_V6
    for network, why in table:
        if address in network:
            return why
    if address == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None


@dataclass(frozen=True, slots=True)
class Host:
    """A host as policy sees it: the canonical name, or the canonical address (``ip``)."""

    name: str
    ip: IPAddress | None = None


def canonical_host(raw: str) -> Host | None:
    """The canonical form of a host from a request or a command: lower case, without the
    trailing dot, international names in punycode (IDNA 2008 with UTS 46 mapping), IP
    literals in their standard spelling. None when it is not a host: empty, too long,
    control characters, NUL, whitespace, ``@``, ``/``, ``\\``, ``%`` (zone ids), ``?``,
    ``#``, brackets around anything but IPv6, or labels no DNS name can have."""
    if not isinstance(raw, str) or not raw or len(raw) > 1024:
        return None
    return _canonical(raw)


# Cached: the egress inspector asks again for each of thousands of commands in one text,
# and the answer (immutable) depends on the string alone.
@lru_cache(maxsize=4096)
def _canonical(raw: str) -> Host | None:
    if raw.startswith("[") and raw.endswith("]"):
        inner = parse_ip(raw)
        return Host(inner.compressed, inner) if isinstance(inner, ipaddress.IPv6Address) else None
    if _FORBIDDEN.search(raw):
        return None
    address = parse_ip(raw)
    if address is not None:
        return Host(address.compressed, address)
    name = raw[:-1] if raw.endswith(".") else raw
    if not name or name.endswith("."):
        return None
    if not name.isascii():
        # Invisible characters (zero-width, bidi and tag controls, other spaces) are refused,
        # not dropped as IDNA mapping would: a name that hides them is not written in good faith.
        if any(unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs", "Zs", "Zl", "Zp") for ch in name):
            return None
        ascii_name = _to_ascii(name)
        if ascii_name is None:
            return None
        name = ascii_name
    name = name.lower()
    if len(name) > 253 or not _NAME.fullmatch(name):
        return None
    # A name whose last label is all digits is an address spelling inet_aton refused, not a
    # name: ``1.2.3.999`` must not reach a resolver.
    if name.rsplit(".", 1)[-1].isdigit() or re.fullmatch(r"0x[0-9a-f]*", name.rsplit(".", 1)[-1]):
        return None
    return Host(name)


@lru_cache(maxsize=4096)
def _to_ascii(name: str) -> str | None:
    import idna  # the IDNA 2008 codec (Python's own "idna" is IDNA 2003)

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class HostPattern:
    """An allow or block entry: a host name, ``*.x`` (``x`` and every name under it),
    ``.x`` (only the names under ``x``), a ``*`` standing for one whole label elsewhere
    (``registry.*.io``), or an IP address; optionally ``:port``. Build with
    :meth:`parse`."""

    text: str
    labels: tuple[str, ...]  # the fixed labels, "*" for one-label wildcards; empty for an IP
    subdomains: str  # "" (exactly), "self+" (*.x: x and below), "below" (.x: below only)
    ip: IPAddress | None
    port: int | None

    @classmethod
    def parse(cls, entry: str, *, allow_any: bool = False) -> HostPattern:
        """Raises PolicyError for an entry that is not a pattern, a wildcard over a public
        suffix (``*.com``, ``*.co.uk``), or a bare ``*`` unless ``allow_any``."""
        if not isinstance(entry, str) or not entry.strip():
            raise PolicyError(f"a host entry must be a non-empty string, not {entry!r}")
        text = entry.strip()
        host, port = _split_port(text)
        if host == "*":
            if not allow_any:
                raise PolicyError("a lone '*' matches every host: use mode='open' for that")
            return cls(text, ("*",), "any", None, port)
        address = parse_ip(host)
        if address is not None:
            return cls(text, (), "", address, port)
        subdomains = ""
        if host.startswith("*."):
            subdomains, host = "self+", host[2:]
        elif host.startswith("."):
            subdomains, host = "below", host[1:]
        labels = host.split(".")
        fixed = [label for label in labels if label != "*"]
        canonical = canonical_host(".".join(fixed)) if fixed else None
        # Each fixed label canonicalised in place (the count must not change: a full-width
        # dot that IDNA maps to "." would shift them).
        if canonical is None or canonical.ip is not None or canonical.name.count(".") != len(fixed) - 1:
            raise PolicyError(f"host entry {entry!r} is not a host name pattern")
        canonical_labels = iter(canonical.name.split("."))
        labels = [label if label == "*" else next(canonical_labels) for label in labels]
        if subdomains or labels[0] == "*":
            _refuse_public_suffix(entry, labels)
        return cls(text, tuple(labels), subdomains, None, port)

    def matches(self, host: Host, port: int | None = None) -> bool:
        """Whether the canonical ``host`` (and ``port``, when the entry names one) matches."""
        if self.port is not None and port != self.port:
            return False
        if self.ip is not None or host.ip is not None:
            return self.ip is not None and host.ip is not None and self.ip == host.ip
        if self.subdomains == "any":
            return True
        got = host.name.split(".")
        want = self.labels
        if self.subdomains == "":
            return len(got) == len(want) and _labels_match(got, want)
        if len(got) < len(want) + (self.subdomains == "below"):
            return False
        return _labels_match(got[len(got) - len(want) :], want)


def _labels_match(got: list[str], want: tuple[str, ...]) -> bool:
    return all(w == "*" or g == w for g, w in zip(got, want, strict=True))


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise PolicyError(f"host entry {text!r} has an unclosed bracket")
        host, rest = text[: end + 1], text[end + 1 :]
    elif text.count(":") == 1:
        host, rest = text.split(":")
        rest = ":" + rest
    else:
        return text, None  # a name, or an IPv6 address without a port
    if not rest:
        return host, None
    if not re.fullmatch(r":[0-9]{1,5}", rest) or not 0 < int(rest[1:]) < 65536:
        raise PolicyError(f"host entry {text!r} has an invalid port")
    return host, int(rest[1:])


def _refuse_public_suffix(entry: str, labels: list[str]) -> None:
    """A leading wildcard must sit over a registrable domain: ``*.com`` or ``*.github.io``
    would open every name anyone can register under a public suffix. (A wildcard after a
    fixed label, ``registry.*.io``, is the entry's author's to weigh: it is allowed.)"""
    fixed_tail: list[str] = []
    for label in reversed(labels):
        if label == "*":
            break
        fixed_tail.insert(0, label)
    if not fixed_tail or _is_public_suffix(".".join(fixed_tail)):
        raise PolicyError(
            f"host entry {entry!r} puts a wildcard directly over a public suffix (anyone can have a name "
            "under it, by the Public Suffix List): list the hosts you need instead"
        )


def registrable_domain(name: str) -> str | None:
    """The name under a public suffix that one owner registered (``example.com`` for
    ``api.example.com``, ``evil.github.io`` for itself: github.io is a public suffix), by
    the Public Suffix List; None for an IP literal, a public suffix or a single label."""
    host = canonical_host(name)
    if host is None or host.ip is not None:
        return None
    found = _suffix_list().privatesuffix(host.name)
    return str(found) if found else None


@lru_cache(maxsize=1024)
def _is_public_suffix(name: str) -> bool:
    return bool(_suffix_list().is_public(name))


@lru_cache(maxsize=1)
def _suffix_list():  # type: ignore[no-untyped-def]
    # The Public Suffix List, bundled with the package (no download): loaded on first use,
    # since parsing it takes tens of milliseconds.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str


class HostPolicy:
    """Allow and block lists under a mode (``allowlist``, ``blocklist``, ``open``,
    ``closed``), with the internal-network floor under all of them.

    Raises PolicyError for an unknown mode or a bad entry.
    """

    MODES = ("allowlist", "blocklist", "open", "closed")

    def __init__(self, allowed: Iterable[str] = (), blocked: Iterable[str] = (), mode: str = "allowlist") -> None:
        if mode not in self.MODES:
            raise PolicyError(f"mode must be one of {', '.join(self.MODES)}, not {mode!r}")
        self.mode = mode
        self.allowed = tuple(HostPattern.parse(e) for e in allowed)
        self.blocked = tuple(HostPattern.parse(e, allow_any=True) for e in blocked)
        self._allowed, self._blocked = _Index(self.allowed), _Index(self.blocked)

    def decide(self, raw_host: str, port: int | None = None) -> Decision:
        """Whether a connection to ``raw_host`` (as the client wrote it) is allowed, before
        any name is resolved; the proxy checks resolved addresses with :meth:`address`."""
        host = canonical_host(raw_host)
        if host is None:
            return Decision(False, "not a valid host name or address")
        if host.name in METADATA_NAMES and not self._named(host, port):
            return Decision(False, f"{host.name} is a cloud metadata endpoint")
        if self._blocked.matches(host, port):
            return Decision(False, f"{host.name} is blocked")
        if host.ip is not None:
            return self.address(host.ip, port, literal=True)
        if self.mode == "closed":
            return Decision(False, "the network is closed")
        if self.mode in ("open", "blocklist"):
            return Decision(True, f"{host.name} is not blocked")
        if self._allowed.matches(host, port):
            return Decision(True, f"{host.name} is allowed")
        return Decision(False, f"{host.name} is not in the allowlist")

    def address(self, address: IPAddress, port: int | None = None, *, literal: bool = False) -> Decision:
        """Whether a connection to ``address`` is allowed: the floor refuses internal
        addresses unless an allow entry names this very address. ``literal``: the client
        wrote the address itself (in allowlist mode it must then be listed)."""
        host = Host(address.compressed, address)
        named = self._named(host, port)
        if self._blocked.matches(host, port):
            return Decision(False, f"{address.compressed} is blocked")
        why = floor_reason(address)
        if why is not None and not named:
            return Decision(False, f"{address.compressed} is {why}")
        if self.mode == "closed":
            return Decision(False, "the network is closed")
        if literal and self.mode == "allowlist" and not named:
            return Decision(False, f"{address.compressed} is an address the allowlist does not name")
        return Decision(True, f"{address.compressed} is allowed")

    def _named(self, host: Host, port: int | None) -> bool:
        """An allow entry names this host exactly (no wildcard)."""
        return any(not p.subdomains and "*" not in p.labels for p in self._allowed.matching(host, port))


class _Index:
    """Host patterns, indexed so that a host is compared only with those that can match
    it: the entries for its name and for each name above it (``a.b.c``: ``a.b.c``,
    ``b.c``, ``c``), and always the rest (one-label wildcards, addresses, a lone ``*``).
    A policy of hundreds of entries then costs a few dictionary lookups per host, where
    the egress inspector decides thousands of hosts in one large text."""

    def __init__(self, patterns: tuple[HostPattern, ...]) -> None:
        self._by_name: dict[str, list[HostPattern]] = {}
        self._rest: list[HostPattern] = []
        for p in patterns:
            if p.ip is None and p.subdomains != "any" and "*" not in p.labels:
                self._by_name.setdefault(".".join(p.labels), []).append(p)
            else:
                self._rest.append(p)

    def matching(self, host: Host, port: int | None) -> Iterator[HostPattern]:
        """The patterns that match ``host`` (and ``port``)."""
        candidates = list(self._rest)
        if host.ip is None:  # a name pattern never matches an address
            labels = host.name.split(".")
            for i in range(len(labels)):
                candidates += self._by_name.get(".".join(labels[i:]), ())
        return (p for p in candidates if p.matches(host, port))

    def matches(self, host: Host, port: int | None) -> bool:
        return next(self.matching(host, port), None) is not None
