"""The hardened container's settings, decided by a pure function: exact outputs."""

from __future__ import annotations

import os

import pytest

from sandbox import CONTAINER_IMAGE_TAG, ContainerSandbox, PolicyError
from sandbox.containers.container import default_image
from sandbox.containers.execution import argv_of, check_timeout
from sandbox.containers.hardening import ContainerSettings, create_arguments, slug


def _settings(**changes: object) -> ContainerSettings:
    base: dict[str, object] = {
        "image": "img:1", "name": "sandbox-p-abc", "project_dir": "/src/p", "user": "1000:100", "uid": 1000, "gid": 100,
        "labels": (("io.github.sandbox", "1"),), "memory_mb": 512, "cpu_percent": 50, "host_cpus": 4,
    }
    base.update(changes)
    return ContainerSettings(**base)  # type: ignore[arg-type]


def test_default_container_is_hardened() -> None:
    assert create_arguments(_settings()) == {
        "image": "img:1",
        "name": "sandbox-p-abc",
        "entrypoint": ["sleep", "infinity"],
        "command": [],
        "labels": {"io.github.sandbox": "1"},
        "init": True,
        "detach": True,
        "user": "1000:100",
        "working_dir": "/src/p",
        "environment": {},
        "mounts": [{"Type": "bind", "Source": "/src/p", "Target": "/src/p", "ReadOnly": False}],
        "read_only": True,
        "tmpfs": {"/tmp": "rw,exec,nosuid,nodev,size=64m,mode=1777,uid=1000,gid=100"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": 256,
        "network_mode": "none",
        "use_config_proxy": False,
        "mem_limit": "512m",
        "memswap_limit": "512m",
        "nano_cpus": 2_000_000_000,
    }


def test_cpu_percent_is_a_share_of_the_whole_machine() -> None:
    assert create_arguments(_settings(cpu_percent=25, host_cpus=2))["nano_cpus"] == 500_000_000


def test_unlimited_memory_and_cpu_leave_the_keys_out() -> None:
    args = create_arguments(_settings(memory_mb=None, cpu_percent=None))
    assert "mem_limit" not in args and "memswap_limit" not in args and "nano_cpus" not in args


def test_tmp_of_a_named_user_leaves_the_owner_to_docker() -> None:
    args = create_arguments(_settings(user="node", uid=None, gid=None))
    assert args["user"] == "node" and args["tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,size=64m,mode=1777"}


def test_gvisor_runtime_is_passed_through() -> None:
    assert create_arguments(_settings(runtime="runsc"))["runtime"] == "runsc"


@pytest.mark.parametrize(
    "changes",
    [{"image": ""}, {"image": "a b"}, {"pids": 0}, {"tmp_mb": -1}, {"memory_mb": 1}, {"cpu_percent": 0},
     {"cpu_percent": 101}, {"pids": True}],
)
def test_bad_settings_raise_policy_error(changes: dict[str, object]) -> None:
    with pytest.raises(PolicyError):
        _settings(**changes)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("My Project!", "my-project"), ("ÜNICODE dir", "nicode-dir"), ("..", "project"), ("___", "project"),
     ("a" * 300, "a" * 40), ("web.app_v2", "web-app-v2"), ("-x-", "x")],
)
def test_slug_of_any_directory_name_is_a_valid_docker_name(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_default_image_uses_the_tag_constant() -> None:
    assert CONTAINER_IMAGE_TAG == os.environ.get("SANDBOX_CONTAINER_IMAGE_TAG", "latest")
    assert default_image() == f"sandbox-env:{CONTAINER_IMAGE_TAG}"


def test_root_owned_project_needs_an_explicit_user() -> None:
    with pytest.raises(PolicyError, match="belongs to root"):
        ContainerSandbox("/")


def test_network_without_the_proxy_is_refused_rather_than_given_unfiltered() -> None:
    from sandbox import Config

    with pytest.raises(PolicyError, match="allow_network"):
        ContainerSandbox("/", user="1000:1000", config=Config(allow_network=True))


def test_the_proxy_needs_the_agent_that_carries_it() -> None:
    with pytest.raises(PolicyError, match="agent"):
        ContainerSandbox("/", user="1000:1000", proxy="127.0.0.1:3128", agent=False)


@pytest.mark.parametrize("bad", ["", "3128", "host:", ":80", "host:0", "host:70000", "host:http", 3128])
def test_bad_proxy_addresses_raise_policy_error(bad: object) -> None:
    with pytest.raises(PolicyError, match="proxy"):
        ContainerSandbox("/", user="1000:1000", proxy=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["default", "enhanced", "off", "bogus"])
def test_isolation_other_than_container_or_maximum_is_refused(level: str) -> None:
    with pytest.raises(PolicyError, match="isolation"):
        ContainerSandbox("/", user="1000:1000", isolation=level)


def test_missing_project_directory_is_refused(tmp_path) -> None:
    with pytest.raises(PolicyError, match="not a directory"):
        ContainerSandbox(tmp_path / "absent", user="1000:1000")


def test_exec_before_start_raises_container_error(tmp_path) -> None:
    from sandbox import ContainerError

    with pytest.raises(ContainerError, match="not started"):
        ContainerSandbox(tmp_path, user="1000:1000").exec("true")


def test_command_forms() -> None:
    assert argv_of("echo hi | wc") == ["/bin/sh", "-c", "echo hi | wc"]
    assert argv_of(["ls", "-l"]) == ["ls", "-l"]
    for bad in ("", "  ", [], ["a\0b"], [1], None):
        with pytest.raises(PolicyError):
            argv_of(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, True, "5", float("nan")])
def test_bad_timeout_raises_policy_error(bad: object) -> None:
    with pytest.raises(PolicyError):
        check_timeout(bad)  # type: ignore[arg-type]
