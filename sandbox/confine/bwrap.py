"""The bwrap backend: bubblewrap builds the namespaces and the filesystem view, and the
sbx-launch launcher still applies Landlock, seccomp and the limits inside it.

bubblewrap's view is made of mounts: everything read-only, the workspace and temp dir bound
writable, host daemons' runtime dirs and the secrets covered. That is a different mechanism
from Landlock's rules on inodes, so a gap in one is not a gap in the other.
"""

from __future__ import annotations

import os

from sandbox.confine import landlock as ll
from sandbox.confine.launcher import CompiledPolicy


def bwrap_argv(bwrap: str, compiled: CompiledPolicy, *, launcher: str, network: bool) -> list[str]:
    """The bubblewrap command line (up to and including ``--``) for ``compiled``: the paths
    it grants writable are bound read-write, its denied paths covered (dirs with an empty
    read-only tmpfs, files with the policy's empty cover file), and every namespace new but the network's when
    ``network``. ``launcher`` (run inside) stays visible wherever it is installed."""
    argv = [
        bwrap,
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
    ]
    hidden = [d for d in compiled.hidden if d != "/dev/shm"]
    for d in hidden:
        argv += ["--tmpfs", d]
    for path, access in compiled.landlock.paths:
        if access & ll.FS_WRITE_FILE and os.path.isdir(path):
            argv += ["--bind", path, path]
    for d in compiled.denied:
        if os.path.isdir(d) and not os.path.islink(d):
            argv += ["--tmpfs", d, "--remount-ro", d]
        elif os.path.isfile(d) and not os.path.islink(d):
            argv += ["--ro-bind", compiled.cover, d]
    # Bound back read-only: granted paths a hidden dir would otherwise cover.
    for path, access in compiled.landlock.paths:
        if access & ll.FS_WRITE_FILE == 0 and any(ll.inside(path, h) for h in hidden):
            argv += ["--ro-bind", path, path]
    if any(ll.inside(launcher, h) for h in hidden):
        argv += ["--ro-bind", launcher, launcher]
    argv += ["--unshare-all", "--unshare-user", "--disable-userns"]
    if network:
        argv.append("--share-net")
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--chdir", compiled.cwd, "--"]
    return argv


def inner_options(compiled: CompiledPolicy) -> list[str]:
    """The launcher options to run inside bubblewrap (``compiled`` made with
    ``userns=False`` and no parent pid): bwrap already made the new session."""
    return [opt for opt in compiled.launcher_options() if opt != "--setsid"]
