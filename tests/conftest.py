"""Capability markers, the CI switch that makes every skip a failure, and the unconfined guard.

A test marked with a capability (``@pytest.mark.landlock``) is skipped, with the reason
``probe()`` gives, where the host lacks it. ``SANDBOX_TEST_REQUIRE=all`` (set by CI) turns
every such skip into a failure, so CI proves what it claims; a comma-separated list
(``SANDBOX_TEST_REQUIRE=landlock,seccomp``) requires only those. Tests for another platform
(``macos`` on Linux, ``linux`` on macOS) are deselected, not skipped: they cannot run here.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

import sandbox
from sandbox.host import Capability, HostSupport, probe

ROOT = Path(__file__).resolve().parent.parent

# marker -> the HostSupport attributes that must all be available
CAPABILITY_MARKERS: dict[str, tuple[str, ...]] = {
    "native": ("native",),
    "landlock": ("native", "landlock"),
    "seccomp": ("native", "seccomp"),
    "userns": ("native", "userns"),
    "root": ("root",),
    "bwrap": ("bubblewrap",),
    "docker": ("docker_sdk", "docker"),
    "gvisor": ("docker_sdk", "docker", "gvisor"),
    "re2": ("re2",),
}
PLATFORM_MARKERS = {"macos": "darwin", "linux": "linux"}


def _required() -> set[str]:
    value = os.environ.get("SANDBOX_TEST_REQUIRE", "").strip()
    if value == "all":
        return set(CAPABILITY_MARKERS)
    return {v.strip() for v in value.split(",") if v.strip()}


_host: HostSupport | None = None


def host_support() -> HostSupport:
    """One probe per session: capabilities do not change while the tests run."""
    global _host
    if _host is None:
        _host = probe()
    return _host


def _missing(marker: str) -> Capability | None:
    host = host_support()
    for attr in CAPABILITY_MARKERS[marker]:
        cap: Capability = getattr(host, attr)
        if not cap.available:
            return cap
    return None


def pytest_configure(config: pytest.Config) -> None:
    # Tests run against the installed package. `python -m pytest` from the checkout would
    # import the source tree instead, where the extension modules are not built.
    if Path(sandbox.__file__).resolve().parent == ROOT / "sandbox" and not any(
        (ROOT / "sandbox" / "_native").glob("_landlock*.so")
    ):
        raise pytest.UsageError(
            "tests imported sandbox from the source tree, which has no native build; "
            "run `pytest` (not `python -m pytest`) after `pip install '.[test]'`, "
            "or build in place with `python setup.py build_ext --inplace`"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        platforms = [PLATFORM_MARKERS[m.name] for m in item.iter_markers() if m.name in PLATFORM_MARKERS]
        if any(not sys.platform.startswith(p) for p in platforms):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_setup(item: pytest.Item) -> None:
    required = _required()
    for marker in {m.name for m in item.iter_markers()} & set(CAPABILITY_MARKERS):
        cap = _missing(marker)
        if cap is None:
            continue
        assert cap.reason is not None
        why = f"{marker}: {cap.reason.message}" + (f" ({cap.detail})" if cap.detail else "")
        if marker in required:
            pytest.fail(f"SANDBOX_TEST_REQUIRE demands {why}. Hint: {cap.reason.hint}", pytrace=False)
        pytest.skip(f"{why}. Hint: {cap.reason.hint}")


# ---------------------------------------------------------------------------------------
# The state module scans work directories in C (csrc/treescan.c) and, where that was not
# built, in Python: its tests run against both.


@pytest.fixture(params=[pytest.param("native", marks=pytest.mark.native), "python"])
def state_scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    from sandbox.state import scanner as scanner_module

    if request.param == "python":
        monkeypatch.setattr(scanner_module, "native", None)
    return str(request.param)


# ---------------------------------------------------------------------------------------
# The pytest process must never be confined: every enforcement test confines a child.


def _confinement_signs() -> dict[str, object]:
    """What would change if this process had been confined: status fields and writes."""
    fields = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("NoNewPrivs", "Seccomp", "Seccomp_filters"):
                fields[key] = value.strip()
    except OSError:
        pass
    writable = {}
    for where in (tempfile.gettempdir(), str(ROOT)):
        try:
            with tempfile.NamedTemporaryFile(dir=where):
                writable[where] = True
        except OSError:
            writable[where] = False
    return {"status": fields, "writable": writable}


@pytest.fixture(scope="session", autouse=True)
def _runner_stays_unconfined() -> object:
    before = _confinement_signs()
    yield
    after = _confinement_signs()
    assert after == before, f"the pytest process itself was confined during the run: {before} -> {after}"


# ---------------------------------------------------------------------------------------
# C helpers shared by the suites that run attacks in confined children (native/, system/).


@pytest.fixture(scope="session")
def try_syscall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``try_syscall``, built once per session (see tests/helpers/try_syscall.c)."""
    from helpers.build import build_try_syscall

    return build_try_syscall(tmp_path_factory.mktemp("helpers"))
