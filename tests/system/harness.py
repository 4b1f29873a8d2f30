"""What the system tests share beyond fixtures: the Box an attack runs in, and its verdicts.

Every escape test runs one attack twice: UNCONFINED first, with plain ``subprocess`` in the
same directory and environment, to see it work (or reach the kernel), then CONFINED through
``Sandbox.run``, to see the sandbox stop it. ``Box.attack(cmd)`` returns both, in that order.
The fixtures that build a Box are in conftest.py beside this file.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import Mode, Result, Sandbox, SandboxConfig

#: The directories the sandbox covers with an empty tmpfs (where user namespaces allow).
COVERED_DIRS = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm")
#: System directories a confined command can read and run programs from.
SYSTEM_PATH_PREFIXES = ("/usr/", "/bin", "/sbin")

Outcome = subprocess.CompletedProcess


class BaselineFailed(Exception):
    """The attack did not work UNCONFINED: the test proves nothing about the sandbox.

    Not an AssertionError on purpose: a test of a known hole is a strict xfail that expects
    the sandbox's assertion to fail, and a broken baseline must not pass for that.
    """


def baseline(condition: object, what: str, outcome: Outcome[str] | None = None) -> None:
    """Raise BaselineFailed unless ``condition``: the attack must work outside the sandbox."""
    if not condition:
        detail = ""
        if outcome is not None:
            detail = f" (rc={outcome.returncode} stdout={outcome.stdout!r} stderr={outcome.stderr!r})"
        raise BaselineFailed(f"unconfined, {what}{detail}")


#: For a test of what the namespaces add (covered directories, read-only mounts): run it in
#: the default configuration only, not again with ``namespaces=False``.
only_namespaces = pytest.mark.parametrize("box", [True], indirect=True, ids=["namespaces"])


def hole(reason: str) -> pytest.MarkDecorator:
    """A known hole: the test states what the sandbox should do, and fails until it does."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"HOLE: {reason}")


def bug(reason: str) -> pytest.MarkDecorator:
    """A known defect that breaks something useful, not a way out of the sandbox."""
    return pytest.mark.xfail(strict=True, reason=f"BUG: {reason}")


def sandbox_path(path: str) -> str:
    """``path`` (a PATH value) cut to the system directories a confined command can read."""
    keep = [p for p in path.split(os.pathsep) if p.startswith(SYSTEM_PATH_PREFIXES)]
    return os.pathsep.join(keep) or os.defpath


def inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def force_remove(root: Path) -> None:
    """rmtree that first gives back the rights a test took away (chmod 000, read-only dirs)."""

    def fix(func: object, path: str, exc: object) -> None:
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
                shutil.rmtree(path, onerror=fix)
            else:
                os.unlink(path)
        except OSError:
            pass

    if root.exists():
        shutil.rmtree(root, onerror=fix)


# ---------------------------------------------------------------------------------------
# Secrets

#: For each ``~`` entry of DEFAULT_DENY_READ, the secret file a test plants beneath it (the
#: entry itself where it names a file). test_escape_secrets.py checks that this covers the
#: whole default list.
SECRET_FILES: dict[str, str] = {
    "~/.ssh": ".ssh/id_ed25519",
    "~/.gnupg": ".gnupg/private-keys-v1.d/0123456789ABCDEF.key",
    "~/.aws": ".aws/credentials",
    "~/.config/gcloud": ".config/gcloud/application_default_credentials.json",
    "~/.azure": ".azure/msal_token_cache.json",
    "~/.kube": ".kube/config",
    "~/.docker/config.json": ".docker/config.json",
    "~/.netrc": ".netrc",
    "~/.git-credentials": ".git-credentials",
    "~/.config/gh": ".config/gh/hosts.yml",
    "~/.password-store": ".password-store/bank.gpg",
    "~/.mozilla": ".mozilla/firefox/abcd.default/logins.json",
    "~/.config/google-chrome": ".config/google-chrome/Default/Login Data",
    "~/.config/chromium": ".config/chromium/Default/Cookies",
    "~/.config/BraveSoftware": ".config/BraveSoftware/Brave-Browser/Default/Login Data",
    "~/.config/sandbox": ".config/sandbox/token",
    "~/.claude": ".claude/.credentials.json",
    "~/.codex": ".codex/auth.json",
    "~/.config/anthropic": ".config/anthropic/api_key",
    "~/.config/openai": ".config/openai/api_key",
}


def canary(name: str) -> str:
    """The content of a planted secret: unique, so that it cannot turn up by accident."""
    return "SBX-CANARY-" + name.strip("~/").replace("/", "-").replace(" ", "_") + "-7f3a9c"


def plant(path: Path, name: str | None = None) -> Path:
    """A secret file at ``path`` (mode 0600) holding the canary of ``name`` (or its name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(canary(name or path.name) + "\n")
    path.chmod(0o600)
    return path


def plant_secrets(home: Path) -> dict[str, Path]:
    """Every default secret under ``home``, each holding its canary: entry -> file."""
    return {entry: plant(home / rel, entry) for entry, rel in SECRET_FILES.items()}


# ---------------------------------------------------------------------------------------
# The box


@dataclass
class Box:
    """One test's world: a workspace, a sibling directory outside it, a fake home."""

    root: Path
    ws: Path
    outside: Path
    home: Path
    helper: Path
    namespaces: bool = True

    def config(self, mode: Mode = Mode.WORKSPACE, **kwargs: object) -> SandboxConfig:
        kwargs.setdefault("namespaces", self.namespaces)
        return SandboxConfig(mode, str(self.ws), **kwargs)  # type: ignore[arg-type]

    @property
    def refused(self) -> tuple[str, ...]:
        """The answers that mean the sandbox stopped a file operation outside the workspace:
        Landlock's EACCES (EXDEV for a link or rename that would widen a file's rights), and
        with namespaces also EROFS (every mount but the writable paths is read-only) and
        ENOENT (the home and the like are covered, so the target is not there at all)."""
        base = (refused(errno.EACCES), refused(errno.EXDEV))
        return (*base, refused(errno.EROFS), refused(errno.ENOENT)) if self.namespaces else base

    @property
    def signal_refused(self) -> tuple[str, ...]:
        """A signal to a process outside: Landlock's scope answers EPERM; in the Sandbox's
        pid namespace (with namespaces) an outside pid does not exist at all: ESRCH."""
        base = (refused(errno.EPERM),)
        return (*base, refused(errno.ESRCH)) if self.namespaces else base

    def denied(self, stderr: object, what: str = "") -> bool:
        """Whether ``stderr`` reports one of :attr:`refusal_messages` (for ``what``, if given)."""
        text = str(stderr)
        return any((f"{what}: {m}" if what else m) in text for m in self.refusal_messages)

    @property
    def refusal_messages(self) -> tuple[str, ...]:
        """The same answers as a shell prints them."""
        base = ("Permission denied", "Invalid cross-device link")
        covered = ("Read-only file system", "No such file or directory", "Directory nonexistent")
        return (*base, *covered) if self.namespaces else base

    def sandbox(self, mode: Mode = Mode.WORKSPACE, **kwargs: object) -> Sandbox:
        """A Sandbox over the workspace, built now; HOME is the fake home already."""
        assert os.path.expanduser("~") == str(self.home), "HOME must be the fake home before a Sandbox is built"
        return Sandbox(self.config(mode, **kwargs))

    def unconfined(
        self, command: str | Sequence[str], *, timeout: float = 30, close_fds: bool = True
    ) -> Outcome[str]:
        """``command`` run as the sandbox runs it (same argv, cwd, stdin), without the sandbox."""
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        return subprocess.run(
            argv, cwd=self.ws, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
            close_fds=close_fds, check=False,
        )

    def confined(
        self, command: str | Sequence[str], *, timeout: float = 30, mode: Mode = Mode.WORKSPACE, **config: object
    ) -> Result:
        """``command`` run through a Sandbox built for it (policy: ``mode`` and ``config``)."""
        with self.sandbox(mode, **config) as sb:
            return sb.run(command, timeout=timeout)

    def attack(
        self, command: str | Sequence[str], *, timeout: float = 30, mode: Mode = Mode.WORKSPACE, **config: object
    ) -> tuple[Outcome[str], Result]:
        """The same command unconfined, then confined: ``(unconfined, confined)``."""
        before = self.unconfined(command, timeout=timeout)
        after = self.confined(command, timeout=timeout, mode=mode, **config)
        return before, after

    def ts(self, *args: str) -> list[str]:
        """An argv that runs the try_syscall helper from the workspace."""
        return [str(self.helper), *args]


_PYOP = """\
import errno, os, sys
try:
{body}
except OSError as e:
    print("errno", e.errno, errno.errorcode.get(e.errno, "UNKNOWN"))
    sys.exit(1)
print("ok")
"""


def pyop(*statements: str) -> list[str]:
    """An argv running ``statements`` in Python, answering like try_syscall: "ok", or
    "errno N NAME" for the OSError that stopped them (exit status 1)."""
    body = "\n".join("    " + s for s in statements)
    return ["python3", "-c", _PYOP.format(body=body)]


# ---------------------------------------------------------------------------------------
# Verdicts


def line(outcome: Outcome[str] | Result) -> str:
    """The try_syscall helper's answer: "ok" or "errno N NAME"."""
    return str(outcome.stdout).strip()


def refused(code: int) -> str:
    """The helper's line for a call that failed with ``code``."""
    return f"errno {code} {errno.errorcode[code]}"


def reached_kernel(outcome: Outcome[str], sandbox_answer: int) -> bool:
    """The helper's call was answered by the kernel itself: it succeeded, or failed with an
    errno other than the one the sandbox gives."""
    return outcome.returncode in (0, 1) and line(outcome) not in ("", refused(sandbox_answer))


#: How the sandbox answers a read of something it withholds: a denied directory covered by
#: an empty tmpfs (nothing there), Landlock's refusal (no rule covers the path).
NOT_FOUND = "No such file or directory"
DENIED = "Permission denied"


def withheld(result: Result, secret: str) -> bool:
    """Whether ``result`` shows a read that the sandbox withheld ``secret`` from: the secret
    never appears, and the read met one of the sandbox's answers: a denied file covered by
    /dev/null (it reads as empty), a covered directory (ENOENT) or Landlock (EACCES). Any
    other failure (a crash, a missing program) is not one."""
    out, err = str(result.stdout), str(result.stderr)
    if secret in out or secret in err:
        return False
    if result.returncode == 0:
        return out.strip() in ("", "0") and err == ""
    return NOT_FOUND in err or DENIED in err


def hidden(result: Result) -> bool:
    """Whether the command ran in the sandbox's own mount namespace, where the covered
    directories and the denied paths are hidden (it needs user namespaces)."""
    return "mount-namespace" in result.enforced


def host_pids(pid: int, in_namespace: bool) -> list[int]:
    """The processes ``pid`` names: itself, or (``in_namespace``: printed by ``$!`` inside a
    sandbox's pid namespace) every process whose innermost pid is ``pid``."""
    if not in_namespace:
        return [pid]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                nspids = next((line.split()[1:] for line in f if line.startswith("NSpid:")), [])
        except OSError:
            continue
        if len(nspids) > 1 and nspids[-1] == str(pid):
            found.append(int(entry))
    return found


def gone_anywhere(pid: int, in_namespace: bool, within: float = 3.0) -> bool:
    """:func:`gone` for a pid a confined command printed, in its own numbering."""
    return all(gone(p, within) for p in host_pids(pid, in_namespace))


def gone(pid: int, within: float = 3.0) -> bool:
    """Whether ``pid`` has exited (a zombie waiting for its reaper counts), waiting a little."""
    deadline = time.monotonic() + within
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether a process the test started is still running (after a moment for a signal)."""
    time.sleep(0.2)
    return proc.poll() is None
