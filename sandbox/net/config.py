"""What the egress proxy allows: ProxyConfig, the built-in development configuration, and
the frozen records the proxy reports (log entries, statistics)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.errors import PolicyError
from sandbox.hosts import HostPolicy

MODES = HostPolicy.MODES


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """The egress policy.

    ``mode``: ``allowlist`` (only ``allowed_domains``), ``blocklist`` (all but
    ``blocked_domains``), ``open`` (everything but the internal-network floor) or
    ``closed`` (nothing). Entries are host patterns (see :class:`sandbox.hosts.HostPattern`:
    ``pypi.org``, ``*.npmjs.org``, ``.example.com``, ``registry.*.io``, an IP address,
    any of them with ``:port``). ``allowed_ports`` limits every connection to those ports
    (None: any port an entry allows). A CONNECT to one of ``tls_ports`` must open with a TLS
    ClientHello naming the CONNECT host. ``log_size`` bounds the request log (a ring);
    ``header_timeout`` is the most a request head may take (and a new connection may wait
    before its first byte), ``idle_timeout`` the most a connection may stay silent;
    ``max_connections`` caps clients and tunnels held at once (each is two descriptors).

    Raises:
        PolicyError: an unknown mode, a bad entry (``*.com`` and other public suffixes
            included), or a bad number.
    """

    allowed_domains: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()
    mode: str = "allowlist"
    log_requests: bool = True
    allowed_ports: tuple[int, ...] | None = None
    tls_ports: tuple[int, ...] = (443,)
    log_size: int = 1000
    idle_timeout: float = 300.0
    header_timeout: float = 10.0
    connect_timeout: float = 10.0
    max_connections: int = 4096
    policy: HostPolicy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("allowed_domains", "blocked_domains"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise PolicyError(f"{name}: expected a sequence of host patterns, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        if self.mode not in MODES:
            raise PolicyError(f"mode: expected one of {', '.join(MODES)}, got {self.mode!r}")
        if self.allowed_ports is not None:
            ports = tuple(self.allowed_ports)
            if not ports or not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports):
                raise PolicyError(f"allowed_ports: expected TCP ports, got {self.allowed_ports!r}")
            object.__setattr__(self, "allowed_ports", ports)
        if not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in self.tls_ports):
            raise PolicyError(f"tls_ports: expected TCP ports, got {self.tls_ports!r}")
        object.__setattr__(self, "tls_ports", tuple(self.tls_ports))
        for name in ("log_size", "max_connections"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise PolicyError(f"{name}: expected a positive integer, got {value!r}")
        for name in ("idle_timeout", "header_timeout", "connect_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise PolicyError(f"{name}: expected a positive number of seconds, got {value!r}")
        object.__setattr__(self, "policy", HostPolicy(self.allowed_domains, self.blocked_domains, self.mode))


#: Package registries and the hosts their downloads redirect to, by ecosystem.
DEVELOPMENT_HOSTS: dict[str, tuple[str, ...]] = {
    "python": ("pypi.org", "files.pythonhosted.org", "pypi.python.org"),
    "javascript": ("registry.npmjs.org", "registry.yarnpkg.com", "repo.yarnpkg.com"),
    "rust": ("crates.io", "index.crates.io", "static.crates.io", "static.rust-lang.org"),
    "go": ("proxy.golang.org", "sum.golang.org", "index.golang.org"),
    "ruby": ("rubygems.org", "index.rubygems.org", "rubygems.global.ssl.fastly.net"),
    "java": ("repo.maven.apache.org", "repo1.maven.org", "plugins.gradle.org", "services.gradle.org",
             "downloads.gradle.org"),
    "containers": ("registry-1.docker.io", "auth.docker.io", "production.cloudflare.docker.com", "ghcr.io",
                   "pkg-containers.githubusercontent.com", "quay.io", "cdn.quay.io", "gcr.io", "mcr.microsoft.com"),
    "source": ("github.com", "codeload.github.com", "objects.githubusercontent.com",
               "release-assets.githubusercontent.com", "raw.githubusercontent.com"),
}


def default_development_config() -> ProxyConfig:
    """Allow the common package registries of Python, JavaScript, Rust, Go, Ruby, Java and
    container images, with the download hosts they redirect to, on ports 80 and 443 only;
    internal networks and cloud metadata stay refused (the floor under every mode)."""
    hosts = tuple(host for group in DEVELOPMENT_HOSTS.values() for host in group)
    return ProxyConfig(allowed_domains=hosts, mode="allowlist", allowed_ports=(80, 443))


@dataclass(frozen=True, slots=True)
class ProxyLogEntry:
    """One decision: when, which host (as the client named it), the method (``CONNECT`` or
    the forwarded request's), whether it was allowed, and why."""

    timestamp: float
    host: str
    method: str
    allowed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ProxyStats:
    allowed_requests: int
    blocked_requests: int
    total_bytes: int
    unique_hosts: int
