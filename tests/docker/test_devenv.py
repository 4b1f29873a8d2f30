"""DevEnvManager against the real daemon: content-hash caching, staleness, concurrent
builds, failures, swaps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox import CachedImage, ContainerError, ContainerSandbox, DevEnvManager, Reason, SwapRequest, UnsupportedError

pytestmark = pytest.mark.docker


def _make(root: Path, base: str, *, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(f"FROM {base}\nCOPY app /app\n{extra}")
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "main.sh").write_text("echo v1\n")
    # Images are content-addressed and shared across projects: each test's content is its own.
    (root / "app" / "unique").write_text(os.urandom(8).hex())
    (root / "notes.tmp").write_text("scratch")
    (root / ".dockerignore").write_text("*.tmp\n")
    old = time.time() - 10  # older than the stat cache's racy window
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


@pytest.fixture
def manager(tmp_path: Path, busybox_image: str, docker_label: str) -> DevEnvManager:
    return DevEnvManager(_make(tmp_path / "proj", busybox_image), cache_dir=tmp_path / "cache",
                         labels={docker_label: "1"})


def test_first_call_builds_and_the_next_finds_it_cached(manager: DevEnvManager, tmp_path: Path) -> None:
    lines: list[str] = []
    tag = manager.get_or_build(progress=lines.append)
    assert manager.builds == 1 and any(line.startswith("Step ") for line in lines)
    again = DevEnvManager(manager.project_dir, cache_dir=manager.cache_dir, client=manager.client)
    assert again.get_or_build() == tag and again.builds == 0
    assert tag.startswith("sandbox-devenv-proj:") and tag.split(":")[1] == again.content_hash()[:32]
    assert manager.client.api.inspect_image(tag)["Config"]["Labels"]["io.github.sandbox.content-hash"]
    cached = again.cached()
    assert isinstance(cached, CachedImage) and cached.tag == tag and cached.stale is False
    # The cache is private: it names every project directory of the user.
    assert (os.stat(manager.cache_dir).st_mode & 0o777) == 0o700
    assert (os.stat(tmp_path / "cache" / "index.json").st_mode & 0o777) == 0o600


def test_change_in_context_makes_it_stale_and_ignored_file_does_not(manager: DevEnvManager) -> None:
    manager.get_or_build()
    root = Path(manager.project_dir)
    (root / "notes.tmp").write_text("ignored by .dockerignore")
    assert manager.is_stale() is False
    os.utime(root / "app" / "main.sh", None)  # touched, same content
    assert manager.is_stale() is False
    (root / "app" / "main.sh").write_text("echo v2\n")
    assert manager.is_stale() is True
    tag = manager.get_or_build()
    assert manager.builds == 2 and manager.is_stale() is False
    assert manager.client.containers.run(tag, ["cat", "/app/main.sh"], remove=True) == b"echo v2\n"


def test_new_base_image_id_makes_it_stale(tmp_path: Path, busybox_image: str, marked_image: str,
                                          docker_client, docker_label: str) -> None:
    base = "sandbox-test-base:moving"
    docker_client.images.get(busybox_image).tag(base)
    manager = DevEnvManager(_make(tmp_path / "p", base), cache_dir=tmp_path / "c", labels={docker_label: "1"})
    try:
        manager.get_or_build()
        assert manager.is_stale() is False
        docker_client.images.get(marked_image).tag(base)  # same name, another image
        assert manager.is_stale() is True
    finally:
        docker_client.images.remove(base, force=True)


def test_removed_image_makes_it_stale(manager: DevEnvManager) -> None:
    tag = manager.get_or_build()
    manager.client.images.remove(tag, force=True)
    assert manager.is_stale() is True
    assert manager.get_or_build() == tag and manager.builds == 2


def test_invalidate_forgets_the_project(manager: DevEnvManager) -> None:
    manager.get_or_build()
    manager.invalidate()
    assert manager.cached() is None and manager.is_stale() is True


def test_never_built_project_is_stale(manager: DevEnvManager) -> None:
    assert manager.is_stale() is True and manager.cached() is None


WORKER = """
import sys
from sandbox import DevEnvManager
m = DevEnvManager(sys.argv[1], cache_dir=sys.argv[2], labels={sys.argv[3]: "1"})
print(m.get_or_build(), m.builds)
"""


def test_two_processes_asking_at_once_build_once(tmp_path: Path, busybox_image: str, docker_label: str) -> None:
    # A slow step keeps the first build running while the second process asks.
    root = _make(tmp_path / "p", busybox_image, extra=f'RUN ["sleep", "2"]\nRUN echo {os.urandom(4).hex()}\n')
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(tmp_path / "cache"), docker_label],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        for _ in range(2)
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outputs.append(out.split())
    assert outputs[0][0] == outputs[1][0]
    assert sorted(int(o[1]) for o in outputs) == [0, 1]


def test_threads_in_one_process_build_once(manager: DevEnvManager) -> None:
    tags: list[str] = []
    threads = [threading.Thread(target=lambda: tags.append(manager.get_or_build())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tags)) == 1 and manager.builds == 1


def test_malformed_dockerfile_raises_container_error(tmp_path: Path, docker_label: str) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM scratch\nNOT_AN_INSTRUCTION here\n")
    manager = DevEnvManager(root, cache_dir=tmp_path / "c", labels={docker_label: "1"})
    with pytest.raises(ContainerError) as caught:
        manager.get_or_build()
    assert "NOT_AN_INSTRUCTION" in str(caught.value).upper() or "unknown instruction" in str(caught.value).lower()
    assert caught.value.log_tail


def test_failing_step_raises_with_the_tail_of_the_log(tmp_path: Path, busybox_image: str, docker_label: str) -> None:
    root = _make(tmp_path / "p", busybox_image, extra='RUN echo about-to-fail && exit 3\n')
    manager = DevEnvManager(root, cache_dir=tmp_path / "c", labels={docker_label: "1"})
    with pytest.raises(ContainerError) as caught:
        manager.get_or_build()
    assert "returned a non-zero code: 3" in str(caught.value)
    assert any("about-to-fail" in line for line in caught.value.log_tail)
    assert manager.cached() is None


def test_any_directory_name_yields_a_valid_tag(tmp_path: Path, busybox_image: str, docker_label: str) -> None:
    for name in ("My Project (v2) ü", "UPPER.case__x", "-leading"):
        root = _make(tmp_path / name, busybox_image)
        tag = DevEnvManager(root, cache_dir=tmp_path / "c", labels={docker_label: "1"}).get_or_build()
        repository = tag.rsplit(":", 1)[0]
        assert repository.startswith("sandbox-devenv-") and repository == repository.lower(), tag


def test_rebuild_and_force_swap_hands_the_new_image_to_the_sandbox(
    manager: DevEnvManager, busybox_image: str, docker_label: str, tmp_path: Path
) -> None:
    project = Path(manager.project_dir)
    if os.geteuid() == 0:
        os.chown(project, 1000, 1000)
    requests: list[SwapRequest] = []
    with ContainerSandbox(project, image=busybox_image, labels={docker_label: "1"}) as box:
        def swap(request: SwapRequest) -> None:
            requests.append(request)
            box.hot_swap(request.image_tag)

        manager.on_swap_needed = swap
        (project / "app" / "main.sh").write_text("echo rebuilt\n")
        tag = manager.rebuild_and_force_swap("Dockerfile")
        assert requests == [SwapRequest(tag, str(project / "Dockerfile"), str(project))]
        assert box.image == tag and box.exec("cat /app/main.sh").stdout == "echo rebuilt\n"
        assert manager.is_stale() is False


def test_build_from_dockerfile_uses_the_built_image(manager: DevEnvManager, docker_label: str) -> None:
    project = Path(manager.project_dir)
    if os.geteuid() == 0:
        os.chown(project, 1000, 1000)
    box = ContainerSandbox(project, labels={docker_label: "1"})
    lines: list[str] = []
    tag = box.build_from_dockerfile("Dockerfile", progress=lines.append)
    assert box.image == tag and lines
    with box:
        assert box.exec("sh /app/main.sh").stdout == "v1\n"


def test_damaged_index_raises_container_error(manager: DevEnvManager, tmp_path: Path) -> None:
    manager.get_or_build()
    (tmp_path / "cache" / "index.json").write_text("{not json")
    with pytest.raises(ContainerError, match="damaged"):
        manager.is_stale()


def test_unreachable_daemon_raises_unsupported(tmp_path: Path, busybox_image: str, unreachable_daemon: str) -> None:
    manager = DevEnvManager(_make(tmp_path / "p", busybox_image), cache_dir=tmp_path / "c")
    with pytest.raises(UnsupportedError) as caught:
        manager.get_or_build()
    assert caught.value.reason is Reason.DOCKER_UNREACHABLE


def test_index_records_how_the_image_was_built(manager: DevEnvManager, tmp_path: Path) -> None:
    tag = manager.get_or_build()
    index = json.loads((tmp_path / "cache" / "index.json").read_text())
    entry = index[manager.project_dir]
    assert entry["tag"] == tag and entry["dockerfile"] == str(Path(manager.project_dir) / "Dockerfile")
    assert entry["content_hash"].startswith(tag.split(":")[1])
