"""The content hash of a build: what makes two builds of a project the same image.

The key covers the Dockerfile's bytes, the build arguments, the target, the resolved ids
of the base images, and the sorted (path, mode, content hash) of the build context after
``.dockerignore`` — the files the SDK would send, chosen by the SDK's own ``.dockerignore``
matcher so the two can never disagree. Modification times and the directory's name are
left out: touching a file, or checking the project out elsewhere, is the same image.

Hashing a 10,000-file context on every call would cost seconds, so a stat cache keyed by
(path, size, mtime, inode) remembers each file's hash; a warm call only ``lstat``s.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import ContainerError, PolicyError, Reason, UnsupportedError

KEY_VERSION = b"sandbox-devenv-key/1"
_CHUNK = 1 << 20
#: Files modified more recently than this are hashed on every call (see StatCache.digest).
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """One build of a project: where, which Dockerfile, with what arguments.

    Raises:
        PolicyError: a relative or missing project directory, a missing Dockerfile, or
            build arguments that are not strings.
    """

    project_dir: str
    dockerfile: str
    build_args: tuple[tuple[str, str], ...] = ()
    target: str | None = None

    @classmethod
    def of(
        cls,
        project_dir: str | os.PathLike[str],
        dockerfile: str | os.PathLike[str] = "Dockerfile",
        build_args: Mapping[str, str] | None = None,
        target: str | None = None,
    ) -> BuildSpec:
        root = os.path.realpath(os.fspath(project_dir))
        if not os.path.isdir(root):
            raise PolicyError(f"project_dir: not a directory: {os.fspath(project_dir)!r}")
        path = os.fspath(dockerfile)
        full = path if os.path.isabs(path) else os.path.join(root, path)
        if not os.path.isfile(full):
            raise PolicyError(f"dockerfile: no such file: {full!r}")
        args = dict(build_args or {})
        for name, value in args.items():
            if not isinstance(name, str) or not isinstance(value, str) or not name:
                raise PolicyError(f"build_args: expected names and values as strings, got {name!r}={value!r}")
        if target is not None and (not isinstance(target, str) or not target.strip()):
            raise PolicyError(f"target: expected a stage name, got {target!r}")
        return cls(root, os.path.realpath(full), tuple(sorted(args.items())), target)

    @property
    def dockerfile_in_context(self) -> str | None:
        """The Dockerfile's path inside the context, or None when it lies outside it."""
        rel = os.path.relpath(self.dockerfile, self.project_dir)
        return None if rel.startswith("..") else rel


def ignore_patterns(root: str) -> list[str]:
    """The ``.dockerignore`` patterns, read as the SDK reads them before a build."""
    try:
        with open(os.path.join(root, ".dockerignore")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _matcher_patterns(spec: BuildSpec) -> list[str]:
    # The SDK always sends the Dockerfile, whatever .dockerignore says: exclude_paths adds
    # this exception (naming "Dockerfile" when the Dockerfile lies outside the context).
    return [*ignore_patterns(spec.project_dir), f"!{spec.dockerfile_in_context or 'Dockerfile'}"]


def context_paths(spec: BuildSpec) -> list[str]:
    """The relative paths (files and directories) the SDK would send as the build context."""
    return sorted(rel for rel, _ in _walk(spec, StatCache()))


def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class StatCache:
    """What a previous key computation learnt, loaded from and saved to JSON.

    ``files``: relative path -> (size, mtime_ns, inode, ctime_ns, device, sha256). A file
    whose stamp matches is not read again: an edit changes the mtime and ctime (a rename
    over it, the inode).
    ``excluded``: relative path -> whether ``.dockerignore`` excludes it, valid while the
    patterns (``patterns``, their digest) stay the same: a verdict depends on nothing else.
    """

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {}
        files, excluded = data.get("files"), data.get("excluded")
        self.files: dict[str, list[Any]] = files if isinstance(files, dict) else {}
        self.excluded: dict[str, bool] = excluded if isinstance(excluded, dict) else {}
        self.patterns = str(data.get("patterns", ""))
        self.changed = False
        self.hashed = 0

    @classmethod
    def loads(cls, data: bytes) -> StatCache:
        try:
            loaded = json.loads(data)
        except ValueError:
            return cls()  # a cache is only a cache: a damaged one is rebuilt, never trusted
        return cls(loaded if isinstance(loaded, dict) else None)

    def dumps(self) -> bytes:
        data = {"patterns": self.patterns, "excluded": self.excluded, "files": self.files}
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()

    def use_patterns(self, patterns: list[str]) -> None:
        digest = hashlib.sha256("\0".join(patterns).encode()).hexdigest()
        if digest != self.patterns:
            self.patterns, self.excluded, self.changed = digest, {}, True

    def digest(self, rel: str, full: str, st: os.stat_result) -> str:
        hit = self.files.get(rel)
        # ctime and the device too, as git does: a tool that recreates a file and sets its
        # mtime back (tar, unzip, SOURCE_DATE_EPOCH) may get the same inode number, but
        # cannot set the ctime.
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, st.st_dev]
        if isinstance(hit, list) and len(hit) == 6 and hit[:5] == stamp:
            return str(hit[5])
        value = _file_digest(full)
        self.hashed += 1
        # A file written moments ago can be written again within the same timestamp tick,
        # same size, and look unchanged: it is remembered only once its mtime is old enough.
        if time.time_ns() - st.st_mtime_ns > RACY_NS:
            self.files[rel] = [*stamp, value]
            self.changed = True
        elif rel in self.files:
            del self.files[rel]
            self.changed = True
        return value


def _walk(spec: BuildSpec, cache: StatCache) -> list[tuple[str, os.DirEntry[str]]]:
    """The SDK's context walk (``PatternMatcher.walk``), step for step, on ``scandir``.

    The SDK's walk costs a ``relpath``, two ``stat``s and a pattern match per entry; this
    one takes the directory entry's type and remembers each verdict in ``cache``. The
    verdicts are the SDK's own (``PatternMatcher.matches``) and the pruning is its rule: an
    excluded directory is not entered unless an exception pattern (``!...``) starts with
    its path. tests/unit/test_build_context.py checks the two walks agree.
    """
    from docker.utils.build import PatternMatcher

    patterns = _matcher_patterns(spec)
    cache.use_patterns(patterns)
    matcher = PatternMatcher(patterns)
    exceptions = [p.cleaned_pattern for p in matcher.patterns if p.exclusion]
    verdicts = cache.excluded
    found: list[tuple[str, os.DirEntry[str]]] = []
    visited: list[str] = []

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                visited.append(rel)
                excluded = verdicts.get(rel)
                if excluded is None:
                    excluded = verdicts[rel] = bool(matcher.matches(rel))
                    cache.changed = True
                if not excluded:
                    found.append((rel, entry))
                # A symlink to a directory is sent as a link, never followed.
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if excluded and not any(e.startswith(rel) for e in exceptions):
                    continue
                walk(entry.path, rel + "/")

    try:
        walk(spec.project_dir, "")
    except OSError as exc:
        raise ContainerError(f"build context: cannot list {exc.filename!r}: {exc.strerror or exc}") from None
    if len(verdicts) > len(visited):
        live = set(visited)
        for rel in [r for r in verdicts if r not in live]:
            del verdicts[rel]
    return found


def context_entries(spec: BuildSpec, cache: StatCache) -> list[tuple[str, int, str]]:
    """(path, mode, content hash) of every context entry, sorted by path.

    Directories hash to ``""``, symlinks to their target (never followed), files to their
    content.

    Raises:
        ContainerError: an entry cannot be read.
    """
    out: list[tuple[str, int, str]] = []
    for rel, entry in sorted(_walk(spec, cache), key=lambda item: item[0]):
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode):
                digest = cache.digest(rel, entry.path, st)
            elif stat.S_ISLNK(st.st_mode):
                digest = "link:" + hashlib.sha256(os.fsencode(os.readlink(entry.path))).hexdigest()
            else:
                digest = ""
        except OSError as exc:
            raise ContainerError(f"build context: cannot read {rel!r}: {exc.strerror or exc}") from None
        out.append((rel, st.st_mode, digest))
    live = {rel for rel, _, _ in out}
    stale = [r for r in cache.files if r not in live]
    for rel in stale:
        del cache.files[rel]
    cache.changed = cache.changed or bool(stale)
    return out


def base_images(dockerfile: bytes, build_args: Mapping[str, str]) -> list[str]:
    """The images a Dockerfile builds on: ``FROM`` lines and ``COPY --from=<image>``, with
    ``ARG`` values substituted; stage names and ``scratch`` are left out.

    Raises:
        ContainerError: the Dockerfile cannot be parsed.
    """
    try:
        from dockerfile_parse import DockerfileParser
    except ImportError:
        raise UnsupportedError(Reason.DOCKER_SDK_MISSING, "dockerfile-parse is not installed") from None

    try:
        parser = DockerfileParser(fileobj=io.BytesIO(dockerfile), build_args=dict(build_args))
        parents = list(parser.parent_images)
        structure = parser.structure
    except Exception as exc:  # the parser's errors are not one type
        raise ContainerError(f"Dockerfile: cannot parse: {exc}") from None
    stages: set[str] = set()
    for item in structure:
        if item["instruction"] == "FROM":
            words = item["value"].split()
            if len(words) >= 3 and words[-2].lower() == "as":
                stages.add(words[-1].lower())
    found = [p for p in parents if p.lower() not in stages and p != "scratch"]
    for item in structure:
        if item["instruction"] == "COPY":
            for word in item["value"].split():
                if word.startswith("--from="):
                    source = word[len("--from=") :]
                    if source.lower() not in stages and not source.isdigit() and source not in found:
                        found.append(source)
    return found


def _field(value: bytes) -> bytes:
    # Length-prefixed, so no two different field lists hash the same.
    return len(value).to_bytes(8, "big") + value


def cache_key(
    spec: BuildSpec,
    dockerfile: bytes,
    bases: list[tuple[str, str | None]],
    entries: list[tuple[str, int, str]],
) -> str:
    """The sha256 hex of everything that decides what the build produces."""
    fields = [KEY_VERSION, dockerfile, json.dumps(spec.build_args).encode(), (spec.target or "").encode()]
    for name, image_id in bases:
        fields += [name.encode(), (image_id or "missing").encode()]
    fields.append(str(len(entries)).encode())
    for rel, mode, digest in entries:
        fields += [os.fsencode(rel), f"{mode:o}".encode(), digest.encode()]
    return hashlib.sha256(b"".join(map(_field, fields))).hexdigest()
