"""Policy -> Landlock masks, exactly: rights per ABI, best effort, hole punching."""

from __future__ import annotations

import pytest

from sandbox.confine import landlock as ll
from sandbox.errors import PolicyError, Reason, UnsupportedError

TREE = {
    "/home/u": [".ssh", "notes", "project"],
    "/home/u/notes": ["a.txt"],
    "/etc": ["hosts", "passwd", "shadow", "ssh"],
    "/etc/ssh": ["ssh_config", "ssh_host_ed25519_key"],
}


def listdir(path: str) -> list[str]:
    return TREE.get(path, [])


@pytest.mark.parametrize(
    ("abi", "fs"),
    [(0, 0), (1, 0x1FFF), (2, 0x3FFF), (3, 0x7FFF), (4, 0x7FFF), (5, 0xFFFF), (6, 0xFFFF), (7, 0xFFFF)],
)
def test_filesystem_rights_per_abi(abi: int, fs: int) -> None:
    assert ll.fs_rights(abi) == fs


@pytest.mark.parametrize(("abi", "net", "scopes"), [(3, 0, 0), (4, 3, 0), (5, 3, 0), (6, 3, 3), (7, 3, 3)])
def test_network_rights_and_scopes_per_abi(abi: int, net: int, scopes: int) -> None:
    assert (ll.net_rights(abi), ll.scopes(abi)) == (net, scopes)


def test_read_and_write_masks() -> None:
    assert ll.READ == 0b1101  # execute, read_file, read_dir
    assert ll.WRITE == 0x77BF  # all but make_char (1<<6), make_block (1<<11) and ioctl_dev (1<<15)


def test_plan_on_abi_7_handles_everything_and_restricts_tcp() -> None:
    plan = ll.plan({"/srv/ws": ll.WRITE, "/usr": ll.READ}, abi=7, restrict_net=True, scope_ipc=True,
                   best_effort=False, listdir=listdir)
    assert plan == ll.LandlockPlan(
        abi=7, handled_fs=0xFFFF, handled_net=3, scoped=3,
        paths=(("/srv/ws", ll.WRITE), ("/usr", ll.READ)), ports=(), dropped=(),
    )


def test_plan_with_network_allowed_handles_no_tcp() -> None:
    plan = ll.plan({"/srv/ws": ll.WRITE}, abi=7, restrict_net=False, scope_ipc=True, best_effort=False)
    assert plan.handled_net == 0


def test_old_abi_is_refused_unless_best_effort() -> None:
    with pytest.raises(UnsupportedError) as info:
        ll.plan({"/srv": ll.READ}, abi=3, restrict_net=True, scope_ipc=True, best_effort=False)
    assert info.value.reason is Reason.LANDLOCK_ABI_TOO_OLD
    assert "ioctl_dev" in str(info.value) and "tcp" in str(info.value)


def test_best_effort_reports_what_it_dropped() -> None:
    plan = ll.plan({"/srv": ll.WRITE}, abi=3, restrict_net=True, scope_ipc=True, best_effort=True)
    assert plan.dropped == ("ioctl_dev", "tcp (ABI 4)", "scope abstract unix sockets and signals (ABI 6)")
    assert plan.handled_fs == 0x7FFF and plan.handled_net == 0 and plan.scoped == 0
    # A rule never carries a right the ruleset does not handle: the kernel would refuse it.
    assert plan.paths == (("/srv", ll.WRITE & 0x7FFF),)


def test_no_landlock_is_unsupported() -> None:
    with pytest.raises(UnsupportedError) as info:
        ll.plan({}, abi=0, restrict_net=False, scope_ipc=False, best_effort=True)
    assert info.value.reason is Reason.LANDLOCK_MISSING


def test_denied_path_is_punched_out_of_a_granted_directory() -> None:
    rules = ll.punch_holes({"/home/u": ll.READ}, ["/home/u/.ssh"], listdir)
    assert rules == {"/home/u/notes": ll.READ, "/home/u/project": ll.READ}


def test_nested_denied_path_splits_only_along_its_way() -> None:
    rules = ll.punch_holes({"/etc": ll.READ}, ["/etc/shadow", "/etc/ssh/ssh_host_ed25519_key"], listdir)
    assert rules == {"/etc/hosts": ll.READ, "/etc/passwd": ll.READ, "/etc/ssh/ssh_config": ll.READ}


def test_grants_without_denied_paths_are_untouched() -> None:
    assert ll.punch_holes({"/usr": ll.READ, "/srv": ll.WRITE}, ["/home/u/.ssh"], listdir) == {
        "/usr": ll.READ, "/srv": ll.WRITE,
    }


def test_grant_inside_a_denied_path_is_refused() -> None:
    with pytest.raises(PolicyError):
        ll.punch_holes({"/home/u/.ssh/keys": ll.READ}, ["/home/u/.ssh"], listdir)


def test_relative_grant_is_refused() -> None:
    with pytest.raises(PolicyError):
        ll.punch_holes({"srv": ll.READ}, [], listdir)


def test_denied_name_that_only_shares_a_prefix_is_not_a_hole() -> None:
    # /home/u/notes-old is not beneath /home/u/notes.
    assert ll.punch_holes({"/home/u/notes-old": ll.READ}, ["/home/u/notes"], listdir) == {
        "/home/u/notes-old": ll.READ,
    }
