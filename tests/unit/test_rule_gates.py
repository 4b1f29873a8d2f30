"""A rule's ``near`` groups only spare the regular expressions work: on every text of the
labelled corpora, a scan with the groups finds exactly what one without them finds (a group
that is not a necessary condition of its pattern would hide matches)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.inspectors import engine
from sandbox.inspectors.adversary_rules import RULES as ADVERSARY_RULES
from sandbox.inspectors.secret_rules import RULES as SECRET_RULES

CORPUS = Path(__file__).resolve().parent.parent / "data" / "inspect"


def _texts() -> list[str]:
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f if line.strip()]
    return out


@pytest.mark.parametrize("rules", [ADVERSARY_RULES, SECRET_RULES], ids=["adversary", "secrets"])
def test_near_groups_never_hide_a_match(rules: tuple[engine.Rule, ...]) -> None:
    texts = _texts()
    assert len(texts) > 1000
    gated, ungated = engine.RuleSet(rules), engine.RuleSet(rules, gate=False)
    for text in texts:
        assert sorted(gated.scan(text), key=repr) == sorted(ungated.scan(text), key=repr), text[:200]


def test_the_gate_is_in_use() -> None:
    """A rule with near groups opens no window where only its anchors occur: code full of
    "your" and "you are" (anchors of asks_to_weaken_safeguards and role_hijack) is not tried."""
    text = "\n".join(["total = your_count + 1  # you are here: your value"] * 200).encode()
    gated = [r for r in ADVERSARY_RULES if r.near]
    assert gated, "no rule has near groups"
    with_near, without = engine.RuleSet(gated), engine.RuleSet(gated, gate=False)
    assert len(with_near.windows(text)[0]) < len(without.windows(text)[0])
    assert with_near.scan(text) == without.scan(text)
