"""sandbox: run the commands an AI agent writes without trusting them.

This module is the table of contents. Names load on first use (PEP 562), because agents
import the package on every start and most of them use a fraction of it: ``import sandbox``
costs well under a millisecond, and ``from sandbox import X`` loads only X's module.
"""

from __future__ import annotations

from sandbox._version import __version__

# Not typing.TYPE_CHECKING: importing typing alone costs more than the rest of this module.
# mypy is told to treat this name as true (always_true in pyproject.toml).
TYPE_CHECKING = False

# name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # §1 capabilities of the host
    "available": "sandbox.host",
    "is_available": "sandbox.host",
    "landlock_available": "sandbox.host",
    "landlock_abi": "sandbox.host",
    "seccomp_available": "sandbox.host",
    "docker_available": "sandbox.host",
    "gvisor_available": "sandbox.host",
    "gvisor_docker_args": "sandbox.host",
    "seatbelt_available": "sandbox.host",
    "probe": "sandbox.host",
    "select_sandbox": "sandbox.host",
    "Backend": "sandbox.host",
    "Capability": "sandbox.host",
    "HostSupport": "sandbox.host",
    "SandboxSelection": "sandbox.host",
    # §2 configuration and modes
    "Config": "sandbox.policy",
    "default_config": "sandbox.policy",
    "SandboxConfig": "sandbox.policy",
    "Limits": "sandbox.policy",
    "Mode": "sandbox.policy",
    "parse_mode": "sandbox.policy",
    "use_mode": "sandbox.policy",
    "current_mode": "sandbox.policy",
    "IsolationLevel": "sandbox.policy",
    # §3 running commands confined
    "Sandbox": "sandbox.runner",
    "Result": "sandbox.runner",
    "wrap_command": "sandbox.runner",
    "LandlockSandbox": "sandbox.confine.landlock",
    "default_seccomp_profile": "sandbox.confine.seccomp",
    "apply_seccomp": "sandbox.confine.seccomp",
    # §3 Seatbelt
    "SeatbeltPolicy": "sandbox.confine.seatbelt",
    "default_seatbelt_policy": "sandbox.confine.seatbelt",
    "generate_seatbelt_profile": "sandbox.confine.seatbelt",
    "run_seatbelted": "sandbox.confine.seatbelt",
    # §4 network egress
    "ProxyConfig": "sandbox.net.config",
    "default_development_config": "sandbox.net.config",
    "ProxyLogEntry": "sandbox.net.config",
    "ProxyStats": "sandbox.net.config",
    "NetworkProxy": "sandbox.net.proxy",
    # §5 inspection
    "ThreatLevel": "sandbox.inspectors.findings",
    "Finding": "sandbox.inspectors.findings",
    "InspectionResult": "sandbox.inspectors.findings",
    "AdversaryInspector": "sandbox.inspectors.adversary",
    "EgressInspector": "sandbox.inspectors.egress",
    "CodeVerifier": "sandbox.inspectors.code_verifier",
    "VerificationResult": "sandbox.inspectors.code_verifier",
    "Violation": "sandbox.inspectors.code_verifier",
    "format_result": "sandbox.inspectors.code_verifier",
    # §6 containers and development environments
    "CONTAINER_IMAGE_TAG": "sandbox.containers.container",
    "ContainerSandbox": "sandbox.containers.container",
    "ExecResult": "sandbox.containers.execution",
    "ExecOutput": "sandbox.containers.execution",
    "ExecExit": "sandbox.containers.execution",
    "DevEnvManager": "sandbox.containers.devenv",
    "CachedImage": "sandbox.containers.devenv",
    "SwapRequest": "sandbox.containers.devenv",
    # §7 sandbox state
    "SandboxManager": "sandbox.state.manager",
    "SandboxState": "sandbox.state.manager",
    # §8 errors
    "SandboxError": "sandbox.errors",
    "PolicyError": "sandbox.errors",
    "UnsupportedError": "sandbox.errors",
    "ConfinementError": "sandbox.errors",
    "LandlockError": "sandbox.errors",
    "SeccompError": "sandbox.errors",
    "CommandTimeoutError": "sandbox.errors",
    "ProxyError": "sandbox.errors",
    "ContainerError": "sandbox.errors",
    "SnapshotError": "sandbox.errors",
    "Reason": "sandbox.errors",
    "CommandNotFoundError": "sandbox.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from typing import Any

    from sandbox.confine.landlock import LandlockSandbox
    from sandbox.confine.seatbelt import (
        SeatbeltPolicy,
        default_seatbelt_policy,
        generate_seatbelt_profile,
        run_seatbelted,
    )
    from sandbox.confine.seccomp import apply_seccomp, default_seccomp_profile
    from sandbox.containers.container import CONTAINER_IMAGE_TAG, ContainerSandbox
    from sandbox.containers.devenv import CachedImage, DevEnvManager, SwapRequest
    from sandbox.containers.execution import ExecExit, ExecOutput, ExecResult
    from sandbox.errors import (
        CommandNotFoundError,
        CommandTimeoutError,
        ConfinementError,
        ContainerError,
        LandlockError,
        PolicyError,
        ProxyError,
        Reason,
        SandboxError,
        SeccompError,
        SnapshotError,
        UnsupportedError,
    )
    from sandbox.host import (
        Backend,
        Capability,
        HostSupport,
        SandboxSelection,
        available,
        docker_available,
        gvisor_available,
        gvisor_docker_args,
        is_available,
        landlock_abi,
        landlock_available,
        probe,
        seatbelt_available,
        seccomp_available,
        select_sandbox,
    )
    from sandbox.inspectors.adversary import AdversaryInspector
    from sandbox.inspectors.code_verifier import CodeVerifier, VerificationResult, Violation, format_result
    from sandbox.inspectors.egress import EgressInspector
    from sandbox.inspectors.findings import Finding, InspectionResult, ThreatLevel
    from sandbox.net.config import ProxyConfig, ProxyLogEntry, ProxyStats, default_development_config
    from sandbox.net.proxy import NetworkProxy
    from sandbox.policy import (
        Config,
        IsolationLevel,
        Limits,
        Mode,
        SandboxConfig,
        current_mode,
        default_config,
        parse_mode,
        use_mode,
    )
    from sandbox.runner import Result, Sandbox, wrap_command
    from sandbox.state.manager import SandboxManager, SandboxState
