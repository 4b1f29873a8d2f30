"""Credential formats the EgressInspector recognises, as engine rules: each pattern has a
group ``secret`` (what the report redacts), each anchor is the format's fixed prefix or
context word. Formats with a fixed shape match on their own; generic key-value pairs
(``.env``, JSON, YAML) only with an entropy gate, and documented example keys never.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sandbox.inspectors.engine import Rule
from sandbox.inspectors.findings import ThreatLevel

HIGH = ThreatLevel.HIGH

# Keys that vendors print in their documentation: they open nothing.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    }
)
_PLACEHOLDER_WORDS = ("example", "placeholder", "your", "xxxx", "changeme", "dummy", "sample", "redacted", "<", "${")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _real(match: Any) -> bool:
    """Not a documented example or an obvious placeholder."""
    value: str = match.group("secret")
    lowered = value.lower()
    return value not in DOCUMENTED_EXAMPLES and not any(w in lowered for w in _PLACEHOLDER_WORDS)


def _random(min_entropy: float) -> Any:
    def check(match: Any) -> bool:
        value: str = match.group("secret")
        mixed = sum(any(f(c) for c in value) for f in (str.islower, str.isupper, str.isdigit)) >= 2
        return _real(match) and mixed and entropy(value) >= min_entropy

    return check


def _rule(kind: str, message: str, anchors: tuple[str, ...], pattern: str, check: Any = _real) -> Rule:
    return Rule(f"secret_{kind}", HIGH, message, anchors, pattern, window=600, redact=True, check=check)


_B = r"(?<![A-Za-z0-9_+/=-])"  # the secret starts here (no longer token around it)
_E = r"(?![A-Za-z0-9_+/=-])"

RULES: tuple[Rule, ...] = (
    _rule("aws_access_key_id", "an AWS access key id", ("akia", "asia", "abia", "acca"),
          _B + r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})" + _E),
    _rule("aws_secret_access_key", "an AWS secret access key",
          ("aws_secret", "secret_access_key", "secretaccesskey", "aws secret", "aws_secret_key"),
          r"(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*+[:=]\s*+[\"']?"
          r"(?P<secret>[A-Za-z0-9/+]{40})" + _E),
    _rule("github_token", "a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
          _B + r"(?P<secret>gh[pousr]_[A-Za-z0-9]{36,255})" + _E),
    _rule("github_fine_grained_pat", "a GitHub fine-grained personal access token", ("github_pat_",),
          _B + r"(?P<secret>github_pat_[A-Za-z0-9_]{60,255})" + _E),
    _rule("gitlab_token", "a GitLab token", ("glpat-", "gldt-", "glrt-"),
          _B + r"(?P<secret>gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,64})" + _E),
    _rule("slack_token", "a Slack token", ("xoxb-", "xoxp-", "xoxa-", "xoxs-", "xoxr-", "xoxe-"),
          _B + r"(?P<secret>xox[bpaser]-[A-Za-z0-9-]{10,250})" + _E),
    _rule("slack_webhook", "a Slack incoming-webhook URL", ("hooks.slack.com",),
          r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,200})"),
    _rule("stripe_key", "a Stripe secret or restricted key", ("sk_live_", "rk_live_", "sk_test_", "rk_test_"),
          _B + r"(?P<secret>[sr]k_(?:live|test)_[A-Za-z0-9]{24,247})" + _E),
    _rule("openai_key", "an OpenAI API key", ("sk-",),
          _B + r"(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}|"
          r"sk-[A-Za-z0-9]{48}|sk-proj-[A-Za-z0-9_-]{80,200})" + _E),
    _rule("anthropic_key", "an Anthropic API key", ("sk-ant-",),
          _B + r"(?P<secret>sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,120})" + _E),
    _rule("google_api_key", "a Google API key", ("aiza",), _B + r"(?P<secret>AIza[0-9A-Za-z_-]{35})" + _E),
    _rule("google_oauth_client_secret", "a Google OAuth client secret", ("gocspx-",),
          _B + r"(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})" + _E),
    _rule("azure_storage_key", "an Azure storage account key", ("accountkey=", "account_key", "accountkey"),
          r"(?:AccountKey|account_?key)[\"']?\s*+[=:]\s*+[\"']?(?P<secret>[A-Za-z0-9+/]{86}==)"),
    _rule("jwt", "a JSON Web Token", ("eyj",),
          _B + r"(?P<secret>eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{16,1000})" + _E),
    _rule("private_key", "a private key", ("private key-----", "-----begin"),
          r"(?P<secret>-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----[\s\S]{40,12000}?"
          r"-----END[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----)"),
    _rule("connection_string_password", "a connection string with a password",
          ("://",), r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|"
          r"clickhouse|cockroachdb|https?|ftp|smtp)://[^\s:@/]{0,80}:(?P<secret>[^\s@/]{3,200})@[\w.-]{1,253}",
          check=lambda m: _real(m) and m.group("secret") not in ("password", "pass", "****", "*****", "********")),
    _rule("npm_token", "an npm token", ("npm_",), _B + r"(?P<secret>npm_[A-Za-z0-9]{36})" + _E),
    _rule("pypi_token", "a PyPI token", ("pypi-ageicHlwaS5vcmc",),
          _B + r"(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300})" + _E),
    _rule("twilio_key", "a Twilio API key", ("sk",), _B + r"(?P<secret>SK[0-9a-f]{32})" + _E),
    _rule("sendgrid_key", "a SendGrid API key", ("sg.",),
          _B + r"(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + _E),
    _rule("huggingface_token", "a Hugging Face token", ("hf_",), _B + r"(?P<secret>hf_[A-Za-z0-9]{34,40})" + _E),
    _rule("digitalocean_token", "a DigitalOcean token", ("dop_v1_", "doo_v1_", "dor_v1_"),
          _B + r"(?P<secret>do[por]_v1_[a-f0-9]{64})" + _E),
    _rule("assigned_secret", "a secret assigned to a key that says it is one",
          ("secret", "token", "password", "passwd", "api_key", "apikey", "api-key", "private_key", "client_secret",
           "access_key", "auth"),
          r"(?:^|[\s\"'{,;(])(?:export\s++)?[\"']?[\w.-]{0,40}(?:secret|token|passw(?:or)?d|pwd|api_?key|apikey|"
          r"private_?key|access_?key|auth_?key|credentials?)[\w.-]{0,20}[\"']?\s*+[:=]\s*+[\"']?"
          r"(?P<secret>[A-Za-z0-9+/_.~!@#$%^&*=-]{16,200})",
          check=_random(3.3)),
)
