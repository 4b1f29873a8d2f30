"""A real TLS ClientHello, made by Python's own TLS stack, for the tests of the proxy's
server-name check."""

from __future__ import annotations

import ssl


def client_hello(server_name: str | None) -> bytes:
    """The first bytes a TLS client sends for ``server_name`` (None: no server_name)."""
    context = ssl.create_default_context()
    if server_name is None:
        context.check_hostname = False
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return outgoing.read()  # the hello is out; the handshake waits for the server
    raise AssertionError("a TLS handshake finished without a server")
