"""Configuration (API.md §2): validation, JSON round trip, modes and their context."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading

import pytest

from sandbox import (
    Config,
    IsolationLevel,
    Limits,
    Mode,
    PolicyError,
    SandboxConfig,
    current_mode,
    default_config,
    parse_mode,
    use_mode,
)


def test_default_config_values() -> None:
    cfg = default_config()
    assert cfg == Config(
        enabled=True, type="auto", allow_network=False, allow_write=True,
        read_only_dirs=(), writable_dirs=(), max_memory_mb=512, max_cpu_pct=50,
    )


def test_config_json_uses_the_documented_keys() -> None:
    data = json.loads(default_config().to_json())
    assert list(data) == [
        "enabled", "type", "allow_network", "allow_write",
        "read_only_dirs", "writable_dirs", "max_memory_mb", "max_cpu_pct",
    ]


def test_config_json_round_trip() -> None:
    cfg = Config(
        enabled=True, type="landlock", allow_network=True, allow_write=False,
        read_only_dirs=["/usr", "/opt/tools"], writable_dirs=[], max_memory_mb=2048, max_cpu_pct=100,
    )
    assert Config.from_json(cfg.to_json()) == cfg


def test_config_from_json_fills_missing_keys_with_defaults() -> None:
    assert Config.from_json('{"max_memory_mb": 64}') == Config(max_memory_mb=64)


def test_config_lists_become_tuples() -> None:
    assert Config(read_only_dirs=["/usr"]).read_only_dirs == ("/usr",)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"enabled": "yes"}',
        '{"type": "chroot"}',
        '{"max_memory_mb": -1}',
        '{"max_memory_mb": 0}',
        '{"max_memory_mb": 1.5}',
        '{"max_memory_mb": true}',
        '{"max_cpu_pct": 0}',
        '{"max_cpu_pct": 101}',
        '{"read_only_dirs": "/usr"}',
        '{"read_only_dirs": ["relative/dir"]}',
        '{"writable_dirs": [7]}',
        '{"unknown_key": 1}',
    ],
)
def test_invalid_config_json_raises_policy_error(text: str) -> None:
    with pytest.raises(PolicyError):
        Config.from_json(text)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        default_config().enabled = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("strict", Mode.STRICT),
        ("workspace", Mode.WORKSPACE),
        ("off", Mode.OFF),
        ("  WorkSpace\n", Mode.WORKSPACE),
        ("OFF", Mode.OFF),
        ("", Mode.STRICT),
        (None, Mode.STRICT),
        ("none", Mode.STRICT),
        ("disabled", Mode.STRICT),
        ("workspace;off", Mode.STRICT),
    ],
)
def test_parse_mode_fails_closed(text: str | None, mode: Mode) -> None:
    assert parse_mode(text) is mode


def test_current_mode_is_off_when_nothing_is_set() -> None:
    assert current_mode() is Mode.OFF


def test_use_mode_nests_and_restores() -> None:
    with use_mode(Mode.WORKSPACE):
        assert current_mode() is Mode.WORKSPACE
        with use_mode("strict"):
            assert current_mode() is Mode.STRICT
        assert current_mode() is Mode.WORKSPACE
    assert current_mode() is Mode.OFF


def test_use_mode_restores_after_an_exception() -> None:
    with pytest.raises(RuntimeError), use_mode(Mode.STRICT):
        raise RuntimeError("boom")
    assert current_mode() is Mode.OFF


def test_use_mode_rejects_an_unknown_mode() -> None:
    with pytest.raises(PolicyError):
        with use_mode("permissive"):
            pass


def test_use_mode_follows_a_thread_started_with_a_copied_context() -> None:
    seen: list[Mode] = []
    with use_mode(Mode.STRICT):
        ctx = contextvars.copy_context()
    thread = threading.Thread(target=ctx.run, args=(lambda: seen.append(current_mode()),))
    thread.start()
    thread.join()
    assert seen == [Mode.STRICT]


def test_use_mode_does_not_leak_into_a_plain_thread() -> None:
    seen: list[Mode] = []
    with use_mode(Mode.STRICT):
        thread = threading.Thread(target=lambda: seen.append(current_mode()))
        thread.start()
        thread.join()
    assert seen == [Mode.OFF]


def test_use_mode_follows_asyncio_tasks_and_stays_per_task() -> None:
    async def child() -> Mode:
        await asyncio.sleep(0)
        return current_mode()

    async def in_mode(mode: Mode) -> tuple[Mode, Mode]:
        with use_mode(mode):
            inner = await asyncio.create_task(child())
            await asyncio.sleep(0)
            return inner, current_mode()

    async def main() -> list[tuple[Mode, Mode]]:
        return list(await asyncio.gather(in_mode(Mode.STRICT), in_mode(Mode.WORKSPACE)))

    assert asyncio.run(main()) == [(Mode.STRICT, Mode.STRICT), (Mode.WORKSPACE, Mode.WORKSPACE)]


def test_isolation_levels() -> None:
    assert [level.value for level in IsolationLevel] == ["default", "enhanced", "container", "maximum", "off"]


def test_sandbox_config_defaults_to_the_current_directory_in_workspace_mode(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = SandboxConfig()
    assert (cfg.mode, cfg.workspace_dir, cfg.allow_network) == (Mode.WORKSPACE, str(tmp_path), False)
    assert "~/.ssh" in cfg.deny_read and "~/.aws" in cfg.deny_read


def test_sandbox_config_takes_mode_as_a_string() -> None:
    assert SandboxConfig("strict", "/").mode is Mode.STRICT


def test_sandbox_config_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        SandboxConfig(Mode.STRICT, "/", False, ("pypi.org",))  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "wrokspace"},
        {"mode": ""},
        {"workspace_dir": "relative"},
        {"workspace_dir": "/tmp/a\0b"},
        {"allow_network": 1},
        {"read_only_paths": ("usr/lib",)},
        {"writable_paths": "/tmp"},
        {"deny_read": (".ssh",)},
        {"env": ("PATH", "")},
        {"env": "PATH"},
        {"allowed_domains": ("pypi.org", "two words")},
        {"limits": {"memory_mb": 5}},
        {"backend": "chroot"},
        {"mode": "strict", "writable_paths": ("/tmp",)},
    ],
)
def test_invalid_sandbox_config_raises_policy_error(kwargs: dict[str, object]) -> None:
    kwargs.setdefault("workspace_dir", "/")
    with pytest.raises(PolicyError):
        SandboxConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"memory_mb": -1},
        {"memory_mb": 0},
        {"pids": -1},
        {"open_files": 1.5},
        {"cpu_seconds": True},
        {"file_size_mb": "10"},
        {"cpu_percent": 150},
        {"wall_time": -1},
        {"wall_time": float("nan")},
        {"wall_time": float("inf")},
    ],
)
def test_invalid_limit_raises_policy_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(PolicyError):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_paths_are_normalised() -> None:
    cfg = SandboxConfig(workspace_dir="/srv//project/./src/..", read_only_paths=("~/.cache/", "/opt/x/"))
    assert cfg.workspace_dir == "/srv/project"
    assert cfg.read_only_paths == ("~/.cache", "/opt/x")


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        (Config(enabled=False), Mode.OFF),
        (Config(allow_write=False), Mode.STRICT),
        (Config(), Mode.WORKSPACE),
    ],
)
def test_config_maps_to_sandbox_config_mode(config: Config, mode: Mode) -> None:
    assert SandboxConfig.from_config(config, "/srv").mode is mode


def test_config_maps_every_field_to_sandbox_config() -> None:
    cfg = Config(
        type="bwrap", allow_network=True, read_only_dirs=("/opt",), writable_dirs=("/var/cache/x",),
        max_memory_mb=256, max_cpu_pct=25,
    )
    assert SandboxConfig.from_config(cfg, "/srv") == SandboxConfig(
        Mode.WORKSPACE, "/srv", True,
        read_only_paths=("/opt",), writable_paths=("/var/cache/x",),
        limits=Limits(memory_mb=256, cpu_percent=25), backend="bwrap",
    )


def test_config_with_writable_dirs_but_no_writes_is_refused() -> None:
    with pytest.raises(PolicyError):
        SandboxConfig.from_config(Config(allow_write=False, writable_dirs=("/tmp",)), "/srv")
