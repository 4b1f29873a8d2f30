"""`sandbox --version` and `sandbox doctor`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sandbox
from sandbox.cli import main

# The console script installed beside this interpreter: what a user runs.
SANDBOX = str(Path(sys.executable).with_name("sandbox"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SANDBOX, *args], capture_output=True, text=True, check=False)


def test_version_prints_the_package_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"sandbox {sandbox.__version__}"


def test_doctor_json_lists_every_capability_with_reason_or_detail() -> None:
    done = run_cli("doctor", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    host = sandbox.probe()
    assert report["landlock_abi"] == host.landlock_abi
    assert set(report["capabilities"]) == {cap.name for cap in host.items()}
    for name, item in report["capabilities"].items():
        if item["available"]:
            assert item["reason"] is None, name
        else:
            assert item["reason"] in {r.value for r in sandbox.Reason}, name
            assert item["hint"], name
    assert report["levels"]["off"]["backend"] == "none"


def test_doctor_table_shows_a_hint_for_each_missing_item(capsys) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    host = sandbox.probe()
    for cap in host.items():
        assert cap.name in out
    for cap in host.items():
        if not cap.available:
            assert cap.reason is not None
            assert f"Hint: {cap.reason.hint}" in out, cap.name


def test_unknown_subcommand_exits_with_usage_error() -> None:
    done = run_cli("frobnicate")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_verify_reports_each_file_and_exits_1_when_one_is_unsafe(tmp_path: Path) -> None:
    (tmp_path / "fix.py").write_text("import os\nos.system(cmd)\n")
    (tmp_path / "build").write_text("#!/bin/bash\nmake -j4\n")
    done = run_cli("verify", str(tmp_path / "fix.py"), str(tmp_path / "build"))
    assert done.returncode == 1
    assert "fix.py: python: UNSAFE (1 error, 0 warnings)" in done.stdout
    assert "line 2: error [system_call]" in done.stdout
    assert "build: bash: safe" in done.stdout


def test_verify_json_reads_stdin_with_a_language() -> None:
    done = subprocess.run([SANDBOX, "verify", "--json", "--language", "sh", "-"], input="sudo reboot\n",
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    record = json.loads(done.stdout)
    assert record["safe"] is False and record["language"] == "bash"
    assert [(v["line"], v["type"]) for v in record["violations"]] == [(1, "system_call"), (1, "system_call")]


def test_verify_allow_path_widens_the_allowed_paths(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_text("open('/srv/out.txt', 'w')\n")
    assert run_cli("verify", str(tmp_path / "w.py")).returncode == 1
    assert run_cli("verify", "--allow-path", "/srv", str(tmp_path / "w.py")).returncode == 0


def test_verify_without_a_language_it_can_tell_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("rm -rf /\n")
    done = run_cli("verify", str(tmp_path / "notes.txt"))
    assert done.returncode == 2 and "--language" in done.stderr
    assert run_cli("verify", str(tmp_path / "missing.py")).returncode == 2


def test_state_commands_drive_a_sandbox_through_its_life(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_text("a")
    state = ["state", "--dir", str(tmp_path / "state")]
    created = run_cli(*state, "create", str(work), "--env", "A=1")
    assert created.returncode == 0, created.stderr
    sandbox_id = created.stdout.strip()
    (work / "b.txt").write_text("b")
    assert run_cli(*state, "diff", sandbox_id).stdout.splitlines() == ["added: b.txt"]
    paused = run_cli(*state, "pause", sandbox_id, "--process-state", '{"cwd": "src"}')
    assert paused.stdout.split() == [sandbox_id, "paused"], paused.stderr
    (work / "c.txt").write_text("c")
    assert run_cli(*state, "resume", sandbox_id).stdout.split() == [sandbox_id, "running"]
    assert sorted(p.name for p in work.iterdir()) == ["a.txt", "b.txt"]
    (work / "a.txt").write_text("a2")
    assert run_cli(*state, "pause", sandbox_id).returncode == 0
    between = run_cli(*state, "diff", sandbox_id, "--since", "1", "--until", "2")
    assert between.stdout.splitlines() == ["modified: a.txt"]
    assert run_cli(*state, "resume", sandbox_id).returncode == 0
    assert sandbox_id in run_cli(*state, "list").stdout
    snap = tmp_path / "snap.bin"
    assert run_cli(*state, "snapshot", sandbox_id, "-o", str(snap)).returncode == 0
    other = ["state", "--dir", str(tmp_path / "state2")]
    restored = run_cli(*other, "restore", str(snap), "--work-dir", str(tmp_path / "copy"))
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "copy" / "b.txt").read_text() == "b"
    assert run_cli(*state, "cleanup", "--max-age", "0s").stdout.split() == ["removed", sandbox_id]


def test_state_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    state = ["state", "--dir", str(tmp_path / "state")]
    done = run_cli(*state, "pause", "sb-0123456789ab")
    assert done.returncode == 2 and done.stderr.startswith("sandbox: no sandbox")
    done = run_cli(*state, "pause", "sb-0123456789ab", "--process-state", "{not json")
    assert done.returncode == 2 and "--process-state is not JSON" in done.stderr
    (tmp_path / "junk").write_bytes(b"not a snapshot")
    done = run_cli(*state, "restore", str(tmp_path / "junk"))
    assert done.returncode == 2 and "not a sandbox snapshot" in done.stderr
