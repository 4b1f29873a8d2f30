"""The native part of the build; everything else lives in pyproject.toml.

csrc/ is compiled once, with warnings as errors, into a static library that each Cython
binding links. Switches: SANDBOX_DEBUG_BUILD=1 (no optimisation, debug info) and
SANDBOX_SANITIZE=address,undefined (a sanitizer build for tests).
"""

import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = ["csrc/landlock.c", "csrc/seccomp.c", "csrc/spawn.c"]
MODULES = ["_landlock", "_seccomp", "_spawn"]

cflags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wformat=2", "-Wvla"]
ldflags = []
cflags += ["-O0", "-g3"] if os.environ.get("SANDBOX_DEBUG_BUILD") == "1" else ["-O2"]
if os.environ.get("SANDBOX_SANITIZE"):
    flag = f"-fsanitize={os.environ['SANDBOX_SANITIZE']}"
    cflags += [flag, "-fno-omit-frame-pointer"]
    ldflags += [flag]


class BuildExt(build_ext):
    """Builds csrc/ first, also for `build_ext --inplace` and editable installs."""

    def run(self):
        if self.distribution.has_c_libraries():
            self.run_command("build_clib")
        super().run()


if sys.platform.startswith("linux"):
    native = {
        "libraries": [("sbxcore", {"sources": CSRC, "include_dirs": ["csrc"], "cflags": cflags})],
        "ext_modules": cythonize(
            [
                Extension(f"sandbox._native.{name}", [f"sandbox/_native/{name}.pyx"],
                          include_dirs=["csrc"], extra_link_args=ldflags)
                for name in MODULES
            ],
            language_level=3,
        ),
    }
else:
    # The native core is Linux kernel code. Elsewhere (macOS: Seatbelt only) the package is
    # pure Python, and probe() reports the native modules as missing with a reason.
    native = {}

setup(cmdclass={"build_ext": BuildExt}, **native)
