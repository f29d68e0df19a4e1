"""``brandkit mcp`` as a process: the real command over stdio (an SDK client starts it), streamable HTTP on
loopback with its bearer token, and the settings the command refuses. Offline (local renderer)."""

from __future__ import annotations

import base64
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from PIL import Image
from typer.testing import CliRunner

from brandkit.cli import app
from brandkit.mcp import ServerConfig, discover_brands
from tests.mcp_support import NORTHWIND, REQUEST, ROOT, error_of

# --- transports --------------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "BRANDKIT_DB")}
    return {**env, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow  # the real command with every check (OCR, moderation, evidence): ~15-35 s on 2 busy cores
async def test_stdio_subprocess_runs_the_real_command_with_every_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "brandkit.cli", "mcp", "--spec", str(NORTHWIND), "--out", str(out)],
        env=_env(),
        cwd=str(tmp_path),
    )
    async with Client(params, mode="legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"compile", "generate", "validate"} <= names and "review_queue" not in names
        compiled = await client.call_tool("compile", {"brand": "northwind", "request": REQUEST})
        assert not compiled.is_error and compiled.structured_content["estimated_cost_usd"] > 0
        refused = await client.call_tool("generate", {"brand": "northwind", "request": REQUEST})
        assert error_of(refused)["field"] == "budget_usd"
        made = await client.call_tool("generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0.25})
        assert not made.is_error, made.content
        assert set(made.structured_content["report"]["checks"]) >= {"palette", "text", "logo", "contrast"}
        image = next(block for block in made.content if block.type == "image")
        checked = await client.call_tool("validate", {"brand": "northwind", "image_base64": image.data})
        assert checked.structured_content["passed"] == made.structured_content["passed"]
        evidence = checked.structured_content["evidence"]  # the verification report (brandkit.evidence)
        assert evidence["passed"] == checked.structured_content["passed"] and "palette" in evidence["checks"]
        assert 0 <= evidence["score"]["value"] <= 1
        heatmap = checked.content[0]  # the off-palette heat map comes back as image content
        assert heatmap.type == "image" and Image.open(io.BytesIO(base64.b64decode(heatmap.data))).format == "PNG"
    assert (
        Path(made.structured_content["path"]).parent == out.resolve()
        or Path(made.structured_content["path"]).parent == out
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port, token = _free_port(), "test-token-" + "x" * 24
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "brandkit.cli",
            "mcp",
            "--spec",
            str(NORTHWIND),
            "--out",
            str(tmp_path / "out"),
            "--http",
            "--port",
            str(port),
        ],
        env={**_env(), "BRANDKIT_MCP_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/mcp", token
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
        assert token not in err.decode("utf-8", "replace")  # a token given by the environment is never printed


async def test_streamable_http_on_loopback_needs_the_token(http_server: tuple[str, str]) -> None:
    url, token = http_server
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with httpx2.AsyncClient() as raw:
        assert (await raw.post(url, json=hello)).status_code == 401
        wrong = await raw.post(url, json=hello, headers={"Authorization": "Bearer " + "y" * 35})
        assert wrong.status_code == 401 and token not in wrong.text
    authed = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    async with authed, Client(streamable_http_client(url, http_client=authed), mode="legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        rules = await client.call_tool("show_rules", {"brand": "northwind"})
    assert "generate" in names and rules.structured_content["name"] == "Northwind Coffee"


def test_the_command_refuses_a_host_that_is_not_loopback_and_a_missing_spec(tmp_path: Path) -> None:
    runner = CliRunner()
    exposed = runner.invoke(app, ["mcp", "--spec", str(NORTHWIND), "--http", "--host", "0.0.0.0"])
    assert exposed.exit_code == 2 and "ConfigurationError" in exposed.stderr and "loopback" in exposed.stderr
    nothing = runner.invoke(app, ["mcp", "--spec", str(tmp_path)])
    assert nothing.exit_code == 2 and "not a brand spec folder" in nothing.stderr
    no_key = runner.invoke(app, ["mcp", "--spec", str(NORTHWIND), "--provider", "openai"])
    assert no_key.exit_code == 2 and "OPENAI_API_KEY" in no_key.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = runner.invoke(
            app,
            ["mcp", "--spec", str(NORTHWIND), "--out", str(tmp_path / "out"), "--http", "--port", port],
            env={"BRANDKIT_MCP_TOKEN": "t" * 32},
        )
    assert busy.exit_code == 2 and f"--port {port}" in busy.stderr, busy.stderr


def test_http_settings_are_loopback_only_and_keep_the_token_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    from brandkit.errors import ConfigurationError
    from brandkit.mcp import HttpSettings
    from brandkit.mcp.config import TOKEN_ENV, check_loopback

    assert [check_loopback(h) for h in ("127.0.0.1", "::1", "localhost")] == ["127.0.0.1", "::1", "127.0.0.1"]
    for exposed in ("0.0.0.0", "192.168.1.20", "::", "example.com", ""):
        with pytest.raises(ConfigurationError, match="loopback only") as info:
            check_loopback(exposed)
        assert info.value.setting == "host"
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    generated = HttpSettings.build("127.0.0.1", 8766)
    assert generated.generated and len(generated.token) >= 32 and generated.token not in repr(generated)
    monkeypatch.setenv(TOKEN_ENV, "short")
    with pytest.raises(ConfigurationError, match=TOKEN_ENV):
        HttpSettings.build("127.0.0.1", 8766)
    monkeypatch.setenv(TOKEN_ENV, "a-chosen-token-of-enough-length")
    chosen = HttpSettings.build("localhost", 8766)
    assert not chosen.generated and chosen.token == "a-chosen-token-of-enough-length"
    assert "a-chosen-token" not in repr(chosen) and chosen.host == "127.0.0.1"
    with pytest.raises(ConfigurationError, match="--port"):
        HttpSettings.build("127.0.0.1", 70000)
    with pytest.raises(ConfigurationError, match="--max-budget"):
        ServerConfig(brands=discover_brands([NORTHWIND], None), max_budget_usd=0)
