"""What the adversary and egress inspectors report (API.md §5): graded findings, each
naming the rule that fired, what it found and where, with secrets in the snippet redacted."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class ThreatLevel(enum.IntEnum):
    """How bad a finding is; ``str()`` gives the name (``"HIGH"``)."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of one rule. ``type`` is the rule's id; ``content`` the offending snippet
    with any secret in it redacted; ``span`` its character offsets in the text the rule
    read (the normalised text, or a payload decoded from it: see ``layer``)."""

    type: str
    level: ThreatLevel
    message: str
    content: str
    span: tuple[int, int] = (0, 0)
    layer: str = ""  # "" for the text itself, else how the payload was decoded ("base64", …)


@dataclass(frozen=True, slots=True)
class InspectionResult:
    """Every finding, most severe first. ``safe`` when none is above LOW."""

    safe: bool
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def max_level(self) -> ThreatLevel:
        return max((f.level for f in self.findings), default=ThreatLevel.NONE)

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> InspectionResult:
        ordered = tuple(sorted(findings, key=lambda f: (-f.level, f.layer, f.span, f.type)))
        return cls(safe=all(f.level <= ThreatLevel.LOW for f in ordered), findings=ordered)
