"""NetworkProxy: the egress proxy, HTTP CONNECT and absolute-form forwarding on loopback.

Per request: the head is parsed strictly (:mod:`sandbox.net.http`); the host is judged by
the policy *before* any lookup, so a refused name is never resolved (DNS cannot carry data
out); an allowed name is resolved once, every answer is checked against the internal-
network floor (a mixed answer is refused whole) and the connection goes to a vetted
address, never to a second lookup. A CONNECT to port 443 must open with a TLS ClientHello
whose server name is the CONNECT host. Then the two sockets go to the relay
(:mod:`sandbox.net.relay`, in C where built), which copies bytes off the event loop.

The proxy runs its own asyncio loop on a thread, so it serves callers that are not async.
Its upstream connections are plain sockets: proxy variables in its environment are never
consulted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sandbox.errors import PolicyError, ProxyError
from sandbox.hosts import Decision, canonical_host
from sandbox.net.config import ProxyConfig, ProxyLogEntry, ProxyStats
from sandbox.net.http import (
    MAX_HEAD,
    MAX_HEADERS,
    Framing,
    HttpError,
    Request,
    check_fields,
    downstream_head,
    parse_chunk_size,
    parse_request,
    parse_response,
    upstream_head,
)
from sandbox.net.tls import MAX_HELLO, NotClientHello, parse_client_hello

log = logging.getLogger("sandbox.proxy")

#: A resolver: (host name, port) -> the addresses it names, as strings. Injectable so
#: tests can make DNS lie; the default asks the system's resolver.
Resolver = Callable[[str, int], Awaitable[list[str]]]
_CHUNK = 1 << 16
_BARE_LF = re.compile(rb"(?<!\r)\n")

_REASONS = {400: "Bad Request", 403: "Forbidden", 414: "URI Too Long", 431: "Request Header Fields Too Large",
            501: "Not Implemented", 502: "Bad Gateway", 504: "Gateway Timeout", 505: "HTTP Version Not Supported"}


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """The system resolver's addresses for ``host``, in its order, each once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


class _Connection:
    """A client socket and the bytes read from it but not yet used."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.handed_off = False


class NetworkProxy:
    """The egress proxy for ``config``; a context manager (start on enter, stop on exit).

    ``resolver`` replaces the system resolver (tests make it lie); ``relay`` chooses the
    byte relay (``"native"``, ``"python"``, or None for the native one where it is built);
    ``listen_port`` fixes the port (0: a free one); ``on_decision`` is called with every
    decision as it is made (from the proxy's thread).

    Raises:
        PolicyError: ``config`` is not a ProxyConfig.
    """

    def __init__(
        self,
        config: ProxyConfig | None = None,
        *,
        resolver: Resolver | None = None,
        relay: str | None = None,
        listen_port: int = 0,
        on_decision: Callable[[ProxyLogEntry], None] | None = None,
    ) -> None:
        if config is None:
            config = ProxyConfig()
        if not isinstance(config, ProxyConfig):
            raise PolicyError(f"config: expected a ProxyConfig, got {type(config).__name__}")
        if isinstance(listen_port, bool) or not isinstance(listen_port, int) or not 0 <= listen_port < 65536:
            raise PolicyError(f"listen_port: expected 0 (any free port) or a TCP port, got {listen_port!r}")
        self.config = config
        self._listen_port = listen_port
        self._on_decision = on_decision
        self._resolver: Resolver = resolver or system_resolver
        self._relay_choice = relay
        self._relay: Any = None
        self._log: collections.deque[ProxyLogEntry] = collections.deque(maxlen=config.log_size)
        self._lock = threading.Lock()
        self._allowed = 0
        self._blocked = 0
        self._bytes = 0
        self._hosts: set[str] = set()
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._clients = 0
        self.port: int | None = None
        self.lookups = 0  # DNS lookups made: tests assert one per request

    # -- the API.md attributes ----------------------------------------------------------

    @property
    def allowed_domains(self) -> tuple[str, ...]:
        return self.config.allowed_domains

    @property
    def blocked_domains(self) -> tuple[str, ...]:
        return self.config.blocked_domains

    @property
    def allow_all(self) -> bool:
        return self.config.mode == "open"

    @property
    def block_all(self) -> bool:
        return self.config.mode == "closed"

    @property
    def relay_name(self) -> str | None:
        """Which relay carries the tunnels (``native`` or ``python``), once started."""
        return None if self._relay is None else str(self._relay.name)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port) and serve on a thread; returns ``"127.0.0.1:PORT"``.

        Raises:
            ProxyError: already started, or the socket cannot be bound.
            UnsupportedError: ``relay="native"`` where the C relay is not built.
        """
        if self._thread is not None:
            raise ProxyError("the proxy is already started")
        from sandbox.net.relay import select_relay

        self._relay = select_relay(self._relay_choice)
        self._relay.start()
        try:
            listener = socket.create_server(("127.0.0.1", self._listen_port), backlog=1024)
        except OSError as exc:
            self._relay.close()
            raise ProxyError(f"cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="sandbox-proxy", daemon=True)
        self._thread.start()
        ready.wait()
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop accepting, close every client and tunnel."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(10)
        if self._listener is not None:
            self._listener.close()
        if self._relay is not None:
            self._relay.close()
        self._loop = self._thread = None

    def __enter__(self) -> NetworkProxy:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        self._accepting = loop.create_task(self._accept())
        ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_forever()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()

    def _shutdown(self) -> None:
        assert self._loop is not None
        self._loop.stop()

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._listener is not None
        while True:
            try:
                client, _ = await loop.sock_accept(self._listener)
            except OSError:
                await asyncio.sleep(0.01)  # EMFILE and the like: let connections finish
                continue
            self._admit(client)

    def serve_connection(self, sock: socket.socket) -> None:
        """Serve a client connection accepted elsewhere (a Sandbox's bridge hands over what
        its commands open inside their network namespace). Takes ownership of ``sock``.

        Raises:
            ProxyError: the proxy is not running.
        """
        loop = self._loop
        if loop is None:
            sock.close()
            raise ProxyError("the proxy is not started")
        sock.setblocking(False)

        try:
            loop.call_soon_threadsafe(self._admit, sock)
        except RuntimeError:  # the loop closed in between
            sock.close()
            raise ProxyError("the proxy stopped") from None

    def _admit(self, sock: socket.socket) -> None:
        """Serve ``sock`` unless the proxy holds ``max_connections`` already (clients being
        served and tunnels in the relay together): each is two descriptors of this process,
        which a flood from a confined command must not exhaust."""
        held = self._clients + (self._relay.active if self._relay is not None else 0)
        if held >= self.config.max_connections:
            self._record("-", "-", False, f"more than {self.config.max_connections} connections at once")
            sock.close()
            return
        sock.setblocking(False)
        self._clients += 1
        task = asyncio.get_running_loop().create_task(self._client(_Connection(sock)))
        task.add_done_callback(lambda _t: self._done_client())

    def _done_client(self) -> None:
        self._clients -= 1

    # -- decisions, logged --------------------------------------------------------------

    def is_allowed(self, host: str, port: int | None = None) -> bool:
        """Whether the policy allows ``host`` (before any lookup: a name that resolves to an
        internal address is still refused when a request is made)."""
        return self._decide(host, port).allowed

    def _decide(self, host: str, port: int | None) -> Decision:
        if port is not None and self.config.allowed_ports is not None and port not in self.config.allowed_ports:
            return Decision(False, f"port {port} is not allowed")
        return self.config.policy.decide(host, port)

    def _record(self, host: str, method: str, allowed: bool, reason: str) -> None:
        entry = ProxyLogEntry(time.time(), host, method, allowed, reason)
        with self._lock:
            if allowed:
                self._allowed += 1
                self._hosts.add(host.lower())
            else:
                self._blocked += 1
            if self.config.log_requests:
                self._log.append(entry)
        log.info("%s %s %s: %s", "allow" if allowed else "deny", method, host, reason)
        if self._on_decision is not None:
            with contextlib.suppress(Exception):  # an observer must not break the proxy
                self._on_decision(entry)

    def _count(self, n: int) -> None:
        with self._lock:
            self._bytes += n

    def get_log(self) -> list[ProxyLogEntry]:
        """The most recent decisions (at most ``config.log_size``), oldest first."""
        with self._lock:
            return list(self._log)

    def get_stats(self) -> ProxyStats:
        with self._lock:
            total = self._bytes + (self._relay.total_bytes if self._relay is not None else 0)
            return ProxyStats(self._allowed, self._blocked, total, len(self._hosts))

    def env_vars(self) -> dict[str, str]:
        """The variables that send HTTP clients through this proxy (upper and lower case;
        ``NO_PROXY`` empty, so nothing is exempt).

        Raises:
            ProxyError: the proxy is not started.
        """
        if self.port is None:
            raise ProxyError("the proxy is not started: call start() first")
        url = f"http://127.0.0.1:{self.port}"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        env = {name: url for name in names} | {name.lower(): url for name in names}
        return env | {"NO_PROXY": "", "no_proxy": ""}

    # -- one client ---------------------------------------------------------------------

    async def _client(self, conn: _Connection) -> None:
        try:
            first = True
            while True:
                head = await self._read_head(conn, first)
                if head is None:
                    return
                first = False
                try:
                    request = parse_request(head)
                except HttpError as exc:
                    self._record("-", "-", False, f"malformed request: {exc.reason}")
                    await self._answer(conn.sock, exc.status, exc.reason)
                    return
                if request.method == "CONNECT":
                    await self._tunnel(conn, request)
                    return
                if not await self._forward(conn, request):
                    return
        except (OSError, asyncio.TimeoutError, _Refused):
            pass
        finally:
            if not conn.handed_off:
                conn.sock.close()

    async def _send(self, sock: socket.socket, data: bytes) -> None:
        """Send all of ``data``; a peer that stops reading for ``idle_timeout`` is dropped."""
        await asyncio.wait_for(asyncio.get_running_loop().sock_sendall(sock, data), self.config.idle_timeout)

    async def _recv(self, sock: socket.socket, timeout: float) -> bytes:
        return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, _CHUNK), timeout)

    async def _read_head(self, conn: _Connection, first: bool) -> bytes | None:
        """The next request head, or None at a clean end between requests. A head must
        arrive within ``header_timeout`` of its first byte; between requests a client may
        stay idle for ``idle_timeout``."""
        deadline: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            end = conn.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(conn.buffer[: end + 4])
                del conn.buffer[: end + 4]
                return head
            if len(conn.buffer) > MAX_HEAD:
                self._record("-", "-", False, "malformed request: the request head is too large")
                await self._answer(conn.sock, 431, "the request head is too large")
                return None
            if _BARE_LF.search(conn.buffer):
                # A head that ends its lines in bare LF never ends in CRLF CRLF: answered now,
                # not after a timeout, and never read another way.
                self._record("-", "-", False, "malformed request: a line ends in a bare LF")
                await self._answer(conn.sock, 400, "a line ends in a bare LF")
                return None
            if conn.buffer and deadline is None:
                deadline = loop.time() + self.config.header_timeout
            # Waiting for a request to begin: header_timeout for the first one (a connection
            # that says nothing holds descriptors for nothing), idle_timeout between requests.
            idle = self.config.header_timeout if first else self.config.idle_timeout
            wait = (deadline - loop.time()) if deadline is not None else idle
            if wait <= 0:
                raise asyncio.TimeoutError
            data = await self._recv(conn.sock, wait)
            if not data:
                return None
            conn.buffer += data

    async def _answer(self, sock: socket.socket, status: int, reason: str) -> None:
        body = f"sandbox proxy: {reason}\n".encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.get_running_loop().sock_sendall(sock, head + body), 5)

    async def _open_upstream(self, host: str, port: int, method: str) -> socket.socket:
        """Policy, one lookup, the floor on every answer, a connection to a vetted address.

        Raises:
            _Refused: with the status to answer; the decision is logged either way.
        """
        decision = self._decide(host, port)
        if not decision.allowed:
            self._record(host, method, False, decision.reason)
            raise _Refused(403, decision.reason)
        canonical = canonical_host(host)
        assert canonical is not None  # the policy allowed it, so it parsed
        if canonical.ip is not None:
            addresses = [canonical.ip]
        else:
            self.lookups += 1
            try:
                answers = await asyncio.wait_for(self._resolver(canonical.name, port), self.config.connect_timeout)
            except Exception as exc:  # any resolver failure fails closed
                reason = f"DNS lookup of {canonical.name} failed: {exc}"
                self._record(host, method, False, reason)
                raise _Refused(502, reason) from None
            addresses = []
            for text in answers:
                try:
                    address = ipaddress.ip_address(text)
                except ValueError:
                    reason = f"{canonical.name} resolved to {text!r}, not an address"
                    self._record(host, method, False, reason)
                    raise _Refused(502, reason) from None
                verdict = self.config.policy.address(address, port)
                if not verdict.allowed:
                    # One internal answer spoils the set: a client could not choose safely.
                    reason = f"{canonical.name} resolves to {address.compressed}: {verdict.reason}"
                    self._record(host, method, False, reason)
                    raise _Refused(403, reason)
                addresses.append(address)
            if not addresses:
                reason = f"DNS lookup of {canonical.name} returned no address"
                self._record(host, method, False, reason)
                raise _Refused(502, reason)
        loop = asyncio.get_running_loop()
        failures = []
        # One deadline for all the addresses: an answer full of dead ones must not hold a
        # request for connect_timeout each.
        deadline = loop.time() + self.config.connect_timeout
        for address in addresses:
            family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            upstream = socket.socket(family, socket.SOCK_STREAM)
            upstream.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(upstream, (address.compressed, port)),
                                       max(deadline - loop.time(), 0.001))
            except (OSError, asyncio.TimeoutError) as exc:
                upstream.close()
                failures.append(f"{address.compressed}: {getattr(exc, 'strerror', None) or 'timed out'}")
                continue
            self._record(host, method, True, decision.reason)
            return upstream
        reason = f"cannot connect to {host}:{port} ({'; '.join(failures)})"
        self._record(host, method, False, reason)
        raise _Refused(502, reason)

    # -- CONNECT --------------------------------------------------------------------------

    async def _tunnel(self, conn: _Connection, request: Request) -> None:
        try:
            upstream = await self._open_upstream(request.host, request.port, "CONNECT")
        except _Refused as refused:
            await self._answer(conn.sock, refused.status, refused.reason)
            return
        try:
            await self._send(conn.sock, b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if request.port in self.config.tls_ports:
                if not await self._check_server_name(conn, request):
                    upstream.close()
                    return
            if conn.buffer:
                await self._send(upstream, bytes(conn.buffer))
                self._count(len(conn.buffer))
                conn.buffer.clear()
        except (OSError, asyncio.TimeoutError):
            upstream.close()
            return
        try:
            self._relay.add(conn.sock, upstream, idle_timeout=self.config.idle_timeout)
        except ProxyError as exc:  # the relay is full (the admission cap keeps it rare) or closing
            self._record(request.host, "CONNECT", False, f"the relay took no more tunnels: {exc}")
            upstream.close()
            return  # the client's socket is closed by _client
        conn.handed_off = True

    async def _check_server_name(self, conn: _Connection, request: Request) -> bool:
        """Read the ClientHello (without answering it) and compare its server name with
        the CONNECT host; a refusal is logged and the tunnel closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.header_timeout
        wanted = canonical_host(request.host)
        while True:
            try:
                hello = parse_client_hello(bytes(conn.buffer))
            except NotClientHello as exc:
                self._record(request.host, "CONNECT", False, f"port 443 without TLS: {exc}")
                return False
            if hello is not None:
                break
            if len(conn.buffer) > MAX_HELLO:
                self._record(request.host, "CONNECT", False, "a ClientHello larger than any client sends")
                return False
            data = await self._recv(conn.sock, max(deadline - loop.time(), 0.001))
            if not data:
                return False
            conn.buffer += data
        assert wanted is not None
        if hello.server_name is None:
            if wanted.ip is not None:
                return True  # clients send no SNI for an address, and the address was checked
            self._record(request.host, "CONNECT", False, "the TLS ClientHello names no server")
            return False
        named = canonical_host(hello.server_name)
        if named is None or named.name != wanted.name:
            self._record(request.host, "CONNECT", False,
                         f"TLS server name {hello.server_name!r} is not the CONNECT host {request.host!r}")
            return False
        return True

    # -- forwarded requests ---------------------------------------------------------------

    async def _forward(self, conn: _Connection, request: Request) -> bool:
        """Forward one request and its response; True when the client connection stays
        open for the next request."""
        try:
            upstream = await self._open_upstream(request.host, request.port, request.method)
        except _Refused as refused:
            await self._answer(conn.sock, refused.status, refused.reason)
            return False
        head_sent = False
        try:
            await self._send(upstream, upstream_head(request))
            await self._copy_body(conn, upstream, request.framing)
            reply = _Connection(upstream)
            while True:
                head = await self._read_head_from(reply)
                try:
                    response = parse_response(head, request.method)
                except HttpError as exc:
                    self._record(request.host, request.method, False, f"malformed response: {exc.reason}")
                    await self._answer(conn.sock, 502, exc.reason)
                    return False
                if 100 <= response.status < 200 and response.status != 101:
                    continue  # interim answers are dropped: the final one follows
                break
            if response.status == 101:
                await self._answer(conn.sock, 502, "the server switched protocols")
                return False
            # The upstream connection is this request's alone, so its Connection header says
            # nothing about the client's: the client's stays open unless the body is read to
            # the server's close (then nothing else delimits it) or the client asked to close.
            keep = request.keep_alive and response.framing.kind != "close"
            reframe = None
            if request.version == "HTTP/1.0" and response.framing.kind == "chunked":
                # An HTTP/1.0 client cannot read chunks: the body goes to it as sent data,
                # delimited by the close.
                reframe, keep = Framing("close"), False
            head_sent = True
            await self._send(conn.sock, downstream_head(response, keep_alive=keep, framing=reframe))
            await self._copy_body(reply, conn.sock, response.framing, dechunk=reframe is not None)
            return keep
        except HttpError as exc:
            if not head_sent:
                await self._answer(conn.sock, exc.status if exc.status < 500 else 502, exc.reason)
            # After the head, an error page would land inside the body: closing is the signal.
            return False
        finally:
            upstream.close()

    async def _read_head_from(self, reply: _Connection) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.idle_timeout
        while True:
            end = reply.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(reply.buffer[: end + 4])
                del reply.buffer[: end + 4]
                return head
            if len(reply.buffer) > MAX_HEAD:
                raise HttpError(502, "the response head is too large")
            data = await self._recv(reply.sock, max(deadline - loop.time(), 0.001))
            if not data:
                raise HttpError(502, "the server closed before answering")
            reply.buffer += data

    async def _copy_body(
        self, source: _Connection, sink: socket.socket, framing: Framing, *, dechunk: bool = False
    ) -> None:
        """Copy one body from ``source`` (its buffer first) to ``sink`` as ``framing`` says,
        reading no byte past its end. ``dechunk`` sends a chunked body's data alone.
        Trailers are read, checked and not forwarded."""
        timeout = self.config.idle_timeout

        async def take(n: int) -> bytes:
            while not source.buffer:
                data = await self._recv(source.sock, timeout)
                if not data:
                    raise HttpError(400, "the body ended early")
                source.buffer += data
            piece = bytes(source.buffer[:n])
            del source.buffer[: len(piece)]
            return piece

        async def line() -> bytes:
            while (end := source.buffer.find(b"\r\n")) < 0:
                if len(source.buffer) > 8192:
                    raise HttpError(400, "a chunk line is too long")
                data = await self._recv(source.sock, timeout)
                if not data:
                    raise HttpError(400, "the body ended early")
                source.buffer += data
            found = bytes(source.buffer[:end])
            del source.buffer[: end + 2]
            return found

        async def send(data: bytes) -> None:
            await self._send(sink, data)
            self._count(len(data))

        if framing.kind == "length":
            left = framing.length
            while left:
                piece = await take(min(left, _CHUNK))
                left -= len(piece)
                await send(piece)
        elif framing.kind == "chunked":
            while True:
                size_line = await line()
                size = parse_chunk_size(size_line)
                if not dechunk:
                    await send(size_line + b"\r\n")
                left = size
                while left:
                    piece = await take(min(left, _CHUNK))
                    left -= len(piece)
                    await send(piece)
                if size:
                    if await line() != b"":
                        raise HttpError(400, "a chunk not followed by CRLF")
                    if not dechunk:
                        await send(b"\r\n")
                    continue
                # Trailers: read to the empty line, each held to the header grammar (a bare LF
                # there would end the message early for a lenient server), and dropped.
                trailers = []
                while (trailer := await line()) != b"":
                    trailers.append(trailer)
                    if len(trailers) > MAX_HEADERS:
                        raise HttpError(400, "too many trailer lines")
                check_fields(trailers)
                if not dechunk:
                    await send(b"\r\n")
                return
        elif framing.kind == "close":
            if source.buffer:
                await send(bytes(source.buffer))
                source.buffer.clear()
            while data := await self._recv(source.sock, timeout):
                await send(data)
