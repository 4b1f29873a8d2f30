"""ContainerSandbox against the real daemon: hardening shown by attacks, exec deadlines,
concurrency, streaming, hot swap. Each attack runs first in a plain container, where it
works, then in the sandbox, where it must not.

Commands start in two ways (``exec_path``): forked by sbx-agent inside the container, or one
Engine API exec each. The tests that run commands run against both."""

from __future__ import annotations

import os
import platform
import threading
import time
from pathlib import Path

import pytest

from sandbox import (
    ContainerError,
    ContainerSandbox,
    ExecExit,
    ExecOutput,
    PolicyError,
    Reason,
    UnsupportedError,
)

pytestmark = pytest.mark.docker


@pytest.fixture(params=["agent", "exec"])
def options(request: pytest.FixtureRequest, docker_label: str) -> dict[str, object]:
    """How the sandbox starts commands, and the label that gets its container removed."""
    return {"agent": request.param == "agent", "labels": {docker_label: "1"}}


@pytest.fixture
def box(project: Path, busybox_image: str, options: dict[str, object]):
    with ContainerSandbox(project, image=busybox_image, **options) as sandbox:  # type: ignore[arg-type]
        assert sandbox.exec_path == ("agent" if options["agent"] else "exec")
        yield sandbox


def _plain(client, image: str, label: str, script: str, **options) -> tuple[int, str]:
    """The same script in an ordinary container (root, default capabilities, writable root)."""
    container = client.containers.run(image, ["sh", "-c", script], detach=True, labels={label: "1"}, **options)
    try:
        code = container.wait(timeout=60)["StatusCode"]
        return code, container.logs().decode()
    finally:
        container.remove(force=True)


def test_hardening_settings_are_visible_in_docker_inspect(box: ContainerSandbox, project: Path) -> None:
    attrs = box.client.api.inspect_container(box.container_id)
    host, config = attrs["HostConfig"], attrs["Config"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["ReadonlyRootfs"] is True
    assert host["Tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,size=64m,mode=1777,uid=1000,gid=1000"}
    assert host["PidsLimit"] == 256
    assert host["Memory"] == 512 << 20 and host["MemorySwap"] == 512 << 20
    assert host["NanoCpus"] == (os.cpu_count() or 1) * 50 * 10_000_000
    assert host["NetworkMode"] == "none"
    assert host["Privileged"] is False and host["Init"] is True
    assert config["User"] == "1000:1000" == f"{project.stat().st_uid}:{project.stat().st_gid}"
    assert config["Labels"]["io.github.sandbox.project"] == str(project)
    assert config["Labels"]["io.github.sandbox.instance"] == box.instance
    mounts = sorted((m["Source"], m["Destination"], m["RW"]) for m in attrs["Mounts"])
    expected = [(str(project), str(project), True)]
    if box.exec_path == "agent":
        from sandbox.containers.agent import agent_binary

        expected.append((agent_binary(), "/.sandbox/sbx-agent", False))
    assert mounts == sorted(expected)


def test_write_outside_the_mount_fails(box: ContainerSandbox, docker_client, busybox_image, docker_label) -> None:
    attack = "echo owned > /etc/owned && cat /etc/owned"
    assert _plain(docker_client, busybox_image, docker_label, attack) == (0, "owned\n")
    done = box.exec(attack)
    assert done.exit_code != 0 and "Read-only file system" in done.stderr
    assert box.exec("echo ok > /tmp/t && echo ok > inside && cat /tmp/t inside").stdout == "ok\nok\n"


def test_writes_in_the_project_belong_to_its_owner(box: ContainerSandbox, project: Path) -> None:
    assert box.exec("id -u; echo data > made-here").stdout == "1000\n"
    made = project / "made-here"
    assert made.read_text() == "data\n" and made.stat().st_uid == 1000


def test_capabilities_are_dropped(box: ContainerSandbox, docker_client, busybox_image, docker_label) -> None:
    # Changing a file's owner needs CAP_CHOWN, which an ordinary container's root has.
    attack = "touch /tmp/f && chown 1:1 /tmp/f && echo chowned"
    assert _plain(docker_client, busybox_image, docker_label, attack) == (0, "chowned\n")
    assert "CapEff:\t0000000000000000" in box.exec("grep CapEff /proc/self/status").stdout
    assert box.exec(attack).exit_code != 0


def test_there_is_no_network(box: ContainerSandbox, docker_client, busybox_image, docker_label) -> None:
    listing = "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort"
    code, plain = _plain(docker_client, busybox_image, docker_label, listing)
    assert code == 0 and "eth0" in plain.split()
    assert box.exec(listing).stdout.split() == ["lo"]


def test_pids_limit_stops_a_fork_burst(project, busybox_image, docker_client, docker_label, options) -> None:
    # The burst runs in a subshell (a shell that cannot fork gives up); the processes are then
    # counted with the shell's own glob over /proc, since at the limit nothing more forks.
    burst = "(for i in $(seq 60); do sleep 5 & done) 2>/dev/null; set -- /proc/[0-9]*; echo $#"
    code, plain = _plain(docker_client, busybox_image, docker_label, burst)
    assert code == 0 and int(plain.split()[-1]) > 60
    with ContainerSandbox(project, image=busybox_image, pids_limit=20, **options) as box:
        started = box.exec(burst, timeout=30)
        assert int(started.stdout.split()[-1]) <= 20


def test_timeout_kills_the_whole_tree_inside_the_container(box: ContainerSandbox) -> None:
    # Without the in-container kill, a command whose client gave up keeps running:
    api = box.client.api
    left = api.exec_create(box.container_id, ["sleep", "303"], user=box.user)["Id"]
    api.exec_start(left, detach=True)
    time.sleep(0.5)
    assert "sleep 303" in box.exec("ps").stdout
    box.exec("pkill -f 'sleep 303'")
    tree = "sleep 300 & (sleep 301 &); sh -c 'sleep 302' & env -i /bin/sleep 304 & wait"
    done = box.exec(tree, timeout=1)
    assert done.timed_out and done.exit_code == 137
    assert done.duration < 1 + 5
    ps = box.exec("ps").stdout
    assert not [n for n in ("300", "301", "302", "304") if f"sleep {n}" in ps], ps


def test_timeout_without_a_shell_replaces_the_container(project, shell_less_image, docker_label) -> None:
    # One exec per command: the kill needs a shell in the image; without one the container goes.
    with ContainerSandbox(project, image=shell_less_image, agent=False, labels={docker_label: "1"}) as box:
        old = box.container_id
        done = box.exec(["/bin/busybox", "sleep", "300"], timeout=1)
        assert done.timed_out
        assert box.container_id != old
        with pytest.raises(Exception, match="No such container"):
            box.client.api.inspect_container(old)
        assert box.exec(["/bin/busybox", "echo", "fresh"]).stdout == "fresh\n"


def test_agent_kills_without_a_shell_and_keeps_the_container(project, shell_less_image, docker_label) -> None:
    with ContainerSandbox(project, image=shell_less_image, agent=True, labels={docker_label: "1"}) as box:
        old = box.container_id
        done = box.exec(["/bin/busybox", "sleep", "300"], timeout=1)
        assert done.timed_out and done.exit_code == 137
        assert box.container_id == old
        assert "sleep 300" not in box.exec(["/bin/busybox", "ps"]).stdout


def test_agent_needs_nothing_from_the_image(project, bare_image, docker_label) -> None:
    # No shell, no sleep: PID 1 and every command's parent are the agent.
    with ContainerSandbox(project, image=bare_image, agent=True, labels={docker_label: "1"}) as box:
        assert box.exec(["/bin/busybox", "echo", "ran"]).stdout == "ran\n"
        missing = box.exec(["sh", "-c", "true"])
        assert missing.exit_code == 127 and "cannot run sh" in missing.stderr


def test_agent_is_not_open_to_the_commands(project, busybox_image, docker_label) -> None:
    # A command of the same user could otherwise write forged answers into the agent's stdout.
    with ContainerSandbox(project, image=busybox_image, agent=True, labels={docker_label: "1"}) as box:
        _forge_into_the_agent(box)


def _forge_into_the_agent(box: ContainerSandbox) -> None:
    # Against an ordinary process of the same user the attack works:
    plain = box.exec("sleep 30 > /tmp/victim-out & echo forged > /proc/$!/fd/1; cat /tmp/victim-out; kill $!")
    assert plain.stdout == "forged\n", plain.stderr
    find = ("for p in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" = "
            "'/.sandbox/sbx-agent serve ' ] && echo ${p#/proc/}; done")
    agent = box.exec(find).stdout.split()
    assert len(agent) == 1, agent
    forged = box.exec(f"echo forged > /proc/{agent[0]}/fd/1")
    assert forged.exit_code != 0 and "Permission denied" in forged.stderr, forged
    assert box.exec("echo still-fine").stdout == "still-fine\n"


def test_concurrent_execs_run_side_by_side(box: ContainerSandbox) -> None:
    # Each waits until all eight have started: only execs that run at once can finish.
    results: dict[int, object] = {}

    def one(i: int) -> None:
        results[i] = box.exec(f"mkdir -p /tmp/b && touch /tmp/b/{i}; while [ $(ls /tmp/b | wc -l) -lt 8 ]; "
                              f"do sleep 0.05; done; echo {i}", timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        assert results[i].stdout == f"{i}\n" and not results[i].timed_out  # type: ignore[attr-defined]


def test_stream_yields_output_before_the_command_ends(box: ContainerSandbox) -> None:
    start = time.monotonic()
    events = box.stream("echo first; sleep 2; echo second >&2; exit 3")
    first = next(events)
    assert first == ExecOutput("stdout", b"first\n")
    assert time.monotonic() - start < 1.5
    rest = list(events)
    assert rest[0] == ExecOutput("stderr", b"second\n")
    assert isinstance(rest[-1], ExecExit) and rest[-1].exit_code == 3 and not rest[-1].timed_out


def test_input_reaches_stdin_and_exit_codes_are_results(box: ContainerSandbox) -> None:
    assert box.exec("wc -c", input="12345").stdout.strip() == "5"
    done = box.exec("echo out; echo err >&2; exit 7", text=False)
    assert (done.exit_code, done.stdout, done.stderr, done.timed_out) == (7, b"out\n", b"err\n", False)


def test_output_beyond_max_output_is_dropped(project, busybox_image, options) -> None:
    with ContainerSandbox(project, image=busybox_image, max_output=1000, **options) as box:
        done = box.exec("head -c 100000 /dev/zero")
        assert done.exit_code == 0 and len(done.stdout) == 1000


def test_hot_swap_keeps_files_and_changes_the_image(box: ContainerSandbox, marked_image: str, project: Path) -> None:
    box.exec("echo kept > work.txt")
    old = box.container_id
    new = box.hot_swap(marked_image)
    assert new != old and box.container_id == new and box.image == marked_image
    assert box.exec("cat /marker work.txt").stdout == "second\nkept\n"
    with pytest.raises(Exception, match="No such container"):
        box.client.api.inspect_container(old)
    assert (project / "work.txt").read_text() == "kept\n"


def test_hot_swap_to_a_missing_image_keeps_the_old_container(box: ContainerSandbox) -> None:
    old = box.container_id
    with pytest.raises(ContainerError, match="not on the daemon"):
        box.hot_swap("sandbox-test-absent:none")
    assert box.container_id == old and box.running


def test_stop_removes_the_container(project, busybox_image, docker_label) -> None:
    box = ContainerSandbox(project, image=busybox_image, labels={docker_label: "1"})
    box.start()
    container_id = box.container_id
    assert box.running
    box.close()
    import docker

    client = docker.from_env()
    assert not client.containers.list(all=True, filters={"id": container_id})
    client.close()


def test_missing_image_raises_container_error(project, docker_label) -> None:
    with pytest.raises(ContainerError, match="not on the daemon"):
        ContainerSandbox(project, image="sandbox-test-absent:none", labels={docker_label: "1"}).start()


def test_unreachable_daemon_raises_unsupported(project, unreachable_daemon) -> None:
    with pytest.raises(UnsupportedError) as caught:
        ContainerSandbox(project, image="any:1").start()
    assert caught.value.reason is Reason.DOCKER_UNREACHABLE


def test_attach_adopts_the_running_container(box: ContainerSandbox, project: Path, docker_label: str) -> None:
    other = ContainerSandbox.attach(project, labels={docker_label: "1"})
    assert other is not None and other.container_id == box.container_id and other.instance == box.instance
    assert other.exec("echo adopted").stdout == "adopted\n"
    other.detach()
    assert box.running


def test_bad_exec_arguments_raise_policy_error(box: ContainerSandbox) -> None:
    with pytest.raises(PolicyError):
        box.exec("")
    with pytest.raises(PolicyError):
        box.exec("true", timeout=-1)


@pytest.mark.gvisor
def test_maximum_isolation_runs_under_gvisor_and_kills_on_timeout(project, busybox_image, options) -> None:
    with ContainerSandbox(project, image=busybox_image, isolation="maximum", **options) as box:
        assert box.client.api.inspect_container(box.container_id)["HostConfig"]["Runtime"] == "runsc"
        # gVisor's own kernel answers, not the host's.
        assert box.exec("uname -r").stdout.strip() != platform.release()
        done = box.exec("sleep 300 & sleep 301", timeout=1)
        assert done.timed_out
        assert "sleep 30" not in box.exec("ps").stdout
