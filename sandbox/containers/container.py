"""ContainerSandbox: one long-lived, hardened container per instance, commands run in it
with ``exec``.

The project is bind-mounted read-write at its own path; everything else the command sees
is the image, read-only, plus a small tmpfs ``/tmp``. The hardening is
:func:`sandbox.containers.hardening.create_arguments`, visible in ``docker inspect``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

from sandbox.containers import client as docker_client
from sandbox.containers.agent import (
    MAX_INPUT,
    TUNNEL_PORT,
    AgentSession,
    AgentUnresponsive,
    agent_binary,
    local_daemon,
)
from sandbox.containers.execution import (
    DEFAULT_MAX_OUTPUT,
    KILL_SCRIPT,
    MARKER,
    ExecExit,
    ExecOutput,
    ExecResult,
    argv_of,
    check_timeout,
    collect,
    stream_exec,
)
from sandbox.containers.hardening import (
    AGENT_PATH,
    KEEPALIVE,
    LABEL,
    LABEL_INSTANCE,
    LABEL_PROJECT,
    ContainerSettings,
    create_arguments,
    slug,
)
from sandbox.errors import ContainerError, PolicyError, Reason, UnsupportedError
from sandbox.host import gvisor_runtime
from sandbox.policy import Config, IsolationLevel

#: The tag of the default image (``sandbox-env:<tag>``); ``SANDBOX_CONTAINER_IMAGE_TAG``
#: overrides it.
CONTAINER_IMAGE_TAG = os.environ.get("SANDBOX_CONTAINER_IMAGE_TAG", "latest")
DEFAULT_REPOSITORY = "sandbox-env"
#: Seconds the in-container kill of a timed-out command may take.
KILL_TIMEOUT = 10.0


def _proxy_address(proxy: str | None) -> tuple[str, int] | None:
    if proxy is None:
        return None
    host, sep, port = proxy.rpartition(":") if isinstance(proxy, str) else ("", "", "")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PolicyError(f"proxy: expected 'HOST:PORT' of the egress proxy, got {proxy!r}")
    return host, int(port)


def default_image() -> str:
    return f"{DEFAULT_REPOSITORY}:{CONTAINER_IMAGE_TAG}"


class ContainerSandbox:
    """A hardened container for ``project_dir``; a context manager (start on enter, stop
    on exit).

    ``isolation`` is ``IsolationLevel.CONTAINER`` (the daemon's default runtime) or
    ``IsolationLevel.MAXIMUM`` (gVisor, which must then be registered with the daemon).
    Memory and CPU come from ``config`` (a :class:`sandbox.Config`). Commands run as
    ``user``, by default the owner of ``project_dir``; a project owned by root needs
    ``user`` given explicitly, so nothing runs as root by accident.

    The container has no network interface but loopback. With ``proxy='HOST:PORT'`` (the
    egress proxy on this machine, e.g. what ``NetworkProxy.start()`` returns) commands find
    ``http_proxy``/``https_proxy`` set to 127.0.0.1:3128 inside, where the agent accepts
    connections and carries each to the proxy: the proxy is the only way out. PID 1 is
    Docker's init running ``keepalive`` (default: the agent waiting, else ``sleep
    infinity``, which the image must then provide).

    ``agent``: None uses sbx-agent where it can be mounted (a daemon on this machine), True
    requires it, False starts one Engine API exec per command (see :attr:`exec_path`).

    Raises:
        PolicyError: a bad option, a root-owned project without ``user``, network asked for
            without a proxy, or a proxy with ``agent=False``.
        UnsupportedError: ``agent=True`` (or a proxy) where the agent cannot be used.
    """

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        image: str | None = None,
        config: Config | None = None,
        isolation: IsolationLevel | str = IsolationLevel.CONTAINER,
        user: str | None = None,
        pids_limit: int = 256,
        tmp_mb: int = 64,
        environment: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        max_output: int = DEFAULT_MAX_OUTPUT,
        keepalive: list[str] | None = None,
        agent: bool | None = None,
        proxy: str | None = None,
        client: Any = None,
    ) -> None:
        root = os.path.realpath(os.fspath(project_dir))
        if not os.path.isdir(root):
            raise PolicyError(f"project_dir: not a directory: {os.fspath(project_dir)!r}")
        try:
            self.isolation = IsolationLevel(isolation)
        except ValueError:
            raise PolicyError(f"isolation: expected 'container' or 'maximum', got {isolation!r}") from None
        if self.isolation not in (IsolationLevel.CONTAINER, IsolationLevel.MAXIMUM):
            raise PolicyError(f"isolation: a container runs at 'container' or 'maximum', not {self.isolation.value!r}")
        self.config = config if config is not None else Config()
        self.proxy = _proxy_address(proxy)
        if self.config.allow_network and self.proxy is None:
            raise PolicyError(
                "allow_network: a container reaches the network only through the egress proxy; pass "
                "proxy='HOST:PORT' (what NetworkProxy.start() returns)"
            )
        if user is None:
            st = os.stat(root)
            if st.st_uid == 0:
                raise PolicyError(
                    f"{root} belongs to root: pass user='0:0' to run commands as root on purpose, "
                    "or user='UID:GID' for another account"
                )
            user = f"{st.st_uid}:{st.st_gid}"
        if not isinstance(user, str) or not user or any(c.isspace() or c == "\0" for c in user):
            raise PolicyError(f"user: expected 'UID[:GID]' or a user name, got {user!r}")
        if isinstance(max_output, bool) or not isinstance(max_output, int) or max_output <= 0:
            raise PolicyError(f"max_output: expected a positive number of bytes, got {max_output!r}")
        self.project_dir = root
        self.user = user
        self.instance = secrets.token_hex(6)
        self._image = image if image is not None else default_image()
        self._env = {"HOME": "/tmp", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        self._env.update(environment or {})
        self._labels = dict(labels or {})
        self._pids = pids_limit
        self._tmp_mb = tmp_mb
        self._max_output = max_output
        self._agent_source = self._choose_agent(agent)
        if self.proxy is not None:
            if self._agent_source is None:
                if agent is None:
                    self._agent_source = self._choose_agent(True)  # raises where it cannot be had
                else:
                    raise PolicyError("proxy: the network is carried by the agent's tunnel; agent=False refuses it")
            url = f"http://127.0.0.1:{TUNNEL_PORT}"
            for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
                self._env[name] = url
        if keepalive is not None:
            self._keepalive = list(keepalive)
        else:
            self._keepalive = [AGENT_PATH, "idle"] if self._agent_source else list(KEEPALIVE)
        if not self._keepalive or not all(isinstance(a, str) and a and "\0" not in a for a in self._keepalive):
            raise PolicyError(f"keepalive: expected a non-empty argv of strings, got {keepalive!r}")
        self._session: AgentSession | None = None
        self._adopted = False  # attach()ed: started by another process, not replaced here
        self._client = client
        self._own_client = client is None
        self._container_id: str | None = None
        self._lock = threading.Lock()
        self._settings(self._image, "check")  # every option validated now, not at start()

    @classmethod
    def attach(
        cls,
        project_dir: str | os.PathLike[str],
        *,
        labels: Mapping[str, str] | None = None,
        client: Any = None,
        **options: Any,
    ) -> ContainerSandbox | None:
        """The running container another process started for ``project_dir`` with these
        ``labels`` (the CLI's ``container run``), adopted; None when there is none.

        Raises:
            PolicyError: as the constructor. UnsupportedError: no SDK or no daemon.
        """
        root = os.path.realpath(os.fspath(project_dir))
        wanted = {**(labels or {}), LABEL_PROJECT: root}
        # A one-off caller (the CLI) gains nothing from starting an agent for one command.
        options.setdefault("agent", False)
        own = client is None
        client = docker_client.connect() if client is None else client
        with docker_client.daemon_call(f"find the container of {root}"):
            found = client.api.containers(filters={"label": [f"{k}={v}" for k, v in sorted(wanted.items())]})
            if not found:
                if own:
                    client.close()
                return None
            newest = max(found, key=lambda c: c.get("Created", 0))
            attrs = client.api.inspect_container(newest["Id"])
            config = attrs["Config"]
        # The adopted container's own isolation and PID 1 program, not this call's defaults:
        # what it runs under must not change behind the caller's back.
        runtime = attrs.get("HostConfig", {}).get("Runtime") or ""
        options.setdefault("isolation", IsolationLevel.MAXIMUM if "runsc" in runtime else IsolationLevel.CONTAINER)
        options.setdefault("keepalive", list(config.get("Entrypoint") or KEEPALIVE))
        self = cls(root, image=config["Image"], user=config["User"], labels=labels, client=client, **options)
        self._adopted = True
        self._own_client = own
        self.instance = config["Labels"].get(LABEL_INSTANCE, self.instance)
        self._container_id = str(newest["Id"])
        return self

    # -- settings and the daemon ------------------------------------------------------

    def _settings(self, image: str, name: str, host_cpus: int = 1, runtime: str | None = None) -> ContainerSettings:
        labels = {**self._labels, LABEL: "1", LABEL_PROJECT: self.project_dir, LABEL_INSTANCE: self.instance}
        uid, _, gid = self.user.partition(":")
        return ContainerSettings(
            image=image,
            name=name,
            project_dir=self.project_dir,
            user=self.user,
            uid=int(uid) if uid.isdigit() else None,
            gid=int(gid) if gid.isdigit() else None,
            labels=tuple(sorted(labels.items())),
            memory_mb=self.config.max_memory_mb,
            cpu_percent=self.config.max_cpu_pct,
            host_cpus=host_cpus,
            pids=self._pids,
            tmp_mb=self._tmp_mb,
            runtime=runtime,
            environment=tuple(sorted(self._env.items())),
            keepalive=tuple(self._keepalive),
            agent_source=self._agent_source,
        )

    @staticmethod
    def _choose_agent(agent: bool | None) -> str | None:
        if agent is False:
            return None
        binary = agent_binary()
        if binary is not None and local_daemon():
            return binary
        if agent is None:
            return None  # one exec per command: slower, the same confinement
        why = "sbx-agent was not built with this package" if binary is None else "the daemon is not on this machine"
        raise UnsupportedError(Reason.AGENT_UNAVAILABLE, why)

    @property
    def exec_path(self) -> str:
        """How commands start: ``"agent"`` (forked by sbx-agent inside the container) or
        ``"exec"`` (one Engine API exec each)."""
        return "agent" if self._agent_source is not None else "exec"

    @property
    def client(self) -> Any:
        """The ``docker.DockerClient`` in use (made from the environment when first needed).

        Raises:
            UnsupportedError: no SDK, or no daemon answers.
        """
        if self._client is None:
            self._client = docker_client.connect()
        return self._client

    def _create(self, image: str) -> str:
        docker = docker_client.docker_module()
        with docker_client.daemon_call(f"create a container from {image}"):
            info = self.client.info()
            try:
                self.client.api.inspect_image(image)
            except docker.errors.ImageNotFound:
                raise ContainerError(
                    f"image {image} is not on the daemon: build it (sandbox container build) or pull it first"
                ) from None
            runtime = None
            if self.isolation is IsolationLevel.MAXIMUM:
                runtime = gvisor_runtime(info)
                if runtime is None:
                    raise UnsupportedError(Reason.GVISOR_MISSING, "isolation 'maximum' runs containers under gVisor")
            # Unique per container: a hot swap runs two of one instance side by side.
            name = "-".join(
                ("sandbox", slug(os.path.basename(self.project_dir), limit=30), self.instance, secrets.token_hex(3))
            )
            args = create_arguments(self._settings(image, name, int(info.get("NCPU") or 1), runtime))
            container = self.client.containers.create(**args)
        try:
            with docker_client.daemon_call(f"start a container from {image}"):
                container.start()
                container.reload()
                if container.attrs["State"]["Running"]:
                    return str(container.id)
                logs = container.logs(tail=5).decode(errors="replace").strip()
            raise ContainerError(
                f"the container from {image} exited at once ({logs or 'no output'}): PID 1 runs "
                f"{' '.join(self._keepalive)!r}, which the image must provide (see keepalive=)"
            )
        except BaseException:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            raise

    def _remove(self, container_id: str) -> None:
        docker = docker_client.docker_module()
        with docker_client.daemon_call(f"remove container {container_id[:12]}"):
            try:
                self.client.api.remove_container(container_id, force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # 409: removal already in progress
                    raise

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Create and start the container (nothing happens when it already runs).

        Raises:
            ContainerError: the image is missing or the daemon refused.
            UnsupportedError: no SDK, no daemon, or gVisor asked for and absent.
        """
        with self._lock:
            if self._container_id is None:
                self._container_id = self._create(self._image)

    def stop(self) -> None:
        """Remove the container and every process in it. The project directory is untouched.

        Raises:
            ContainerError: the daemon refused. UnsupportedError: no daemon.
        """
        with self._lock:
            self._end_session()
            if self._container_id is not None:
                self._remove(self._container_id)
                self._container_id = None

    def _end_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def close(self) -> None:
        """Stop, and close the API connection if this object made it."""
        try:
            self.stop()
        finally:
            if self._own_client and self._client is not None:
                self._client.close()
                self._client = None

    def detach(self) -> None:
        """Close this object's API connection and leave the container running, for another
        process to :meth:`attach` to (the CLI's ``run`` and ``exec`` do this)."""
        with self._lock:
            self._end_session()
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        self._container_id = None

    def __enter__(self) -> ContainerSandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def image(self) -> str:
        """The image the next start or hot swap uses."""
        return self._image

    @property
    def container_id(self) -> str | None:
        return self._container_id

    @property
    def running(self) -> bool:
        """True when the container exists and runs (asked of the daemon)."""
        container_id = self._container_id
        if container_id is None:
            return False
        docker = docker_client.docker_module()
        with docker_client.daemon_call(f"inspect container {container_id[:12]}"):
            try:
                return bool(self.client.api.inspect_container(container_id)["State"]["Running"])
            except docker.errors.NotFound:
                return False

    def set_image(self, image: str) -> None:
        """Use ``image`` from the next :meth:`start` or :meth:`hot_swap` on.

        Raises:
            PolicyError: not an image reference.
        """
        self._settings(image, "check")
        self._image = image

    def hot_swap(self, image: str | None = None) -> str:
        """Move to ``image`` (or the one :meth:`set_image` chose): the new container starts
        before the old one is removed, so the workspace always has one. Returns the new
        container's id.

        Raises:
            ContainerError, UnsupportedError: as :meth:`start`; the old container keeps
            running when the new one cannot start.
        """
        if image is not None:
            self.set_image(image)
        with self._lock:
            new_id = self._create(self._image)
            old_id, self._container_id = self._container_id, new_id
            self._end_session()
        if old_id is not None:
            self._remove(old_id)
        return new_id

    def build_from_dockerfile(self, dockerfile: str | os.PathLike[str] = "Dockerfile", *, progress: Any = None) -> str:
        """Build (or find cached) the project's image from ``dockerfile``, tagged by its
        content hash, and use it from the next start or hot swap on. Returns the tag.

        Raises:
            PolicyError: no such Dockerfile. ContainerError: the build failed (its
            ``log_tail`` holds the end of the log). UnsupportedError: no daemon.
        """
        from sandbox.containers.devenv import DevEnvManager

        manager = DevEnvManager(self.project_dir, labels=self._labels, client=self.client)
        tag = manager.get_or_build(dockerfile, progress=progress)
        self.set_image(tag)
        return tag

    # -- commands ---------------------------------------------------------------------

    def _running_id(self) -> str:
        container_id = self._container_id
        if container_id is None:
            raise ContainerError("the container is not started: call start() or use the object as a context manager")
        return container_id

    def _kill_tree(self, container_id: str, token: str) -> None:
        events = stream_exec(
            self.client.api,
            container_id,
            ["/bin/sh", "-c", KILL_SCRIPT, "sh", token],
            user=self.user,
            workdir="/",
            environment={},
            timeout=KILL_TIMEOUT,
            kill_tree=lambda _token: None,
        )
        end = collect(events, text=True, max_output=1 << 16)
        if end.exit_code != 0 or end.timed_out:
            # The tree could not be killed selectively (no shell in the image, or a fork
            # bomb outrunning the kill): nothing of it may survive, so the container goes,
            # and a fresh one from the same image takes its place.
            self._replace(container_id)

    def _replace(self, container_id: str) -> None:
        """``container_id`` goes, with every process in it, and a fresh container from the
        same image takes its place (an adopted container is only removed: this process
        does not know everything it was started with)."""
        try:
            with self._lock:
                if self._container_id == container_id:
                    self._end_session()
                    self._container_id = None if self._adopted else self._create(self._image)
        finally:
            self._remove(container_id)  # whatever happened above, the runaway tree goes

    def _agent(self, container_id: str) -> AgentSession:
        with self._lock:
            if container_id != self._container_id:
                # A hot swap came between this command's start and now: a session on the new
                # container would close the live one, and the old container is going.
                raise ContainerError("the container was swapped while the command started: run it again")
            session = self._session
            if session is None or not session.alive or session.container_id != container_id:
                if session is not None:
                    session.close()
                session = self._session = AgentSession(self.client.api, container_id, self.user, self.proxy)
            return session

    def stream(
        self,
        command: str | list[str],
        timeout: float | None = None,
        *,
        input: bytes | str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> Iterator[ExecOutput | ExecExit]:
        """Run ``command`` and yield :class:`ExecOutput` pieces as they come, then one
        :class:`ExecExit` with the exit code. A string runs under ``/bin/sh -c``.

        Raises:
            PolicyError: a bad command or timeout. ContainerError: not started, or the
            daemon refused. UnsupportedError: no daemon.
        """
        argv = argv_of(command)
        check_timeout(timeout)
        container_id = self._running_id()
        # The marker first: the kill reads a bounded prefix of each process's environment.
        env = {MARKER: secrets.token_hex(8), **self._env, **(environment or {})}
        data = input.encode() if isinstance(input, str) else input
        with docker_client.daemon_call("exec"):
            if self._agent_source is None or (data is not None and len(data) > MAX_INPUT):
                yield from stream_exec(
                    self.client.api, container_id, argv, user=self.user, workdir=workdir or self.project_dir,
                    environment=env, timeout=timeout, input=data,
                    kill_tree=lambda token: self._kill_tree(container_id, token),
                )
                return
            start = time.monotonic()
            try:
                yield from self._agent(container_id).run(argv, env, workdir or self.project_dir, data, timeout)
            except AgentUnresponsive:
                # The tree outran the kill (a fork bomb): the container goes with all of it.
                self._replace(container_id)
                yield ExecExit(-1, time.monotonic() - start, True)

    def exec(
        self,
        command: str | list[str],
        timeout: float | None = None,
        *,
        text: bool = True,
        input: bytes | str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run ``command`` in the container and wait. When ``timeout`` passes, the command's
        whole process tree is killed inside the container and the result has
        ``timed_out=True``. A non-zero exit is a result, not an exception.

        Raises:
            PolicyError, ContainerError, UnsupportedError: as :meth:`stream`.
        """
        events = self.stream(command, timeout, input=input, workdir=workdir, environment=environment)
        return collect(events, text=text, max_output=self._max_output)
