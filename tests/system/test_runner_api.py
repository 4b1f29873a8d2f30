"""Sandbox.run, popen, wrap_command and LandlockSandbox behave as documented (the escape
suite beside this file shows what they stop)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import (
    CommandNotFoundError,
    Config,
    Limits,
    Mode,
    PolicyError,
    Result,
    Sandbox,
    SandboxConfig,
    UnsupportedError,
    wrap_command,
)

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def box(ws: Path):
    with Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws))) as sandbox:
        yield sandbox


def test_result_carries_output_status_and_the_layers_in_force(box: Sandbox) -> None:
    result = box.run("echo out; echo err >&2; exit 3")
    assert isinstance(result, Result)
    assert (result.returncode, result.stdout, result.stderr, result.timed_out) == (3, "out\n", "err\n", False)
    assert result.backend == "landlock"
    assert {"landlock-fs", "seccomp", "no-new-privs", "network-off"} <= set(result.enforced)
    assert result.duration > 0


def test_text_false_gives_bytes(box: Sandbox) -> None:
    assert box.run(["printf", "\\377"], text=False).stdout == b"\xff"


def test_input_reaches_stdin_and_stdin_is_devnull_otherwise(box: Sandbox) -> None:
    assert box.run(["cat"], input="hello").stdout == "hello"
    big = "x" * 1_000_000
    assert box.run(["wc", "-c"], input=big).stdout.strip() == "1000000"
    assert box.run(["cat"]).stdout == ""


def test_cwd_runs_elsewhere_inside_the_workspace(box: Sandbox, ws: Path) -> None:
    (ws / "sub").mkdir()
    assert box.run(["pwd"], cwd=ws / "sub").stdout.strip() == str(ws / "sub")


def test_timeout_kills_the_whole_process_group(box: Sandbox) -> None:
    start = time.monotonic()
    result = box.run("sleep 30 & sleep 30; echo never", timeout=0.5)
    assert result.timed_out and result.returncode == -signal.SIGKILL
    assert time.monotonic() - start < 10
    assert "never" not in result.stdout


def test_wall_time_limit_is_the_default_timeout(ws: Path) -> None:
    with Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws), limits=Limits(wall_time=0.5))) as sandbox:
        assert sandbox.run(["sleep", "30"]).timed_out


def test_missing_program_raises_command_not_found(box: Sandbox) -> None:
    with pytest.raises(CommandNotFoundError):
        box.run(["no-such-program-anywhere"])


def test_shell_reports_missing_program_as_127(box: Sandbox) -> None:
    assert box.run("no-such-program-anywhere").returncode == 127


@pytest.mark.parametrize("command", ["", "   ", [], ["ok", 3], ["a\0b"]])
def test_invalid_command_raises_policy_error(box: Sandbox, command: object) -> None:
    with pytest.raises(PolicyError):
        box.run(command)  # type: ignore[arg-type]


def test_closed_sandbox_refuses_to_run(ws: Path) -> None:
    sandbox = Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws)))
    sandbox.close()
    sandbox.close()
    with pytest.raises(PolicyError):
        sandbox.run(["true"])


def test_close_removes_the_private_temp_dir(ws: Path) -> None:
    with Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws))) as sandbox:
        tmpdir = sandbox.run("echo $TMPDIR").stdout.strip()
        assert os.path.isdir(tmpdir)
    assert not os.path.exists(tmpdir) and not os.path.exists(os.path.dirname(tmpdir))


def test_private_temp_dir_persists_across_runs(box: Sandbox) -> None:
    box.run('echo kept > "$TMPDIR/f"')
    assert box.run('cat "$TMPDIR/f"').stdout == "kept\n"


@pytest.mark.parametrize(
    "cfg",
    [
        {"read_only_paths": ("/definitely/not/here",)},
        {"writable_paths": ("/definitely/not/here",)},
        {"workspace_dir": "/definitely/not/here"},
    ],
)
def test_nonexistent_path_in_a_rule_raises_before_anything_runs(ws: Path, cfg: dict[str, object]) -> None:
    kwargs: dict[str, object] = {"workspace_dir": str(ws), **cfg}
    with pytest.raises(PolicyError):
        Sandbox(SandboxConfig(**kwargs))  # type: ignore[arg-type]


def test_unknown_backend_is_unsupported(ws: Path) -> None:
    with pytest.raises(UnsupportedError):
        Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws), backend="docker"))


def test_config_is_converted(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ws)
    with Sandbox(Config(allow_write=False)) as sandbox:
        assert sandbox.config.mode is Mode.STRICT
        assert sandbox.run("touch here").returncode != 0


def test_mode_off_runs_unconfined(ws: Path) -> None:
    with Sandbox(SandboxConfig(Mode.OFF, str(ws))) as sandbox:
        result = sandbox.run("echo $$ > /dev/null; cat /proc/self/status | grep ^Seccomp:")
    assert result.backend == "none" and result.enforced == ()
    assert result.stdout.split() == ["Seccomp:", "0"]


def test_popen_streams_and_is_confined(box: Sandbox, ws: Path) -> None:
    proc = box.popen(["sh", "-c", "echo one; touch /etc/popen-escape; echo two"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=30)
    assert out == "one\ntwo\n" and "/etc/popen-escape" in err
    assert not os.path.exists("/etc/popen-escape")


@pytest.mark.parametrize("kwarg", ["env", "preexec_fn", "shell", "pass_fds", "start_new_session", "executable"])
def test_popen_refuses_arguments_that_weaken_the_sandbox(box: Sandbox, kwarg: str) -> None:
    with pytest.raises(PolicyError):
        box.popen(["true"], **{kwarg: None})


def test_wrap_command_gives_the_same_confinement_to_any_caller(ws: Path, tmp_path: Path) -> None:
    exe, args = wrap_command(["sh", "-c", "echo inside > ok.txt; cat /etc/shadow; env"],
                             SandboxConfig(Mode.WORKSPACE, str(ws)))
    # Executed the way any language would: execve of a path and its arguments.
    done = subprocess.run([exe, *args], capture_output=True, text=True,
                          env={**os.environ, "AWS_SECRET_ACCESS_KEY": "leak"})
    assert (ws / "ok.txt").read_text() == "inside\n"
    assert "Permission denied" in done.stderr
    assert "AWS_SECRET_ACCESS_KEY" not in done.stdout


def test_wrap_command_in_mode_off_returns_the_command(ws: Path) -> None:
    exe, args = wrap_command(["echo", "hi"], SandboxConfig(Mode.OFF, str(ws)))
    assert os.path.basename(exe) == "echo" and args == ["hi"]


def test_landlock_sandbox_confines_the_calling_process(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    code = (
        "import sys; from sandbox import LandlockSandbox;"
        f"s = LandlockSandbox({str(ws)!r}); s.apply();"
        f"open({str(ws / 'in.txt')!r}, 'w').write('x');"
        f"open({str(outside)!r}).read()"
    )
    # In a child: the pytest process must never be confined.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ws)
    assert (ws / "in.txt").read_text() == "x"
    assert "PermissionError" in done.stderr


def test_landlock_sandbox_refuses_a_process_with_other_threads(ws: Path) -> None:
    code = (
        "import threading, time; from sandbox import LandlockSandbox, LandlockError;"
        "threading.Thread(target=time.sleep, args=(5,), daemon=True).start();"
        "s = LandlockSandbox('.')\n"
        "try:\n    s.apply()\nexcept LandlockError as e:\n    print('refused', e.errno)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ws)
    assert done.stdout.startswith("refused"), done.stderr


def test_landlock_sandbox_rejects_relative_and_missing_paths(ws: Path) -> None:
    from sandbox import LandlockSandbox

    sandbox = LandlockSandbox(ws)
    with pytest.raises(PolicyError):
        sandbox.add_read_only_path("relative/path")
    with pytest.raises(PolicyError):
        sandbox.add_read_write_path(ws / "absent")


@pytest.mark.bwrap
def test_bwrap_backend_runs_confined(ws: Path) -> None:
    with Sandbox(SandboxConfig(Mode.WORKSPACE, str(ws), backend="bwrap")) as sandbox:
        result = sandbox.run("echo ok > f && cat f; cat /etc/shadow; touch /etc/x")
    assert result.backend == "bwrap"
    assert result.stdout == "ok\n"
    assert "/etc/shadow: Permission denied" in result.stderr and "/etc/x" in result.stderr
    assert not os.path.exists("/etc/x")
