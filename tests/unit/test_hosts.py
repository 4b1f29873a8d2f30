"""Host policy (sandbox.hosts): every spelling of a host comes to one canonical form before
a rule sees it, patterns match labels (never substrings), and the internal-network floor
holds under every mode unless an entry names the address itself."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox import PolicyError
from sandbox.hosts import HostPattern, HostPolicy, canonical_host, embedded_ipv4, floor_reason, parse_ip, parse_ipv4


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ],
)
def test_every_inet_aton_spelling_is_the_same_address(spelling: str, address: str) -> None:
    assert str(parse_ipv4(spelling)) == address
    assert canonical_host(spelling).name == address  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["256.0.0.1", "1.2.3.4.5", "08.1.1.1", "1..2", "", "0x1.0x100.1.1", "4294967296", "1.2.3.-4", "0x", "0X"]
)
def test_what_inet_aton_refuses_is_no_address(text: str) -> None:
    assert parse_ipv4(text) is None


@given(st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=20))
def test_parse_ipv4_agrees_with_the_c_library(text: str) -> None:
    try:
        expected: str | None = socket.inet_ntoa(socket.inet_aton(text))
    except OSError:
        expected = None
    got = parse_ipv4(text)
    assert (str(got) if got is not None else None) == expected


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # mapped
        ("::ffff:7f00:1", "127.0.0.1"),
        ("::127.0.0.1", "127.0.0.1"),  # compatible
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("2002:a00:1::", "10.0.0.1"),  # 6to4
        ("2606:4700::1111", None),
    ],
)
def test_ipv4_inside_ipv6_is_found(address: str, inner: str | None) -> None:
    got = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(got) if got else None) == inner


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private (RFC 1918)"),
        ("172.31.255.255", "private (RFC 1918)"),
        ("192.168.1.1", "private (RFC 1918)"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.1.1", "link-local"),
        ("169.254.169.254", "a cloud metadata endpoint"),
        ("100.100.100.200", "a cloud metadata endpoint"),
        ("fd00:ec2::254", "a cloud metadata endpoint"),
        ("0.0.0.0", "this network"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private (RFC 1918), inside ::ffff:a00:1"),
        ("64:ff9b::7f00:1", "loopback, inside 64:ff9b::7f00:1"),
    ],
)
def test_the_floor_names_why(address: str, why: str) -> None:
    assert floor_reason(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("public", ["8.8.8.8", "140.82.112.3", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_not_on_the_floor(public: str) -> None:
    assert floor_reason(ipaddress.ip_address(public)) is None


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("GitHub.COM.", "github.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("[::1]", "::1"),
        ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
        ("_dmarc.example.com", "_dmarc.example.com"),
    ],
)
def test_hosts_are_canonicalised(raw: str, name: str) -> None:
    assert canonical_host(raw).name == name  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw",
    [
        "", "exa mple.com", "example.com\x00.evil", "user@example.com", "example.com/path", "fe80::1%eth0",
        "[fe80::1%25eth0]", "example..com", ".example.com", "-bad.example", "a" * 64 + ".com", "1.2.3.999",
        "example.com\n", "ex\tample.com", "[1.2.3.4]", "\u200bexample.com", "evil.com#.github.com", "0x7g.1",
    ],
)
def test_what_is_not_a_host_is_refused(raw: str) -> None:
    assert canonical_host(raw) is None


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("github.com", "github.com", True),
        ("github.com", "api.github.com", False),
        ("*.github.com", "github.com", True),
        ("*.github.com", "api.github.com", True),
        ("*.github.com", "a.b.github.com", True),
        ("*.github.com", "github.com.evil.net", False),
        ("*.github.com", "evilgithub.com", False),
        (".github.com", "github.com", False),
        (".github.com", "api.github.com", True),
        ("registry.*.io", "registry.example.io", True),
        ("registry.*.io", "registry.io", False),
        ("registry.*.io", "registry.a.b.io", False),
        ("GitHub.COM", "github.com", True),
        ("bücher.example", "xn--bcher-kva.example", True),
        ("10.0.0.5", "10.0.0.5", True),
        ("10.0.0.5", "10.0.0.6", False),
    ],
)
def test_patterns_match_labels_not_substrings(pattern: str, host: str, matches: bool) -> None:
    canonical = canonical_host(host)
    assert canonical is not None
    assert HostPattern.parse(pattern).matches(canonical) is matches


def test_a_port_on_an_entry_limits_it_to_that_port() -> None:
    pattern = HostPattern.parse("pypi.org:443")
    host = canonical_host("pypi.org")
    assert host is not None
    assert pattern.matches(host, 443) and not pattern.matches(host, 80) and not pattern.matches(host, None)
    v6 = HostPattern.parse("[2606:4700::1111]:443")
    assert v6.matches(canonical_host("[2606:4700::1111]"), 443)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ["*.com", ".com", "*.co.uk", "*.github.io", "*", "*.*.com", "", "a b.com", "x.com:0", "x.com:99999"]
)
def test_unusable_patterns_raise_policy_error(bad: str) -> None:
    with pytest.raises(PolicyError):
        HostPattern.parse(bad)


def test_mode_is_checked() -> None:
    with pytest.raises(PolicyError, match="mode"):
        HostPolicy(mode="permissive")


def test_allowlist_decisions() -> None:
    policy = HostPolicy(allowed=["pypi.org", "*.pythonhosted.org", "8.8.8.8", "10.0.0.5"], mode="allowlist")
    assert policy.decide("pypi.org").allowed
    assert policy.decide("files.pythonhosted.org").allowed
    assert not policy.decide("pastebin.com").allowed
    assert not policy.decide("pypi.org.evil.net").allowed
    assert not policy.decide("1.1.1.1").allowed  # a bare address must be listed
    assert policy.decide("8.8.8.8").allowed
    assert policy.decide("10.0.0.5").allowed  # on the floor, but named exactly
    assert not policy.decide("0x0a.0.0.6").allowed  # 10.0.0.6: the floor, not named
    assert not policy.decide("2130706433").allowed
    assert not policy.decide("[::ffff:127.0.0.1]").allowed
    assert not policy.decide("metadata.google.internal").allowed
    assert "metadata" in policy.decide("metadata.google.internal").reason
    assert not policy.decide("user@pypi.org").allowed


def test_the_floor_holds_in_open_and_blocklist_modes() -> None:
    for mode in ("open", "blocklist"):
        policy = HostPolicy(blocked=["pastebin.com"], mode=mode)
        assert policy.decide("example.com").allowed
        assert not policy.decide("pastebin.com").allowed
        assert not policy.decide("127.1").allowed
        assert not policy.decide("169.254.169.254").allowed
        assert policy.decide("93.184.216.34").allowed  # a public literal: not an allowlist
        # A name resolving to an internal address: the proxy asks about the address.
        assert not policy.address(ipaddress.ip_address("192.168.0.10")).allowed
        assert not policy.address(ipaddress.ip_address("64:ff9b::a9fe:a9fe")).allowed


def test_closed_refuses_everything_and_a_wildcard_entry_cannot_open_the_floor() -> None:
    assert not HostPolicy(allowed=["example.com"], mode="closed").decide("example.com").allowed
    policy = HostPolicy(allowed=["*.internal.example.com"])
    assert policy.decide("db.internal.example.com").allowed  # the name: allowed before resolution
    assert not policy.address(ipaddress.ip_address("10.0.0.7")).allowed  # its address: the floor


def test_parse_ip_takes_brackets_and_no_zone() -> None:
    assert parse_ip("[::1]") == ipaddress.IPv6Address("::1")
    assert parse_ip("fe80::1%eth0") is None
    assert parse_ip("example.com") is None


_ENTRIES = ["pypi.org", "*.github.com", ".npmjs.org", "registry.*.io", "crates.io:443", "8.8.8.8", "[2001:db8::1]",
            "a.b.example", "*.b.example", "example:8080"]
_LABELS = ["pypi", "org", "github", "com", "api", "npmjs", "registry", "docker", "io", "crates", "a", "b", "example"]


@given(
    st.lists(st.sampled_from(_LABELS), min_size=1, max_size=4).map(".".join)
    | st.sampled_from(["8.8.8.8", "2001:db8::1", "10.0.0.1", "github.com.evil.example"]),
    st.sampled_from([None, 80, 443, 8080]),
)
def test_the_index_of_entries_decides_as_every_entry_would(name: str, port: int | None) -> None:
    """The policy compares a host only with the entries that can match it (an index by
    name and by each name above it): the same answer as comparing it with every entry."""
    host = canonical_host(name)
    assert host is not None
    for policy in (HostPolicy(_ENTRIES, _ENTRIES[1:]), HostPolicy((), ["*", *_ENTRIES[:3]], mode="blocklist")):
        for index, patterns in ((policy._allowed, policy.allowed), (policy._blocked, policy.blocked)):
            assert index.matches(host, port) == any(p.matches(host, port) for p in patterns), (name, port)


@given(st.text(alphabet="ab0_-.Z", max_size=12))
def test_a_name_is_checked_whole_as_label_by_label(name: str) -> None:
    """hosts._NAME, one pattern for the whole name (one call in C for each of thousands of
    hosts the egress inspector decides), takes exactly the names whose every label is one."""
    from sandbox import hosts

    by_label = all(hosts._LABEL.fullmatch(label) for label in name.split("."))
    assert bool(hosts._NAME.fullmatch(name)) == by_label
