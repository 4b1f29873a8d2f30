"""`sandbox container build|run|exec|stop` through the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

SANDBOX = str(Path(sys.executable).with_name("sandbox"))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SANDBOX, "container", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_build_run_exec_stop(tmp_path: Path, project: Path, busybox_image: str, docker_label: str) -> None:
    # A label of this run's own: an image left by an interrupted earlier run (same content, same
    # tag) would make the build a cache hit with no build output to check.
    nonce = uuid.uuid4().hex
    (project / "Dockerfile").write_text(
        f"FROM {busybox_image}\nLABEL {docker_label}=1 {docker_label}.run={nonce}\nRUN echo built > /built\n"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    built = cli("build", "-C", str(project), env=env)
    assert built.returncode == 0, built.stderr
    tag = built.stdout.strip()
    assert tag.startswith("sandbox-devenv-project:") and "Step 1/" in built.stderr
    try:
        # run uses the project's built image, starts the long-lived container, runs a first command.
        ran = cli("run", "-C", str(project), "--", "cat", "/built", env=env)
        assert (ran.returncode, ran.stdout) == (0, "built\n"), ran.stderr
        again = cli("run", "-C", str(project), env=env)
        assert again.returncode == 2 and "already runs" in again.stderr
        done = cli("exec", "-C", str(project), "--", "echo out; echo err >&2; touch made; exit 4")
        assert (done.returncode, done.stdout, done.stderr) == (4, "out\n", "err\n")
        assert (project / "made").exists()
        slow = cli("exec", "-C", str(project), "--timeout", "1", "--", "sleep", "60")
        assert slow.returncode == 124 and "timed out" in slow.stderr
    finally:
        stopped = cli("stop", "-C", str(project))
    assert stopped.returncode == 0 and "1 container(s)" in stopped.stderr
    gone = cli("exec", "-C", str(project), "--", "true")
    assert gone.returncode == 2 and "no container runs" in gone.stderr


def test_build_failure_exits_2_with_the_reason(tmp_path: Path, project: Path) -> None:
    (project / "Dockerfile").write_text("FROM scratch\nBOGUS instruction\n")
    done = cli("build", "-C", str(project), env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 2 and "build of" in done.stderr and "failed" in done.stderr
