"""Explicit ``discriminator.mapping`` for the contract's discriminated unions (``Tool``, ``InputItem``, …).

The OpenAI description declares discriminators by ``propertyName`` alone (``{"propertyName": "type"}``) over
``oneOf`` / ``anyOf`` lists of ``$ref`` s whose ``type`` property is an ``enum`` / ``const``. openapi-core's
validator then looks for a schema *named* after the value (``#/components/schemas/image_generation``), which
does not exist, and refuses every valid request with a tool or an input item. :func:`explicit_discriminators`
adds the mapping the description implies — each value to the first member that declares it — leaving any value
that already resolves (an explicit mapping, or a schema of that name) alone. Used by
:class:`~tests.support.openai_server.Contract` when it loads the description.
"""

from __future__ import annotations

from typing import Any

__all__ = ["explicit_discriminators"]

_PREFIX = "#/components/schemas/"


def _resolve(document: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 16:
        ref = str(node["$ref"])
        if not ref.startswith(_PREFIX):
            return {}
        node = document.get("components", {}).get("schemas", {}).get(ref[len(_PREFIX) :], {})
        seen += 1
    return node


def _values(document: dict[str, Any], schema: Any, prop: str, depth: int = 0) -> list[str]:
    """The discriminator values a (member) schema declares for ``prop``, in order."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict) or depth > 8:
        return []
    found: list[str] = []
    declared = _resolve(document, schema.get("properties", {}).get(prop))
    if isinstance(declared, dict):
        if isinstance(declared.get("const"), str):
            found.append(declared["const"])
        found.extend(value for value in declared.get("enum", []) or [] if isinstance(value, str))
    for key in ("allOf", "oneOf", "anyOf"):
        for member in schema.get(key, []) or []:
            found.extend(value for value in _values(document, member, prop, depth + 1) if value not in found)
    return found


def explicit_discriminators(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with an explicit ``mapping`` on every discriminator (changed in place and returned)."""
    schemas = document.get("components", {}).get("schemas", {})

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            members = node.get("oneOf") or node.get("anyOf")
            if isinstance(discriminator, dict) and isinstance(members, list) and discriminator.get("propertyName"):
                mapping = dict(discriminator.get("mapping") or {})
                for member in members:
                    ref = member.get("$ref") if isinstance(member, dict) else None
                    if not isinstance(ref, str):
                        continue
                    for value in _values(document, member, str(discriminator["propertyName"])):
                        if value not in mapping and value not in schemas:
                            mapping[value] = ref
                if mapping:
                    discriminator["mapping"] = mapping
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(document)
    return document
