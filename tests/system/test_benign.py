"""What an agent does all day still works confined: builds, package installs, git, archives.

Each test runs in a workspace under ``tmp_path`` (which lies in a directory the sandbox
covers, so the workspace is bound back into the command's view), with a fake, empty HOME
and the system PATH, and no network.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import canary, plant, sandbox_path

from sandbox import Mode, Result, Sandbox, SandboxConfig

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]


@dataclass
class Workspace:
    ws: Path
    home: Path

    def run(self, command: str | list[str], *, mode: Mode = Mode.WORKSPACE, timeout: float = 60) -> Result:
        with Sandbox(SandboxConfig(mode, str(self.ws))) as sb:
            return sb.run(command, timeout=timeout)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    ws, home = tmp_path / "workspace", tmp_path / "home"
    ws.mkdir()
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", sandbox_path(os.environ.get("PATH", os.defpath)))
    yield Workspace(ws, home)


@dataclass(frozen=True)
class Done:
    stdout: str
    stderr: str


def ok(result: Result) -> Done:
    """The output of a run that must have succeeded (text mode: str)."""
    out, err = str(result.stdout), str(result.stderr)
    assert result.returncode == 0, f"rc={result.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    return Done(out, err)


def test_c_program_compiles_and_runs(work: Workspace) -> None:
    (work.ws / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hello from C"); return 0; }\n')
    result = ok(work.run("cc -O2 -Wall -o hello hello.c && ./hello"))
    assert result.stdout == "hello from C\n"
    assert (work.ws / "hello").exists()


def _wheel(where: Path) -> Path:
    """pkg-0.1-py3-none-any.whl, written by hand: one module and its dist-info."""
    files = {
        "pkg/__init__.py": b"VALUE = 'installed from a local wheel'\n",
        "pkg-0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pkg\nVersion: 0.1\n",
        "pkg-0.1.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: handmade\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("pkg-0.1.dist-info/RECORD,,")
    files["pkg-0.1.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    path = where / "pkg-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in files.items():
            whl.writestr(name, data)
    return path


def test_venv_is_created_and_a_local_wheel_installed_without_network(work: Workspace) -> None:
    _wheel(work.ws)
    command = (
        "python3 -m venv venv"
        " && venv/bin/pip install -q --no-index --no-cache-dir --disable-pip-version-check ./pkg-0.1-py3-none-any.whl"
        " && venv/bin/python -c 'import pkg; print(pkg.VALUE)'"
    )
    result = ok(work.run(command, timeout=120))
    assert result.stdout.strip().endswith("installed from a local wheel")


def test_git_init_add_commit(work: Workspace) -> None:
    (work.ws / "README").write_text("a project\n")
    command = (
        "git init -q . && git add README"
        " && git -c user.name=Agent -c user.email=agent@example.com commit -qm 'first commit'"
        " && git log --format=%s && git status --porcelain"
    )
    result = ok(work.run(command))
    assert result.stdout == "first commit\n"


def test_make_builds_a_target(work: Workspace) -> None:
    (work.ws / "Makefile").write_text("out.txt: in.txt\n\ttr a-z A-Z < in.txt > out.txt\n")
    (work.ws / "in.txt").write_text("shout\n")
    ok(work.run("make -s"))
    assert (work.ws / "out.txt").read_text() == "SHOUT\n"


def test_tar_creates_and_extracts_an_archive(work: Workspace) -> None:
    (work.ws / "src").mkdir()
    (work.ws / "src" / "a.txt").write_text("alpha\n")
    command = "tar czf src.tgz src && mkdir out && tar xzf src.tgz -C out && cat out/src/a.txt"
    assert ok(work.run(command)).stdout == "alpha\n"


def test_pipes_and_dev_null(work: Workspace) -> None:
    command = "seq 1 1000 | sort -rn | head -n 3 | tr '\\n' ' '; echo discarded > /dev/null; cat /dev/null; echo"
    assert ok(work.run(command)).stdout == "1000 999 998 \n"


def test_python_threads_and_socketpair(work: Workspace) -> None:
    program = (
        "import socket, threading\n"
        "a, b = socket.socketpair()\n"
        "def echo():\n"
        "    b.sendall(b.recv(64).upper())\n"
        "threads = [threading.Thread(target=echo)]\n"
        "for t in threads: t.start()\n"
        "a.sendall(b'ping')\n"
        "print(a.recv(64).decode())\n"
        "for t in threads: t.join()\n"
        "import concurrent.futures as cf\n"
        "with cf.ThreadPoolExecutor(8) as pool: print(sum(pool.map(lambda x: x * x, range(100))))\n"
    )
    assert ok(work.run(["python3", "-c", program])).stdout == "PING\n328350\n"


def test_system_files_can_be_read(work: Workspace) -> None:
    result = ok(work.run("grep -c '^ID=' /etc/os-release && ls /usr/bin | grep -cx sh"))
    assert result.stdout == "1\n1\n"


def test_environment_holds_only_allowed_variables(work: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "AWS_SECRET_ACCESS_KEY": "aws-canary",
        "GITHUB_TOKEN": "gh-canary",
        "OPENAI_API_KEY": "openai-canary",
        "LC_SECRET_TOKEN": "lc-canary",  # matches the LC_* pattern, and still never passes
        "MY_UNLISTED_SETTING": "unlisted-canary",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = dict(line.split("=", 1) for line in ok(work.run("env")).stdout.splitlines() if "=" in line)
    for name, value in secrets.items():
        assert name not in env and value not in env.values(), name
    assert env["HOME"] == str(work.home)
    assert env["LANG"] == "C.UTF-8"
    assert env["PATH"] == os.environ["PATH"]
    assert "TMPDIR" in env


def test_tmpdir_is_writable_and_private(work: Workspace) -> None:
    command = (
        'f=$(mktemp) && echo scratch > "$f" && cat "$f" && echo "$f"'
        " && python3 -c 'import tempfile; print(tempfile.gettempdir())'"
    )
    lines = ok(work.run(command)).stdout.splitlines()
    assert lines[0] == "scratch"
    tmpdir = lines[2]
    assert lines[1].startswith(tmpdir + "/")
    assert not tmpdir.startswith(str(work.ws))


def test_strict_mode_reads_the_workspace_but_does_not_write_it(work: Workspace) -> None:
    (work.ws / "data.txt").write_text("readable\n")
    result = work.run('cat data.txt; echo x > new.txt; echo "rc=$?"; f=$(mktemp) && echo t > "$f" && cat "$f"',
                      mode=Mode.STRICT)
    assert result.stdout == "readable\nrc=2\nt\n"
    assert "new.txt: Permission denied" in result.stderr or "new.txt: Read-only file system" in result.stderr
    assert not (work.ws / "new.txt").exists()


def test_home_under_tmp_with_credentials_in_it_still_runs(tmp_path: Path, work: Workspace) -> None:
    # The deny list names files that exist in this home (~/.netrc, ~/.docker/config.json),
    # and the home lies in a covered directory: the sandbox must still start, and withhold them.
    netrc = plant(work.home / ".netrc", "~/.netrc")
    plant(work.home / ".docker" / "config.json", "~/.docker/config.json")
    result = ok(work.run(f"echo started; cat {netrc} 2>/dev/null; true"))
    assert result.stdout == "started\n"
    assert canary("~/.netrc") not in result.stdout


def test_program_later_on_path_runs_when_an_earlier_path_directory_is_unreadable(
    work: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_bin = work.home / "bin"
    user_bin.mkdir()
    wrapper = user_bin / "python3"
    wrapper.write_text("#!/bin/sh\necho the user's wrapper\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{user_bin}{os.pathsep}{os.environ['PATH']}")
    assert ok(work.run("python3 -c 'print(1)'")).stdout == "1\n"  # the shell skips ~/bin
    assert ok(work.run(["python3", "-c", "print(2)"])).stdout == "2\n"
