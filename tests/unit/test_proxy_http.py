"""The proxy's strict HTTP/1.1 heads: exact results for what is accepted, and a refusal
with its status for everything two readers could frame differently."""

from __future__ import annotations

import pytest

from sandbox.net.http import (
    Framing,
    HttpError,
    downstream_head,
    parse_chunk_size,
    parse_request,
    parse_response,
    upstream_head,
)


def head(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def test_connect_is_parsed() -> None:
    r = parse_request(head("CONNECT pypi.org:443 HTTP/1.1", "Host: pypi.org:443"))
    assert (r.method, r.host, r.port, r.path, r.framing) == ("CONNECT", "pypi.org", 443, "", Framing("none"))


def test_connect_to_ipv6_is_parsed() -> None:
    r = parse_request(head("CONNECT [2001:db8::1]:8443 HTTP/1.1", "Host: [2001:db8::1]:8443"))
    assert (r.host, r.port) == ("2001:db8::1", 8443)


def test_absolute_form_is_parsed_to_origin_form() -> None:
    r = parse_request(head("POST http://example.org:8080/a/b?q=1 HTTP/1.1", "Host: example.org:8080",
                           "Content-Length: 5"))
    assert (r.host, r.port, r.path, r.framing) == ("example.org", 8080, "/a/b?q=1", Framing("length", 5))
    assert parse_request(head("GET http://example.org HTTP/1.1", "Host: example.org")).path == "/"
    assert parse_request(head("GET http://example.org?x HTTP/1.1", "Host: example.org")).path == "/?x"


def test_upstream_head_drops_hop_by_hop_and_proxy_headers() -> None:
    r = parse_request(head(
        "GET http://example.org/x HTTP/1.1", "Host: example.org", "Proxy-Authorization: Basic c2VjcmV0",
        "Connection: close, X-Secret", "X-Secret: 1", "Keep-Alive: 300", "Accept: */*", "Proxy-Foo: bar",
    ))
    assert upstream_head(r) == b"GET /x HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n"


def test_framing_headers_survive_a_connection_header_that_names_them() -> None:
    # Dropped, the body would reach the server as a second request.
    r = parse_request(head("POST http://a.test/ HTTP/1.1", "Host: a.test", "Connection: content-length, host",
                           "Content-Length: 4"))
    assert upstream_head(r) == b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\n"
    chunked = parse_request(head("POST http://a.test/ HTTP/1.1", "Host: a.test", "Connection: transfer-encoding",
                                 "Transfer-Encoding: chunked"))
    assert b"Transfer-Encoding: chunked\r\n" in upstream_head(chunked)


def test_ipv6_hosts_keep_their_brackets_upstream() -> None:
    r = parse_request(head("GET http://[2001:db8::1]:8080/x HTTP/1.1", "Host: [2001:db8::1]:8080"))
    assert upstream_head(r).startswith(b"GET /x HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n")


def test_a_query_without_a_path_keeps_its_slashes() -> None:
    r = parse_request(head("GET http://a.test?q=1/2 HTTP/1.1", "Host: a.test"))
    assert (r.host, r.path) == ("a.test", "/?q=1/2")


def test_downstream_head_says_whether_the_connection_stays() -> None:
    resp = parse_response(head("HTTP/1.1 200 OK", "Content-Length: 2", "Proxy-Authenticate: x", "Keep-Alive: 5"),
                          "GET")
    assert downstream_head(resp, keep_alive=True) == (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET http://a.test/ HTTP/1.1\nHost: a.test\n\n", 400),  # bare LF
        (head("GET http://a.test/ HTTP/1.1", "Host : a.test"), 400),  # whitespace before the colon
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "X: a", " folded"), 400),  # obs-fold
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "X: a\x01b"), 400),  # control character
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Content-Length: 1", "Content-Length: 1"), 400),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Content-Length: 1, 1"), 400),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Content-Length: +1"), 400),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Content-Length: 1", "Transfer-Encoding: chunked"), 400),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Transfer-Encoding: gzip, chunked"), 501),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Transfer-Encoding: chunked",
              "Transfer-Encoding: chunked"), 501),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Transfer-Encoding : chunked"), 400),
        (head("GET http://a.test/ HTTP/1.0", "Transfer-Encoding: chunked"), 400),
        (head("GET http://a.test/ HTTP/1.1"), 400),  # no Host
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", "Host: a.test"), 400),
        (head("GET http://a.test/ HTTP/1.1", "Host: b.test"), 400),  # Host is not the target
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test:8080"), 400),
        (head("GET /local HTTP/1.1", "Host: a.test"), 400),  # origin-form: not for a proxy
        (head("GET https://a.test/ HTTP/1.1", "Host: a.test"), 400),
        (head("GET http://user:pw@a.test/ HTTP/1.1", "Host: a.test"), 400),  # userinfo
        (head("GET http://a.test/#frag HTTP/1.1", "Host: a.test"), 400),
        (head("GET http://evil.test:443.a.test/ HTTP/1.1", "Host: evil.test:443.a.test"), 400),
        (head("GET  http://a.test/ HTTP/1.1", "Host: a.test"), 400),  # two spaces
        (head("GET http://a.test/ HTTP/2.0", "Host: a.test"), 505),
        (head("GET http://a.test/\x7f HTTP/1.1", "Host: a.test"), 400),
        (head("CONNECT a.test HTTP/1.1", "Host: a.test"), 400),  # no port
        (head("CONNECT a.test:0 HTTP/1.1", "Host: a.test"), 400),
        (head("CONNECT a.test:99999 HTTP/1.1", "Host: a.test"), 400),
        (head("CONNECT a.test:443 HTTP/1.1", "Host: a.test", "Content-Length: 3"), 400),
        (head("G\x00T http://a.test/ HTTP/1.1", "Host: a.test"), 400),
        (b"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n" + b"X-Pad: " + b"a" * 40000 + b"\r\n\r\n", 431),
        (head("GET http://a.test/" + "a" * 9000 + " HTTP/1.1", "Host: a.test"), 414),
        (head("GET http://a.test/ HTTP/1.1", "Host: a.test", *[f"X-{i}: v" for i in range(101)]), 431),
    ],
)
def test_ambiguous_or_malformed_requests_are_refused(raw: bytes, status: int) -> None:
    with pytest.raises(HttpError) as caught:
        parse_request(raw)
    assert caught.value.status == status


def test_response_framing() -> None:
    assert parse_response(head("HTTP/1.1 200 OK", "Content-Length: 3"), "GET").framing == Framing("length", 3)
    assert parse_response(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked"), "GET").framing.kind == "chunked"
    closing = parse_response(head("HTTP/1.1 200 OK"), "GET")
    assert closing.framing.kind == "close" and closing.close
    assert parse_response(head("HTTP/1.1 200 OK", "Content-Length: 3"), "HEAD").framing.kind == "none"
    assert parse_response(head("HTTP/1.1 304 Not Modified"), "GET").framing.kind == "none"
    assert parse_response(head("HTTP/1.0 200 OK", "Content-Length: 1"), "GET").close


@pytest.mark.parametrize(
    "raw",
    [head("HTTP/1.1 2000 OK"), head("HTTP/1.1 200 OK", "Content-Length: 1", "Content-Length: 2"),
     head("HTTP/1.1 200 OK", "Bad Header: x"), b"HTTP/1.1 200 OK\n\n"],
)
def test_malformed_responses_are_refused(raw: bytes) -> None:
    with pytest.raises(HttpError):
        parse_response(raw, "GET")


def test_chunk_sizes() -> None:
    assert parse_chunk_size(b"1a") == 26
    assert parse_chunk_size(b"0;ext=1") == 0
    for bad in (b"", b"x", b"-1", b" 1", b"1" * 16, b"1;\x00"):
        with pytest.raises(HttpError):
            parse_chunk_size(bad)
