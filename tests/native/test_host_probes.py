"""The native probes answer what the kernel says, and never confine the caller."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import landlock_abi, landlock_available, probe, seccomp_available

pytestmark = [pytest.mark.linux, pytest.mark.native]


def _status() -> dict[str, str]:
    pairs = (line.partition(":") for line in Path("/proc/self/status").read_text().splitlines())
    return {k: v.strip() for k, _, v in pairs if k in ("NoNewPrivs", "Seccomp", "Seccomp_filters")}


@pytest.mark.landlock
def test_landlock_abi_is_what_the_kernel_answers() -> None:
    # An independent path to the same question: the raw syscall through libc.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    kernel = libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    assert kernel >= 1
    assert landlock_abi() == kernel
    assert landlock_available() is True
    assert probe().landlock.detail == f"ABI {kernel}"


@pytest.mark.seccomp
def test_seccomp_is_available_when_the_kernel_offers_errno_filters() -> None:
    actions = Path("/proc/sys/kernel/seccomp/actions_avail").read_text().split()
    assert "errno" in actions
    assert seccomp_available() is True


def test_probing_does_not_confine_the_caller() -> None:
    before = _status()
    host = probe()
    assert host.native.available
    assert _status() == before


def test_userns_probe_agrees_with_unshare_command() -> None:
    command = subprocess.run(["unshare", "--user", "true"], capture_output=True, check=False)
    assert probe().userns.available is (command.returncode == 0)


@pytest.mark.bwrap
@pytest.mark.userns
def test_userns_probe_reports_a_blocked_host(tmp_path: Path) -> None:
    # bwrap --disable-userns leaves the child at the nesting limit, so unshare(CLONE_NEWUSER)
    # fails there as it does on a host that blocks user namespaces.
    code = "from sandbox import probe; c = probe().userns; print(c.available, c.reason)"
    done = subprocess.run(
        ["bwrap", "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", sys.executable, "-c", code],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    assert done.stdout.split() == ["False", "userns_blocked"]
    assert probe().userns.available is True


def test_native_modules_are_all_built() -> None:
    host = probe()
    assert host.native_modules == ("_ahocorasick", "_landlock", "_relay", "_seccomp", "_spawn", "_treescan")
