"""`sandbox proxy`: the egress proxy on its own, for any program that honours proxy
variables. Prints its address, then one JSON line per decision, until interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any


def cmd_proxy(args: argparse.Namespace) -> int:
    from sandbox.net.config import ProxyConfig, ProxyLogEntry, default_development_config
    from sandbox.net.proxy import NetworkProxy

    if args.dev:
        base = default_development_config()
        config = ProxyConfig(
            allowed_domains=base.allowed_domains + tuple(args.allow), blocked_domains=tuple(args.block),
            mode="allowlist", allowed_ports=base.allowed_ports,
        )
    else:
        ports = tuple(args.port_allow) or None
        config = ProxyConfig(allowed_domains=tuple(args.allow), blocked_domains=tuple(args.block), mode=args.mode,
                             allowed_ports=ports)
    lock = threading.Lock()

    def emit(entry: ProxyLogEntry) -> None:
        line = json.dumps({"time": entry.timestamp, "host": entry.host, "method": entry.method,
                           "allowed": entry.allowed, "reason": entry.reason})
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    proxy = NetworkProxy(config, listen_port=args.listen, on_decision=emit, relay=args.relay)
    address = proxy.start()
    sys.stdout.write(json.dumps({"listening": address, "relay": proxy.relay_name, "mode": config.mode}) + "\n")
    sys.stdout.flush()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        done.wait()
    finally:
        proxy.stop()
    return 0


def add_parser(sub: Any) -> None:
    proxy = sub.add_parser(
        "proxy", help="run the egress proxy on its own",
        description="Serve HTTP CONNECT and plain-HTTP forwarding on 127.0.0.1 under a domain policy. Prints "
        '{"listening": "127.0.0.1:PORT"} first, then one JSON line per decision; stops on SIGINT or SIGTERM.',
    )
    proxy.add_argument("--mode", choices=["allowlist", "blocklist", "open", "closed"], default="allowlist",
                       help="allowlist: only --allow hosts (default); blocklist: all but --block; open: all but "
                       "the internal networks; closed: nothing")
    proxy.add_argument("--allow", action="append", default=[], metavar="HOST",
                       help="allow HOST (pypi.org, *.npmjs.org, host:port, an address); repeatable")
    proxy.add_argument("--block", action="append", default=[], metavar="HOST", help="block HOST; repeatable")
    proxy.add_argument("--port-allow", action="append", type=int, default=[], metavar="PORT",
                       help="allow only these ports (repeatable; default: any port an entry allows)")
    proxy.add_argument("--dev", action="store_true",
                       help="the built-in development policy: package registries on ports 80 and 443, plus --allow")
    proxy.add_argument("--listen", type=int, default=0, metavar="PORT", help="the port on 127.0.0.1 (default: free)")
    proxy.add_argument("--relay", choices=["native", "python"], help="the byte relay (default: native where built)")
    proxy.set_defaults(func=cmd_proxy)
