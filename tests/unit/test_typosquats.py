"""Package names one slip from a popular one (sandbox.inspectors.typosquats)."""

from __future__ import annotations

import pytest

from sandbox.inspectors.typosquats import NPM, PYPI, extends, slip_of


@pytest.mark.parametrize(
    ("name", "ecosystem", "popular"),
    [
        ("reqeusts", "pypi", "requests"),  # two letters swapped
        ("nmupy==1.26.4", "pypi", "numpy"),  # a version after the name
        ("python-dateutill", "pypi", "python-dateutil"),  # a letter doubled
        ("Python_DateUtill", "pypi", "python-dateutil"),  # PEP 503: case and separators
        ("reqests[socks]", "pypi", "requests"),  # a letter left out, extras after the name
        ("electorn", "npm", "electron"),
        ("crossenv", "npm", "cross-env"),
        ("mongose@8", "npm", "mongoose"),
        ("colourama", "pypi", "colorama"),  # one letter more inside the name
    ],
)
def test_a_slip_names_the_package_it_imitates(name: str, ecosystem: str, popular: str) -> None:
    assert slip_of(name, ecosystem) == popular


@pytest.mark.parametrize(
    ("name", "ecosystem"),
    [
        ("requests", "pypi"),
        ("scapy", "pypi"),  # one letter different from scipy: a real neighbour, not a slip
        ("psycopg", "pypi"),  # psycopg2 without its 2: a package of its own
        ("dataset", "pypi"),
        ("request", "npm"),
        ("colors", "npm"),
        ("@types/node", "npm"),
        ("requests", "npm"),  # a PyPI name is no slip in npm's list
        ("transformer", "pypi"),  # a plural's s left out: both forms are real names
        ("pillows", "pypi"),  # a letter more at the end: another name, not a slip inside this one
        ("xnumpy", "pypi"),
    ],
)
def test_popular_names_and_real_neighbours_are_not_slips(name: str, ecosystem: str) -> None:
    assert slip_of(name, ecosystem) is None


def test_no_listed_name_is_a_slip_of_another() -> None:
    assert all(slip_of(name, "pypi") is None for name in PYPI)
    assert all(slip_of(name, "npm") is None for name in NPM)


@pytest.mark.parametrize(
    ("name", "original", "expected"),
    [
        ("event-stream-fast", "event-stream", True),  # a word after the name
        ("secure-axios", "axios", True),  # a word before it
        ("Fs_Extra-Secure", "fs-extra", True),  # the original's separators and case as PEP 503 has them
        ("module_srcdir", "module", False),  # joined by an underscore: a program's identifier
        ("@types-node/fs-extra-secure", "fs-extra", True),  # a scope set aside
        ("python-jose-crypto==3.3", "python-jose", True),  # a version after the name
        ("event-stream", "event-stream", False),  # the name itself
        ("pytest-asyncio", "async", False),  # a word inside another word is not the name
        ("flaskx", "flask", False),  # no separator: a slip's business, not this
        ("io-ts", "io", False),  # a base too short to tell anything
    ],
)
def test_a_name_extends_another_by_a_word(name: str, original: str, expected: bool) -> None:
    assert extends(name, original) is expected
