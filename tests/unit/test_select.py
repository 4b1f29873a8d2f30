"""select_sandbox as a pure decision over HostSupport: exact outputs for many hosts."""

from __future__ import annotations

import dataclasses

import pytest

from sandbox import Backend, IsolationLevel, PolicyError, Reason, UnsupportedError, select_sandbox
from sandbox.host import Capability, HostSupport, decide

ALL = frozenset(Backend)
L, E, C, M, OFF = (
    IsolationLevel.DEFAULT, IsolationLevel.ENHANCED, IsolationLevel.CONTAINER,
    IsolationLevel.MAXIMUM, IsolationLevel.OFF,
)


def yes(name: str) -> Capability:
    return Capability(name, True)


def no(name: str, reason: Reason) -> Capability:
    return Capability(name, False, reason, reason.message)


def linux(**changes: object) -> HostSupport:
    """A Linux host with everything; `changes` takes things away."""
    host = HostSupport(
        system="linux", machine="x86_64", euid=1000, landlock_abi=7,
        native=yes("native"), native_modules=("_landlock", "_seccomp", "_spawn"),
        landlock=yes("landlock"), seccomp=yes("seccomp"), userns=yes("userns"),
        root=no("root", Reason.NOT_ROOT), bubblewrap=yes("bubblewrap"),
        docker_sdk=yes("docker-sdk"), docker=yes("docker"), gvisor=yes("gvisor"),
        seatbelt=no("seatbelt", Reason.NOT_MACOS), re2=yes("re2"),
    )
    return dataclasses.replace(host, **changes)  # type: ignore[arg-type]


def macos(**changes: object) -> HostSupport:
    host = linux(
        system="darwin", machine="arm64", landlock_abi=0, native=no("native", Reason.NOT_LINUX),
        native_modules=(), landlock=no("landlock", Reason.NOT_LINUX), seccomp=no("seccomp", Reason.NOT_LINUX),
        userns=no("userns", Reason.NOT_LINUX), bubblewrap=no("bubblewrap", Reason.NOT_LINUX),
        docker=no("docker", Reason.DOCKER_UNREACHABLE), gvisor=no("gvisor", Reason.DOCKER_UNREACHABLE),
        seatbelt=yes("seatbelt"),
    )
    return dataclasses.replace(host, **changes)  # type: ignore[arg-type]


NO_LANDLOCK = {"landlock_abi": 0, "landlock": no("landlock", Reason.LANDLOCK_MISSING)}
LANDLOCK_OFF = {"landlock_abi": 0, "landlock": no("landlock", Reason.LANDLOCK_DISABLED)}
NO_USERNS = {"userns": no("userns", Reason.USERNS_BLOCKED), "bubblewrap": no("bubblewrap", Reason.BWRAP_UNUSABLE)}
NO_DOCKER = {"docker": no("docker", Reason.DOCKER_UNREACHABLE), "gvisor": no("gvisor", Reason.DOCKER_UNREACHABLE)}
NO_GVISOR = {"gvisor": no("gvisor", Reason.GVISOR_MISSING)}
NO_SECCOMP = {"seccomp": no("seccomp", Reason.SECCOMP_MISSING)}
NO_NATIVE = {"native": no("native", Reason.NATIVE_MISSING), "native_modules": ()}
NO_BWRAP = {"bubblewrap": no("bubblewrap", Reason.BWRAP_MISSING)}
NO_SDK = {"docker_sdk": no("docker-sdk", Reason.DOCKER_SDK_MISSING)}

# (host, level) -> the backend, or the Reason of the UnsupportedError
CASES = [
    (linux(), L, Backend.LANDLOCK),
    (linux(), E, Backend.BWRAP),
    (linux(), C, Backend.DOCKER),
    (linux(), M, Backend.GVISOR),
    (linux(), OFF, Backend.NONE),
    *[(linux(landlock_abi=abi), L, Backend.LANDLOCK) for abi in range(1, 8)],
    (linux(**NO_LANDLOCK), L, Backend.BWRAP),
    (linux(**LANDLOCK_OFF), L, Backend.BWRAP),
    (linux(**NO_LANDLOCK), E, Backend.BWRAP),
    (linux(**NO_USERNS), L, Backend.LANDLOCK),
    (linux(**NO_USERNS), E, Backend.DOCKER),
    (linux(**NO_USERNS, **NO_DOCKER), E, Reason.BWRAP_UNUSABLE),
    (linux(**NO_BWRAP), E, Backend.LANDLOCK),
    (linux(**{**NO_USERNS, **NO_BWRAP}), E, Backend.DOCKER),
    (linux(**NO_LANDLOCK, **NO_USERNS), L, Backend.DOCKER),
    (linux(**NO_LANDLOCK, **NO_USERNS, **NO_DOCKER), L, Reason.LANDLOCK_MISSING),
    (linux(**LANDLOCK_OFF, **NO_USERNS, **NO_DOCKER), L, Reason.LANDLOCK_DISABLED),
    (linux(**NO_SECCOMP, **NO_DOCKER), L, Reason.SECCOMP_MISSING),
    (linux(**NO_NATIVE, **NO_DOCKER), L, Reason.NATIVE_MISSING),
    (linux(**NO_NATIVE), L, Backend.DOCKER),
    (linux(**NO_DOCKER), C, Reason.DOCKER_UNREACHABLE),
    (linux(**NO_DOCKER), M, Reason.DOCKER_UNREACHABLE),
    (linux(**NO_DOCKER), L, Backend.LANDLOCK),
    (linux(**NO_GVISOR), M, Reason.GVISOR_MISSING),
    (linux(**NO_GVISOR), C, Backend.DOCKER),
    (linux(**NO_SDK), C, Reason.DOCKER_SDK_MISSING),
    (linux(**NO_LANDLOCK, **NO_SECCOMP, **NO_NATIVE, **NO_DOCKER), OFF, Backend.NONE),
    (macos(), L, Backend.SEATBELT),
    (macos(), E, Reason.NOT_LINUX),
    (macos(), C, Reason.DOCKER_UNREACHABLE),
    (macos(docker=yes("docker")), C, Backend.DOCKER),
    (macos(docker=yes("docker")), E, Backend.DOCKER),
    (macos(seatbelt=no("seatbelt", Reason.SEATBELT_MISSING)), L, Reason.NOT_LINUX),
    (macos(), OFF, Backend.NONE),
]


@pytest.mark.parametrize(("host", "level", "expected"), CASES)
def test_decision(host: HostSupport, level: IsolationLevel, expected: Backend | Reason) -> None:
    if isinstance(expected, Backend):
        assert decide(level, host, ALL).backend is expected
    else:
        with pytest.raises(UnsupportedError) as info:
            decide(level, host, ALL)
        assert info.value.reason is expected


def test_decision_never_picks_a_backend_run_cannot_drive() -> None:
    sel = decide(L, linux(), frozenset({Backend.BWRAP, Backend.NONE}))
    assert sel.backend is Backend.BWRAP


def test_decision_refuses_when_only_undrivable_backends_work() -> None:
    with pytest.raises(UnsupportedError) as info:
        decide(C, linux(), frozenset({Backend.LANDLOCK}))
    assert info.value.reason is Reason.BACKEND_UNAVAILABLE


def test_decision_explains_the_choice() -> None:
    assert decide(L, linux(), ALL).reason == "Landlock ABI 7 with seccomp and user namespaces"
    assert decide(E, linux(), ALL).reason == "bubblewrap namespaces with Landlock ABI 7 and seccomp inside"
    assert decide(L, linux(**NO_LANDLOCK, **NO_USERNS), ALL).reason == (
        "hardened Docker container (no local backend works here)"
    )


def test_refusal_lists_every_backend_tried() -> None:
    with pytest.raises(UnsupportedError) as info:
        decide(L, linux(**NO_LANDLOCK, **NO_USERNS, **NO_DOCKER), ALL)
    for name in ("landlock", "bwrap", "seatbelt", "docker"):
        assert f"{name}: " in str(info.value)


def test_unknown_level_raises_policy_error() -> None:
    with pytest.raises(PolicyError):
        decide("paranoid", linux(), ALL)


def test_select_sandbox_requires_an_existing_project_dir(tmp_path) -> None:
    with pytest.raises(PolicyError):
        select_sandbox(L, tmp_path / "absent", host=linux())


def test_select_sandbox_off_needs_nothing(tmp_path) -> None:
    host = linux(**NO_LANDLOCK, **NO_SECCOMP, **NO_NATIVE, **NO_DOCKER, **NO_USERNS)
    assert select_sandbox("off", tmp_path, host=host).backend is Backend.NONE
