"""The server name of real ClientHellos (made by Python's own TLS stack) and refusals of
what is not one."""

from __future__ import annotations

import pytest
from helpers.tls import client_hello

from sandbox.net.tls import NotClientHello, parse_client_hello


def test_server_name_is_read() -> None:
    hello = parse_client_hello(client_hello("PyPI.org"))
    assert hello is not None and hello.server_name == "pypi.org"


def test_hello_without_a_name() -> None:
    hello = parse_client_hello(client_hello(None))
    assert hello is not None and hello.server_name is None


def test_partial_hello_asks_for_more() -> None:
    data = client_hello("files.pythonhosted.org")
    for cut in (0, 3, 5, 40, len(data) - 1):
        assert parse_client_hello(data[:cut]) is None


def test_hello_split_over_two_records() -> None:
    data = client_hello("example.org")
    body = data[5:]
    first, second = body[:50], body[50:]
    def record(part: bytes) -> bytes:
        return b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part

    split = record(first) + record(second)
    hello = parse_client_hello(split)
    assert hello is not None and hello.server_name == "example.org"


@pytest.mark.parametrize(
    "data",
    [b"GET / HTTP/1.1\r\n\r\n", b"CONNECT evil.test:443 HTTP/1.1\r\n\r\n", b"\x17\x03\x03\x00\x05hello",
     b"\x16\x03\x01\x00\x04\x02\x00\x00\x00"],  # a ServerHello, not a ClientHello
)
def test_what_is_not_a_client_hello_is_refused(data: bytes) -> None:
    with pytest.raises(NotClientHello):
        parse_client_hello(data)


def test_two_server_names_are_refused() -> None:
    data = bytearray(client_hello("a.example"))
    # Rewrite the SNI extension's list to hold two names: a.example and b.example.
    at = data.find(b"a.example")
    names = b"\x00" + (9).to_bytes(2, "big") + b"a.example" + b"\x00" + (9).to_bytes(2, "big") + b"b.example"
    ext_start = at - 3 - 2 - 2 - 2  # name, name_type+len, list len, ext len, ext type
    old_ext_len = int.from_bytes(data[ext_start + 2 : ext_start + 4], "big")
    new_ext = (0).to_bytes(2, "big") + (len(names) + 2).to_bytes(2, "big") + len(names).to_bytes(2, "big") + names
    grow = len(new_ext) - (4 + old_ext_len)
    data[ext_start : ext_start + 4 + old_ext_len] = new_ext
    # Fix the lengths around it: extensions block, handshake, record.
    hs_len = int.from_bytes(data[6:9], "big") + grow
    data[6:9] = hs_len.to_bytes(3, "big")
    data[3:5] = (int.from_bytes(data[3:5], "big") + grow).to_bytes(2, "big")
    body = 9 + 2 + 32
    sid = data[body]
    at2 = body + 1 + sid
    at2 += 2 + int.from_bytes(data[at2 : at2 + 2], "big")
    at2 += 1 + data[at2]
    data[at2 : at2 + 2] = (int.from_bytes(data[at2 : at2 + 2], "big") + grow).to_bytes(2, "big")
    with pytest.raises(NotClientHello, match="more than one"):
        parse_client_hello(bytes(data))


def test_an_encrypted_client_hello_is_refused() -> None:
    # The outer name of an ECH hello is a cover for the inner one: nothing to compare.
    data = bytearray(client_hello("allowed.example"))
    ech = (0xFE0D).to_bytes(2, "big") + (4).to_bytes(2, "big") + b"\x00\x01\x02\x03"
    body = 9 + 2 + 32
    at = body + 1 + data[body]
    at += 2 + int.from_bytes(data[at : at + 2], "big")
    at += 1 + data[at]
    ext_len = int.from_bytes(data[at : at + 2], "big")
    data[at : at + 2] = (ext_len + len(ech)).to_bytes(2, "big")
    data += ech
    data[6:9] = (int.from_bytes(data[6:9], "big") + len(ech)).to_bytes(3, "big")
    data[3:5] = (int.from_bytes(data[3:5], "big") + len(ech)).to_bytes(2, "big")
    with pytest.raises(NotClientHello, match="encrypted"):
        parse_client_hello(bytes(data))
