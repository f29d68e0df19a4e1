"""Helpers shared by the MCP tests: the example brands, a request, an in-process call, a typed tool error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp import Client
from mcp_types import CallToolResult

from brandkit.mcp import BrandServer

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
LUMEN = ROOT / "brand_specs" / "lumen-health"
REQUEST = {"brief": "A ceramic cup of pour-over coffee on an oak table", "headline": "Slow mornings", "seed": 7}


async def call(server: BrandServer, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    """One tool call through an SDK client connected in-process (memory streams, JSON-RPC framing)."""
    async with Client(server.mcp, mode="legacy") as client:
        return await client.call_tool(tool, arguments)


def error_of(result: CallToolResult) -> dict[str, Any]:
    """The typed failure of an ``isError`` result (asserting it carries no traceback and names its class)."""
    assert result.is_error, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Traceback" not in text and 'File "' not in text
    failure: dict[str, Any] = result.structured_content
    assert text.startswith(f"{failure['error']}: ") and "BrandkitError" in failure["kinds"]
    return failure
