"""The public surface of API.md is importable from `sandbox`, and `import sandbox` stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sandbox

SECTION_1 = [
    "available", "is_available", "landlock_available", "landlock_abi", "seccomp_available",
    "docker_available", "gvisor_available", "gvisor_docker_args", "seatbelt_available", "probe",
    "select_sandbox",
]
SECTION_2 = [
    "Config", "default_config", "SandboxConfig", "Mode", "parse_mode", "use_mode", "current_mode",
    "IsolationLevel",
]
SECTION_3 = [
    "Sandbox", "Result", "wrap_command", "LandlockSandbox", "default_seccomp_profile", "apply_seccomp",
    "SeatbeltPolicy", "default_seatbelt_policy", "generate_seatbelt_profile", "run_seatbelted",
]
SECTION_4 = ["ProxyConfig", "default_development_config", "NetworkProxy", "ProxyLogEntry", "ProxyStats"]
SECTION_5 = ["ThreatLevel", "Finding", "InspectionResult", "AdversaryInspector", "EgressInspector"]
SECTION_6 = [
    "CONTAINER_IMAGE_TAG", "ContainerSandbox", "DevEnvManager", "CachedImage", "SwapRequest",
    "ExecResult", "ExecOutput", "ExecExit",
]
SECTION_8 = [
    "SandboxError", "PolicyError", "UnsupportedError", "ConfinementError", "LandlockError",
    "SeccompError", "CommandTimeoutError", "ProxyError", "ContainerError", "SnapshotError", "Reason",
]


@pytest.mark.parametrize("name", SECTION_1 + SECTION_2 + SECTION_3 + SECTION_4 + SECTION_5 + SECTION_6 + SECTION_8)
def test_documented_name_imports_from_the_top_level(name: str) -> None:
    assert getattr(sandbox, name) is not None
    assert name in sandbox.__all__


def test_every_exported_name_resolves() -> None:
    for name in sandbox.__all__:
        getattr(sandbox, name)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        sandbox.NoSuchThing  # noqa: B018


def test_import_sandbox_loads_nothing_heavy() -> None:
    code = "import sys, json, sandbox; print(json.dumps(sorted(sys.modules)))"
    # cwd: not the checkout, so that the installed package is the one imported.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/").stdout
    loaded = set(json.loads(out))
    heavy = {"docker", "asyncio", "typing", "dataclasses", "subprocess", "socket", "ssl", "sandbox.host"}
    assert not (heavy & loaded), heavy & loaded
