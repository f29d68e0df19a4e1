"""API keys that cannot be sent as an HTTP header (issue 20 item 3).

A typographic quote pasted with the key, a line break from a ``.env`` file, a control character: each is a
:class:`~brandkit.errors.ConfigurationError` when the client is configured — sync and async, live and Batch,
from the argument or ``OPENAI_API_KEY`` — naming the position and code point of the bad character and never
the key. Before the check, such a key crashed every request with ``UnicodeEncodeError`` deep in the HTTP
library (in a variant run: every variant an "error").
"""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from brandkit.cli import EXIT_USAGE, app
from brandkit.errors import BrandkitError, ConfigurationError
from brandkit.provider.keys import api_key_problem
from brandkit.provider.openai import OpenAIProvider
from brandkit.provider.openai_batch import OpenAIBatchProvider
from brandkit.variants import arun_variants
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY, generate_call
from tests.support.openai_server import OpenAIServer
from tests.support.variants import openai_options

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
BODY = "sk-test-Q7zX9wLmP2vR4tYk8JhN3cD6fG1sA5eUa0"  # an sk-test- key: the secret scan fails the session on a leak

# key, 1-based position of the first bad character, its code point
BAD_KEYS = [
    pytest.param(BODY[:11] + "\u2019" + BODY[11:], 12, "U+2019", id="typographic-apostrophe"),
    pytest.param("\u201c" + BODY + "\u201d", 1, "U+201C", id="typographic-double-quotes"),
    pytest.param(BODY + "\n", len(BODY) + 1, "U+000A", id="trailing-newline"),
    pytest.param(BODY + "\r", len(BODY) + 1, "U+000D", id="trailing-carriage-return"),
    pytest.param(" " + BODY, 1, "U+0020", id="leading-space"),
    pytest.param(BODY[:20] + "\n" + BODY[20:], 21, "U+000A", id="inner-newline"),
    pytest.param(BODY[:5] + "\x00" + BODY[5:], 6, "U+0000", id="nul"),
    pytest.param(BODY[:9] + "\t" + BODY[9:], 10, "U+0009", id="tab"),
    pytest.param(BODY + "\x7f", len(BODY) + 1, "U+007F", id="delete"),
    pytest.param(BODY[:30] + "\u00a0" + BODY[30:], 31, "U+00A0", id="non-breaking-space"),
    pytest.param("\ufeff" + BODY, 1, "U+FEFF", id="byte-order-mark"),
    pytest.param(BODY[:3] + "\u200b" + BODY[3:], 4, "U+200B", id="zero-width-space"),
    pytest.param(BODY.replace("a", "\u0430"), BODY.index("a") + 1, "U+0430", id="cyrillic-lookalike"),
]

BAD_ENV_KEYS = [param for param in BAD_KEYS if param.id != "nul"]  # an environment variable cannot hold NUL


def _pieces(key: str, size: int = 6) -> set[str]:
    """Every run of ``size`` characters of ``key`` (no part of the key may be echoed)."""
    return {key[i : i + size] for i in range(len(key) - size + 1)}


def assert_no_part_of_key(error: BaseException, key: str) -> None:
    """``str``, ``repr``, ``args``, the formatted traceback and the cause/context chain hold no part of ``key``."""
    texts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    chain: BaseException | None = error
    while chain is not None:
        texts.append(repr(chain.args))
        chain = chain.__cause__ or chain.__context__
    blob = "\n".join(texts)
    leaked = [piece for piece in _pieces(key) if piece in blob]
    assert not leaked, f"the error echoes part of the key: {leaked[:3]}"
    assert error.__cause__ is None and error.__context__ is None


def assert_names_position(error: ConfigurationError, key: str, position: int, code: str) -> None:
    assert f"character {position} of {len(key)} is {code}" in str(error)


@pytest.mark.parametrize(("key", "position", "code"), BAD_KEYS)
def test_a_key_argument_that_cannot_be_sent_is_refused_at_construction(key: str, position: int, code: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        OpenAIProvider(api_key=key, base_url="http://127.0.0.1:9/v1")
    assert_names_position(info.value, key, position, code)
    assert info.value.setting == "the api_key argument" and "the api_key argument" in str(info.value)
    assert_no_part_of_key(info.value, key)
    assert isinstance(info.value, BrandkitError)


@pytest.mark.parametrize(("key", "position", "code"), BAD_ENV_KEYS)
def test_a_bad_openai_api_key_variable_is_refused_for_the_live_and_batch_providers(
    key: str, position: int, code: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    for make in (OpenAIProvider, lambda: OpenAIBatchProvider(state_path=tmp_path / "state.jsonl")):
        with pytest.raises(ConfigurationError) as info:
            make()
        assert_names_position(info.value, key, position, code)
        assert info.value.setting == "OPENAI_API_KEY"
        assert_no_part_of_key(info.value, key)


def test_good_keys_pass() -> None:
    assert api_key_problem(FAKE_API_KEY) is None
    assert api_key_problem("sk-proj-AbC_123-xyz") is None
    OpenAIProvider(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9/v1")


def test_the_problem_lists_further_bad_positions_without_characters() -> None:
    key = "\u201c" + BODY + "\u201d"
    problem = api_key_problem(key)
    assert problem == (
        f"character 1 of {len(key)} is U+201C LEFT DOUBLE QUOTATION MARK (a typographic quote); "
        f"1 more character(s) cannot be sent either (positions {len(key)})"
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_key_that_turns_bad_after_construction_fails_at_client_creation_and_sends_nothing(
    mode: str, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = OpenAIProvider(base_url=openai_server.url, retry=FAST_RETRY)  # no key yet: checked at first use
    key = BODY[:11] + "\u2019" + BODY[11:]
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with pytest.raises(ConfigurationError) as info:
        if mode == "sync":
            provider.render(generate_call())
        else:
            await provider.arender(generate_call())
    assert_names_position(info.value, key, 12, "U+2019")
    assert_no_part_of_key(info.value, key)
    assert openai_server.records() == []
    assert not any(piece in caplog.text for piece in _pieces(key))


def _plan(folder: Path, headlines: int) -> Path:
    data: dict[str, Any] = {
        "name": "keys",
        "spec": NORTHWIND,
        "base": {"brief": "A ceramic cup of coffee", "cta": "Order ahead", "text": "overlay", "logo": "overlay"},
        "axes": {"headline": [f"Morning number {i}" for i in range(headlines)]},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ["live", "openai-batch"])
async def test_a_variant_run_with_a_bad_key_fails_once_before_any_variant_starts(
    engine: str, tmp_path: Path, openai_server: OpenAIServer
) -> None:
    key = BODY[:11] + "\u2019" + BODY[11:]
    options = {**openai_options(openai_server), "api_key": key}
    with pytest.raises(ConfigurationError) as info:
        await arun_variants(_plan(tmp_path, 5), tmp_path / "out", engine=engine, **options)
    assert_names_position(info.value, key, 12, "U+2019")
    assert_no_part_of_key(info.value, key)
    assert openai_server.records() == []
    journal = tmp_path / "out" / "journal.jsonl"
    started = [line for line in journal.read_text().splitlines() if '"started"' in line] if journal.exists() else []
    assert started == []


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_reports_a_bad_key_with_exit_2_and_no_traceback(
    as_json: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAIServer
) -> None:
    key = BODY + "\u201d"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    args = ["generate", "--spec", NORTHWIND, "--brief", "A cup", "--out", str(tmp_path / "out")]
    for command in (args, ["variants", str(_plan(tmp_path, 3)), "--out", str(tmp_path / "vout")]):
        result = CliRunner().invoke(app, command + (["--json"] if as_json else []))
        output = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == EXIT_USAGE, output
        assert "Traceback" not in output and not isinstance(result.exception, ConfigurationError)
        assert f"character {len(key)} of {len(key)} is U+201D" in output
        assert not any(piece in output for piece in _pieces(key))
        if as_json:
            document = json.loads(result.stdout)
            assert document["ok"] is False and document["exit_code"] == EXIT_USAGE
    assert openai_server.records() == []
