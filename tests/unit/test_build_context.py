"""Dockerfile + context -> cache key: what changes the key and what does not, exactly."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from sandbox import ContainerError, PolicyError
from sandbox.containers.context import (
    RACY_NS,
    BuildSpec,
    StatCache,
    base_images,
    cache_key,
    context_entries,
    context_paths,
)

DOCKERFILE = b"FROM scratch\nCOPY . /src\n"


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_bytes(DOCKERFILE)
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "build").mkdir()
    (root / "build" / "out.o").write_bytes(b"\x7fELF")
    (root / ".dockerignore").write_text("# build output\nbuild\n*.log\n")
    (root / "run.log").write_text("noise")
    old = time.time() - 10  # older than the stat cache's racy window
    for path in root.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)
    return root


def _key(root: Path, cache: StatCache | None = None, **spec: object) -> str:
    build = BuildSpec.of(root, **spec)  # type: ignore[arg-type]
    entries = context_entries(build, cache if cache is not None else StatCache())
    return cache_key(build, Path(build.dockerfile).read_bytes(), [], entries)


def test_context_follows_dockerignore(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    assert context_paths(BuildSpec.of(root)) == [".dockerignore", "Dockerfile", "src", "src/main.py"]


def test_dockerfile_is_sent_even_when_ignored(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    (root / ".dockerignore").write_text("*\n")
    # As docker build does, the SDK sends the Dockerfile and .dockerignore whatever the patterns say.
    assert context_paths(BuildSpec.of(root)) == [".dockerignore", "Dockerfile"]


def test_key_changes_with_a_file_in_the_context(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    before = _key(root)
    (root / "src" / "main.py").write_text("print('changed')\n")
    assert _key(root) != before


def test_key_ignores_changes_to_ignored_files(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    before = _key(root)
    (root / "build" / "out.o").write_bytes(b"other")
    (root / "new.log").write_text("x")
    assert _key(root) == before


def test_key_ignores_modification_times(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    before = _key(root)
    os.utime(root / "src" / "main.py", (1, 1))
    assert _key(root) == before


def test_key_ignores_the_directory_name_and_location(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    other = tmp_path / "elsewhere" / "Another Name"
    other.parent.mkdir()
    shutil.copytree(root, other, symlinks=True)
    assert _key(other) == _key(root)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: (r / "src" / "main.py").chmod(0o755),
        lambda r: (r / "src" / "empty").mkdir(),
        lambda r: os.symlink("main.py", r / "src" / "link"),
        lambda r: (r / "Dockerfile").write_bytes(DOCKERFILE + b"RUN true\n"),
        lambda r: (r / "src" / "main.py").rename(r / "src" / "moved.py"),
    ],
    ids=["mode", "empty-dir", "symlink", "dockerfile", "rename"],
)
def test_key_changes_with_what_the_build_sees(tmp_path: Path, change) -> None:
    root = _project(tmp_path / "p")
    before = _key(root)
    change(root)
    assert _key(root) != before


def test_key_changes_with_build_args_target_and_base_ids(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    spec = BuildSpec.of(root)
    entries = context_entries(spec, StatCache())
    plain = cache_key(spec, DOCKERFILE, [], entries)
    assert cache_key(BuildSpec.of(root, build_args={"V": "1"}), DOCKERFILE, [], entries) != plain
    assert cache_key(BuildSpec.of(root, target="dev"), DOCKERFILE, [], entries) != plain
    a = cache_key(spec, DOCKERFILE, [("base:1", "sha256:aa")], entries)
    assert a != cache_key(spec, DOCKERFILE, [("base:1", "sha256:bb")], entries)
    assert a != cache_key(spec, DOCKERFILE, [("base:1", None)], entries)


def test_warm_stat_cache_hashes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    for i in range(300):
        (root / "src" / f"m{i}.py").write_text(f"x = {i}\n")
        os.utime(root / "src" / f"m{i}.py", (1, 1))
    cache = StatCache()
    first = _key(root, cache)
    assert cache.hashed == 303  # the 300, main.py, Dockerfile and .dockerignore
    warm = StatCache.loads(cache.dumps())
    assert _key(root, warm) == first
    assert warm.hashed == 0


def test_a_file_changed_within_the_racy_window_is_hashed_again(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    cache = StatCache()
    _key(root, cache)
    target = root / "src" / "main.py"
    target.write_text("print('new')\n")  # mtime now: too recent to trust
    assert time.time_ns() - target.stat().st_mtime_ns < RACY_NS
    _key(root, cache)
    hashed = cache.hashed
    _key(root, cache)
    assert cache.hashed == hashed + 1


def test_damaged_stat_cache_is_rebuilt_not_trusted() -> None:
    for damaged in (b"{not json", b"[1, 2]", b'{"files": [1], "excluded": 3}'):
        cache = StatCache.loads(damaged)
        assert cache.files == {} and cache.excluded == {}


def test_changed_patterns_drop_the_remembered_verdicts(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    cache = StatCache()
    _key(root, cache)
    assert cache.excluded["run.log"] is True
    (root / ".dockerignore").write_text("build\n")
    assert "run.log" in context_paths(BuildSpec.of(root))
    _key(root, cache)
    assert cache.excluded["run.log"] is False


PATTERN_SETS = [
    [],
    ["*"],
    ["*", "!src"],
    ["*", "!src/keep.py"],
    ["build", "*.log"],
    ["**/*.pyc", "!**/important.pyc"],
    ["src/*/deep", "docs/**"],
    ["/abs-looking", "./dot-prefixed", "trailing/"],
    ["[ab]*.txt", "?.md", "!a1.txt"],
    ["node_modules", "!node_modules/pkg/keep.js"],
]


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=lambda p: " ".join(p) or "none")
def test_walk_agrees_with_the_sdks_exclude_paths(tmp_path: Path, patterns: list[str]) -> None:
    from docker.utils.build import exclude_paths

    root = tmp_path / "p"
    for rel in ["Dockerfile", "a1.txt", "b2.txt", "c.txt", "x.md", "xy.md", "run.log", "abs-looking", "dot-prefixed",
                "src/keep.py", "src/other.py", "src/m/deep/f.py", "src/m/shallow.py", "docs/a/b.md", "build/out.o",
                "trailing/t", "lib/x.pyc", "lib/important.pyc", "node_modules/pkg/keep.js", "node_modules/pkg/drop.js"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "empty").mkdir()
    os.symlink("src", root / "link-to-dir")
    os.symlink("missing", root / "dangling")
    (root / ".dockerignore").write_text("\n".join(patterns) + "\n")
    expected = sorted(exclude_paths(str(root), list(patterns), dockerfile=None))
    assert context_paths(BuildSpec.of(root)) == expected


def test_base_images_substitute_args_and_skip_stages_and_scratch() -> None:
    dockerfile = (
        b"ARG BASE=debian:12\nFROM $BASE AS build\nRUN make\n"
        b"FROM build AS test\nFROM scratch\nCOPY --from=build /out /out\nCOPY --from=tools:1 /bin/x /x\n"
    )
    assert base_images(dockerfile, {}) == ["debian:12", "tools:1"]
    assert base_images(dockerfile, {"BASE": "alpine:3"}) == ["alpine:3", "tools:1"]


def test_build_spec_refuses_what_cannot_be_built(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    with pytest.raises(PolicyError, match="not a directory"):
        BuildSpec.of(tmp_path / "absent")
    with pytest.raises(PolicyError, match="no such file"):
        BuildSpec.of(root, "Missing.dockerfile")
    with pytest.raises(PolicyError, match="build_args"):
        BuildSpec.of(root, build_args={"A": 1})  # type: ignore[dict-item]
    with pytest.raises(PolicyError, match="target"):
        BuildSpec.of(root, target=" ")


def test_entries_that_are_not_files_are_never_read(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    os.symlink("/nonexistent/target", root / "src" / "dangling")
    os.mkfifo(root / "src" / "fifo")  # reading it would block forever
    entries = {p: digest for p, _, digest in context_entries(BuildSpec.of(root), StatCache())}
    assert entries["src/fifo"] == ""
    assert entries["src/dangling"].startswith("link:")


def test_unreadable_context_file_raises_container_error() -> None:
    # Root reads a mode-0 file, so as root the check runs in a forked child that has become
    # an ordinary user (nobody) first; the project lives where that user can reach it.
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        root = _project(base / "p")
        secret = root / "src" / "secret.py"
        secret.write_text("x")
        secret.chmod(0)

        def check() -> bool:
            try:
                context_entries(BuildSpec.of(root), StatCache())
            except ContainerError as exc:
                return "secret.py" in str(exc)
            return False

        if os.geteuid() != 0:
            assert check()
            return
        # Loaded here: the child, as nobody, may not reach the interpreter's own files.
        import docker.utils.build  # noqa: F401

        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                os._exit(0 if check() else 1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        shutil.rmtree(base)


def test_a_file_rewritten_with_its_old_mtime_is_hashed_again(tmp_path: Path) -> None:
    # Archive tools restore mtimes: same size, same mtime, maybe the same inode; the ctime
    # still moves, and the stat cache compares it.
    root = _project(tmp_path / "p")
    target = root / "src" / "main.py"
    cache = StatCache()
    before = _key(root, cache)
    stamp = target.stat().st_mtime_ns
    target.write_text("print('HI')\n")  # same length
    os.utime(target, ns=(stamp, stamp))
    assert _key(root, cache) != before
