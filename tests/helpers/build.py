"""Builds the C helpers the escape tests run: ``try_syscall`` issues syscalls Python cannot."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "try_syscall.c"
CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")


class HelperBuildError(RuntimeError):
    """A test helper could not be compiled: no C compiler, or the compiler failed."""


def _compiler() -> list[str]:
    configured = os.environ.get("CC", "").strip()
    if configured:
        return shlex.split(configured)
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found is not None:
            return [found]
    raise HelperBuildError(
        "no C compiler found (cc, gcc or clang on PATH, or $CC): the escape tests compile "
        f"{SOURCE.name} with it. Hint: apt-get install gcc (Debian/Ubuntu) or dnf install gcc (Fedora)."
    )


def build_try_syscall(outdir: Path) -> Path:
    """Compile ``try_syscall.c`` into ``outdir`` and return the executable's path.

    Raises HelperBuildError when there is no C compiler or the build fails.
    """
    out = Path(outdir) / "try_syscall"
    command = [*_compiler(), *CFLAGS, "-o", str(out), str(SOURCE)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise HelperBuildError(f"{shlex.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return out
