"""Credentials on the default deny list stay unreadable, whatever else the policy grants.

Each secret is planted by the test in a fake home, holding a unique canary; the unconfined
read shows the canary, the confined one must not, and must meet one of the sandbox's own
answers (harness.withheld): Landlock's EACCES, because no rule covers the path (the home is
not granted or, where it is, the grant is split around the secret), or, in the command's
mount namespace, a cover over the secret: an empty tmpfs over a directory (ENOENT), /dev/null
over a file (it reads as empty).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from harness import SECRET_FILES, Box, baseline, canary, plant, plant_secrets, withheld

from sandbox import Result, Sandbox
from sandbox.policy import DEFAULT_DENY_READ

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

HOME_ENTRIES = [e for e in DEFAULT_DENY_READ if e.startswith("~/")]
FILE_ENTRIES = {"~/.docker/config.json", "~/.netrc", "~/.git-credentials"}


def test_the_planted_secrets_cover_the_default_deny_list() -> None:
    assert sorted(SECRET_FILES) == sorted(HOME_ENTRIES)
    for entry in FILE_ENTRIES:
        assert SECRET_FILES[entry] == entry[2:]


def read(path: Path) -> list[str]:
    return ["cat", str(path)]


def read_baseline(before: subprocess.CompletedProcess[str], name: str) -> None:
    baseline(before.returncode == 0 and canary(name) in before.stdout, "the secret is readable", before)


def assert_withheld(after: Result, name: str) -> None:
    assert withheld(after, canary(name)), after


@pytest.mark.parametrize("entry", HOME_ENTRIES)
def test_default_secret_in_the_home_is_withheld(box: Box, entry: str) -> None:
    secret = plant_secrets(box.home)[entry]
    before, after = box.attack(read(secret))
    read_baseline(before, entry)
    assert_withheld(after, entry)


@pytest.mark.parametrize("entry", HOME_ENTRIES)
def test_default_secret_stays_withheld_when_the_home_is_granted_read_only(box: Box, entry: str) -> None:
    secret = plant_secrets(box.home)[entry]
    notes = box.home / "notes.txt"
    notes.write_text("not a secret\n")
    with box.sandbox(read_only_paths=("~",)) as sb:
        # The grant is real: the rest of the home is readable.
        granted = sb.run(read(notes))
        assert (granted.returncode, granted.stdout) == (0, "not a secret\n")
        before = box.unconfined(read(secret))
        read_baseline(before, entry)
        after = sb.run(read(secret))
    assert_withheld(after, entry)


@pytest.mark.parametrize("entry", HOME_ENTRIES)
def test_default_secret_is_withheld_when_the_home_lies_under_tmp(
    box: Box, entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A home inside a covered directory (/tmp), granted read-only: it is bound back into the
    # command's view, secrets and all, so what withholds them is the grant split around
    # them (EACCES) or a cover put over them too.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    secret = plant_secrets(home)[entry]
    before = box.unconfined(read(secret))
    read_baseline(before, entry)
    with Sandbox(box.config(read_only_paths=("~",))) as sb:
        after = sb.run(read(secret))
    assert_withheld(after, entry)


@pytest.mark.root
@pytest.mark.parametrize("path", ["/etc/shadow", "/etc/gshadow"])
def test_system_secret_is_withheld(box: Box, path: str) -> None:
    # Password hashes: readable by root alone outside the sandbox, by nobody inside it.
    before, after = box.attack(["cat", path])
    baseline(before.returncode == 0 and "root:" in before.stdout, f"{path} is readable", before)
    assert withheld(after, "root:"), after


def test_secret_behind_a_symlinked_directory_is_withheld_under_its_real_name(box: Box) -> None:
    # ~/.ssh is a link into a dotfiles checkout: the target must be denied too, or a grant on
    # the home would let the keys be read as ~/dotfiles/ssh/id_ed25519.
    real = box.home / "dotfiles" / "ssh"
    secret = plant(real / "id_ed25519", "~/.ssh")
    (box.home / ".ssh").symlink_to(real)
    with box.sandbox(read_only_paths=("~",)) as sb:
        before = box.unconfined(read(secret))
        read_baseline(before, "~/.ssh")
        after = sb.run(read(secret))
        via_link = sb.run(read(box.home / ".ssh" / "id_ed25519"))
    for result in (after, via_link):
        assert result.returncode == 1
        assert_withheld(result, "~/.ssh")


def test_secret_created_after_the_sandbox_was_built_is_withheld(box: Box) -> None:
    with box.sandbox(read_only_paths=("~",)) as sb:
        secret = plant(box.home / ".aws" / "credentials", "~/.aws")
        before = box.unconfined(read(secret))
        read_baseline(before, "~/.aws")
        after = sb.run(read(secret))
    assert canary("~/.aws") not in str(after.stdout)
    assert after.returncode == 1


def test_secret_in_a_sibling_of_the_workspace_is_unreadable(box: Box) -> None:
    secret = plant(box.outside / "service-account.json")
    before, after = box.attack(read(secret))
    read_baseline(before, "service-account.json")
    assert after.returncode == 1 and box.denied(after.stderr, str(secret))
    assert_withheld(after, "service-account.json")


def test_listing_the_home_directory_is_denied(box: Box) -> None:
    plant_secrets(box.home)
    before, after = box.attack(["ls", "-a", str(box.home)])
    baseline(before.returncode == 0 and ".ssh" in before.stdout, "the home can be listed", before)
    assert ".ssh" not in str(after.stdout)
    assert after.returncode == 2 and box.denied(after.stderr)
