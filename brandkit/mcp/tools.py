"""Publishing a brandkit tool through the official MCP SDK: the declaration of a tool (:class:`ToolSpec`) and the
SDK tool made from it (:func:`entry_point`) — the published schemas are the brandkit models' own, and every
argument the client sent reaches the tool's model, which names the unknown ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict

__all__ = ["Handler", "ToolSpec", "entry_point"]

Handler = Callable[[Any], Awaitable[CallToolResult]]
"""A tool's handler: its validated arguments model in, the tool's result out."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool as :meth:`~brandkit.mcp.server.BrandServer._tools` declares it: its name, title and description,
    its arguments and result models (the published input and output schemas) and whether it only reads."""

    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    result: type[BaseModel]
    read_only: bool


class _AllArguments(ArgModelBase):
    """The SDK-side argument model of every tool: it keeps every argument the client sent — unknown ones too, so
    the tool's own arguments model can name them ("did you mean") instead of the SDK dropping them unseen — and
    hands them to the tool as one mapping."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"given": dict(self.__pydantic_extra__ or {})}


def entry_point(spec: ToolSpec, call: Callable[[dict[str, Any]], Awaitable[CallToolResult]]) -> Tool:
    """The SDK tool of ``spec``: its published input schema is ``spec.arguments``' JSON Schema, every argument
    sent reaches ``call`` as is (``null`` counts as not given), and the result is validated against
    ``spec.result`` (the published output schema)."""

    async def entry(given: dict[str, Any]) -> CallToolResult:
        return await call({k: v for k, v in given.items() if v is not None})

    entry.__name__ = entry.__qualname__ = spec.name
    # evaluated annotations (this module's are strings): the SDK derives the output schema from the return one
    entry.__annotations__ = {"given": dict[str, Any], "return": Annotated[CallToolResult, spec.result]}
    tool = Tool.from_function(
        entry,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=ToolAnnotations(
            read_only_hint=spec.read_only, destructive_hint=False, open_world_hint=not spec.read_only
        ),
    )
    schema = spec.arguments.model_json_schema()
    metadata = tool.fn_metadata.model_copy(update={"arg_model": _AllArguments})
    return tool.model_copy(update={"parameters": schema, "fn_metadata": metadata})
