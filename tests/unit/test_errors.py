"""The exception hierarchy of API.md §8 and the Reason enum."""

from __future__ import annotations

import pytest

import sandbox
from sandbox.errors import (
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


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (PolicyError, (SandboxError, ValueError)),
        (UnsupportedError, (SandboxError,)),
        (ConfinementError, (SandboxError, OSError)),
        (LandlockError, (ConfinementError, OSError)),
        (SeccompError, (ConfinementError, OSError)),
        (CommandTimeoutError, (SandboxError, TimeoutError)),
        (ProxyError, (SandboxError,)),
        (ContainerError, (SandboxError,)),
        (SnapshotError, (SandboxError,)),
    ],
)
def test_error_derives_from_documented_bases(error: type, bases: tuple[type, ...]) -> None:
    for base in bases:
        assert issubclass(error, base)


def test_every_reason_has_a_message_and_a_hint() -> None:
    for reason in Reason:
        assert reason.message and reason.hint, reason
        assert reason.value == str(reason)


def test_reason_codes_are_unique() -> None:
    assert len({r.value for r in Reason}) == len(list(Reason))


def test_reasons_cover_the_documented_causes() -> None:
    expected = {
        "LANDLOCK_MISSING", "LANDLOCK_DISABLED", "LANDLOCK_ABI_TOO_OLD", "SECCOMP_MISSING",
        "USERNS_BLOCKED", "NOT_ROOT", "NATIVE_MISSING", "DOCKER_SDK_MISSING",
        "DOCKER_UNREACHABLE", "GVISOR_MISSING", "NOT_MACOS", "NOT_LINUX", "BWRAP_MISSING",
    }
    assert expected <= {r.name for r in Reason}


def test_unsupported_error_carries_reason_and_hint() -> None:
    exc = UnsupportedError(Reason.USERNS_BLOCKED, "unshare")
    assert exc.reason is Reason.USERNS_BLOCKED
    assert exc.hint == Reason.USERNS_BLOCKED.hint
    assert "(Hint: " in str(exc)


def test_unsupported_error_takes_a_more_precise_hint() -> None:
    exc = UnsupportedError(Reason.DOCKER_UNREACHABLE, hint="start it")
    assert exc.hint == "start it"


def test_confinement_error_keeps_errno() -> None:
    exc = LandlockError(1, "landlock_restrict_self refused")
    assert exc.errno == 1


def test_errors_are_reexported_at_top_level() -> None:
    assert sandbox.PolicyError is PolicyError
    assert sandbox.Reason is Reason
