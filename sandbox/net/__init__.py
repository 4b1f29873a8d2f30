"""Egress: which hosts a sandbox may reach (pure policy), the asyncio proxy that enforces
it, and the relay that carries its tunnels (C where built, a Python twin elsewhere)."""
