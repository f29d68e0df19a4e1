"""No secret leaks: the main scenarios run with a recognisable fake key, and nothing they produce contains it.

Scenarios: generate / edit / validate against the loopback server (sync and async), every fault kind the
server can inject (including 401, whose body echoes the key), the CLI as a subprocess with and without
``--json`` (success and 401), a BrandViolationError, a ProviderError's ``str``/``repr`` and its whole
``__cause__`` chain through ``traceback.format_exception``, ``repr()`` of kits, providers, assets, attempts and
reports, sidecars and saved files, a variant run's journal, manifest and contact sheet, and every DEBUG log
record. Each output is scanned with :mod:`tests.support.secret_scan` (also registered for the whole suite).

The scanner itself is tested first: it must find a key planted in a file, in a log record, in text, and it
must fail a whole pytest session that leaks one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import brandkit
from brandkit.errors import BrandkitError, ProviderError
from brandkit.resources import KitResources
from tests.support.openai_plugin import FAST_RETRY, generate_call
from tests.support.openai_server import FAULT_KINDS, OpenAIServer
from tests.support.secret_scan import (
    SecretLogHandler,
    mask,
    register_secret,
    scan_bytes,
    scan_text,
    scan_tree,
)
from tests.test_openai_kit import REQ, brand_imagery

ROOT = Path(__file__).resolve().parents[1]
KEY = f"sk-test-SECRETSCAN-{uuid.uuid4().hex}"
"""The recognisable fake key of this module (also caught by the suite-wide ``sk-test-`` pattern)."""
register_secret(KEY)

pytestmark = pytest.mark.timeout(300)


def assert_clean(label: str, *texts: str | bytes) -> None:
    hits = []
    for text in texts:
        hits += scan_bytes(text, "bytes", label) if isinstance(text, bytes) else scan_text(text, "text", label)
    assert not hits, "secret leaked:\n" + "\n".join(str(hit) for hit in hits)


def describe_error(exc: BaseException) -> str:
    """Everything a caller or a log might print of an error: str, repr, the full cause/context chain."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(getattr(current, "args", ()))]
        for name in ("message", "body", "response", "request_id", "code", "issues", "report", "attempts"):
            value = getattr(current, name, None)
            if value is not None:
                parts.append(repr(value))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.fixture
def debug_log() -> Iterator[SecretLogHandler]:
    """A private scanning handler on the root logger at DEBUG for one test (besides the suite-wide one)."""
    handler = SecretLogHandler()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert handler.records > 0, "no log record was seen: the DEBUG scan did not run"
    assert not handler.hits, "secret leaked into logging:\n" + "\n".join(str(hit) for hit in handler.hits)


def _kit(spec: brandkit.BrandSpec, server: OpenAIServer, cls: Any = brandkit.BrandKit, **extra: Any) -> Any:
    return cls(spec, provider="openai", api_key=KEY, base_url=server.url, retry=FAST_RETRY, timeout=5.0, **extra)


# --------------------------------------------------------------------------------------------
# The scanner finds what is planted (so a clean result means something)
# --------------------------------------------------------------------------------------------


def test_scanner_finds_a_key_planted_in_a_file() -> None:
    folder = Path(tempfile.mkdtemp(prefix="brandkit-planted-"))  # outside basetemp: the session scan stays clean
    try:
        (folder / "deep" / "er").mkdir(parents=True)
        (folder / "deep" / "er" / "sidecar.json").write_text(json.dumps({"key": KEY}), encoding="utf-8")
        (folder / "image.png").write_bytes(b"\x89PNG....iTXt" + KEY.encode("utf-16-le") + b"....")
        (folder / "clean.txt").write_text("nothing here", encoding="utf-8")
        count, hits = scan_tree(folder)
        assert count == 3 and len(hits) == 2
        assert {Path(hit.what).name for hit in hits} == {"sidecar.json", "image.png"}
        assert all(hit.secret == KEY and KEY not in str(hit) and mask(KEY) in str(hit) for hit in hits)
    finally:
        shutil.rmtree(folder)


def test_scanner_finds_keys_in_text_and_the_pattern() -> None:
    assert [hit.secret for hit in scan_text(f"Bearer {KEY}.")] == [KEY]
    other = "sk-test-" + "Zz9_-" * 4
    assert [hit.secret for hit in scan_text(f"key={other}")] == [other]
    assert scan_text("sk-live-abc and sk-test-") == []  # only sk-test- keys and the registered secrets
    with pytest.raises(ValueError):
        register_secret("short")


def test_scanner_finds_a_key_in_a_log_record() -> None:
    handler = SecretLogHandler()
    logger = logging.getLogger("brandkit.tests.planted")
    logger.propagate = False  # keep the planted record away from the suite-wide handler
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("headers: %s", {"Authorization": f"Bearer {KEY}"})
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert handler.records == 2 and len(handler.hits) == 2


INNER_TEST = textwrap.dedent(
    """
    import logging, os

    def test_clean(tmp_path):
        (tmp_path / "ok.json").write_text("{}")

    def test_leaks(tmp_path):
        if os.environ.get("LEAK") == "1":
            key = "sk-test-" + "PLANTED" * 3
            print("key is", key)
            logging.getLogger("inner").warning("sending %s", key)
            (tmp_path / "sidecar.json").write_text('{"k": "%s"}' % key)
    """
)


@pytest.mark.parametrize("workers", [0, 2], ids=["one-process", "xdist-2"])
@pytest.mark.parametrize("leak", [False, True])
def test_the_plugin_fails_a_session_that_leaks(leak: bool, workers: int) -> None:
    """An inner pytest session with only this plugin: clean → exit 0; a leaking test that still passes → exit 1
    with a 'secret scan FAILED' section naming the captured stdout, the log record and the file — in one process,
    and with two xdist workers (each scans what its tests left; the controller sums and fails the session)."""
    folder = Path(tempfile.mkdtemp(prefix="brandkit-inner-"))
    try:
        (folder / "test_inner.py").write_text(INNER_TEST, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LEAK": "1" if leak else "0"}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "tests.support.secret_scan",
                "-p",
                "no:cacheprovider",
                "-q",
                "--basetemp",
                str(folder / "basetemp"),
                "-o",
                "addopts=",
                *(["-n", str(workers)] if workers else ["-p", "no:xdist"]),
                str(folder / "test_inner.py"),
            ],
            capture_output=True,
            text=True,
            cwd=folder,
            env=env,
            timeout=120,
        )
    finally:
        shutil.rmtree(folder)
    output = proc.stdout + proc.stderr
    assert "2 passed" in output, output[-2000:]
    if not leak:
        assert proc.returncode == 0 and "secret scan: 0 hit(s)" in output, output[-2000:]
        return
    assert proc.returncode == 1, output[-2000:]
    assert "secret scan FAILED" in output
    assert "[report]" in output and "[log]" in output and "[file]" in output and "sidecar.json" in output
    assert "PLANTEDPLANTEDPLANTED" not in output  # the report masks the key it found
    records = re.search(r"in (\d+) log record\(s\), (\d+) report\(s\), (\d+) file\(s\)", output)
    assert records is not None and int(records[1]) >= 1 and int(records[2]) >= 6 and int(records[3]) >= 2, output


# --------------------------------------------------------------------------------------------
# Scenarios against the loopback server
# --------------------------------------------------------------------------------------------


def test_generate_edit_validate_and_save_leak_nothing(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, tmp_path: Path, debug_log: SecretLogHandler
) -> None:
    openai_server.image_factory = brand_imagery(northwind)
    kit = _kit(northwind, openai_server)
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    path = asset.save(tmp_path / "out" / "hero.png")
    edited = kit.edit(path, "Warm the light a little", headline=REQ["headline"], subhead=REQ["subhead"], cta=REQ["cta"])
    edited.save(tmp_path / "out" / "hero-edit.png")
    report = kit.validate(path)
    assert asset.report.passed and report.checks
    assert_clean(
        "objects",
        repr(kit),
        str(kit.provider),
        repr(kit.provider),
        repr(asset),
        repr(edited),
        repr(report),
        repr(asset.attempts),
        repr(asset.prompt),
        json.dumps(asset.sidecar()),
        json.dumps(report.model_dump_report()),
        asset.model_dump_json(exclude={"data"}),
        repr(vars(kit.provider)),
    )
    count, hits = scan_tree(tmp_path)
    assert count == 4 and not hits, [str(hit) for hit in hits]


async def test_async_kit_leaks_nothing(
    lumen: brandkit.BrandSpec, openai_server: OpenAIServer, tmp_path: Path, debug_log: SecretLogHandler
) -> None:
    openai_server.image_factory = brand_imagery(lumen)
    kit = _kit(lumen, openai_server, brandkit.AsyncBrandKit)
    try:
        asset = await kit.generate(brandkit.AssetRequest(**{**REQ, "headline": "Small steps, every day"}, seed=2))  # type: ignore[arg-type]
        asset.save(tmp_path / "a.png")
        assert_clean("async", repr(kit), repr(asset), json.dumps(asset.sidecar()))
    finally:
        await kit.provider.aclose()
    assert not scan_tree(tmp_path)[1]


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_every_fault_kind_leaks_nothing(kind: str, openai_server: OpenAIServer, debug_log: SecretLogHandler) -> None:
    openai_server.allow_invalid = True
    provider = brandkit.provider.openai.OpenAIProvider(
        api_key=KEY, base_url=openai_server.url, retry=FAST_RETRY, timeout=0.5
    )
    opts: dict[str, Any] = {"delay_s": 1.5} if kind == "slow" else {}
    openai_server.inject(kind, times=8, **opts)
    outcome: list[str] = []
    try:
        result = provider.render(generate_call())
        outcome.append(repr(result))
    except BrandkitError as exc:
        assert isinstance(exc, ProviderError), type(exc)
        outcome.append(describe_error(exc))
    finally:
        provider.close()
    assert_clean(kind, *outcome, repr(provider))
    if kind == "auth":  # the server really echoed the key: the scan had something to find
        assert "Incorrect API key provided: [REDACTED]" in outcome[0] or "[REDACTED]" in outcome[0]


def test_the_401_echo_really_contains_the_key(openai_server: OpenAIServer) -> None:
    """Proves the fault is a real test: the raw HTTP answer carries the key; only brandkit's redaction hides it."""
    import httpx2

    openai_server.inject("auth")
    answer = httpx2.post(
        f"{openai_server.url}/images/generations",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"model": "gpt-image-2", "prompt": "x"},
    )
    assert answer.status_code == 401 and scan_text(answer.text)


def test_provider_error_cause_chain_is_redacted(openai_server: OpenAIServer, debug_log: SecretLogHandler) -> None:
    openai_server.inject("auth", times=3)
    provider = brandkit.provider.openai.OpenAIProvider(api_key=KEY, base_url=openai_server.url, retry=FAST_RETRY)
    try:
        with pytest.raises(brandkit.AuthenticationError) as info:
            provider.render(generate_call())
    finally:
        provider.close()
    error = info.value
    assert error.status_code == 401 and error.__cause__ is not None
    text = describe_error(error)
    assert "[REDACTED]" in text
    assert_clean("cause chain", text, repr(error.__cause__.__dict__))


def test_brand_violation_error_leaks_nothing(
    lumen: brandkit.BrandSpec, openai_server: OpenAIServer, debug_log: SecretLogHandler
) -> None:
    openai_server.image_factory = brand_imagery(lumen)
    openai_server.moderation_scores = {"violence": 0.9}
    with pytest.raises(brandkit.BrandViolationError) as info:
        _kit(lumen, openai_server).generate(brandkit.AssetRequest(**REQ, seed=3))  # type: ignore[arg-type]
    error = info.value
    assert error.attempts and error.report is not None
    assert_clean("violation", describe_error(error), repr(error.best), json.dumps(error.report.model_dump_report()))


def _cli(args: list[str], server: OpenAIServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.url)
    return subprocess.run(
        [sys.executable, "-m", "brandkit.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("json_out", [True, False])
@pytest.mark.parametrize("fault", [None, "auth", "server_error"])
def test_cli_leaks_nothing(openai_server: OpenAIServer, tmp_path: Path, json_out: bool, fault: str | None) -> None:
    lumen = brandkit.load_spec(ROOT / "brand_specs" / "lumen-health")
    openai_server.image_factory = brand_imagery(lumen)
    if fault:
        openai_server.inject(fault, times=10, path="/images/generations")
    out = tmp_path / "out"
    args = [
        "generate",
        "--spec",
        str(ROOT / "brand_specs" / "lumen-health"),
        "--brief",
        "A calm morning stretch",
        "--headline",
        "Small steps, every day",
        "--provider",
        "openai",
        "--seed",
        "1",
        "--out",
        str(out),
    ]
    proc = _cli([*args, "--json"] if json_out else args, openai_server, tmp_path)
    expected = {None: 0, "auth": 3, "server_error": 3}[fault]
    assert proc.returncode == expected, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert_clean(f"cli {fault} json={json_out}", proc.stdout, proc.stderr)
    if fault is None:
        assert scan_tree(out)[0] >= 2  # image and sidecar were written, and scanned
    assert not scan_tree(tmp_path)[1]
    if fault == "auth":
        assert "AuthenticationError" in proc.stdout + proc.stderr


def test_cli_validate_and_spec_check_leak_nothing(
    kit_resources: KitResources, northwind: brandkit.BrandSpec, openai_server: OpenAIServer, tmp_path: Path
) -> None:
    asset = brandkit.BrandKit(northwind, resources=kit_resources, provider="local").generate(
        brandkit.AssetRequest(**REQ, seed=5)
    )  # type: ignore[arg-type]
    path = asset.save(tmp_path / "local.png")
    runs = (
        ["validate", "--spec", str(ROOT / "brand_specs" / "northwind"), str(path), "--json"],
        ["spec", "check", str(ROOT / "brand_specs" / "northwind")],
        ["spec", "check", str(ROOT / "brand_specs" / "northwind"), "--json"],
    )
    for args in runs:
        proc = _cli(args, openai_server, tmp_path)
        assert proc.returncode in (0, 1), proc.stderr[-1500:]
        assert_clean(" ".join(args[:2]), proc.stdout, proc.stderr)


def test_variant_run_files_leak_nothing(openai_server: OpenAIServer, tmp_path: Path) -> None:
    """A variant run whose second half hits a 401: journal, manifest, contact sheet and sidecars stay clean."""
    import yaml

    from brandkit.checks.palette import PaletteCheck
    from brandkit.checks.technical import TechnicalCheck
    from brandkit.variants import run_variants

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        yaml.safe_dump(
            {
                "name": "secrets",
                "spec": str(ROOT / "brand_specs" / "northwind"),
                "base": {
                    "brief": "A cup",
                    "cta": "Order ahead",
                    "text": "overlay",
                    "logo": "overlay",
                    "policies": {"palette": "warn"},
                },
                "axes": {"headline": ["Slow mornings", "Roasted this week", "Meet the roasters", "Fresh every day"]},
            }
        ),
        encoding="utf-8",
    )
    openai_server.inject("auth", times=50, path="/images/generations")
    out = tmp_path / "run"

    def run() -> Any:
        return run_variants(
            plan,
            out,
            provider="openai",
            api_key=KEY,
            base_url=openai_server.url,
            retry=FAST_RETRY,
            concurrency=2,
            progress=False,
            checks=[PaletteCheck(), TechnicalCheck()],
        )

    result = asyncio.run(asyncio.to_thread(run))
    assert result.summary["failed"] >= 1 and (out / "journal.jsonl").is_file() and (out / "manifest.json").is_file()
    reasons = [v.get("reason") or "" for v in result.variants]
    assert any("AuthenticationError" in r or "401" in r for r in reasons), reasons
    assert_clean("variant run", json.dumps(result.manifest), repr(result))
    count, hits = scan_tree(out)
    assert count >= 3 and not hits, [str(hit) for hit in hits]
