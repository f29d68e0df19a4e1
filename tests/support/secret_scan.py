"""pytest plugin: the fake API keys must never show up anywhere a real key could leak to.

Register it from ``tests/conftest.py``::

    pytest_plugins = ["tests.support.openai_plugin", "tests.support.secret_scan"]

For the whole session it

* installs a root logging handler at DEBUG (the root logger is lowered to DEBUG for the session) and scans
  every record's formatted message, exception and stack text as it is emitted;
* after each test phase scans the report text: the failure representation (``longrepr``) and every captured
  section (stdout, stderr, log);
* at the end walks the session's ``basetemp`` folder (every file: images and their sidecars, manifests,
  journals, reports, html, logs) as bytes;

and fails the session (exit status 1, with a ``secret scan`` section listing each hit: where, which key,
the surrounding text with the key masked) when any scan found a key. Under pytest-xdist (``-n N``, what
``scripts/test`` runs) each worker scans its own log records, reports and ``basetemp`` — the process where a test
ran and registered its secrets — and hands its counts and hits to the controller (``workeroutput``), which sums
them, prints the one summary and fails the session. Nothing is allowed in: a test that needs
a key in a file writes it outside ``basetemp`` and removes it.

The secrets are :data:`tests.support.openai_plugin.FAKE_API_KEY`, anything matching ``sk-test-…`` and whatever
a test adds with :func:`register_secret`. The scanning functions (:func:`scan_text`, :func:`scan_bytes`,
:func:`scan_tree`, :class:`SecretLogHandler`) are importable so ``tests/test_secrets.py`` can prove they find a
planted key.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.openai_plugin import FAKE_API_KEY

__all__ = [
    "SECRET_PATTERN",
    "Hit",
    "SecretLogHandler",
    "SecretScanner",
    "mask",
    "register_secret",
    "scan_bytes",
    "scan_text",
    "scan_tree",
    "secrets",
]

SECRET_PATTERN = re.compile(r"sk-test-[A-Za-z0-9_\-]{4,}")
_SECRET_BYTES = re.compile(SECRET_PATTERN.pattern.encode("ascii"))
MAX_FILE_BYTES = 128 * 1024 * 1024
_EXTRA: set[str] = set()


def register_secret(value: str) -> None:
    """Also look for ``value`` (at least 8 characters) from now on, in this process."""
    if len(value) < 8:
        raise ValueError("a secret to look for must have at least 8 characters")
    _EXTRA.add(value)


def secrets() -> list[str]:
    """The literal secrets looked for (the pattern ``sk-test-…`` is looked for as well)."""
    return sorted({FAKE_API_KEY, *_EXTRA})


def mask(secret: str) -> str:
    """``sk-test-br…(41)``: enough to recognise which key, not enough to use it."""
    return f"{secret[:10]}…({len(secret)})"


@dataclass(frozen=True)
class Hit:
    """One secret found: where (``log``, ``report``, ``file``), what (test id, logger or path), which key."""

    where: str
    what: str
    secret: str
    context: str

    def __str__(self) -> str:
        return f"[{self.where}] {self.what}: {mask(self.secret)} in …{self.context}…"


def _context(text: str, start: int, end: int, secret: str) -> str:
    around = text[max(0, start - 60) : end + 60].replace(secret, f"<{mask(secret)}>")
    return around.replace("\n", "\\n")


def scan_text(text: str, where: str = "text", what: str = "") -> list[Hit]:
    """Every secret in ``text`` (literal secrets and the ``sk-test-`` pattern), one hit per occurrence."""
    if not text:
        return []
    hits: list[Hit] = []
    seen: set[tuple[int, int]] = set()
    for secret in secrets():
        start = text.find(secret)
        while start != -1:
            seen.add((start, start + len(secret)))
            hits.append(Hit(where, what, secret, _context(text, start, start + len(secret), secret)))
            start = text.find(secret, start + 1)
    for match in SECRET_PATTERN.finditer(text):
        if not any(a <= match.start() < b for a, b in seen):
            hits.append(Hit(where, what, match.group(0), _context(text, match.start(), match.end(), match.group(0))))
    return hits


def scan_bytes(data: bytes, where: str = "file", what: str = "") -> list[Hit]:
    """Every secret in raw bytes (UTF-8 and UTF-16-LE encodings of the literal secrets, and the pattern)."""
    hits: list[Hit] = []
    spans: list[tuple[int, int]] = []
    for secret in secrets():
        for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
            start = data.find(encoded)
            while start != -1:
                spans.append((start, start + len(encoded)))
                window = data[max(0, start - 60) : start + len(encoded) + 60].decode("utf-8", "replace")
                hits.append(Hit(where, what, secret, _context(window, 0, 0, secret)))
                start = data.find(encoded, start + 1)
    for match in _SECRET_BYTES.finditer(data):
        if not any(a <= match.start() < b for a, b in spans):
            found = match.group(0).decode("ascii")
            window = data[max(0, match.start() - 60) : match.end() + 60].decode("utf-8", "replace")
            hits.append(Hit(where, what, found, _context(window, 0, 0, found)))
    return hits


def _files(root: Path) -> Iterator[Path]:
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            yield Path(folder) / name


def scan_tree(root: Path) -> tuple[int, list[Hit]]:
    """(files scanned, hits) for every regular file under ``root`` (symlinks are not followed)."""
    count = 0
    hits: list[Hit] = []
    for path in _files(root):
        try:
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        except OSError:
            continue
        count += 1
        hits.extend(scan_bytes(data, "file", str(path)))
    return count, hits


class SecretLogHandler(logging.Handler):
    """A logging handler that scans each record's formatted text (message, exception, stack) for secrets."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records = 0
        self.hits: list[Hit] = []
        self.current = "<session>"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # a record whose arguments do not format: scan what we have
            text = f"{record.msg!r} {record.args!r} ({exc})"
        self.records += 1
        self.hits.extend(scan_text(text, "log", f"{self.current} ({record.name})"))


class SecretScanner:
    """The session's scanner (one per pytest run)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.handler = SecretLogHandler()
        self.reports = 0
        self.files = 0
        self.hits: list[Hit] = []
        self._root_level: int | None = None

    # -- logging ----------------------------------------------------------------------------------------------

    def install(self) -> None:
        root = logging.getLogger()
        self._root_level = root.level
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)

    def uninstall(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        if self._root_level is not None:
            root.setLevel(self._root_level)

    # -- xdist --------------------------------------------------------------------------------------------------

    @property
    def is_worker(self) -> bool:
        """This process is an xdist worker (it runs tests and scans what they leave)."""
        return hasattr(self.config, "workerinput")

    @property
    def is_controller(self) -> bool:
        """This process hands the tests to xdist workers (it runs none: the workers' scans are summed here)."""
        return not self.is_worker and getattr(self.config.option, "dist", "no") != "no"

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown when xdist is not loaded
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """A worker is done: add its scan (``workeroutput``) to the session's."""
        out = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
        if out is None:
            return
        self.handler.records += int(out["records"])
        self.reports += int(out["reports"])
        self.files += int(out["files"])
        self.hits.extend(Hit(**hit) for hit in out["hits"])

    # -- hooks ------------------------------------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.handler.current = nodeid

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_controller:  # the worker that ran the test scanned its report
            return
        self.reports += 1
        texts: list[tuple[str, str]] = [("longrepr", report.longreprtext)]
        texts.extend((title, content) for title, content in report.sections)
        for title, text in texts:
            self.hits.extend(scan_text(text, "report", f"{report.nodeid} [{report.when}] {title}"))

    def _basetemp(self) -> Path | None:
        factory = getattr(self.config, "_tmp_path_factory", None)
        base = getattr(factory, "_basetemp", None)
        return Path(base) if base is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        base = self._basetemp()
        if base is not None and base.is_dir() and not self.is_controller:  # a worker scans its own basetemp
            self.files, found = scan_tree(base)
            self.hits.extend(found)
        self.hits.extend(self.handler.hits)
        if self.is_worker:  # sent to the controller with the worker's other output
            self.config.workeroutput[_OUTPUT_KEY] = {  # type: ignore[attr-defined]
                "records": self.handler.records,
                "reports": self.reports,
                "files": self.files,
                "hits": [dataclasses.asdict(hit) for hit in self.hits],
            }
            return
        if self.hits and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summary = (
            f"secret scan: {len(self.hits)} hit(s) in {self.handler.records} log record(s), "
            f"{self.reports} report(s), {self.files} file(s) under basetemp"
        )
        if not self.hits:
            terminalreporter.write_line(summary)
            return
        terminalreporter.write_sep("=", "secret scan FAILED: a fake API key leaked", red=True, bold=True)
        for hit in _unique(self.hits)[:200]:
            terminalreporter.write_line(str(hit), red=True)
        terminalreporter.write_line(summary, red=True)


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    return list(dict.fromkeys(hits))


_KEY = pytest.StashKey[SecretScanner]()
_OUTPUT_KEY = "brandkit_secret_scan"


def pytest_configure(config: pytest.Config) -> None:
    scanner = SecretScanner(config)
    scanner.install()
    config.stash[_KEY] = scanner
    config.pluginmanager.register(scanner, "brandkit-secret-scan")


def pytest_unconfigure(config: pytest.Config) -> None:
    scanner = config.stash.get(_KEY, None)
    if scanner is not None:
        scanner.uninstall()
