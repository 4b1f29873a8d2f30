"""Credential formats the EgressInspector recognises, as engine rules: each pattern has a
group ``secret`` (what the report redacts), each anchor is the format's fixed prefix or
context word. Formats with a fixed shape match on their own; generic key-value pairs
(``.env``, JSON, YAML) only with an entropy gate, and documented example keys never.
"""

from __future__ import annotations

import math
import re
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
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe's API reference
        "2YotnFZFEjr1zCsicMWpAA",  # RFC 6749
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "mF_9.B5f-4.1JqM",  # RFC 6750
        # Azurite, the Azure storage emulator: a published, fixed development key.
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    }
)
# The claims of the sample token on jwt.io ({"sub":"1234567890","name":"John Doe",
# "iat":1516239022}), which documentation everywhere copies, signature and all.
_JWT_IO_SAMPLE = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
# A value that names where a secret comes from rather than being one.
_REFERENCE = re.compile(
    r"(?:process\.env|os\.environ|import\.meta\.env|ENV|env)\b.*|[A-Za-z_]\w*+(?>(?:\.[A-Za-z_]\w*+)+)"
)
_PLACEHOLDER_WORDS = ("example", "placeholder", "your", "xxxx", "changeme", "dummy", "sample", "redacted", "<", "${",
                      "generate", "replace", "insert", "fill-in", "fillme", "todo", "-here", "_here")
# Values that are stored encrypted (sealed secrets, sops, ansible-vault): ciphertext, not keys.
_ENCRYPTED_CONTEXT = ("encrypteddata", "enc[", "$ansible_vault", "sops:", "sealedsecret")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _real(match: Any) -> bool:
    """Not a documented example or an obvious placeholder."""
    value: str = match.group("secret")
    lowered = value.lower()
    return (
        value not in DOCUMENTED_EXAMPLES and not any(w in lowered for w in _PLACEHOLDER_WORDS)
        and _JWT_IO_SAMPLE not in value
        and not (value.isalpha() and value.isupper())  # USER:PASSWORD@HOST
        and not _REFERENCE.fullmatch(value)
    )


# Passwords of local development setups (the user's name again, the service's default):
# they open nothing outside the developer's machine.
_DEFAULT_PASSWORDS = frozenset({"password", "pass", "passwd", "secret", "dev", "test", "postgres", "root", "admin",
                                "example", "changeme", "guest", "mysql", "redis"})


def _not_default_password(match: Any) -> bool:
    value: str = match.group("secret")
    user = re.search(r"://([^\s:@/]{0,80}):", match.group())
    return (value.lower() not in _DEFAULT_PASSWORDS and set(value) != {"*"}
            and not (user is not None and user.group(1) == value))


def _random(min_entropy: float) -> Any:
    def check(match: Any) -> bool:
        value: str = match.group("secret")
        key = match.group("key").lower() if match.re.groupindex.get("key") else ""
        before = re.search(r"[\w.-]{0,40}$", match.string[max(0, match.start() - 40) : match.start()])
        key = (before.group().lower() if before else "") + key
        context = match.string.lower()
        if any(w in key for w in ("csrf", "xsrf", "nonce")) or any(c in context for c in _ENCRYPTED_CONTEXT):
            return False
        mixed = sum(any(f(c) for c in value) for f in (str.islower, str.isupper, str.isdigit)) >= 2
        wordy = re.fullmatch(r"[a-z]+(?:[-_.][a-z0-9]+)+", value) is not None  # my-app-secret-key
        return _real(match) and mixed and not wordy and entropy(value) >= min_entropy

    return check


def _rule(kind: str, message: str, anchors: tuple[str, ...], pattern: str, check: Any = _real, window: int = 600,
          near: tuple[tuple[str, ...], ...] = ()) -> Rule:
    return Rule(f"secret_{kind}", HIGH, message, anchors, pattern, window=window, redact=True, check=check, near=near)


_B = r"(?<![A-Za-z0-9_+/-])"  # the secret starts here (no longer token around it; "key=" may precede)
_E = r"(?![A-Za-z0-9_+/=-])"

RULES: tuple[Rule, ...] = (
    _rule("aws_access_key_id", "an AWS access key id", ("akia", "asia", "abia", "acca"),
          _B + r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})" + _E),
    _rule("aws_secret_access_key", "an AWS secret access key",
          ("aws_secret", "secret_access_key", "secretaccesskey", "aws secret", "aws_secret_key"),
          r"(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?(?:\s*+[:=]\s*+|\s++)[\"']?"
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
    # The header and the start of the body: the END line may lie kilobytes further on.
    _rule("private_key", "a private key", ("private key-----", "private key block-----"),
          r"-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----(?P<secret>[\s\S]{0,240}?[A-Za-z0-9+/]{32,})"),
    _rule("connection_string_password", "a connection string with a password",
          ("://",), r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|"
          r"clickhouse|cockroachdb|oracle|https?|ftp|smtp)(?:\+\w++)?://[^\s:@/]{0,80}:(?P<secret>[^\s@/]{3,200})@"
          r"[\w.-]{1,253}",
          check=lambda m: _real(m) and _not_default_password(m), near=(("@",),)),
    _rule("npm_token", "an npm token", ("npm_",), _B + r"(?P<secret>npm_[A-Za-z0-9]{36})" + _E),
    _rule("pypi_token", "a PyPI token", ("pypi-ageicHlwaS5vcmc",),
          _B + r"(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300})" + _E),
    _rule("twilio_key", "a Twilio API key", tuple(rf"\bsk{c}" for c in "0123456789abcdef"),
          _B + r"(?P<secret>SK[0-9a-f]{32})" + _E),
    _rule("sendgrid_key", "a SendGrid API key", ("sg.",),
          _B + r"(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + _E),
    _rule("huggingface_token", "a Hugging Face token", ("hf_",), _B + r"(?P<secret>hf_[A-Za-z0-9]{34,40})" + _E),
    _rule("digitalocean_token", "a DigitalOcean token", ("dop_v1_", "doo_v1_", "dor_v1_"),
          _B + r"(?P<secret>do[por]_v1_[a-f0-9]{64})" + _E),
    _rule("assigned_secret", "a secret assigned to a key that says it is one",
          ("secret", "token", "password", "passwd", "api_key", "apikey", "api-key", "private_key", "client_secret",
           "access_key", "auth"),
          # From the keyword on (the regular expression is tried only there, not at every byte
          # before it): the rest of the key's name before it is read by the check.
          r"(?P<key>(?:secret|token|passw(?:or)?d|pwd|api_?key|"
          r"apikey|private_?key|access_?key|auth_?key|credentials?)[\w.-]{0,20}+)[\"']?\s*+[:=]\s*+[\"']?"
          r"(?P<secret>[A-Za-z0-9+/_.~!@#$%^&*=-]{16,200})",
          # A match reaches at most ~65 bytes before its keyword and ~230 after it.
          check=_random(3.3), window=300),
)
