"""SandboxConfig -> what the launcher and the spawn path enforce."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox import Limits, Mode, PolicyError, Reason, SandboxConfig, UnsupportedError
from sandbox.confine import landlock as ll
from sandbox.confine.launcher import compile_policy, filter_env

SECCOMP = bytes(8)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for d in (".ssh", ".aws", ".cache", "docs"):
        (home / d).mkdir(parents=True)
    (home / ".netrc").write_text("machine x password y\n")
    (home / ".ssh" / "id_ed25519").write_text("KEY")
    return home


def compile_(cfg: SandboxConfig, home: Path, tmp_path: Path, **kw: object):
    tmpdir = tmp_path / "private-tmp"
    tmpdir.mkdir(exist_ok=True)
    cover = tmp_path / "covered"
    cover.touch()
    args = dict(abi=7, tmpdir=str(tmpdir), cover=str(cover), home=str(home),
                environ={"PATH": "/usr/bin", "HOME": str(home)}, seccomp_program=SECCOMP, parent_pid=1234,
                userns=True)
    args.update(kw)
    return compile_policy(cfg, **args)  # type: ignore[arg-type]


def test_filter_env_passes_the_allowlist_and_never_a_secret_by_pattern() -> None:
    environ = {
        "PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "LC_API_TOKEN": "t", "AWS_SECRET_ACCESS_KEY": "k",
        "GITHUB_TOKEN": "g", "EDITOR": "vi", "MY_PASSWORD": "p", "SSH_AUTH_SOCK": "/s",
    }
    assert filter_env(environ, ("PATH", "HOME", "LC_*")) == {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C"}
    assert filter_env(environ, ("*",)) == {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "EDITOR": "vi"}
    # Naming a secret exactly is the one way through.
    assert filter_env(environ, ("GITHUB_TOKEN",)) == {"GITHUB_TOKEN": "g"}


def test_workspace_is_writable_and_home_secrets_are_not_granted(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws)), home, tmp_path)
    rules = dict(compiled.landlock.paths)
    assert rules[str(ws)] == ll.WRITE
    assert rules[str(tmp_path / "private-tmp")] == ll.WRITE
    assert rules[str(home / ".cache")] == ll.READ
    assert not any(p.startswith(str(home / ".ssh")) or p == str(home) for p in rules)


def test_strict_mode_makes_the_workspace_read_only_and_the_network_off(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.STRICT, str(ws), True), home, tmp_path)
    assert dict(compiled.landlock.paths)[str(ws)] == ll.READ
    assert compiled.landlock.handled_net == 3
    assert "network-off" in compiled.enforced
    assert compiled.namespaces is not None and compiled.namespaces.netns


def test_home_granted_read_only_still_hides_its_secrets(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws), read_only_paths=("~",)), home, tmp_path)
    rules = dict(compiled.landlock.paths)
    assert str(home) not in rules
    assert rules[str(home / "docs")] == ll.READ
    assert str(home / ".ssh") not in rules and str(home / ".aws") not in rules and str(home / ".netrc") not in rules
    ns = compiled.namespaces
    assert ns is not None
    # Covered in the mount namespace too, unless a hidden dir (the tmp_path under /tmp) already
    # leaves them out: only granted paths are bound back there.
    for secret, covered in ((home / ".ssh", ns.hide), (home / ".netrc", ns.hide_files)):
        assert str(secret) in covered or (
            any(str(secret).startswith(h + "/") for h in ns.hide) and not any(
                str(secret).startswith(k + "/") or str(secret) == k for k in ns.keep)
        )


def test_namespaces_keep_granted_paths_beneath_hidden_dirs(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws)), home, tmp_path)
    ns = compiled.namespaces
    assert ns is not None and ns.netns
    assert os.path.realpath("/tmp") in ns.hide
    if str(tmp_path).startswith(os.path.realpath("/tmp") + "/"):
        assert str(ws) in ns.keep and str(tmp_path / "private-tmp") in ns.keep


def test_without_user_namespaces_there_are_none(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws)), home, tmp_path, userns=False)
    assert compiled.namespaces is None
    assert "--userns" not in compiled.launcher_options()


def test_limits_become_rlimits_exactly(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    limits = Limits(memory_mb=64, cpu_seconds=3, pids=10, open_files=100, file_size_mb=2)
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws), limits=limits), home, tmp_path)
    assert compiled.rlimits == (
        ("data", 64 << 20), ("cpu", 3), ("nproc", 10), ("nofile", 100), ("fsize", 2 << 20), ("core", 0),
    )


def test_launcher_options_carry_every_layer_in_order(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    opts = compile_(SandboxConfig(Mode.WORKSPACE, str(ws)), home, tmp_path).launcher_options()
    assert opts[:6] == ["--setsid", "--die-with-parent", "1234", "--fs-handled", "0xffff", "--net-handled"]
    assert opts[-4:] == ["--chdir", str(ws), "--seccomp", SECCOMP.hex()]
    assert "--drop-caps" in opts and f"{ll.WRITE:#x}:{ws}" in opts


def test_nonexistent_rule_path_is_refused_before_anything_runs(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with pytest.raises(PolicyError):
        compile_(SandboxConfig(Mode.WORKSPACE, str(ws), read_only_paths=(str(tmp_path / "absent"),)), home, tmp_path)


def test_nonexistent_workspace_is_refused(home: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        compile_(SandboxConfig(Mode.WORKSPACE, str(tmp_path / "absent")), home, tmp_path)


def test_mode_off_compiles_nothing(home: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        compile_(SandboxConfig(Mode.OFF, str(tmp_path)), home, tmp_path)


def test_allowed_domains_send_the_network_through_the_bridge(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.WORKSPACE, str(ws), True, allowed_domains=("pypi.org",)), home, tmp_path)
    assert compiled.namespaces is not None and compiled.namespaces.netns
    assert compiled.namespaces.bridge_port == 3128
    assert "--bridge" in compiled.namespaces.options()
    # Landlock: TCP connect to the bridge's port and nothing else, no bind anywhere.
    assert compiled.landlock.handled_net == ll.NET_BIND_TCP | ll.NET_CONNECT_TCP
    assert compiled.landlock.ports == ((3128, ll.NET_CONNECT_TCP),)
    assert compiled.env["HTTPS_PROXY"] == compiled.env["http_proxy"] == "http://127.0.0.1:3128"
    assert compiled.env["NO_PROXY"] == "localhost,127.0.0.1,::1"
    assert "network-proxy-only" in compiled.enforced and "network-off" not in compiled.enforced


def test_allowed_domains_without_user_namespaces_are_refused(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with pytest.raises(UnsupportedError) as caught:
        compile_(SandboxConfig(Mode.WORKSPACE, str(ws), allowed_domains=("pypi.org",)), home, tmp_path, userns=False)
    assert caught.value.reason is Reason.USERNS_BLOCKED


def test_strict_mode_keeps_the_network_off_even_with_allowed_domains(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    compiled = compile_(SandboxConfig(Mode.STRICT, str(ws), allowed_domains=("pypi.org",)), home, tmp_path)
    assert compiled.namespaces is not None and compiled.namespaces.bridge_port is None
    assert "network-off" in compiled.enforced and "HTTPS_PROXY" not in compiled.env
