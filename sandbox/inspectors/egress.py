"""EgressInspector: data leaving through the commands an agent is about to run, and
secrets in what it reads or writes.

Commands are parsed, not grepped: each line is split into shell words (as ``shlex`` splits
them, with the operators ``|``, ``;``, ``&&``, ``||`` between commands), wrappers such as
``sudo``, ``env`` and ``xargs`` are looked through, and each network tool is read with its
own options (``curl -d @file``, ``wget --post-file``, ``scp file host:``, ``git push URL``,
``nc host``, ``/dev/tcp/host/port``). A destination is judged by its parsed host with the
same rules as the proxy (sandbox.hosts): ``github.com.evil.example`` is not GitHub. Levels:

- MEDIUM: a connection to a host the allowlist does not name;
- HIGH: data sent to such a host (an upload, a request body, a pipe into a socket, a push),
  or any use of a paste, webhook or tunnelling service;
- CRITICAL: secret material (a key file, credentials, an environment dump, a token in the
  command line) flowing into any network sink, allowed host or not.

Secrets found in the text itself (secret_rules) are HIGH, their values redacted.
"""

from __future__ import annotations

import bisect
import itertools
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from sandbox.errors import PolicyError
from sandbox.hosts import HostPolicy, canonical_host
from sandbox.inspectors.engine import Cursor, Finder, Guarded, RuleSet, redacted
from sandbox.inspectors.findings import Finding, InspectionResult, ThreatLevel
from sandbox.inspectors.normalize import normalize
from sandbox.inspectors.prefilter import LiteralSet
from sandbox.inspectors.secret_rules import RULES as SECRET_RULES

LOW, MEDIUM, HIGH, CRITICAL = ThreatLevel.LOW, ThreatLevel.MEDIUM, ThreatLevel.HIGH, ThreatLevel.CRITICAL

# Services whose whole purpose is to receive data from anyone, or to expose a local port.
EXFIL_SERVICES = (
    "pastebin.com", "paste.ee", "hastebin.com", "ghostbin.com", "dpaste.org", "dpaste.com", "termbin.com",
    "ix.io", "sprunge.us", "0x0.st", "transfer.sh", "file.io", "tmpfiles.org", "paste.rs", "rentry.co",
    "controlc.com", "webhook.site", "requestbin.com", "requestbin.net", "pipedream.net", "pipedream.com",
    "beeceptor.com", "hookbin.com", "mockbin.org", "postb.in", "requestcatcher.com", "interact.sh", "oast.fun",
    "oast.me", "oast.pro", "oast.site", "oast.live", "burpcollaborator.net", "canarytokens.com", "dnslog.cn",
    "ngrok.io", "ngrok-free.app", "ngrok.app", "ngrok.dev", "loca.lt", "localtunnel.me", "serveo.net",
    "trycloudflare.com", "localhost.run", "lhr.life", "bore.pub", "pagekite.me", "telebit.cloud",
    "discord.com/api/webhooks", "discordapp.com/api/webhooks", "api.telegram.org", "hooks.slack.com",
)
_SERVICE_HOSTS = tuple(s for s in EXFIL_SERVICES if "/" not in s)
_SERVICE_URLS = tuple(s for s in EXFIL_SERVICES if "/" in s)

_SECRET_PATH = re.compile(
    r"(?:^|[\s\"'=@<:])(?:~|\$HOME|/home/[^/\s]+|/root)?/?(?:\.ssh/[^\s\"']*|[^\s\"']*id_(?:rsa|dsa|ecdsa|ed25519)\b|"
    r"\.env(?:\.[\w.-]+)?\b|\.aws/credentials|\.aws/config|\.netrc|\.docker/config\.json|\.kube/config|"
    r"\.git-credentials|\.npmrc|\.pypirc|\.config/gh/hosts\.yml|\.gnupg/[^\s\"']*|"
    # a whole directory of them ("tar czf - ~/.ssh", "rsync -a ~/.aws/ …")
    r"(?:\.ssh|\.aws|\.gnupg|\.kube|\.docker)/?(?=[\s\"');|&]|$))|/etc/shadow\b|/etc/gshadow\b|"
    r"/proc/(?:self|\d+)/environ\b"
)
_SECRET_ENV = re.compile(
    r"\$\{?(?:AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|GITHUB_TOKEN|GH_TOKEN|GITLAB_TOKEN|NPM_TOKEN|"
    r"OPENAI_API_KEY|ANTHROPIC_API_KEY|[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY)[A-Z0-9_]*)\b"
)
_ENV_DUMPS = frozenset({"env", "printenv", "set", "export", "declare"})
_READERS = frozenset({"cat", "tac", "head", "tail", "less", "more", "base64", "xxd", "od", "gzip", "bzip2", "xz",
                      "tar", "zip", "openssl", "gpg", "strings", "cp", "dd", "sed", "awk", "grep", "jq", "cut"})
_WRAPPERS = frozenset({"sudo", "doas", "nohup", "time", "nice", "ionice", "stdbuf", "command", "builtin", "exec",
                       "timeout", "env", "xargs", "busybox", "torsocks", "proxychains", "proxychains4"})
_INTERPRETERS = {"python": "-c", "python3": "-c", "python2": "-c", "node": "-e", "nodejs": "-e", "deno": "eval",
                 "bun": "-e", "tsx": "-e",
                 "ruby": "-e", "perl": "-e", "php": "-r", "powershell": "-c", "pwsh": "-c", "lua": "-e",
                 "tclsh": "", "expect": "-c"}
_URL = re.compile(r"\b(?:https?|ftp|ftps|sftp|scp|ssh|git|rsync|wss?|tcp|udp)://[^\s\"'<>`)]{1,2000}", re.I)
_DEV_NET = re.compile(
    r"/dev/(?:tcp|udp)/([^/\s\"']{1,253})/(\d{1,5})|/inet[46]?/(?:tcp|udp)/\d++/([^/\s\"']{1,253})/(\d{1,5})"
)
_REMOTE = re.compile(r"^(?:[^@\s/:]{1,64}@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]{1,253}):(?!//)")
_NET_CODE = re.compile(
    r"socket|urlopen|urllib|requests\.|http\.client|httpx|fetch\(|XMLHttpRequest|net\.connect|https?\.request|"
    r"Net::HTTP|TCPSocket|IO::Socket|LWP|curl_exec|fsockopen|WebClient|Invoke-WebRequest|Invoke-RestMethod|"
    r"iwr\b|irm\b|Net\.Sockets|UploadString|UploadFile|DownloadString|\.request\(|\.connect\(|"
    r"create_connection|smtplib|ftplib|Start-BitsTransfer|Resolve-DnsName|Send-MailMessage|open-uri|URI\.open|"
    r"file_get_contents\(\s*+[\"']https?:|(?:dns\W{0,3}\.|\.)(?:resolve\w*+|lookup)\(|axios|\bgot\(|superagent|node-fetch|"
    r"\.(?:post|put)\(|HTTP::Tiny|LWP::UserAgent|\bmail\(|Net::SMTP|Mail::|WebSocket|require\([\"']ws[\"']\)|"
    r"wss?://|https?\W{0,3}\.(?:get|request)\(",
    re.I,
)
# Tried where its first literals are (the automaton finds them): a case-insensitive search of
# the alternation tries it at every character, half a second for a megabyte of decoded text.
_FIND_NET_CODE = Finder(_NET_CODE)
_HOST_IN_CODE = re.compile(
    r"[\"']([A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3}|0x[0-9a-fA-F]{1,8}|\d{8,10})"
    r"(?::\d{1,5})?[\"']|\bhost\s*+:\s*+[\"']([A-Za-z0-9.-]{1,253})[\"']"
)
_SECRET_IN_CODE = re.compile(
    r"process\.env|os\.environ|ENV\[|\$ENV\{|getenv\(|Bun\.env|Deno\.env|Get-ChildItem\s++env:|\$env:|"
    r"readFileSync\(|(?<![\w.])open\(|Get-Content|file_get_contents\(",
    re.I,
)


# Where a command worth parsing may be: the network tools, the forms of everyday tools that
# send or run something, what hides a tool's name ($IFS, $'\\x..', printf, which), tunnels,
# publishing, and secret files. In a large text (a build log, a source tree) only the lines
# around these are parsed; the secret rules' pass finds them, so that costs no extra read.
# Tools whose every use may reach the network, as words; tools that are everyday words in
# prose and code (git, python, host, exec) only in the forms that send or run something.
_COMMAND_WORDS = (
    "curl", "wget", "wget2", "nc", "ncat", "netcat", "socat", "telnet", "scp", "sftp", "rsync", "ssh", "sshpass",
    "ftp", "tftp", "atftp", "lftp", "ncftp", "ncftpput", "wput", "dig", "nslookup", "drill", "ping6", "getent",
    "resolvectl", "gh", "xh", "aria2c", "lynx", "iwr", "irm", "ngrok", "cloudflared", "localtunnel", "frpc",
    "powershell", "pwsh", "tclsh", "sshfs", "gsutil", "gcloud", "rclone", "s3cmd", "azcopy", "sendmail", "mail",
    "mailx", "mutt", "swaks", "msmtp", "s-nail", "mc", "b2", "certutil", "bitsadmin", "start-bitstransfer", "twine",
)
# ".env" as a word's end, as _SECRET_PATH reads it (".env", ".env.local"): not "os.environ",
# which source code holds on every other page. A pipe into a shell likewise: not "| Shifts"
# in a table.
_COMMAND_FORMS = (
    "aws s3", "az storage", "npm publish", "pnpm publish", "yarn publish", "poetry publish", "uv publish",
    "--index-url", "--registry", "--repository-url", "--publish-url", r".env\b", ".npmrc", ".pypirc", "kube/config",
    "git push", "git remote", "git send-email", "git credential", "git -c", "python -", "python2 -", "python3 -",
    "node -", "nodejs -", "bun -", "deno eval", "deno run", "tsx -", "ruby -", "perl -", "php -", "lua -",
    "host $(", "host `", "host -", "ping -", "http post", "http put", "https post", "https put", "http -f",
    "http --form", "openssl s_client", "lt --port", "bore local", "tailscale funnel", "pagekite", "expose --",
    "/dev/tcp", "/dev/udp", "/inet/tcp", "/inet/udp", "/inet4/", "/inet6/", "http.server", "simplehttpserver",
    "-listen", "$ifs", "${ifs", "$'\\", "$(printf", "$(echo", "`which", "$(which", "command -v",
    "invoke-webrequest", "invoke-restmethod", "invoke-expression", "net.webclient", "npm publish", "yarn publish",
    "twine upload", "docker push", "cargo publish", "gem push", ".ssh/", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
    ".aws/", ".netrc", ".git-credentials", "/etc/shadow", "/proc/self/environ", "printenv", r"| sh\b", r"| bash\b",
    r"|sh\b", r"|bash\b",
)
_COMMAND_SITES = (*(rf"\b{word}\b" for word in _COMMAND_WORDS), *_COMMAND_FORMS)
COMMAND_CONTEXT = 160  # bytes around a command site parsed with it (a variable set just before, a continuation)
LARGE_TEXT = 64 << 10  # bytes: a text longer than this is parsed only around its command sites


@lru_cache(maxsize=1)
def _secret_rules() -> RuleSet:
    return RuleSet(SECRET_RULES, sites={"command": (_COMMAND_SITES, COMMAND_CONTEXT, ())})


@dataclass
class _Command:
    words: list[str]
    line: str
    pipeline: list[list[str]]  # every command of the pipeline it is in
    source: str = ""  # the whole text the command is in
    inputs: tuple[str, ...] = ()  # files redirected into it (< file)
    truncated: bool = False  # the text had more commands than are judged
    at: int = -1  # where its line starts in ``source`` (-1: all of source is its context)

    @property
    def text(self) -> str:
        """What the command may read besides its line (a heredoc after it, a config on
        stdin, a push further on): the text within CONTEXT of it, not all of a large text
        (thousands of commands must not each read all of it). Cut only when asked for: a
        slice per command, most never read, was a third of what a megabyte of commands cost."""
        if self.at < 0 or len(self.source) <= 2 * CONTEXT:
            return self.source
        return self.source[max(0, self.at - CONTEXT) : self.at + CONTEXT]


class EgressInspector:
    """Exfiltration detection in commands and outputs, against ``allowed_domains`` (host
    patterns as the proxy takes them). Raises PolicyError for a bad allowlist entry."""

    def __init__(self, allowed_domains: Iterable[str] = ()) -> None:
        self.allowed_domains = tuple(allowed_domains)
        self._policy = HostPolicy(allowed=self.allowed_domains, mode="allowlist")
        self._secrets = _secret_rules()

    @property
    def backend(self) -> str:
        """``"native"`` or ``"python"``: which prefilter scans (see inspectors.prefilter)."""
        return self._secrets.backend

    def inspect(self, content: str) -> InspectionResult:
        """Raises PolicyError when ``content`` is not text."""
        if not isinstance(content, str):
            raise PolicyError(f"EgressInspector.inspect takes str, not {type(content).__name__}")
        norm = normalize(content)
        found, deep, survey = self._secrets.deep(norm)
        findings = _specific(found)
        layers = [layer for layer, _ in deep]
        for _, in_layer in deep:
            findings += _specific(in_layer)
        secrets_found = any(f.type.startswith("secret_") for f in findings)
        main = norm.text if len(norm.data) <= LARGE_TEXT else _around(norm.data, survey.sites.get("command", []))
        texts = [main] + [layer.text for layer in layers]
        for text in texts:
            prepared, complete = _prepared(text)
            if not complete:
                findings.append(Finding("inspection_incomplete", MEDIUM, "more quoted strings, and commands in them "
                                        "and in the middle of lines, than are read in one text: the rest was not", ""))
            for command in _commands(prepared):
                findings += self._judge(command, secrets_found)
        findings += _tunnels(main)
        findings += _published_secrets(main)
        for layer in layers:  # a decoded script (base64 handed to exec) is code to read too
            if _FIND_NET_CODE.first(layer.text):
                findings += self._judge(_Command(["python3", "-c", layer.text], layer.text, [["python3", "-c",
                                                 layer.text]], layer.text), False)
        return InspectionResult.of(_unique(findings))

    # -- one command ---------------------------------------------------------------------

    def _judge(self, command: _Command, secrets_found: bool) -> list[Finding]:
        """``secrets_found``: the text holds a secret the rules recognise (then a command
        that reaches the network is looked at for one in its own line)."""
        if command.truncated:
            return [Finding("inspection_incomplete", MEDIUM,
                            f"more than {MAX_COMMANDS} commands in one text: the rest was not judged", "")]
        words = _unwrapped(command.words) or (["exec"] if "/dev/" in command.line or "/inet" in command.line else [])
        if not words:
            return []
        name = words[0].rsplit("/", 1)[-1].lower()
        if len(words) > 1 and words[1] in _OPERATORS:
            return []  # "nc = entry.callcount": a variable of that name in code, not the tool
        listener = _listener(name, words[1:], bool(command.inputs))
        if listener:
            served = " ".join([*words[1:], *command.inputs])
            secret = _secret_flow(command) or bool(_FIND_SECRET_PATH.search(" " + served)
                                                   or _FIND_SECRET_DIR.search(served))
            shown = _redact(" ".join(command.line.split()))[:200]
            if secret:
                return [Finding("exfiltration_of_secrets", CRITICAL,
                                f"{listener} hands secret material to whoever connects", shown)]
            # A file of the project served on a port is a note; a shell, or a home directory, is not.
            level = LOW if listener.endswith("fed a file") else HIGH
            return [Finding("serves_data", level, f"{listener}: whoever connects gets what it serves", shown)]
        destinations, sends = _destinations(name, words, command)
        if not destinations:
            return []
        out = []
        for host, how in destinations:
            service = _service(host, command.line)
            canonical = canonical_host(host.strip("[]")) if host else None
            if canonical is not None and (canonical.name == "localhost" or (canonical.ip is not None
                                                                             and canonical.ip.is_loopback)):
                continue  # this machine: nothing leaves it
            allowed = canonical is not None and self._policy.decide(host.strip("[]") if canonical.ip is None
                                                                    else canonical.name).allowed
            # A token in the authentication header of a request to the allowed service it
            # is for is how that service is used, not a leak; anywhere else it is one.
            secret = _secret_flow(command, auth_is_use=allowed) or (
                secrets_found and bool(self._secrets.scan(command.line))
            )
            shown = _redact(" ".join(command.line.split()))[:200]
            if secret:
                out.append(Finding("exfiltration_of_secrets", CRITICAL,
                                   f"secret material flows into {how} to {host or 'a remote host'}", shown))
            elif service:
                out.append(Finding("exfiltration_service", HIGH, f"{how} to {service}, a service that takes data "
                                   "from anyone or exposes a local port", shown))
            elif not allowed and sends:
                out.append(Finding("data_to_unlisted_host", HIGH,
                                   f"{how} sends data to {host}, which the allowlist does not name", shown))
            elif not allowed:
                out.append(Finding("unlisted_destination", MEDIUM,
                                   f"{how} connects to {host}, which the allowlist does not name", shown))
        return out


_SECRET_DIR = re.compile(r"(?:^|[\s/~])\.(?:ssh|aws|gnupg|kube|docker)\b")
_FIND_SECRET_PATH, _FIND_SECRET_DIR = Guarded(_SECRET_PATH), Guarded(_SECRET_DIR)


_LISTEN_FLAG = re.compile(r"-[A-Za-z]*l[A-Za-z]*|--listen")


def _listener(name: str, args: list[str], fed: bool) -> str:
    """What makes this command a server that gives data or a shell to whoever connects (a
    netcat listener with input (``fed``) or a program, socat listening into a file or
    program, a web server over a home or secret directory), or ""."""
    joined = " ".join(args)
    # Each pattern only where the words hold what it needs (a plain find in C): a command of
    # thousands of words was otherwise read by each of them at every character.
    if name in ("nc", "ncat", "netcat") and "-" in joined and any(_LISTEN_FLAG.fullmatch(a) for a in args):
        if re.search(r"(?:^|\s)-[A-Za-z]*[ec]\b|--exec|--sh-exec|--lua-exec", joined):
            return f"a {name} listener running a program"
        if fed:
            return f"a {name} listener fed a file"
    if name == "socat" and re.search(r"(?:tcp|udp|ssl|openssl)[46]?-listen", joined, re.I) and re.search(
        r"\b(?:file|exec|system|open|gopen):", joined, re.I
    ):
        return "a socat listener"
    serving = ("-m" in joined or "-S" in joined) and re.search(
        r"-m\s++(?:http\.server|SimpleHTTPServer)\b|(?:^|\s)-S\s++\S*:\d", joined)
    if serving and re.search(r"(?:^|\s)(?:--directory|-d|-t)\s++(?:~|\$HOME|/home/|/root|\S*\.ssh|\S*\.aws)", joined):
        return "a web server over a home or secret directory"
    return ""


def _redact(line: str) -> str:
    """The line as a report may show it: every secret the rules recognise in it redacted."""
    return _secret_rules().redact(line)


def _specific(findings: list[Finding]) -> list[Finding]:
    """A value a format rule recognised is not reported again as a generic assignment."""
    named = [f.span for f in findings if f.type != "secret_assigned_secret"]
    return [
        f for f in findings
        if f.type != "secret_assigned_secret" or not any(a < f.span[1] and f.span[0] < b for a, b in named)
    ]


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.type, f.message, f.content)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


MAX_EXTRACTED = 1000  # commands pulled out of strings and lines, per text
# Quoted strings looked through for a command, per text (and one per STRING_SHARE
# characters): a megabyte of nothing but quoted commands stops there, with a finding.
MAX_STRINGS, STRING_SHARE = 4000, 256
MAX_PIECE = 4000  # characters of each
# Commands judged per text; past this, a finding says so. Judging one costs 30-40 µs in
# Python (its words, hosts, the policy, a secret search): a megabyte of nothing but network
# commands, tens of thousands, is then read in a bounded time (0.3-0.4 s for 9,000).
MAX_COMMANDS = 1000
CONTEXT = 16 << 10  # characters around a command where its heredoc, config or later push may be
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]{0,40})\b\}?")
# A variable assigned a literal (``name=value``, ``name="value"``), read from its "=": a
# pattern that began with the name was tried at every whitespace character of a text (a
# fifth of what its commands cost), where "=" is a literal the engine skips to in C. The
# name is then read back from just before it, and must follow a separator or a line's start.
_ASSIGNED = re.compile(r"=([\"']?)([^\s;&|\"'`$]{1,300})\1(?=[;&|\s]|$)", re.M)
_NAME_BEFORE = re.compile(r"(?<![^;&|\s])[A-Za-z_][A-Za-z0-9_]{0,40}\Z")
_SINKS = re.compile(
    r"(?<![\w./-])(?:curl|wget2?|nc|ncat|netcat|socat|telnet|scp|sftp|rsync|ssh|ftp|tftp|atftp|lftp|dig|nslookup|"
    r"host|ping|git|gh|python3?|node|bun|deno|ruby|perl|php|powershell|pwsh)\s"
)


_MAY_REACH = re.compile(
    r"(?<![\w./-])(?:curl|wget2?|nc|ncat|netcat|socat|telnet|scp|sftp|rsync|ssh|sshpass|ftp|tftp|atftp|lftp|ncftp\w*|"
    r"wput|dig|nslookup|host|drill|ping6?|getent|resolvectl|git|gh|python\w*|node|nodejs|bun|deno|tsx|ruby|perl|php|"
    r"powershell|pwsh|lua|http|https|xh|aria2c|lynx|openssl|exec|aws|gsutil|gcloud|rclone|s3cmd|azcopy|az|mc|b2|"
    r"mail|mailx|mutt|sendmail|msmtp|swaks|s-nail|pip3?|uv|poetry|twine|npm|yarn|pnpm|cargo|gem|invoke-webrequest|"
    r"invoke-restmethod|iwr|irm|start-bitstransfer|certutil|bitsadmin|tclsh|expect|sshfs|awk|gawk|php)\b|"
    r"/dev/(?:tcp|udp)/|/inet[46]?/(?:tcp|udp)/|://"
)
# Both are tried only where a tool's name starts as a word (engine.Finder), not at every
# character: in a text of a few kilobytes they were most of what inspecting it cost.
_FIND_SINKS, _FIND_MAY_REACH = Finder(_SINKS), Finder(_MAY_REACH)
# A sink word after a line's first character: the lines _sink_pieces reads (a line that
# begins with its tool is a command already; a megabyte of such lines once cost a step each).
_FIND_SINKS_WITHIN = Finder(re.compile(r"(?<=[^\n])" + _SINKS.pattern))
_EMBEDDED = re.compile(r"`([^`\n]{3,2000})`|\$\(([^()\n]{3,2000})\)|\"([^\"\n]{6,2000})\"|'([^'\n]{6,2000})'")
# A word that runs the string after it (``eval "…"``, ``sh -c '…'``, ``os.system(…)``), ending
# just before it: read where the quoted strings end, each with NUL after it (_executed).
_EXECUTES = re.compile(
    r"(?:\beval|-c|\bsystem|\bpopen|\bexec\w*|\bspawn\w*|\bcall|\bcheck_output|\bPopen|\bexecSync|\bshell_exec|"
    r"\bpassthru|\bIEX|Invoke-Expression|\bsh|\bbash|scripts\.[\w:-]++=|\bRUN)\s*+[(\[]?\s*+(?=\x00)"
)
_FIND_EXECUTES = Finder(_EXECUTES)


_PIPED_TO_SHELL = re.compile(r"\s*+\|\s*+(?:ba|z|da|k)?sh\b")  # echo "curl …" | sh runs the string
_WHICH = re.compile(
    r"`\s*+(?:which|command\s++-v)\s++([\w.-]++)\s*+`|\$\(\s*+(?:which|command\s++-v)\s++([\w.-]++)\s*+\)"
)
_ESCAPED_WORD = re.compile(
    r"\$'((?>(?:\\x[0-9a-fA-F]{2}|\\[0-7]{3}|[^'\\])+))'|"
    r"\$\(\s*+printf\s++'((?>(?:\\x[0-9a-fA-F]{2}|\\[0-7]{3})+))'\s*+\)"
)


def _unescaped(match: re.Match[str]) -> str:
    """``$'\\x63url'`` and ``$(printf '\\143url')`` as the word they spell."""
    body = match.group(1) or match.group(2) or ""
    return re.sub(r"\\x([0-9a-fA-F]{2})|\\([0-7]{3})",
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else chr(int(m.group(2), 8)), body)


def _around(data: bytes, spans: list[tuple[int, int]]) -> str:
    """The whole lines of ``data`` that the ``spans`` (places of command sites, with their
    context) touch, in order, each stretch once: what is parsed of a large text."""
    out: list[bytes] = []
    last = 0
    for low, high in sorted(spans):
        low = data.rfind(b"\n", 0, max(low, last)) + 1
        while low >= 2 and data[low - 2 : low - 1] == b"\\":  # the line continues one before it
            low = data.rfind(b"\n", 0, low - 1) + 1
        if low < last:
            low = last
        end = data.find(b"\n", high)
        while end > 0 and data[end - 1 : end] == b"\\":  # a continued line goes on to the next
            end = data.find(b"\n", end + 1)
        high = len(data) if end < 0 else end
        if high > low:
            out.append(data[low:high])
            last = high
    return "\n".join(part.decode("utf-8", "replace") for part in out)


def _assignments(text: str) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of each assignment of a literal in ``text``, in order. (A name can
    start nowhere inside a value: a separator must come before it, and a value holds none.)"""
    for m in _ASSIGNED.finditer(text):
        name = _NAME_BEFORE.search(text, max(0, m.start() - 41), m.start())
        if name:
            yield name.group(), m.group(2)


def _prepared(text: str) -> tuple[str, bool]:
    """The text with what hides a command's words undone, statically: ``${IFS}`` is a
    space, a variable assigned a literal once (``h=evil.example; curl $h``) is its value,
    and commands quoted inside ``eval "…"``, ``sh -c '…'``, backticks or an interpreter's
    ``os.system('…')`` are put on lines of their own, to be judged too; and whether all
    such commands were (False: more than the budget, MAX_EXTRACTED and one per KiB)."""
    if "$" in text or "`" in text:  # what every one of these forms starts with
        # Each only when the text holds the word it needs (a plain find: the patterns are
        # tried at every "$" and backtick, and code has thousands).
        if "IFS" in text:
            text = re.sub(r"\$\{?IFS\}?", " ", text)
        if "echo" in text:
            text = re.sub(r"\$\(\s*+echo\s++([\w.-]++)\s*+\)", r"\1", text)  # $(echo curl) is curl
        if "printf" in text:
            text = re.sub(r"\$\(\s*+printf\s++(['\"]?)([\w.-]++)\1\s*+\)", r"\2", text)  # $(printf cu)rl is curl
        if "which" in text or "command" in text:
            text = _WHICH.sub(lambda m: m.group(1) or m.group(2), text)  # `which nc` is nc
        if "printf" in text:
            text = re.sub(r"\$\(\s*+printf\s++'%s '\s++([^)]*+)\)", r"\1", text)  # $(printf '%s ' wget …)
        if "$'" in text or "printf" in text:
            text = _ESCAPED_WORD.sub(_unescaped, text)
    if "alias " in text:
        text = _aliased(text)
    values: dict[str, str] = {}
    # A value matters only where a variable is read ("$"): prose and most code have none,
    # and their assignments are not looked for.
    for name, value in _assignments(text) if "$" in text else ():
        values[name] = value if name not in values else ""  # assigned twice: unknown
    for name in ("HOME", "PATH", "PWD", "USER"):
        values.pop(name, None)
    if any(values.values()):
        # One pass for every variable (a text of thousands of assignments stays linear).
        text = _VARIABLE.sub(lambda m: values.get(m.group(1)) or m.group(), text)
    # What is pulled out to be judged again is bounded, in count and in size: a text made of
    # thousands of quoted commands must not multiply the work (or the memory) it costs.
    inner: list[str] = []
    budget = [MAX_EXTRACTED + len(text) // 1024, max(len(text), 1 << 16)]
    refused: list[str] = []  # a piece the budget could not take: what is left is not judged

    def keep(piece: str) -> bool:
        piece = piece[:MAX_PIECE]
        if budget[0] <= 0 or budget[1] < len(piece):
            refused.append(piece)
            return False
        budget[0] -= 1
        budget[1] -= len(piece)
        inner.append(piece)
        return True

    # The quoted strings a batch at a time: the ones naming a network tool are found in one
    # pass per batch (the rest, most strings, are not read), and the reading stops with the
    # budget, whatever is left of a text of a hundred thousand strings.
    strings = _EMBEDDED.finditer(text)
    most = MAX_STRINGS + len(text) // STRING_SHARE
    while not refused and (batch := list(itertools.islice(strings, _BATCH))):
        most -= len(batch)
        if most < 0:  # a text of little but quoted strings: each costs a few steps in Python
            refused.append(batch[0].group())
            break
        # Without quotes and backslashes (cu"r"l is curl): the batch as one string, a line
        # each (none holds a line break), undone in three passes in C, not three per string.
        plain = "\n".join([m.group(m.lastindex or 0) for m in batch])
        plains = plain.replace('"', "").replace("'", "").replace("\\", "").split("\n")
        named = _with_sinks(plains)
        # Backticks and $(…) run what they hold; a quoted string only when something
        # executes it (eval, sh -c, os.system, …), not when echo prints it.
        executed = _executed(text, [batch[i].start() for i in named])
        for n, index in enumerate(named):
            m = batch[index]
            if m.group(1) or m.group(2) or n in executed or _PIPED_TO_SHELL.match(text, m.end()):
                if not keep(plains[index]):
                    break
    # A sink word in the middle of a line (a Dockerfile step's log, a test's message, a call
    # in code): the line from there on is a command too, unless inside a string or a comment.
    # Only lines with a sink word after their first character are read (found line by line,
    # each looked through to its first: a match within a line is one in the text too, so none
    # is missed).
    every: list[str] = []

    def line_ends() -> list[int]:  # made only for a text with a sink word
        every.extend(text.splitlines(keepends=True))
        return list(itertools.accumulate(map(len, every)))

    lines = [every[index].splitlines()[0] for index in _FIND_SINKS_WITHIN.first_in_each(text, line_ends)]
    for line in [*lines, *inner]:
        if refused or re.match(r"\s*+(?:#|//)", line):
            continue
        _sink_pieces(line, keep)
    return ("\n".join([text, *inner]) if inner else text), not refused


def _sink_pieces(line: str, keep: Callable[[str], bool]) -> None:
    """Hands ``keep`` the line from each sink word on that stands outside quotes, after
    another word, and not in a command that prints (echo, printf), until it refuses one.
    Eight per simple command: a command of the same word a thousand times is one command's
    worth; the next command of the line (after ``;``, ``|``, ``&&``) counts afresh, so
    words repeated before it hide nothing."""
    if _SINKS.search(line, 1) is None:
        return  # no sink word after the line's first character (most lines: the tool begins them)
    separators = _SEPARATOR.finditer(line)
    following = next(separators, None)  # the first separator after the command's start
    pos, start, end, in_command, prints = 0, 0, -1, 0, False
    counted, single, double = 0, 0, 0  # quotes before ``counted``, counted as the scan goes
    while (m := _SINKS.search(line, pos)) is not None:
        pos = m.end()
        if m.start() >= end:  # a new simple command: where it starts and ends
            while following is not None and following.end() <= m.start():
                start, following = following.end(), next(separators, None)
            end, in_command = (following.start() if following else len(line)), 0
            # What echo prints is not run, unless piped on (echo "… curl …" | sh, | crontab).
            piped = following is not None and line.startswith("|", following.start()) and \
                not line.startswith("||", following.start())
            prints = _PRINTS.match(line, start) is not None and not piped
        in_command += 1
        if prints or in_command > 8:
            pos = end
            continue
        single += line.count("'", counted, m.start())
        double += line.count('"', counted, m.start())
        counted = m.start()
        if m.start() > 0 and single % 2 == 0 and double % 2 == 0:
            if not keep(_head(line, m.start(), len(line)).rstrip(")")):
                return


def _head(line: str, start: int, end: int) -> str:
    """``line[start:end]``, at most MAX_PIECE characters of it, without a word cut in two
    at the end (``https://githu`` would be a host of its own)."""
    if end - start <= MAX_PIECE:
        return line[start:end]
    piece = line[start : start + MAX_PIECE]
    cut = max(piece.rfind(" "), piece.rfind("\t"))
    return piece[:cut] if cut > 0 and not line[start + MAX_PIECE].isspace() else piece


# What ends a pipeline: ; newline && || and a lone & (not | or a redirection's >&, &>).
# Both patterns begin with one class of characters, told apart after it by what stands
# before (lookbehind): the re engine then skips to the next of those characters in C, where
# an alternation is tried at every character (8 times as long: 20 ms on a megabyte's line).
# They match what "[;\n]|&&|\|\||(?<![<>&|])&(?![>&])" and "[;|\n]|&&|(?<![<>&])&(?![>&])" do.
_PIPELINE_END = re.compile(r"[;\n&|](?:(?<=[;\n])|(?<=&)&|(?<=\|)\||(?<![<>&|]&)(?<=&)(?![>&]))")
_PRINTS = re.compile(r"\s*+(?:echo|printf)\b")
# What ends a simple command: ; | newline && (|| and |& as |), and & that is not a redirection's (>&, &>).
_SEPARATOR = re.compile(r"[;|\n&](?:(?<=[;|\n])|(?<=&)&|(?<![<>&]&)(?<=&)(?![>&]))")


_BATCH = 1024  # quoted strings looked through for network tools in one pass

_ALIAS = re.compile(r"\balias\s++([\w.-]{1,40})=(['\"]?)([^'\"\n;&|]{1,200})\2")


def _aliased(text: str) -> str:
    """``alias c=curl; c -d @.env …`` read as the command it names: an alias defined once,
    where it stands as a command (a line's first word, or after ``;``, ``|``, ``&``, ``(``)."""
    aliases: dict[str, str] = {}
    for name, _, value in _ALIAS.findall(text):
        aliases[name] = value if name not in aliases else ""  # defined twice: unknown
    aliases = {name: value for name, value in aliases.items() if value and name != value.split()[0]}
    if not aliases:
        return text
    names = "|".join(map(re.escape, sorted(aliases, key=len, reverse=True)))
    used = re.compile(r"(^|[;&|(]|\b(?:then|do|else)\b)([ \t]*+)(" + names + r")(?=[ \t]|$)", re.MULTILINE)
    return used.sub(lambda m: m.group(1) + m.group(2) + aliases[m.group(3)], text)


def _executed(text: str, starts: list[int]) -> set[int]:
    """The indexes of ``starts`` (where quoted strings begin) that a word running the string
    stands right before, within 40 characters (_EXECUTES), found in one pass over those
    stretches: each stretch followed by a NUL (one in the text read as another character
    that no part of the pattern takes, so the pass sees what a search of each stretch
    alone would). Thousands of quoted commands once cost a search each (1.8 s a megabyte)."""
    stretches = [text[max(0, start - 40) : start].replace("\x00", "\x01") + "\x00" for start in starts]
    ends = list(itertools.accumulate(map(len, stretches)))
    return set(_FIND_EXECUTES.first_in_each("".join(stretches), lambda: ends))


def _with_sinks(pieces: list[str]) -> list[int]:
    """The indexes of the ``pieces`` that name a network tool (_SINKS, each piece read as if
    a space followed it), found in one pass over them all: each piece is followed by a
    space and a line break, which no tool's name reaches across."""
    joined = "".join(piece + " \n" for piece in pieces)
    ends = list(itertools.accumulate(len(piece) + 2 for piece in pieces))
    return _FIND_SINKS.first_in_each(joined, lambda: ends)


def _commands(text: str) -> list[_Command]:
    """The simple commands of every line (continuations joined), with their pipelines."""
    out: list[_Command] = []
    joined = re.sub(r"\\\r?\n", " ", text)  # a continued line, CRLF too
    # Where a network tool, device or URL is named, found in one pass: a line without one
    # sends nothing. (A match within a line is one in the text, and the other way round:
    # the pattern reads no line break, and one reads as a boundary just as the line's end.)
    reaching = _FIND_MAY_REACH.cursor(joined)
    first = reaching.next(0)
    if first < 0:
        return out
    for line, start in _lines_to_read(joined, reaching, first):
        if len(out) >= MAX_COMMANDS:
            out.append(_Command([], line, [], joined, (), truncated=True, at=start))
            break
        tokens = _words(line)
        pipelines: list[list[list[str]]] = [[[]]]
        inputs: list[str] = []
        redirect = ""
        if not _OPERATOR.search(line):
            # No operator anywhere (most lines): one simple command, its words as they came.
            # The loop below cost a step per word, and a long line of words a step each.
            pipelines, tokens = [[tokens]], []
        for token in tokens:
            if redirect:  # the target of a redirection is a file, not an argument
                if redirect.startswith("<"):
                    inputs.append(token)
                redirect = ""
            elif token and not token.strip("<>&") and token not in ("&", "&&"):  # only <, >, &
                redirect = token
            elif token in ("|", "|&"):
                pipelines[-1].append([])
            elif token and not token.strip(";&|"):
                pipelines.append([[]])
            else:
                pipelines[-1][-1].append(token)
        for pipeline in pipelines:
            cmds = [c for c in pipeline if c]
            for words in cmds:
                out.append(_Command(words, line, cmds, joined, tuple(inputs), at=start))
    return out


_OPERATOR = re.compile(r"[;&|<>]")  # what may part or redirect a command (_words gives it a token of its own)
LONG_LINE = 20_000  # characters: a longer line (minified code, a log on one line) is read in stretches


def _lines_to_read(joined: str, reaching: Cursor, first: int) -> Iterator[tuple[str, int]]:
    """``(line, offset)`` for each line of ``joined`` where a network tool, device or URL
    starts (``reaching``: where they do, the first at ``first``); a line over LONG_LINE as
    the stretches around its hits (_stretches). Each line is looked through only to its
    first hit: a line of one tool's name a hundred thousand times is one line to read."""
    every = joined.splitlines(keepends=True)
    ends = list(itertools.accumulate(map(len, every)))
    hit = first
    while hit >= 0:
        index = bisect.bisect_right(ends, hit)
        if index >= len(every):
            break
        start = ends[index] - len(every[index])
        line = every[index].rstrip("\r\n")
        if hit < start + len(line) and line.strip():  # not in its line break, nor a blank line
            if len(line) <= LONG_LINE:
                yield line, start
            else:
                yield from ((piece, start + offset) for piece, offset in _stretches(line, start, hit, reaching))
        hit = reaching.next(ends[index])


def _stretches(line: str, at: int, first: int, reaching: Cursor) -> Iterator[tuple[str, int]]:
    """The pipelines of a long line that hold a hit, to read as lines of their own (whole:
    what feeds a network tool matters), with their offsets; each at most MAX_PIECE
    characters from its start (its words come first: a hit further on is an argument of a
    long command). Once such a line was passed over whole, and a command after twenty
    thousand characters of padding went unjudged; read hit by hit, a megabyte of one
    tool's name took seconds. ``at``: where the line starts in the text ``reaching`` reads;
    ``first``: its first hit there."""
    separators = _PIPELINE_END.finditer(line)
    following_end = next(separators, None)  # the first separator after the command's start
    start, hit = 0, first - at
    while hit >= 0:
        while following_end is not None and following_end.end() <= hit:
            start, following_end = following_end.end(), next(separators, None)
        end = following_end.start() if following_end is not None else len(line)
        yield _head(line, start, end), start
        found = reaching.next(at + max(end, hit + 1))  # the first hit after this pipeline, in the line
        hit = found - at if 0 <= found < at + len(line) else -1


# shlex's words for a line without a backslash, the one character whose rules these do not
# follow (the others shlex reads: its whitespace " \t\r\n", the punctuation, and the two
# quotes, between which all is literal when no backslash escapes): the same tokens (checked
# against shlex on generated lines, and on every such line of the corpora and of the
# benchmark's text), at a tenth of the cost or less. shlex, in Python, was a tenth of what
# inspecting a large text cost. A lone quote (group 1) is what shlex refuses. No possessive
# repetition of the group: the re module of Python 3.11 before 3.11.5 (Debian 12 has 3.11.2)
# matches one wrongly (CPython gh-106052; it read '0"0' as the words '0"' and '0'). Nothing
# follows the group in its alternative, so a match never backtracks into it.
_PLAIN_WORDS = re.compile(r"[;&|<>]++|[^ \t\r\n;&|<>]++")
_QUOTED_WORDS = re.compile(r"""[;&|<>]+|(?:[^ \t\r\n;&|<>'"]+|'[^']*'|"[^"]*")+|(['"])""")
_QUOTES = re.compile(r"'([^']*)'|" + r'"([^"]*)"')
# What str.split would part a line of ASCII at, or keep inside a word, unlike _PLAIN_WORDS:
# the operators, and the whitespace other than " \t\r\n".
_SPLIT_UNSAFE = ";&|<>\x0b\x0c\x1c\x1d\x1e\x1f"


def _words(line: str) -> list[str]:
    """The shell words and operators of one line (shlex, posix, with ``;&|<>`` apart)."""
    if "\\" not in line:
        if "'" not in line and '"' not in line:
            if line.isascii() and not any(c in line for c in _SPLIT_UNSAFE):
                # The same words, six times faster on a long line (a few plain finds first):
                # no operator stands apart, and str.split parts at " \t\r\n" alone here.
                return line.split()
            return _PLAIN_WORDS.findall(line)
        words = []
        for m in _QUOTED_WORDS.finditer(line):
            if m.group(1):  # an unclosed quote: judge the words as far as they go, as below
                return line.split()
            word = m.group()
            words.append(_QUOTES.sub(r"\1\2", word) if "'" in word or '"' in word else word)
        return words
    # Not "(" and ")": $(…) stays inside its word, where a DNS name may carry it.
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: judge the words as far as they go
        return line.split()


def _unwrapped(words: list[str]) -> list[str]:
    """The command a wrapper runs: ``sudo -u x curl …`` is curl, ``find … -exec curl … ;``
    is curl too."""
    words = [w for w in words if w]
    if words and words[0].rsplit("/", 1)[-1] == "find":
        for flag in ("-exec", "-execdir", "-ok", "-okdir"):
            if flag in words:
                words = words[words.index(flag) + 1 :]
                break
    for _ in range(8):
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            words = words[1:]  # VAR=value prefixes
        if not words:
            return []
        head = words[0].rsplit("/", 1)[-1]
        if head not in _WRAPPERS:
            return words
        rest = words[1:]
        while rest and (rest[0].startswith("-") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*|\d+[smhd]?", rest[0])):
            rest = rest[1 + (rest[0] in ("-u", "-g", "-I", "-n", "-P", "-s", "-k") and len(rest) > 1):]
        words = rest
    return words


_DATA_FLAGS = {
    tool: (frozenset(flags), frozenset(f for f in flags if len(f) == 2))
    for tool, flags in {
        "curl": ("-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--data-ascii", "-F", "--form",
                 "--form-string", "-T", "--upload-file", "--json", "-X", "--request"),
        "wget": ("--post-data", "--post-file", "--body-data", "--body-file", "--method"),
    }.items()
}  # per tool: the options that send data (or set the method), and the short ones among them
_NO_FLAGS: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


_DNS_TYPES = frozenset({"A", "AAAA", "TXT", "MX", "NS", "CNAME", "ANY", "SOA", "SRV", "PTR", "CAA", "DS", "DNSKEY"})
_SSH_VALUED = frozenset(
    {"-p", "-P", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-e", "-m", "-S", "-W", "-w", "-E", "-B",
     "--rsh", "--port", "-f"}
)
_CURL_VALUED = frozenset(
    {"-o", "--output", "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "-H", "--header", "-X",
     "--request", "-u", "--user", "-F", "--form", "-T", "--upload-file", "-K", "--config", "-A", "--user-agent",
     "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-m", "--max-time", "--connect-timeout", "--retry",
     "-w", "--write-out", "-x", "--proxy", "--resolve", "--cacert", "--cert", "--key", "-O", "--output-document",
     "--post-data", "--post-file", "--body-data", "--body-file", "--method", "-P", "--directory-prefix",
     "--json", "--oauth2-bearer", "-U", "--proxy-user"}
)


# The host of a mail address. An atomic group, not "++" on the group: Python 3.11 before
# 3.11.5 (Debian 12's 3.11.2) repeats a group possessively wrongly (CPython gh-106052) and
# took "bb.bca." for the host of "x@bb.bca..".
_MAIL_ADDRESS = re.compile(r"[\w.+-]++@([\w-]++(?>(?:\.[\w-]++)+))")


def _destinations(name: str, words: list[str], command: _Command) -> tuple[list[tuple[str, str]], bool]:
    """(host, how) pairs the command reaches (``name`` and ``words``: what it runs, out of
    any wrapper), and whether it sends data. Its text around (``command.text``: a config
    file given on stdin, a heredoc, a push further on) is read only where it matters."""
    line = command.line
    out: list[tuple[str, str]] = []
    sends = False
    for dev_host, _port, inet_host, _inet_port in _DEV_NET.findall(line):
        out.append((dev_host or inet_host, "a /dev/tcp redirection" if dev_host else "gawk's /inet special file"))
        sends = True
    args = words[1:]
    if name in ("curl", "wget", "wget2", "http", "https", "xh", "aria2c", "lynx"):
        flags, short = _DATA_FLAGS.get(name.rstrip("2"), _NO_FLAGS)
        for i, arg in enumerate(args):
            flag = arg.split("=", 1)[0]
            # The flag itself, or a short one with its value joined ("-dx=1", "-XPOST").
            if flag in flags or (len(arg) > 2 and arg[:2] in short):
                method = args[i + 1].upper() if flag in ("-X", "--request", "--method") and i + 1 < len(args) else ""
                sends = sends or flag not in ("-X", "--request", "--method") or method in ("POST", "PUT", "PATCH")
        skip = False
        for arg in args:
            if skip:
                skip = False
                continue
            if arg in _CURL_VALUED:
                skip = True
                continue
            host = _host_of(arg.split("=", 1)[1] if arg.startswith("--url=") else arg)
            bare = arg.split("/", 1)[0].rsplit(":", 1)[0] if arg.count(":") <= 1 else ""
            if host is None and not arg.startswith("-") and bare and _looks_like_host(bare):
                host = bare  # curl takes a bare host (ix.io, localhost:6060)
            if host:
                out.append((host, name))
        if name == "curl" and ("-K" in args or "--config" in args):
            for url in re.findall(r"\burl\s*+=\s*+\"?([^\"\s\\]++)", command.text):
                if _host_of(url):
                    out.append((_host_of(url) or "", "curl (a config file)"))
            data_line = re.search(r"\b(?:data|data-binary|data-urlencode|form|upload-file)\s*+=", command.text)
            sends = sends or data_line is not None
    elif name in ("nc", "ncat", "netcat", "telnet", "socat") or (name == "openssl" and "s_client" in args):
        if "-connect" in args[:-1]:  # openssl s_client -connect host:port
            out.append((args[args.index("-connect") + 1].rsplit(":", 1)[0], name))
        # The address is among the first words that are not options (netcat takes "host port",
        # socat two addresses): a line of a thousand words after the name is not read to its end
        # for each of the names in it.
        positional = 0
        for arg in args:
            m = _CONNECT_ADDRESS.search(arg)
            if m:
                out.append((m.group(1), name))
            elif not arg.startswith("-") and name != "socat" and not arg.isdigit() and _looks_like_host(arg):
                out.append((arg, name))
                break
            positional += not arg.startswith("-")
            if positional >= _ADDRESS_WORDS:
                break
        sends = True
    elif name in ("ssh", "scp", "sftp", "rsync", "sshpass", "sshfs"):
        skip = False
        for arg in args:
            if skip:
                skip = False
                continue
            if arg in _SSH_VALUED:
                skip = True
                continue
            if arg.startswith("-"):
                continue
            m = _REMOTE.match(arg)
            if m:
                out.append((m.group(1), name))
                sends = True
            elif name in ("ssh", "sftp") and _looks_like_host(arg.split("@")[-1]):
                out.append((arg.split("@")[-1], name))
                sends = sends or name == "sftp"
                break
            url_host = _host_of(arg)
            if url_host:
                out.append((url_host, name))
                sends = True
    elif name == "git" and args:
        while args and args[0] in ("-c", "-C", "--git-dir", "--work-tree") and len(args) > 1:
            if args[0] == "-c" and "url=" in args[1]:
                url_host = _host_of(args[1].split("=", 1)[1])
                if url_host:
                    out.append((url_host, "git (a remote set on the command line)"))
            args = args[2:]
        verb = args[0] if args else ""
        if verb == "config" and any(re.fullmatch(r"remote\.[^.]+\.(?:push)?url", a) for a in args):
            for arg in args[1:]:
                url_host = _host_of(arg)
                if url_host:
                    out.append((url_host, "git config (a remote)"))
            sends = "push" in command.text
        if verb in ("push", "remote", "clone", "fetch", "pull", "send-email", "archive", "ls-remote"):
            for arg in args[1:]:
                remote = _REMOTE.match(arg)
                host = _host_of(arg) or (remote.group(1) if remote else None)
                if host:
                    out.append((host, f"git {verb}"))
            sends = verb in ("push", "send-email") or (verb == "remote" and "push" in command.text)
        if out and verb == "push":
            sends = True
    elif name == "gh" and len(args) >= 2 and _gh_sends(args):
        out.append(("github.com", f"gh {args[0]} {args[1]}"))
        sends = True
    elif name in ("ftp", "tftp", "lftp", "ncftp", "ncftpput", "curlftpfs", "atftp", "wput", "ftp-upload"):
        for arg in reversed(args):  # the host is usually last (after -l/-r file options)
            host = _host_of(arg) or (arg if _looks_like_host(arg) else None)
            if host:
                out.append((host, name))
                break
        sends = True
    elif name in ("dig", "nslookup", "host", "drill", "resolvectl", "ping", "ping6", "getent"):
        # A name built from a command's output ("$(cat .env | base64).x.example"): the words
        # of the substitution are split apart, so the line is read as written.
        built = _built_name(line)
        if built:
            out.append((built, f"a DNS query carrying data ({name})"))
            return out, True
        if name in ("ping", "ping6") and re.search(r"\s-p\s*+(?:\$\(|`|\$\{?\w)", line):
            # ping -p $(xxd -p .env) host: the packets' padding carries the data.
            named = [a for a in args if not a.startswith("-") and _looks_like_host(a)]
            out.append((named[-1] if named else "", f"ICMP padding carrying data ({name})"))
            return out, True
        for arg in args:
            if arg.startswith(("-", "+", "@")) or arg.upper() in _DNS_TYPES:
                continue
            dynamic = ("$(" in arg or "`" in arg or "$" in arg or ")." in arg) and re.search(
                r"[)}`\w]\.[A-Za-z0-9-]++\.", arg
            )
            if dynamic or any(len(label) >= 40 for label in arg.split(".")):
                out.append((arg.split(".", 1)[-1] if "." in arg else arg, f"a DNS query carrying data ({name})"))
                sends = True
            break
    elif name in ("invoke-webrequest", "iwr", "invoke-restmethod", "irm", "start-bitstransfer", "curl.exe"):
        # PowerShell's web cmdlets, as a command of their own (not only inside powershell -c).
        lowered = [a.lower() for a in args]
        for i, arg in enumerate(args):
            if lowered[i] in ("-uri", "-source") and i + 1 < len(args):
                arg = args[i + 1]
            host = _host_of(arg)
            if host:
                out.append((host, name))
                break
        method = next((lowered[i + 1] for i, a in enumerate(lowered[:-1]) if a == "-method"), "")
        sends = method in ("post", "put", "patch") or bool({"-body", "-infile"} & set(lowered))
    elif name in ("certutil", "certutil.exe", "bitsadmin", "bitsadmin.exe"):
        # Windows' own downloaders (certutil -urlcache, bitsadmin /transfer).
        for arg in args:
            host = _host_of(arg)
            if host:
                out.append((host, name))
    elif name in _STORAGE_TOOLS:
        out += _storage(name, args)
        sends = bool(out)
    elif name in ("mail", "mailx", "mutt", "sendmail", "msmtp", "swaks", "s-nail"):
        for arg in args:
            address = _MAIL_ADDRESS.fullmatch(arg.strip("<>,"))
            if address:
                out.append((address.group(1), f"mail ({name})"))
        if name == "swaks" and "--server" in args[:-1]:
            out.append((args[args.index("--server") + 1].rsplit(":", 1)[0], "mail (swaks)"))
        sends = bool(out)
    elif name in _PUBLISHERS:
        for i, arg in enumerate(args):
            flag, _, value = arg.partition("=")
            if flag in _INDEX_FLAGS:
                value = value or (args[i + 1] if i + 1 < len(args) else "")
                host = _host_of(value)
                if host:
                    out.append((host, f"{name} (a package index)"))
                    # Publishing sends the package; a name built from a command carries data.
                    sends = sends or _PUBLISHERS[name] & set(args) != set() or "$(" in value or "`" in value
    elif name in _INTERPRETERS or name.startswith("python"):
        code = " ".join(args)
        if name in ("powershell", "pwsh"):
            code += " " + _powershell_encoded(args)
        if (name in ("python", "python3") and args[:1] == ["-"]) or "<<" in line:
            code += "\n" + command.text  # a script on stdin (a heredoc): judge its lines as code
        if _FIND_NET_CODE.first(code):
            hosts = [_host_of(u) for u in _URL.findall(code)]
            hosts += [(a or b).lstrip(".") for a, b in _HOST_IN_CODE.findall(code)]
            hosts += _MAIL_ADDRESS.findall(code)  # mail to an address
            hosts += _TCL_SOCKET.findall(code)  # Tcl: socket host port
            for host in hosts:
                if host:
                    out.append((host, f"a {name} one-liner"))
            sends = True
    return out, sends


_CONNECT_ADDRESS = re.compile(r"(?<![\w-])(?:tcp[46]?|udp[46]?|openssl|ssl|connect)[:=]([^:,\s/][^:,\s]*+)", re.I)
_ADDRESS_WORDS = 8  # words that are not options, read for a netcat's or socat's address
_TCL_SOCKET = re.compile(r"\bsocket\s++(?>(?:-\w++\s++)*)([A-Za-z0-9-]++(?>(?:\.[A-Za-z0-9-]++)+))\s++\d{1,5}\b")
# A substitution ($(…), `…`, $VAR) and the rest of the word glued to it. Its name is read in
# _built_name, not by the pattern: a pattern that found the domain inside that rest itself gave
# labels back from every dot, quadratic in a line of "a.a.a…" (a megabyte of such lines took
# a minute). The substitution's group is atomic, not a possessive repetition: Python 3.11 before
# 3.11.5 matched those wrongly (gh-106052).
_BUILT_NAME = re.compile(r"(?:\$\((?>(?:[^()]|\([^()]*+\))*)\)|`[^`]*+`|\$\{?\w++\}?)([\w.-]*+)")
# A domain read backwards from its end: an alphabetic top-level label, then whole labels of
# letters, digits and hyphens (a label with "_" or "~" in it ends the name).
_DOMAIN_REVERSED = re.compile(r"[A-Za-z]{2,63}(?=\.|\Z)(?:\.[A-Za-z0-9-]+(?=\.|\Z))*")


def _built_name(line: str) -> str | None:
    """The domain of a name built from a substitution ("$(cat .env | base64).x.example",
    "`id`.evil.net." with the root's dot): the whole labels before the end of the word glued
    to the first substitution that has such a domain after a dot; None without one. Linear
    in the line: each word is read once, backwards, from its end."""
    for match in _BUILT_NAME.finditer(line):
        # What is glued before the first dot ("$(id)-x.") is not the name.
        name = match.group(1).rstrip(".").partition(".")[2]
        domain = _DOMAIN_REVERSED.match(name[::-1])
        if domain and "." in domain.group():
            return domain.group()[::-1]
    return None


# Package tools and the verbs with which they send (publish); their index options.
_PUBLISHERS = {
    "pip": {"upload"}, "pip3": {"upload"}, "uv": {"publish"}, "poetry": {"publish"}, "twine": {"upload"},
    "npm": {"publish"}, "yarn": {"publish"}, "pnpm": {"publish"}, "cargo": {"publish"}, "gem": {"push"},
}
_INDEX_FLAGS = frozenset({"--index-url", "-i", "--extra-index-url", "--registry", "--repository-url", "--repository",
                          "-r", "--index", "--host", "--publish-url"})
_STORAGE_TOOLS = frozenset({"aws", "gsutil", "gcloud", "rclone", "s3cmd", "azcopy", "az", "mc", "b2"})


def _storage(name: str, args: list[str]) -> list[tuple[str, str]]:
    """Cloud storage a command uploads to: (host, how) of the remote destination when it
    is the last argument of a copy (data leaves); nothing for a download."""
    positional = [a for a in args if not a.startswith("-") and not a.isdigit()]  # not "--transfers 4"'s 4
    verbs = {"cp", "sync", "mv", "copy", "copyto", "move", "moveto", "put", "upload", "upload-file", "rsync"}
    if not positional or not verbs & set(positional[:3]):
        return []
    target = positional[-1]
    scheme = re.match(r"(s3|gs|az|b2)://([^/\s]++)", target)
    if scheme:
        hosts = {"s3": "s3.amazonaws.com", "gs": "storage.googleapis.com", "az": "blob.core.windows.net",
                 "b2": "backblazeb2.com"}
        return [(f"{scheme.group(2)}.{hosts[scheme.group(1)]}", f"{name} (an upload to a bucket)")]
    url = _host_of(target)
    if url:
        return [(url, f"{name} (an upload)")]
    remote = re.fullmatch(r"([A-Za-z][\w-]*+):[^/\s]?\S*+", target)
    if name in ("rclone", "mc") and remote and len(positional) >= 3:
        return [(remote.group(1), f"{name} (an upload to a configured remote)")]
    if name == "az" and "--account-name" in args[:-1]:
        return [(args[args.index("--account-name") + 1] + ".blob.core.windows.net", "az storage (an upload)")]
    return []


_GH_SINKS = frozenset(
    {("gist", "create"), ("issue", "comment"), ("issue", "create"), ("pr", "comment"), ("pr", "create"),
     ("release", "upload"), ("release", "create"), ("secret", "set")}
)


def _gh_sends(args: list[str]) -> bool:
    """A gh subcommand that sends content to GitHub."""
    verb = (args[0], args[1])
    return verb in _GH_SINKS or args[0] == "api" or (verb == ("repo", "create") and "--push" in args)


def _powershell_encoded(args: list[str]) -> str:
    """The script of ``powershell -EncodedCommand <base64 of UTF-16LE>``."""
    import base64
    import binascii

    for i, arg in enumerate(args[:-1]):
        if arg.lower() in ("-encodedcommand", "-enc", "-e", "-ec"):
            try:
                return base64.b64decode(args[i + 1]).decode("utf-16-le", "replace")
            except (binascii.Error, ValueError):
                return ""
    return ""


_TUNNELS = re.compile(
    r"(?<![\w./-])(?:ngrok\s++(?:http|tcp|tls|start)|cloudflared\s++tunnel|(?:npx\s++)?localtunnel|lt\s++--port|"
    r"bore\s++local|frpc\b|ssh\s++[^\n]{0,80}?-R\s*+[^\n]{0,80}?(?:serveo\.net|localhost\.run|pinggy|lhr\.life)|"
    r"tailscale\s++funnel|pagekite\.py|expose\s++--)",
    re.I,
)


_COPIES_SECRET = re.compile(
    r"(?<![\w./-])(?:cp|mv|cat|tar|zip|rsync|install|ln)\b[^\n;&|]{0,200}?(?:\.ssh|id_(?:rsa|dsa|ecdsa|ed25519)|"
    r"\.env\b|\.aws/|\.netrc|\.git-credentials|\.npmrc|\.pypirc|\.docker/config|\.kube/config|/etc/shadow)"
)
_FIND_COPIES_SECRET = Finder(_COPIES_SECRET)  # tried where a copying tool's name starts
_PUBLISHES = re.compile(
    r"(?<![\w./-])(?:git\s++push|npm\s++publish|yarn\s++publish|twine\s++upload|gh\s++(?:repo\s++create[^\n]*?--push|"
    r"release\s++upload|gist\s++create)|docker\s++push|cargo\s++publish|gem\s++push)\b"
)


def _published_secrets(text: str) -> list[Finding]:
    """A script that copies secret files into what it then publishes (a commit it pushes, a
    package it publishes): secrets leave even through an allowed host."""
    copied = _FIND_COPIES_SECRET.first(text)
    if copied is None or not _PUBLISHES.search(text, copied.end()):
        return []
    return [Finding("exfiltration_of_secrets", CRITICAL, "secret files are copied into what the script then publishes",
                    _redact(" ".join(copied.group().split()))[:200])]


# A word that each alternative of _TUNNELS holds (ASCII, no space; tests/unit/test_egress.py
# checks one example of every alternative): a text with none of them has no tunnel, and the
# pattern (whose alternatives begin with no common literal, so the re module tries it at
# every character) is not run over it.
_TUNNEL_WORDS = ("ngrok", "cloudflared", "localtunnel", "--port", "bore", "frpc", "serveo.net", "localhost.run",
                 "pinggy", "lhr.life", "tailscale", "pagekite", "expose")


# Looked for in one pass in C, ASCII case folded: lower() of a large text that is not all
# ASCII cost more than the rest of this. (The text is normalised: the two characters whose
# lower case holds an ASCII letter, the Kelvin sign and the dotted capital I, are plain K and
# I by then.)
_FIND_TUNNEL_WORDS = LiteralSet(_TUNNEL_WORDS)


def _tunnels(text: str) -> list[Finding]:
    """Commands that expose a port of this machine to the internet, in normalised ``text``."""
    if not _FIND_TUNNEL_WORDS.find(text, 1)[0]:
        return []
    return [
        Finding("tunnel", HIGH, "a tunnel that exposes a local port to the internet",
                _redact(" ".join(m.group().split())))
        for m in _TUNNELS.finditer(text)
    ]


def _host_of(arg: str) -> str | None:
    if "://" not in arg:
        return None
    try:
        parts = urlsplit(arg.strip("\"'"))
        host = parts.hostname
    except ValueError:
        return None
    if host is None:
        netloc = arg.split("://", 1)[1].split("/", 1)[0]
        host = netloc.rsplit("@", 1)[-1].split(":")[0] or None
    return host


_HOSTLIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z0-9-]{1,63}|\d+|0x[0-9a-fA-F]+|\[[0-9a-fA-F:]+\]")


# A tool's name followed by one of these is a variable in code ("nc = entry.callcount"). Only
# assignments and comparisons: "-" is standard input ("socat - TCP:…"), "*" a glob
# ("scp * host:"), ":" a no-op before a real command.
_OPERATORS = frozenset({"=", "==", "!=", "+=", "-=", "*=", "/=", "|=", "&=", ":=", "<=", ">=", "=>", "->"})


def _looks_like_host(word: str) -> bool:
    if word.isdigit() and int(word) < 1 << 24:
        return False  # 0.x.y.z, where "5" would point: no host (a size or a day in a listing)
    return bool(_HOSTLIKE.fullmatch(word)) and not word.endswith((".txt", ".sh", ".py", ".json", ".log"))


def _service(host: str, line: str) -> str | None:
    canonical = canonical_host(host) if host else None
    name = canonical.name if canonical else (host or "").lower()
    # The first of _SERVICE_HOSTS that is the name or a name above it, found by looking up
    # each of those names (not by comparing with every service). Only the names of as many
    # labels as a service's have: joining every suffix of a name built of thousands of
    # labels was quadratic.
    labels = name.split(".")
    suffixes = (".".join(labels[i:]) for i in range(max(0, len(labels) - _SERVICE_LABELS), len(labels)))
    listed = [_SERVICE_ORDER[n] for n in suffixes if n in _SERVICE_ORDER]
    if listed:
        return _SERVICE_HOSTS[min(listed)]
    lowered = line.lower()
    if _ANY_SERVICE_URL.search(lowered) is None:
        return None
    return next((s for s in _SERVICE_URLS if s in lowered), None)


_SERVICE_ORDER = {service: i for i, service in reversed(list(enumerate(_SERVICE_HOSTS)))}
_SERVICE_LABELS = max(service.count(".") + 1 for service in _SERVICE_HOSTS)
_ANY_SERVICE_URL = re.compile("|".join(map(re.escape, _SERVICE_URLS)))


_AUTH_OPTIONS = frozenset({"-H", "--header", "-u", "--user", "--oauth2-bearer", "--proxy-user"})


def _auth_option(word: str) -> bool:
    """``-H``, ``--header`` …, or short flags ending in one (``-sH``)."""
    return word in _AUTH_OPTIONS or bool(re.fullmatch(r"-[A-Za-z]*[Hu]", word))


def _secret_flow(command: _Command, *, auth_is_use: bool = False) -> bool:
    words0 = command.words[0].rsplit("/", 1)[-1] if command.words else ""
    if (words0 in _INTERPRETERS or words0.startswith("python")) and _SECRET_IN_CODE.search(" ".join(command.words)):
        if _FIND_NET_CODE.first(" ".join(command.words)):
            return True
    return _secret_flow_words(command, auth_is_use=auth_is_use)


def _secret_flow_words(command: _Command, *, auth_is_use: bool = False) -> bool:
    """Secret material in the command or in the pipeline feeding it: a key file read, an
    environment dump, a secret variable. ``auth_is_use``: a secret variable as the value of
    an authentication option of this command does not count."""
    for words in command.pipeline:
        name = words[0].rsplit("/", 1)[-1] if words else ""
        if auth_is_use and words is command.words:
            words = [w for i, w in enumerate(words) if not (i and _auth_option(words[i - 1]))]
        joined = " ".join([*words, *command.inputs])
        if _FIND_SECRET_PATH.search(" " + joined) or _SECRET_ENV.search(joined):
            return True
        if re.search(r"\$\(\s*+(?:env|printenv|set)\b|\$\(\s*+cat\s++/proc/(?:self|\d+)/environ", joined):
            return True
        if name in _ENV_DUMPS and (len(words) == 1 or name in ("env", "printenv")):
            return True
    return False


__all__ = ["EXFIL_SERVICES", "EgressInspector", "redacted"]
