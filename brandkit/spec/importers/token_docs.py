"""Token documents merged set over set — what the DTCG reader (token files, resolver sets, modes) and the reader of
Tokens Studio / Style Dictionary files (token sets, themes) both do."""

from __future__ import annotations

from typing import Any

__all__ = ["merge_tokens"]


def merge_tokens(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: groups merged key by key, a token (an object with ``$value``) replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "$value" not in value:
            out[key] = merge_tokens(out[key], value)
        else:
            out[key] = value
    return out
