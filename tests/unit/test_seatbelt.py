"""The Seatbelt policy and its SBPL profile (API.md §3): exact text, canonical paths, escaping."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from sandbox.confine.seatbelt import (
    DEFAULT_READABLE_PATHS,
    MACH_SERVICES,
    NETWORK_MACH_SERVICES,
    SANDBOX_EXEC,
    SYSCTL_NAMES,
    SYSCTL_PREFIXES,
    SeatbeltPolicy,
    default_seatbelt_policy,
    generate_seatbelt_profile,
    run_seatbelted,
)
from sandbox.errors import PolicyError, Reason, UnsupportedError

# Roots that exist on no host: no symlink to resolve, so the output is the same everywhere.
HOME = "/sbxhome/me"
PLAIN_WORK_DIR = "/sbxtest/plainwork"


# -- a tiny SBPL reader ----------------------------------------------------------------


class Str(str):
    """A string literal, decoded."""


class Sym(str):
    """A bare atom: an operation, a filter name, a number."""


# Nested lists of Str, Sym and forms.
Form = list[Any]


def parse(text: str) -> list[Form]:
    """The top-level forms of ``text``; fails on anything unbalanced or unexpected."""
    stack: list[Form] = [[]]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n":
            i += 1
        elif ch == ";":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif ch == "(":
            stack.append([])
            i += 1
        elif ch == ")":
            assert len(stack) > 1, f"unbalanced ')' at offset {i}"
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif ch == '"':
            value, i = _read_string(text, i + 1)
            stack[-1].append(Str(value))
        else:
            start = i
            while i < len(text) and text[i] not in ' \t\n();"':
                i += 1
            stack[-1].append(Sym(text[start:i]))
    assert len(stack) == 1, "unclosed '('"
    return stack[0]


def _read_string(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while True:
        assert i < len(text), "unterminated string literal"
        ch = text[i]
        assert ord(ch) >= 0x20 and ord(ch) != 0x7F, f"raw control character {ch!r} in a literal"
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1]
            assert nxt in '\\"', f"unexpected escape \\{nxt}"
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1


def allows(profile: str) -> list[Form]:
    return [f for f in parse(profile) if f[0] == Sym("allow")]


def subpaths(profile: str, head: str, op: str) -> list[str]:
    """The subpath arguments of every ``(head op (subpath X))`` rule."""
    return [
        f[2][1]
        for f in parse(profile)
        if f[0] == Sym(head) and f[1] == Sym(op) and isinstance(f[2], list) and f[2][0] == Sym("subpath")
    ]


def profile_of(**kwargs: object) -> str:
    home = kwargs.pop("home", HOME)
    return generate_seatbelt_profile(SeatbeltPolicy(**kwargs), home=home)  # type: ignore[arg-type]


def work_policy(work_dir: str, **flags: bool) -> SeatbeltPolicy:
    return SeatbeltPolicy(readable_paths=(work_dir,), writable_paths=(work_dir,), allow_write=True, **flags)


# -- the exact profile -----------------------------------------------------------------

EXPECTED_SMALL_PROFILE = """\
(version 1)
(deny default)
; read: the readable and writable paths
(allow file-read* (subpath "/sbxtest/proj"))
(allow file-read* (subpath "/sbxtest/tools"))
; lookup: stat of ancestors and links, for realpath() and getcwd(); no listing
(allow file-read-metadata (literal "/"))
(allow file-read-metadata (literal "/dev/stderr"))
(allow file-read-metadata (literal "/dev/stdin"))
(allow file-read-metadata (literal "/dev/stdout"))
(allow file-read-metadata (literal "/etc"))
(allow file-read-metadata (literal "/sbxtest"))
(allow file-read-metadata (literal "/tmp"))
(allow file-read-metadata (literal "/var"))
; write
(allow file-write* (subpath "/sbxtest/proj"))
; devices every program expects
(allow file-read* file-write* (literal "/dev/null"))
(allow file-read* file-write* (subpath "/dev/fd"))
(allow file-read* (literal "/dev/random"))
(allow file-read* (literal "/dev/urandom"))
(allow file-read* (literal "/dev/zero"))
; processes: exec only from readable paths, never from the temp dirs
(allow process-fork)
(allow process-exec (subpath "/sbxtest/tools"))
(allow signal (target self))
; mach services, by name only
(allow mach-lookup (global-name "com.apple.system.logger"))
(allow mach-lookup (global-name "com.apple.system.notification_center"))
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))
; sysctl
(allow sysctl-read)
; last match wins: these override every allow above
(deny file-write* (subpath "/sbxhome/me/.claude"))
(deny file-write* (subpath "/sbxhome/me/.codex"))
(deny file-write* (subpath "/sbxhome/me/.config/sandbox"))
(deny file-read* file-write* (subpath "/sbxhome/me/.aws"))
(deny file-read* file-write* (subpath "/sbxhome/me/.gnupg"))
(deny file-read* file-write* (subpath "/sbxhome/me/.ssh"))
(deny file-read* file-write* (subpath "/sbxhome/me/Library/Keychains"))
"""


def test_small_policy_renders_exact_profile() -> None:
    policy = SeatbeltPolicy(
        allow_write=True,
        allow_sysctl=True,
        readable_paths=("/sbxtest/tools",),
        writable_paths=("/sbxtest/proj",),
    )

    assert generate_seatbelt_profile(policy, home=HOME) == EXPECTED_SMALL_PROFILE


def test_profile_starts_with_version_then_deny_default() -> None:
    assert profile_of().splitlines()[:2] == ["(version 1)", "(deny default)"]


def test_profile_is_sorted_deduplicated_and_independent_of_input_order() -> None:
    a = profile_of(readable_paths=("/sbxtest/b", "/sbxtest/a", "/sbxtest/b", "/sbxtest/a/inner"))
    b = profile_of(readable_paths=["/sbxtest/a/inner", "/sbxtest/a", "/sbxtest/b"])

    assert a == b
    assert subpaths(a, "allow", "file-read*") == ["/sbxtest/a", "/sbxtest/b"]


# -- canonical paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("/var/sbxtest", "/private/var/sbxtest"),
        ("/tmp", "/private/tmp"),
        ("/etc/sbxtest", "/private/etc/sbxtest"),
    ],
)
def test_macos_root_links_are_resolved_to_private(given: str, canonical: str) -> None:
    profile = profile_of(readable_paths=(given,))

    assert subpaths(profile, "allow", "file-read*") == [canonical]


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("/sbxtest/proj/", "/sbxtest/proj"),
        ("/sbxtest/a/../proj", "/sbxtest/proj"),
        ("//sbxtest///proj/./", "/sbxtest/proj"),
    ],
)
def test_trailing_slashes_dots_and_dotdot_are_normalised(given: str, canonical: str) -> None:
    profile = profile_of(readable_paths=(given,))

    assert subpaths(profile, "allow", "file-read*") == [canonical]


def test_dotdot_after_tmp_follows_the_link_like_macos() -> None:
    # On macOS /tmp/.. is /private, so /tmp/../sbxtest is /private/sbxtest, not /sbxtest.
    profile = profile_of(readable_paths=("/tmp/../sbxtest",))

    assert subpaths(profile, "allow", "file-read*") == ["/private/sbxtest"]


def test_relative_symlink_with_dotdot_is_resolved_from_the_links_dir(tmp_path: Path) -> None:
    (tmp_path / "a" / "target").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "link").symlink_to("../a/target")

    reads = subpaths(profile_of(readable_paths=(str(tmp_path / "b" / "link"),)), "allow", "file-read*")

    assert len(reads) == 1
    assert reads[0].endswith(tmp_path.name + "/a/target")


def test_symlink_loop_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")

    with pytest.raises(PolicyError):
        profile_of(readable_paths=(str(tmp_path / "loop" / "x"),))


def test_symlinked_work_dir_is_granted_at_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real-work"
    target.mkdir()
    link = tmp_path / "link-work"
    link.symlink_to(target)

    reads = subpaths(profile_of(readable_paths=(str(link),)), "allow", "file-read*")

    assert len(reads) == 1
    assert reads[0].endswith("/real-work")


def test_symlinked_agent_config_dir_is_denied_at_its_target(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "dotfiles" / "claude").mkdir(parents=True)
    (home / ".claude").symlink_to(home / "dotfiles" / "claude")

    denied = subpaths(profile_of(home=str(home)), "deny", "file-write*")

    assert any(d.endswith("/home/dotfiles/claude") for d in denied)
    assert any(d.endswith("/home/.claude") for d in denied)


# -- escaping --------------------------------------------------------------------------

HOSTILE_NAMES = [
    'quote"name',
    "close)paren",
    "open(paren",
    "back\\slash",
    "semi;colon",
    'w") (allow network*) (allow process-exec (subpath "',
    'w\\") (allow network*) ("',
]


def _replace_strings(tree: Form, old: str, new: str) -> Form:
    out: Form = []
    for item in tree:
        if isinstance(item, list):
            out.append(_replace_strings(item, old, new))
        elif isinstance(item, Str) and item == old:
            out.append(Str(new))
        else:
            out.append(item)
    return out


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_work_dir_yields_the_same_rules_as_a_plain_one(name: str) -> None:
    hostile_dir = "/sbxtest/" + name
    plain = parse(generate_seatbelt_profile(work_policy(PLAIN_WORK_DIR), home=HOME))

    hostile = parse(generate_seatbelt_profile(work_policy(hostile_dir), home=HOME))

    assert len(hostile) == len(plain)
    assert hostile == _replace_strings(plain, PLAIN_WORK_DIR, hostile_dir)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_work_dir_puts_allow_only_on_rule_lines(name: str) -> None:
    profile = generate_seatbelt_profile(work_policy("/sbxtest/" + name), home=HOME)
    plain = generate_seatbelt_profile(work_policy(PLAIN_WORK_DIR), home=HOME)

    allow_lines = [line for line in profile.splitlines() if "allow" in line and not line.startswith(";")]

    for line in allow_lines:
        forms = parse(line)
        assert len(forms) == 1 and forms[0][0] == Sym("allow"), line
    assert len(allow_lines) == len(allows(plain))


def test_hostile_home_cannot_inject_rules() -> None:
    home = '/sbxhome/x") (allow file-read* (subpath "'
    plain = parse(generate_seatbelt_profile(SeatbeltPolicy(), home=HOME))

    hostile = parse(generate_seatbelt_profile(SeatbeltPolicy(), home=home))

    assert hostile == [_replace_prefix(f, HOME + "/", home + "/") for f in plain]


def _replace_prefix(tree: Form, old: str, new: str) -> Form:
    out: Form = []
    for item in tree:
        if isinstance(item, list):
            out.append(_replace_prefix(item, old, new))
        elif isinstance(item, Str) and item.startswith(old):
            out.append(Str(new + item[len(old) :]))
        else:
            out.append(item)
    return out


@pytest.mark.parametrize("path", ["/sbxtest/new\nline", "/sbxtest/carriage\rreturn", "/sbxtest/tab\tname", "/x\x7f"])
def test_control_character_in_path_is_rejected(path: str) -> None:
    with pytest.raises(PolicyError):
        work_policy(path)


def test_newline_in_home_is_rejected() -> None:
    with pytest.raises(PolicyError):
        generate_seatbelt_profile(SeatbeltPolicy(), home="/sbxhome/a\n(allow default)")


def test_undecodable_path_is_rejected() -> None:
    with pytest.raises(PolicyError):
        work_policy("/sbxtest/" + b"\xff".decode("utf-8", "surrogateescape"))


# -- what the rules allow --------------------------------------------------------------


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=4)))
def test_mach_lookup_is_always_filtered_by_global_name(flags: tuple[bool, bool, bool, bool]) -> None:
    network, write, process, sysctl = flags
    profile = profile_of(allow_network=network, allow_write=write, allow_process=process, allow_sysctl=sysctl)

    lookups = [f for f in allows(profile) if Sym("mach-lookup") in f]

    assert lookups
    assert all(len(f) == 3 and f[2][0] == Sym("global-name") for f in lookups)
    assert "(allow mach-lookup)" not in profile


def test_agent_config_dirs_are_denied_write_even_when_home_is_writable() -> None:
    profile = profile_of(writable_paths=(HOME,), allow_write=True)
    lines = profile.splitlines()

    allow_home = lines.index(f'(allow file-write* (subpath "{HOME}"))')
    for name in (".claude", ".codex", ".config/sandbox"):
        # Last match wins in SBPL: the denial must come after the allow.
        assert lines.index(f'(deny file-write* (subpath "{HOME}/{name}"))') > allow_home


def test_secret_dirs_are_denied_read_and_write_after_every_allow() -> None:
    profile = profile_of(readable_paths=(HOME,), writable_paths=(HOME,), allow_write=True)
    forms = parse(profile)

    last_allow = max(i for i, f in enumerate(forms) if f[0] == Sym("allow"))
    for name in (".ssh", ".aws", ".gnupg"):
        rule = [Sym("deny"), Sym("file-read*"), Sym("file-write*"), [Sym("subpath"), Str(f"{HOME}/{name}")]]
        assert forms.index(rule) > last_allow


def test_allow_write_false_emits_no_file_write_for_work_dir() -> None:
    policy = SeatbeltPolicy(readable_paths=(PLAIN_WORK_DIR,), writable_paths=(PLAIN_WORK_DIR,))

    profile = generate_seatbelt_profile(policy, home=HOME)

    assert subpaths(profile, "allow", "file-write*") == []
    assert PLAIN_WORK_DIR not in "".join(line for line in profile.splitlines() if "file-write*" in line)


def test_writable_paths_stay_readable_without_allow_write() -> None:
    profile = profile_of(writable_paths=(PLAIN_WORK_DIR,))

    assert subpaths(profile, "allow", "file-read*") == [PLAIN_WORK_DIR]


def test_network_is_denied_by_default() -> None:
    profile = profile_of()

    assert not any(str(f[1]).startswith("network") for f in allows(profile))
    assert not any(s in profile for s in NETWORK_MACH_SERVICES)


def test_allow_network_adds_network_rule_and_resolver_services() -> None:
    profile = profile_of(allow_network=True)

    assert "(allow network*)" in profile.splitlines()
    for service in NETWORK_MACH_SERVICES:
        assert f'(allow mach-lookup (global-name "{service}"))' in profile.splitlines()


def test_process_exec_is_limited_to_readable_paths() -> None:
    profile = profile_of(readable_paths=("/sbxtest/tools",), writable_paths=("/private/tmp",), allow_write=True)

    assert subpaths(profile, "allow", "process-exec") == ["/sbxtest/tools"]
    assert "(allow process-exec)" not in profile
    assert "(allow process-fork)" in profile.splitlines()
    assert "(allow signal (target self))" in profile.splitlines()


def test_allow_process_false_emits_no_fork_or_exec() -> None:
    profile = profile_of(readable_paths=("/sbxtest/tools",), allow_process=False)

    ops = {f[1] for f in allows(profile)}

    assert Sym("process-fork") not in ops
    assert Sym("process-exec") not in ops


def test_sysctl_reads_are_limited_to_the_documented_names_by_default() -> None:
    profile = profile_of()

    names = [f[2][1] for f in allows(profile) if f[1] == Sym("sysctl-read")]

    assert "(allow sysctl-read)" not in profile
    assert names == sorted(SYSCTL_NAMES) + sorted(SYSCTL_PREFIXES)


def test_allow_sysctl_allows_every_sysctl_read() -> None:
    assert "(allow sysctl-read)" in profile_of(allow_sysctl=True).splitlines()


def test_home_defaults_to_the_current_users_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/sbxhome/fromenv")

    profile = generate_seatbelt_profile(SeatbeltPolicy())

    assert '(deny file-read* file-write* (subpath "/sbxhome/fromenv/.ssh"))' in profile.splitlines()


# -- the policy ------------------------------------------------------------------------


def test_path_lists_accept_iterables_and_path_like_and_store_tuples_of_str() -> None:
    readable = [PurePosixPath("/sbxtest/a")]
    writable = iter(["/sbxtest/b"])

    policy = SeatbeltPolicy(readable_paths=readable, writable_paths=writable)  # type: ignore[arg-type]

    assert policy.readable_paths == ("/sbxtest/a",)
    assert policy.writable_paths == ("/sbxtest/b",)


def test_policy_is_frozen() -> None:
    policy = SeatbeltPolicy()

    with pytest.raises(AttributeError):
        policy.allow_network = True  # type: ignore[misc]


@pytest.mark.parametrize("path", ["relative/dir", "./here", "~/work"])
def test_relative_path_is_rejected(path: str) -> None:
    with pytest.raises(PolicyError):
        SeatbeltPolicy(readable_paths=(path,))


@pytest.mark.parametrize("path", ["", "/sbxtest/a\0b"])
def test_empty_or_nul_path_is_rejected(path: str) -> None:
    with pytest.raises(PolicyError):
        SeatbeltPolicy(writable_paths=(path,))


@pytest.mark.parametrize("entry", [42, b"/sbxtest/bytes", None])
def test_non_string_path_entry_is_rejected(entry: object) -> None:
    with pytest.raises(PolicyError):
        SeatbeltPolicy(readable_paths=(entry,))  # type: ignore[arg-type]


def test_single_string_instead_of_a_list_is_rejected() -> None:
    # Iterated, "/usr" would grant "/" among its characters.
    with pytest.raises(PolicyError):
        SeatbeltPolicy(readable_paths="/usr")  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["allow_network", "allow_write", "allow_process", "allow_sysctl"])
@pytest.mark.parametrize("value", [0, 1, "false", None])
def test_non_bool_flag_is_rejected(flag: str, value: object) -> None:
    with pytest.raises(PolicyError):
        SeatbeltPolicy(**{flag: value})  # type: ignore[arg-type]


def test_generate_rejects_something_that_is_not_a_policy() -> None:
    with pytest.raises(PolicyError):
        generate_seatbelt_profile({"allow_network": True})  # type: ignore[arg-type]


# -- the default policy ----------------------------------------------------------------


def test_default_policy_reads_system_dirs_and_writes_work_dir_and_temp(tmp_path: Path) -> None:
    policy = default_seatbelt_policy(tmp_path)

    assert policy.readable_paths == (*DEFAULT_READABLE_PATHS, str(tmp_path))
    assert policy.writable_paths == (str(tmp_path), "/private/tmp", "/private/var/folders")
    assert policy.allow_write and policy.allow_process
    assert not policy.allow_network and not policy.allow_sysctl


def test_default_policy_does_not_expose_terminal_devices() -> None:
    # Reading /dev/ttys* would read the user's keystrokes.
    assert not any(p == "/dev" or p.startswith("/dev/") for p in DEFAULT_READABLE_PATHS)


def test_default_policy_exec_excludes_temp_dirs(tmp_path: Path) -> None:
    profile = generate_seatbelt_profile(default_seatbelt_policy(tmp_path), home=HOME)

    execs = subpaths(profile, "allow", "process-exec")

    assert "/private/tmp" not in execs and "/private/var/folders" not in execs


@pytest.mark.parametrize("work_dir", ["relative", "/sbxtest/does-not-exist"])
def test_default_policy_rejects_work_dir_that_is_not_an_absolute_directory(work_dir: str) -> None:
    with pytest.raises(PolicyError):
        default_seatbelt_policy(work_dir)


def test_default_policy_rejects_a_file_as_work_dir(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("")

    with pytest.raises(PolicyError):
        default_seatbelt_policy(file)


# -- running ---------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="Seatbelt exists on macOS; this checks other hosts")
def test_run_seatbelted_off_macos_raises_not_macos() -> None:
    with pytest.raises(UnsupportedError) as info:
        run_seatbelted(["/bin/true"], SeatbeltPolicy(readable_paths=("/usr",)))

    assert info.value.reason is Reason.NOT_MACOS


def test_run_seatbelted_rejects_a_program_that_looks_like_an_option() -> None:
    # sandbox-exec would read "-f FILE" as a different profile.
    with pytest.raises(PolicyError):
        run_seatbelted(["-f", "/sbxtest/evil.sb", "/bin/sh"], SeatbeltPolicy())


@pytest.mark.parametrize("command", [[], [b"/bin/true"], ["/bin/echo", "a\0b"], b"/bin/true"])
def test_run_seatbelted_rejects_a_malformed_command(command: object) -> None:
    with pytest.raises(PolicyError):
        run_seatbelted(command, SeatbeltPolicy())  # type: ignore[arg-type]


def test_keychain_broker_is_not_a_reachable_mach_service() -> None:
    assert "com.apple.SecurityServer" not in MACH_SERVICES + NETWORK_MACH_SERVICES


Calls = list[tuple[list[str], dict[str, Any]]]


@pytest.fixture
def fake_macos(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """A macOS with sandbox-exec whose Popen records what it would start."""
    calls: Calls = []

    def popen(args: list[str], **kwargs: Any) -> None:
        calls.append((args, kwargs))

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(os, "access", lambda path, mode: path == SANDBOX_EXEC)
    monkeypatch.setattr(subprocess, "Popen", popen)
    return calls


def test_run_seatbelted_passes_the_profile_and_shell_command_to_sandbox_exec(
    fake_macos: Calls,
) -> None:
    policy = SeatbeltPolicy(readable_paths=("/sbxtest/tools",))

    run_seatbelted("echo hi", policy, home=HOME)

    [(args, kwargs)] = fake_macos
    assert args == [SANDBOX_EXEC, "-p", generate_seatbelt_profile(policy, home=HOME), "/bin/sh", "-c", "echo hi"]
    assert kwargs["start_new_session"] is True


def test_run_seatbelted_without_allow_process_may_exec_only_its_program(
    fake_macos: Calls,
) -> None:
    policy = SeatbeltPolicy(readable_paths=("/sbxtest/tools",), allow_process=False)

    run_seatbelted(["/sbxtest/tools/prog", "arg"], policy, home=HOME)

    [(args, _)] = fake_macos
    execs = [f for f in allows(args[2]) if f[1] == Sym("process-exec")]
    assert execs == [[Sym("allow"), Sym("process-exec"), [Sym("literal"), Str("/sbxtest/tools/prog")]]]
    assert args[3:] == ["/sbxtest/tools/prog", "arg"]


def test_run_seatbelted_without_sandbox_exec_raises_seatbelt_missing(
    fake_macos: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: False)

    with pytest.raises(UnsupportedError) as info:
        run_seatbelted(["/bin/true"], SeatbeltPolicy())

    assert info.value.reason is Reason.SEATBELT_MISSING
    assert fake_macos == []
