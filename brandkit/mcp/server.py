"""The MCP server: each tool's published schema, its call, and the mapping of brandkit errors to tool errors.

Built on the official SDK's :class:`mcp.server.mcpserver.MCPServer`. Each tool is declared once, as a row of
:meth:`BrandServer._tools`: its name, description, arguments model (the published
``inputSchema`` is that model's JSON Schema — the SDK's own :class:`~brandkit.models.AssetRequest` /
:class:`~brandkit.models.EditRequest` inside), result model (the ``outputSchema``; structured content is
validated against it) and handler. Arguments are validated by the model, so a bad or unknown field is a
:class:`~brandkit.errors.RequestValidationError` naming it ("did you mean"); every
:class:`~brandkit.errors.BrandkitError` becomes an ``isError`` result with the error's class, message and
field/file (:class:`~brandkit.mcp.models.ToolFailure`) — never a traceback, never a secret
(:func:`brandkit.errors.redact`). Anything else is the SDK's "Error executing tool …" (the server's log names it).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ContentBlock, ImageContent, TextContent
from pydantic import BaseModel, ValidationError

from brandkit._version import __version__
from brandkit.budget import BudgetExceededError
from brandkit.checks.base import Check
from brandkit.errors import (
    BrandkitError,
    BrandViolationError,
    ConfigurationError,
    ImageInputError,
    OutputError,
    RegistryError,
    RequestError,
    RequestValidationError,
    SpecError,
    redact,
)
from brandkit.field_errors import request_error
from brandkit.imageio import detect_format
from brandkit.mcp import models as m
from brandkit.mcp.config import ServerConfig
from brandkit.mcp.outputs import Rejected
from brandkit.mcp.review import ReviewTools
from brandkit.mcp.service import BrandService
from brandkit.mcp.tools import Handler, ToolSpec, entry_point

__all__ = ["BrandServer", "build_server", "tool_failure"]

INSTRUCTIONS = (
    "brandkit keeps images on brand. Call list_brands, then show_rules for a brand's palette, logo, type and "
    "forbidden content. compile is a free dry run (prompt and cost). generate and edit spend money: they need "
    "budget_usd and return the saved image with its check report. validate checks any image (path inside the "
    "server's roots, or base64)."
)
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_TEXT_STRING = 4000
"""Longer strings (base64 images) are left out of the text copy of a result (they stay in the structured content)."""


def tool_failure(
    exc: BrandkitError, secrets: Sequence[str] = (), rejected: m.AssetResult | None = None
) -> CallToolResult:
    """The ``isError`` result of a brandkit error: its class (and parents), message, field or file, and — for
    a brand violation or an exhausted budget — the report or the amounts; ``rejected``: a brand violation's best
    attempt, saved and recorded (its path is said in the text too)."""
    kinds = [k.__name__ for k in type(exc).__mro__ if issubclass(k, BrandkitError)]
    message = redact(exc.message, secrets)
    where = _where(exc)
    issues = [issue.as_dict() for issue in exc.issues] if isinstance(exc, SpecError) else []
    if isinstance(exc, RequestValidationError):
        issues = [
            {k: None if v is None else redact(str(v), secrets) for k, v in problem.items()} for problem in exc.problems
        ]
    failure = m.ToolFailure(
        error=kinds[0],
        kinds=kinds,
        message=message,
        field=exc.field if isinstance(exc, RequestError) else None,
        path=redact(where, secrets) if where else None,
        issues=issues,
        report=exc.report if isinstance(exc, BrandViolationError) else None,
        amounts=exc.as_fields() if isinstance(exc, BudgetExceededError) else None,
        rejected=rejected,
    )
    kept = f" — best attempt kept for review: {rejected.path}" if rejected is not None else ""
    return CallToolResult(
        content=[TextContent(text=f"{failure.error}: {message}{kept}")],
        structured_content=failure.model_dump(mode="json", exclude_none=True),
        is_error=True,
    )


def _where(exc: BrandkitError) -> str | None:
    """The file or setting an error names (``path`` / ``source`` / ``setting``), if any."""
    if isinstance(exc, (OutputError, RegistryError)):
        return exc.path
    if isinstance(exc, ImageInputError):
        return exc.source
    if isinstance(exc, ConfigurationError):
        return exc.setting
    return None


def _parse(tool: str, model: type[BaseModel], arguments: dict[str, Any]) -> Any:
    """``arguments`` validated by ``model``; else a :class:`RequestValidationError` naming each bad field."""
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        error = request_error(model, exc)
        text = error.message.replace(f"invalid {model.__name__}:", f"invalid arguments of {tool}:", 1)
        problems = [{**p, "value": None} if isinstance(p.get("value"), (dict, list)) else p for p in error.problems]
        raise RequestValidationError(text, field=error.field, value=error.value, problems=problems) from None


def _result(result: BaseModel, summary: str, image: bytes | None = None) -> CallToolResult:
    content: list[ContentBlock] = []
    if image is not None:
        mime = _MIME.get(detect_format(image) or "", "image/png")
        content.append(ImageContent(data=base64.b64encode(image).decode("ascii"), mime_type=mime))
    content.append(TextContent(text=summary))
    structured = result.model_dump(mode="json")
    # the JSON copy for clients that read only text: strings too long to read (base64 images) are named, not copied
    content.append(TextContent(text=json.dumps(_compact(structured), ensure_ascii=False)))
    return CallToolResult(content=content, structured_content=structured)


def _compact(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT_STRING:
        return f"<{len(value)} characters: see the structured content>"
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


class BrandServer:
    """The brandkit MCP server: a :class:`BrandService` (brands, kits) and an SDK :class:`MCPServer` with the
    tools. ``server.mcp`` is what transports run (``run_stdio_async``, ``streamable_http_app``) and what an
    in-process :class:`mcp.Client` connects to."""

    def __init__(self, config: ServerConfig, *, checks: Sequence[Check] | None = None) -> None:
        self.config = config
        self.service = BrandService(config, checks=checks)
        self.review = ReviewTools(config.db, config.provider) if config.db is not None else None
        self._secrets = [v for v in (os.environ.get("OPENAI_API_KEY"),) if v]
        self.mcp: MCPServer[Any] = MCPServer(
            "brandkit",
            title="brandkit",
            version=__version__,
            instructions=INSTRUCTIONS,
            tools=self._tools(),
            log_level="WARNING",
        )

    def __repr__(self) -> str:
        return f"BrandServer(brands={sorted(self.config.brands)}, provider={self.config.provider!r})"

    def _tools(self) -> list[Tool]:
        rows: list[tuple[ToolSpec, Handler]] = [
            (
                ToolSpec(
                    "list_brands",
                    "List brands",
                    "The brands this server serves (key, name, formats).",
                    m.NoArgs,
                    m.BrandList,
                    True,
                ),
                self._list_brands,
            ),
            (
                ToolSpec(
                    "show_rules",
                    "Show a brand's rules",
                    "A brand's palette, logo rules, typography, forbidden "
                    "content, required copy, formats and check policies.",
                    m.BrandArgs,
                    m.BrandRules,
                    True,
                ),
                self._show_rules,
            ),
            (
                ToolSpec(
                    "compile",
                    "Compile (dry run)",
                    "The exact prompt and parameters a generate call would send, "
                    "with the estimated cost of one attempt from the price table. Spends nothing.",
                    m.CompileArgs,
                    m.CompileResult,
                    True,
                ),
                self._compile,
            ),
            (
                ToolSpec(
                    "generate",
                    "Generate an on-brand image",
                    "Generate one image that passes the brand's checks "
                    "(repairing within budget_usd), save it in the server's output folder and return it with "
                    "its report. SPENDS MONEY with the openai provider: budget_usd is required.",
                    m.GenerateArgs,
                    m.AssetResult,
                    False,
                ),
                self._generate,
            ),
            (
                ToolSpec(
                    "edit",
                    "Brand-safe edit",
                    "Change only what the instruction asks (e.g. localize the "
                    "headline), keep the rest, check again, save and return it. SPENDS MONEY with the openai "
                    "provider: budget_usd is required.",
                    m.EditArgs,
                    m.AssetResult,
                    False,
                ),
                self._edit,
            ),
            (
                ToolSpec(
                    "validate",
                    "Validate an image",
                    "Run every brand check on an image (a path inside the server's allowed roots, or base64).",
                    m.ValidateArgs,
                    m.ValidateResult,
                    True,
                ),
                self._validate,
            ),
        ]
        if self.review is not None:
            rows += [
                (
                    ToolSpec(
                        "review_queue",
                        "Review queue",
                        "Assets of the registry in a review state (pending by default), newest first.",
                        m.QueueArgs,
                        m.QueueResult,
                        True,
                    ),
                    self._queue,
                ),
                (
                    ToolSpec(
                        "review_decide",
                        "Record a review decision",
                        "Approve (note required when the asset's checks failed: the approval overrides them), reject "
                        "(note required) or request changes (note required; regenerates with the note as feedback).",
                        m.DecideArgs,
                        m.DecisionResult,
                        False,
                    ),
                    self._decide,
                ),
                (
                    ToolSpec(
                        "review_report",
                        "Review metrics",
                        "First-pass yield, approval and revision rate (per deliverable: an asset and its "
                        "regenerations), spend per approved deliverable and what caused rework, over a period.",
                        m.ReportArgs,
                        m.ReportResult,
                        True,
                    ),
                    self._report,
                ),
            ]
        return [self._tool(spec, handler) for spec, handler in rows]

    def _tool(self, spec: ToolSpec, handler: Handler) -> Tool:
        secrets = self._secrets

        async def call(arguments: dict[str, Any]) -> CallToolResult:
            try:
                return await handler(_parse(spec.name, spec.arguments, arguments))
            except Rejected as exc:  # no attempt passed; the best one is saved and recorded
                return tool_failure(exc.error, secrets, exc.kept)
            except BrandkitError as exc:
                return tool_failure(exc, secrets)

        return entry_point(spec, call)

    # --- handlers ----------------------------------------------------------------------------------------

    async def _list_brands(self, _: m.NoArgs) -> CallToolResult:
        result = await self.service.list_brands()
        names = ", ".join(f"{b.key} ({b.name})" for b in result.brands) or "none"
        return _result(result, f"{len(result.brands)} brand(s): {names}")

    async def _show_rules(self, args: m.BrandArgs) -> CallToolResult:
        rules = await self.service.show_rules(args.brand)
        swatches = ", ".join(f"{c.name} {c.hex}" for c in rules.palette.colors)
        return _result(rules, f"{rules.name} {rules.version}: palette {swatches}")

    async def _compile(self, args: m.CompileArgs) -> CallToolResult:
        result = await self.service.compile(args)
        cost = "no price" if result.estimated_cost_usd is None else f"~${result.estimated_cost_usd:.4f}"
        return _result(
            result,
            f"compiled {result.format} {result.size}: {cost} per attempt with openai "
            f"(at most {result.max_attempts} attempts); nothing was spent",
        )

    async def _generate(self, args: m.GenerateArgs) -> CallToolResult:
        result = await self.service.generate(args)
        return _result(result, _asset_line(result), _read(result.path))

    async def _edit(self, args: m.EditArgs) -> CallToolResult:
        result = await self.service.edit(args)
        return _result(result, _asset_line(result), _read(result.path))

    async def _validate(self, args: m.ValidateArgs) -> CallToolResult:
        result, heatmap = await self.service.validate(args)
        failing = ", ".join(r.name for r in result.report.failures) or "none"
        verdict = "passed" if result.passed else "failed"
        score = result.evidence.score.value if result.evidence is not None else None
        shown = "" if score is None else f", score {score:.2f}"
        text = f"{verdict}: {result.source} (blocking: {failing}{shown})"
        return _result(result, text + ("; the image is the off-palette heat map" if heatmap else ""), heatmap)

    async def _queue(self, args: m.QueueArgs) -> CallToolResult:
        assert self.review is not None
        spec_name = (await self.service.spec(args.brand)).name if args.brand is not None else None
        result = await self.review.queue(args, spec_name)
        return _result(result, f"{len(result.items)} asset(s) {result.state}")

    async def _decide(self, args: m.DecideArgs) -> CallToolResult:
        assert self.review is not None
        result = await self.review.decide(args)
        extra = f"; regenerated as asset {result.regenerated.id}" if result.regenerated else ""
        return _result(result, f"asset {result.asset_id}: {result.state}{extra}")

    async def _report(self, args: m.ReportArgs) -> CallToolResult:
        assert self.review is not None
        result = await self.review.report(args)
        return _result(result, result.summary())


def _asset_line(result: m.AssetResult) -> str:
    verdict = "passed" if result.passed else "failed"
    return (
        f"{verdict}: saved {result.path} (attempt {result.attempt}/{result.attempts}, {result.provider}/"
        f"{result.model}, ${result.cost_usd:.4f} of ${result.budget_usd:.2f})"
    )


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def build_server(config: ServerConfig, *, checks: Sequence[Check] | None = None) -> BrandServer:
    """A :class:`BrandServer` for ``config`` (``checks``: replace the default checks, e.g. in tests)."""
    return BrandServer(config, checks=checks)
