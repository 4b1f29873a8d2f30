"""The cost of confinement, as ratios within one run.

- Sandbox.run(["true"]) against subprocess.run(["true"]) (target: at most 1.3x), and against
  subprocess.run(["true"], capture_output=True), which does the same pipe work Sandbox.run does;
- the wrap_command launcher against a bare exec of the same program;
- bubblewrap with the flags a typical agent sandbox uses, against Sandbox.run (target: Sandbox.run
  at least 4x faster).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import compare, interleave, record

from sandbox import Mode, Sandbox, SandboxConfig, wrap_command

compare("Sandbox.run(['true']) / subprocess.run(['true'])", "sandbox_run", "subprocess_run")
compare("Sandbox.run(['true']) / subprocess.run(['true'], capture_output=True)", "sandbox_run", "subprocess_capture")
compare("wrap_command launcher / bare exec", "launcher", "subprocess_run")
compare("bwrap (typical agent flags) / Sandbox.run(['true'])", "bwrap", "sandbox_run")

TRUE = shutil.which("true") or "/bin/true"
ROUNDS = 400


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def box(workspace: str):
    with Sandbox(SandboxConfig(Mode.WORKSPACE, workspace)) as sandbox:
        yield sandbox


@pytest.mark.benchmark(group="spawn")
def test_subprocess_run(benchmark) -> None:
    benchmark.pedantic(subprocess.run, args=([TRUE],), rounds=ROUNDS, warmup_rounds=20)
    record("subprocess_run", benchmark)


@pytest.mark.benchmark(group="spawn")
def test_subprocess_run_capture(benchmark) -> None:
    benchmark.pedantic(lambda: subprocess.run([TRUE], capture_output=True), rounds=ROUNDS, warmup_rounds=20)
    record("subprocess_capture", benchmark)


@pytest.mark.benchmark(group="spawn")
def test_sandbox_run(benchmark, box: Sandbox) -> None:
    result = box.run([TRUE])
    assert result.returncode == 0 and "seccomp" in result.enforced
    benchmark.pedantic(box.run, args=([TRUE],), rounds=ROUNDS, warmup_rounds=20)
    record("sandbox_run", benchmark)


@pytest.mark.benchmark(group="spawn")
def test_wrap_command_launcher(benchmark, workspace: str) -> None:
    exe, args = wrap_command([TRUE], SandboxConfig(Mode.WORKSPACE, workspace))
    assert subprocess.run([exe, *args]).returncode == 0
    benchmark.pedantic(subprocess.run, args=([exe, *args],), rounds=ROUNDS // 2, warmup_rounds=10)
    record("launcher", benchmark)


@pytest.mark.benchmark(group="spawn")
@pytest.mark.bwrap
def test_bwrap_typical(benchmark, workspace: str) -> None:
    argv = [
        "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        "--bind", workspace, workspace, "--unshare-all", "--die-with-parent", "--new-session",
        "--chdir", workspace, "--", TRUE,
    ]
    assert subprocess.run(argv).returncode == 0
    benchmark.pedantic(subprocess.run, args=(argv,), rounds=ROUNDS // 2, warmup_rounds=10)
    record("bwrap", benchmark)


@pytest.mark.benchmark(group="spawn")
def test_sandbox_run_interleaved_with_subprocess_run(benchmark, box: Sandbox) -> None:
    """The same ratio as above with the two calls alternating, so drift hits both alike."""
    sandboxed, plain = interleave(
        "Sandbox.run(['true']) / subprocess.run(['true'])",
        lambda: box.run([TRUE]), lambda: subprocess.run([TRUE]), ROUNDS * 2,
    )
    captured, plain_capture = interleave(
        "Sandbox.run(['true']) / subprocess.run(['true'], capture_output=True)",
        lambda: box.run([TRUE]), lambda: subprocess.run([TRUE], capture_output=True), ROUNDS * 2,
    )
    benchmark.extra_info["ratio"] = sandboxed / plain
    benchmark.extra_info["ratio_capture"] = captured / plain_capture
    benchmark.pedantic(box.run, args=([TRUE],), rounds=20)
