"""``brandkit mcp``: an MCP server (official MCP Python SDK) in front of the SDK — an application like
:mod:`brandkit.registry`; only the CLI imports it.

Modules: :mod:`~brandkit.mcp.config` (what is served: brands, provider, output folder, allowed roots, registry,
budget cap; the loopback / token HTTP settings), :mod:`~brandkit.mcp.models` (each tool's typed arguments and
results — their JSON Schemas are what ``tools/list`` publishes), :mod:`~brandkit.mcp.service` (the tools' logic
and the server's state: one kit per brand, built lazily), :mod:`~brandkit.mcp.review` (the registry tools),
:mod:`~brandkit.mcp.server` (the SDK server, the tools and the error mapping), :mod:`~brandkit.mcp.transport`
(stdio, and streamable HTTP on loopback behind a bearer token). See docs/mcp.md.
"""

from __future__ import annotations

from brandkit.mcp.config import HttpSettings, ServerConfig, discover_brands
from brandkit.mcp.server import BrandServer, build_server

__all__ = ["BrandServer", "HttpSettings", "ServerConfig", "build_server", "discover_brands"]
