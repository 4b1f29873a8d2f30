"""Package names one slip away from a popular one: what a typosquatter registers
("reqeusts", "electorn", "crossenv") so that a hurried ``pip install`` or ``npm i`` runs the
squatter's install script. An injected text asks the agent for exactly that slip, wrapped in
a plausible reason ("the package with the fix").

A slip is what a typing hand makes: two neighbouring letters swapped, a letter doubled, or
(in names of seven characters or more, where it still reads as the name) one left out, or
(in names of six or more) one more letter inside the name ("colourama").
A different letter in place of another is not counted: popular packages have real
neighbours of that kind (scipy and scapy, color and colors). The lists hold the most
downloaded packages of PyPI and npm that their registries' typosquatting reports keep
naming; a name on a list is never a slip of another.
"""

from __future__ import annotations

import functools
import re

PYPI = frozenset(
    """requests numpy pandas urllib3 setuptools certifi idna charset-normalizer python-dateutil boto3 botocore
    s3transfer pyyaml typing-extensions cryptography packaging wheel attrs pytest jinja2 markupsafe click flask
    django fastapi pydantic sqlalchemy matplotlib scipy scikit-learn tensorflow torch transformers beautifulsoup4
    lxml pillow psycopg psycopg2 psycopg2-binary dataset redis celery aiohttp httpx uvicorn gunicorn werkzeug
    colorama tqdm rich
    openai anthropic langchain protobuf grpcio google-auth paramiko pyjwt selenium docker kubernetes black isort
    flake8 mypy pylint coverage virtualenv poetry jsonschema tomli pytz simplejson pyopenssl requests-oauthlib
    oauthlib websocket-client websockets networkx sympy opencv-python keras xgboost lightgbm seaborn plotly
    streamlit gradio huggingface-hub datasets tokenizers safetensors accelerate pymongo pymysql mysqlclient
    cffi pycparser pyasn1 rsa google-api-core googleapis-common-protos filelock platformdirs distlib
    importlib-metadata zipp pyparsing decorator psutil pygments docutils sphinx requests-toolbelt msgpack
    frozenlist multidict yarl aiosignal async-timeout greenlet tornado twisted scrapy nltk spacy gensim""".split()
)
NPM = frozenset(
    """react react-dom lodash express axios chalk commander debug moment vue typescript webpack eslint prettier
    jest mocha next dotenv uuid yargs inquirer body-parser cors jsonwebtoken mongoose socket.io underscore async
    request bluebird rxjs tslib classnames prop-types redux react-redux styled-components webpack-cli nodemon
    ts-node glob minimist semver fs-extra rimraf mkdirp cross-env node-fetch colors electron jquery bootstrap
    tailwindcss vite esbuild rollup puppeteer playwright cheerio sharp bcrypt bcryptjs passport knex sequelize
    mysql mysql2 ioredis graphql zod date-fns dayjs form-data babel-core coffee-script event-stream
    eslint-scope discord.js ethers web3 nodemailer multer morgan helmet cookie-parser""".split()
)

_SEPARATORS = re.compile(r"[-_.]+")


def _pep503(name: str) -> str:
    return _SEPARATORS.sub("-", name.lower())


def _slips(popular: str) -> set[str]:
    """Every name one slip from ``popular``."""
    out = set()
    for i in range(len(popular) - 1):
        if popular[i] != popular[i + 1]:
            out.add(popular[:i] + popular[i + 1] + popular[i] + popular[i + 2 :])  # two swapped
    for i in range(len(popular)):
        out.add(popular[: i + 1] + popular[i:])  # one doubled
        if len(popular) >= 7 and not (i == len(popular) - 1 and popular[i] == "s"):
            out.add(popular[:i] + popular[i + 1 :])  # one left out (not a plural's s: both forms are real names)
    if len(popular) >= 6:
        # one letter more inside the name ("colourama"): not at its ends, where a plural or a prefix
        # makes another real name
        for i in range(1, len(popular)):
            out.update(popular[:i] + letter + popular[i:] for letter in "abcdefghijklmnopqrstuvwxyz")
    return out


def _table(names: frozenset[str], normal: bool) -> dict[str, str]:
    table: dict[str, str] = {}
    for popular in sorted(names):
        key = _pep503(popular) if normal else popular
        for slip in _slips(key):
            table.setdefault(slip, popular)
    known = {_pep503(n) if normal else n for n in names}
    return {slip: popular for slip, popular in table.items() if slip not in known}


@functools.cache
def _slips_of(ecosystem: str) -> dict[str, str]:
    """Every slip of ``ecosystem``'s names (tens of thousands): made on the first install a
    text asks for, not when the inspectors are imported."""
    return _table(PYPI, normal=True) if ecosystem == "pypi" else _table(NPM, normal=False)


def _without_version(name: str) -> str:
    """``name`` without a version, extras or a tag after it (``numpy==1.26``, ``x[socks]``)."""
    return re.split(r"[\[=<>~!;@ ]", name, maxsplit=1)[0]


def slip_of(name: str, ecosystem: str) -> str | None:
    """The popular package ``name`` is one slip away from, in ``ecosystem`` ("pypi" or
    "npm"), or None. A version, extras or a tag after the name are not part of it."""
    if ecosystem == "pypi":
        return _slips_of("pypi").get(_pep503(_without_version(name)))
    bare = name.lower()
    if bare.startswith("@"):
        return None  # a scope names its owner: a slip there is another owner, not checked here
    return _slips_of("npm").get(bare.split("@", 1)[0])


def extends(name: str, original: str) -> bool:
    """``name`` is ``original`` with a word added before or after it ("event-stream-fast",
    "fs-extra-secure", "python-jose-crypto" of "event-stream", "fs-extra", "python-jose"):
    the shape of a combosquat, when a text offers it in place of the original. The word is
    joined with a hyphen, as package names join words: "module_srcdir" and "NCURSES_CONST"
    are a program's identifiers. Case and the original's separators count as PEP 503 has
    them; a scope (``@types-node/``) is set aside."""
    bare = _without_version(name.rsplit("/", 1)[-1]) or name
    base = _pep503(original.rsplit("/", 1)[-1])
    if len(base) < 3 or _pep503(bare) == base:
        return False
    parts = re.split(r"([-_.]+)", bare.lower())
    words, joints = parts[0::2], parts[1::2]  # the name's words, and the separators between them
    count = base.count("-") + 1  # the original's words
    if len(words) <= count:
        return False
    return ("-".join(words[:count]) == base and joints[count - 1] == "-") or (
        "-".join(words[-count:]) == base and joints[-count] == "-"
    )
