"""DevEnvManager: one image per project, built from its own Dockerfile, cached by content.

The image's tag is its content hash (see :mod:`sandbox.containers.context`), so the daemon
itself is the cache: a key whose tag exists needs no build. An index on disk remembers,
per project (by absolute path), the last image and how it was built, so ``is_stale`` can
recompute the key later; stat caches make that recomputation cheap.

On disk (``cache_dir``, 0700): ``index.json`` (atomic writes, under ``index.lock``),
``stat/<hash of the project path>.json``, and ``locks/<key>.lock``, held while that key
builds so that two processes asking for the same image build it once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sandbox.containers import client as docker_client
from sandbox.containers.context import BuildSpec, StatCache, base_images, cache_key, context_entries
from sandbox.containers.hardening import LABEL, LABEL_CONTENT_HASH, LABEL_PROJECT, slug
from sandbox.durable import write_atomic
from sandbox.errors import ContainerError, PolicyError

#: Lines of build output kept for the error raised by a failed build.
LOG_TAIL = 40
#: Seconds a build may stay silent before the SDK's read gives up.
BUILD_TIMEOUT = 3600
REPOSITORY_PREFIX = "sandbox-devenv-"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class CachedImage:
    """The image the index holds for a project, and whether it is stale now."""

    tag: str
    content_hash: str
    built_at: datetime
    stale: bool


@dataclass(frozen=True, slots=True)
class SwapRequest:
    """Handed to ``on_swap_needed``: run the workspace on this image from now on."""

    image_tag: str
    dockerfile: str
    workspace: str


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sandbox", "devenv")


def image_tag(project_dir: str, key: str) -> str:
    """``sandbox-devenv-<directory name>:<key>``: valid for any directory name."""
    return f"{REPOSITORY_PREFIX}{slug(os.path.basename(project_dir))}:{key[:32]}"


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


class DevEnvManager:
    """Builds and caches the development image of ``project_dir``.

    ``build_args`` and ``target`` apply to every build; ``labels`` are added to every image
    built; ``client`` is a ``docker.DockerClient`` (one is made from the environment when
    first needed). ``on_swap_needed`` is called by :meth:`rebuild_and_force_swap`.

    Raises:
        PolicyError: ``project_dir`` is not a directory.
    """

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        build_args: Mapping[str, str] | None = None,
        target: str | None = None,
        labels: Mapping[str, str] | None = None,
        client: Any = None,
    ) -> None:
        root = os.path.realpath(os.fspath(project_dir))
        if not os.path.isdir(root):
            raise PolicyError(f"project_dir: not a directory: {os.fspath(project_dir)!r}")
        self.project_dir = root
        self.cache_dir = os.path.abspath(os.fspath(cache_dir)) if cache_dir is not None else default_cache_dir()
        self.build_args = dict(build_args or {})
        self.target = target
        self.labels = dict(labels or {})
        self.on_swap_needed: Callable[[SwapRequest], None] | None = None
        self._client = client
        #: Builds this manager ran (not counting cache hits).
        self.builds = 0

    # -- the daemon -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = docker_client.connect()
        return self._client

    def _image_id(self, name: str) -> str | None:
        docker = docker_client.docker_module()
        with docker_client.daemon_call(f"inspect image {name}"):
            try:
                return str(self.client.api.inspect_image(name)["Id"])
            except docker.errors.NotFound:
                return None

    # -- the key ----------------------------------------------------------------------

    def _paths(self, project: str) -> tuple[str, str]:
        # Private: the index names every project directory of the user.
        os.makedirs(os.path.dirname(self.cache_dir), exist_ok=True)
        for folder in (self.cache_dir, os.path.join(self.cache_dir, "stat"), os.path.join(self.cache_dir, "locks")):
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder, 0o700)
        name = hashlib.sha256(os.fsencode(project)).hexdigest()[:32]
        return os.path.join(self.cache_dir, "stat", name + ".json"), os.path.join(self.cache_dir, "index.lock")

    def _content(self, spec: BuildSpec) -> tuple[bytes, list[tuple[str, int, str]]]:
        """The Dockerfile's bytes and the context's entries, through the stat cache."""
        stat_path, _ = self._paths(spec.project_dir)
        try:
            with open(stat_path, "rb") as f:
                cache = StatCache.loads(f.read())
        except FileNotFoundError:
            cache = StatCache()
        entries = context_entries(spec, cache)
        if cache.changed:
            write_atomic(stat_path, cache.dumps())
        with open(spec.dockerfile, "rb") as f:
            return f.read(), entries

    def _key_of(self, spec: BuildSpec, dockerfile: bytes, entries: list[tuple[str, int, str]]) -> str:
        bases = [(name, self._image_id(name)) for name in base_images(dockerfile, dict(spec.build_args))]
        return cache_key(spec, dockerfile, bases, entries)

    def _key(self, spec: BuildSpec) -> str:
        return self._key_of(spec, *self._content(spec))

    def content_hash(self, dockerfile: str | os.PathLike[str] = "Dockerfile") -> str:
        """The cache key the project has now, without building anything.

        Raises:
            PolicyError: no such Dockerfile. ContainerError: the context cannot be read.
            UnsupportedError: no daemon (base images are resolved by it).
        """
        return self._key(BuildSpec.of(self.project_dir, dockerfile, self.build_args, self.target))

    # -- the index --------------------------------------------------------------------

    def _index(self) -> dict[str, Any]:
        try:
            with open(os.path.join(self.cache_dir, "index.json"), "rb") as f:
                data = json.loads(f.read())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ContainerError(f"{self.cache_dir}/index.json is damaged: {exc}; remove it to start afresh") from None
        return data if isinstance(data, dict) else {}

    def _update_index(self, project: str, entry: dict[str, Any] | None) -> None:
        _, lock = self._paths(project)
        with _locked(lock):
            index = self._index()
            if entry is None:
                index.pop(project, None)
            else:
                index[project] = entry
            write_atomic(os.path.join(self.cache_dir, "index.json"), json.dumps(index, indent=1).encode())

    def _record(self, spec: BuildSpec, tag: str, key: str) -> None:
        self._update_index(
            spec.project_dir,
            {
                "tag": tag,
                "content_hash": key,
                "built_at": datetime.now(timezone.utc).isoformat(),
                "dockerfile": spec.dockerfile,
                "build_args": dict(spec.build_args),
                "target": spec.target,
            },
        )

    # -- building ---------------------------------------------------------------------

    def _build(self, spec: BuildSpec, tag: str, key: str, progress: Progress | None, *, nocache: bool) -> None:
        import requests
        import urllib3

        docker = docker_client.docker_module()
        labels = {**self.labels, LABEL: "1", LABEL_CONTENT_HASH: key, LABEL_PROJECT: spec.project_dir}
        tail: deque[str] = deque(maxlen=LOG_TAIL)

        def say(line: str) -> None:
            tail.append(line)
            if progress is not None:
                progress(line)

        try:
            chunks = self.client.api.build(
                path=spec.project_dir,
                dockerfile=spec.dockerfile_in_context or spec.dockerfile,
                tag=tag,
                buildargs=dict(spec.build_args) or None,
                target=spec.target,
                labels=labels,
                rm=True,
                forcerm=True,
                nocache=nocache,
                decode=True,
                timeout=BUILD_TIMEOUT,
            )
            for chunk in chunks:
                if "error" in chunk or "errorDetail" in chunk:
                    detail = chunk.get("errorDetail", {}).get("message") or chunk.get("error")
                    say(str(detail))
                    raise ContainerError(f"build of {tag} failed: {detail}", log_tail=tuple(tail))
                if "stream" in chunk:
                    for line in str(chunk["stream"]).splitlines():
                        if line.strip():
                            say(line)
                elif "status" in chunk:
                    say(" ".join(str(chunk[k]) for k in ("id", "status", "progress") if chunk.get(k)))
        except docker.errors.APIError as exc:
            # The daemon rejects some failures before streaming (a Dockerfile it cannot parse).
            say(str(exc.explanation or exc))
            raise ContainerError(f"build of {tag} failed: {exc.explanation or exc}", log_tail=tuple(tail)) from None
        except (requests.exceptions.ConnectionError, ConnectionError) as exc:
            raise docker_client.unreachable(exc) from None
        except (
            docker.errors.DockerException,
            docker.errors.StreamParseError,
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,
        ) as exc:
            # A stream cut mid-build, a read timeout: the build's fate is unknown here.
            raise ContainerError(f"build of {tag} failed: {exc}", log_tail=tuple(tail)) from None
        if self._image_id(tag) is None:
            raise ContainerError(f"build of {tag} ended without an image", log_tail=tuple(tail))
        self.builds += 1

    def _get_or_build(self, spec: BuildSpec, progress: Progress | None, *, force: bool) -> str:
        dockerfile, entries = self._content(spec)
        key = self._key_of(spec, dockerfile, entries)
        tag = image_tag(spec.project_dir, key)
        if not force and self._image_id(tag) is not None:
            self._record(spec, tag, key)
            return tag
        with _locked(os.path.join(self.cache_dir, "locks", key + ".lock")):
            # Another process may have built it while this one waited for the lock.
            if force or self._image_id(tag) is None:
                self._build(spec, tag, key, progress, nocache=force)
        # A base image the build pulled was "missing" in the key above; key it as it is now,
        # so that is_stale does not call a fresh build stale. Only the base images are looked
        # at again: the context as it was hashed is what was built, even if a file changed
        # during the build (that change makes the next call build again, as it should).
        after = self._key_of(spec, dockerfile, entries)
        if after != key:
            repository, _, _ = image_tag(spec.project_dir, after).rpartition(":")
            with docker_client.daemon_call(f"tag {tag}"):
                self.client.api.tag(tag, repository, after[:32])
            key, tag = after, image_tag(spec.project_dir, after)
        self._record(spec, tag, key)
        return tag

    def get_or_build(
        self, dockerfile: str | os.PathLike[str] = "Dockerfile", *, progress: Progress | None = None
    ) -> str:
        """The tag of the project's image for ``dockerfile``, built only if no image with
        this content hash exists. ``progress`` receives each line of build output.

        Raises:
            PolicyError: no such Dockerfile. ContainerError: the build failed (with
            ``log_tail``). UnsupportedError: no SDK or no daemon.
        """
        return self._get_or_build(
            BuildSpec.of(self.project_dir, dockerfile, self.build_args, self.target), progress, force=False
        )

    # -- staleness, invalidation, swap ------------------------------------------------

    def _resolve(self, project_dir: str | os.PathLike[str] | None) -> str:
        return self.project_dir if project_dir is None else os.path.realpath(os.fspath(project_dir))

    def cached(self, project_dir: str | os.PathLike[str] | None = None) -> CachedImage | None:
        """The image the index holds for the project, with ``stale`` computed now; None when
        the index has none.

        Raises:
            ContainerError: the index is damaged. UnsupportedError: no daemon.
        """
        project = self._resolve(project_dir)
        entry = self._index().get(project)
        if not isinstance(entry, dict):
            return None
        return CachedImage(
            tag=str(entry["tag"]),
            content_hash=str(entry["content_hash"]),
            built_at=datetime.fromisoformat(str(entry["built_at"])),
            stale=self._stale(project, entry),
        )

    def _stale(self, project: str, entry: dict[str, Any]) -> bool:
        try:
            spec = BuildSpec.of(project, str(entry["dockerfile"]), entry.get("build_args") or {}, entry.get("target"))
        except PolicyError:
            return True  # the Dockerfile or the project is gone
        return self._key(spec) != entry["content_hash"] or self._image_id(str(entry["tag"])) is None

    def is_stale(self, project_dir: str | os.PathLike[str] | None = None) -> bool:
        """True when the project's content no longer matches its cached image, the image is
        gone, or no image was ever built for it.

        Raises:
            ContainerError: the index is damaged or the context unreadable.
            UnsupportedError: no daemon.
        """
        project = self._resolve(project_dir)
        entry = self._index().get(project)
        return not isinstance(entry, dict) or self._stale(project, entry)

    def invalidate(self, project_dir: str | os.PathLike[str] | None = None) -> None:
        """Forget the project's cached image and stat cache (the image itself is kept:
        other projects with the same content may use it)."""
        project = self._resolve(project_dir)
        stat_path, _ = self._paths(project)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stat_path)
        self._update_index(project, None)

    def rebuild_and_force_swap(self, dockerfile_path: str | os.PathLike[str] = "Dockerfile") -> str:
        """Build afresh (no layer cache), then hand a :class:`SwapRequest` to
        ``on_swap_needed``. Returns the new tag.

        Raises:
            PolicyError, ContainerError, UnsupportedError: as :meth:`get_or_build`.
        """
        self.invalidate()
        spec = BuildSpec.of(self.project_dir, dockerfile_path, self.build_args, self.target)
        tag = self._get_or_build(spec, None, force=True)
        if self.on_swap_needed is not None:
            self.on_swap_needed(SwapRequest(image_tag=tag, dockerfile=spec.dockerfile, workspace=self.project_dir))
        return tag
