"""`sandbox run`: exit status, timeout, and the hint for a refused path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

SANDBOX = str(Path(sys.executable).with_name("sandbox"))


def sandbox_run(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SANDBOX, "run", *args], capture_output=True, text=True, cwd=ws, timeout=60)


def test_exit_status_is_the_commands(tmp_path: Path) -> None:
    assert sandbox_run(tmp_path, "--", "sh", "-c", "exit 7").returncode == 7


def test_refused_path_gets_a_hint_naming_the_flag(tmp_path: Path) -> None:
    # Outside the directories the sandbox covers (/tmp among them), so that Landlock refuses it.
    outside = Path(tempfile.mkdtemp(prefix=".sbx-cli-test-", dir=os.path.expanduser("~")))
    try:
        done = sandbox_run(tmp_path, "--", "sh", "-c", f"echo x > {outside}/f")
        assert done.returncode != 0
        # Covered (the home is) or refused (by Landlock): either way the hint names the flag.
        assert "Hint: " in done.stderr and f"--rw {outside}" in done.stderr
        done = sandbox_run(tmp_path, "--rw", str(outside), "--", "sh", "-c", f"echo x > {outside}/f")
        assert done.returncode == 0 and (outside / "f").read_text() == "x\n"
    finally:
        shutil.rmtree(outside)


def test_timeout_exits_124(tmp_path: Path) -> None:
    done = sandbox_run(tmp_path, "--timeout", "0.5", "--", "sleep", "30")
    assert done.returncode == 124 and "timeout" in done.stderr


def test_strict_mode_refuses_workspace_writes(tmp_path: Path) -> None:
    assert sandbox_run(tmp_path, "--mode", "strict", "--", "touch", "f").returncode != 0
    assert not (tmp_path / "f").exists()


def test_network_socket_refusal_hints_at_allow_network(tmp_path: Path) -> None:
    # The base interpreter: a venv under /tmp is covered inside the sandbox.
    python = os.path.realpath(sys.executable)
    done = sandbox_run(tmp_path, "--", python, "-c", "import socket; socket.socket(socket.AF_INET)")
    assert done.returncode != 0 and "--allow-network" in done.stderr


def test_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    assert sandbox_run(tmp_path).returncode == 2


@pytest.mark.userns
def test_allow_domain_reaches_that_host_through_the_proxy_and_nothing_else(tmp_path: Path) -> None:
    from helpers.servers import http_answer, port_of, serve

    listener = serve("127.0.0.2", http_answer(b"ok\n"))
    port = port_of(listener)
    try:
        fetch = (f"curl -sS -m 5 http://127.0.0.2:{port}/ && "
                 "curl -sS -m 5 -o /dev/null -w '%{http_code}' http://other.example/")
        done = sandbox_run(tmp_path, "--allow-domain", f"127.0.0.2:{port}", "--", "sh", "-c", fetch)
        assert (done.returncode, done.stdout) == (0, "ok\n403"), done.stderr
    finally:
        listener.close()
