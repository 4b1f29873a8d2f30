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

CSRC = [
    "csrc/ahocorasick.c", "csrc/blanks.c", "csrc/caps.c", "csrc/comments.c", "csrc/landlock.c", "csrc/relay.c", "csrc/seccomp.c", "csrc/spawn.c",
    "csrc/treescan.c", "csrc/utf8.c", "csrc/zygote.c",
]
MODULES = ["_ahocorasick", "_landlock", "_relay", "_seccomp", "_spawn", "_treescan"]
LAUNCHER = "csrc/launcher.c"
AGENT = "csrc/agent.c"

cflags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wformat=2", "-Wvla"]
ldflags = []
cflags += ["-O0", "-g3"] if os.environ.get("SANDBOX_DEBUG_BUILD") == "1" else ["-O2"]
if os.environ.get("SANDBOX_SANITIZE"):
    flag = f"-fsanitize={os.environ['SANDBOX_SANITIZE']}"
    cflags += [flag, "-fno-omit-frame-pointer"]
    ldflags += [flag]


# The agent runs inside containers, never in the sanitizer's runtime: no -fsanitize for it.
agent_cflags = [f for f in cflags if not f.startswith("-fsanitize")]


class BuildExt(build_ext):
    """Builds csrc/ first (also for `build_ext --inplace` and editable installs), then the
    extension modules, then the sbx-launch and sbx-agent executables beside them."""

    def run(self):
        if not self.distribution.has_c_libraries():
            super().run()
            return
        self.run_command("build_clib")
        super().run()
        clib = self.get_finalized_command("build_clib")
        objects = self.compiler.compile(
            [LAUNCHER], output_dir=self.build_temp, include_dirs=["csrc"], extra_postargs=cflags
        )
        out_dir = os.path.dirname(self.get_ext_fullpath("sandbox._native._spawn"))
        self.compiler.link_executable(
            objects, "sbx-launch", output_dir=out_dir,
            libraries=["sbxcore"], library_dirs=[clib.build_clib], extra_postargs=ldflags,
        )
        self.build_agent(out_dir)

    def build_agent(self, out_dir):
        """sbx-agent, linked statically so that it runs in any container image. Without a
        static libc it is left out: ContainerSandbox then starts one exec per command and
        says so (exec_path), and agent=True raises."""
        from setuptools.errors import CompileError, LinkError

        objects = self.compiler.compile(
            [AGENT], output_dir=self.build_temp, include_dirs=["csrc"], extra_postargs=agent_cflags
        )
        try:
            self.compiler.link_executable(objects, "sbx-agent", output_dir=out_dir, extra_postargs=["-static", "-s"])
        except (CompileError, LinkError) as exc:
            self.warn(f"sbx-agent not built (no static libc?): {exc}")


if sys.platform.startswith("linux"):
    native = {
        "libraries": [("sbxcore", {"sources": CSRC, "include_dirs": ["csrc"], "cflags": cflags})],
        "ext_modules": cythonize(
            [
                Extension(f"sandbox._native.{name}", [f"sandbox/_native/{name}.pyx"],
                          include_dirs=["csrc"], extra_link_args=[*ldflags, "-pthread"])
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
