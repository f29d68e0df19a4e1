"""The prompt's building blocks: the fenced brief, the copy block, palette lines, names and notes on one line."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from brandkit.color import rgb_to_hex
from brandkit.errors import RequestError
from brandkit.layout import apply_case
from brandkit.models import AssetRequest, CopyBlock, EditRequest
from brandkit.screening import one_line, screen_request
from brandkit.spec.models import BrandSpec

MAX_PROMPT_CHARS = 32_000
FENCE_OPEN, FENCE_CLOSE = "<<<BRIEF", "BRIEF>>>"
_FENCE_TOKENS = re.compile(r"<(?:\s*<){2,}|>(?:\s*>){2,}|\bBRIEF\s*>>>|<<<\s*BRIEF\b", re.IGNORECASE)
_BRIEF_BREAKS = re.compile("\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def fence(brief: str) -> str:
    """The brief with anything that could close or reopen the fence removed.

    Every line or paragraph separator (``\\r\\n``, ``\\r``, ``\\v``, ``\\f``, U+001C–U+001E, U+0085, U+2028,
    U+2029) becomes ``\\n`` and other control characters but tabs become spaces, so the brief's lines are the
    lines the fence shows. The text is NFKC-normalized first (fullwidth and small-form brackets become
    ``<``/``>``), invisible format characters are dropped, and combining marks riding on a bracket are
    removed, so no look-alike of a fence marker survives the stripping.
    """
    text = unicodedata.normalize("NFKC", _BRIEF_BREAKS.sub("\n", brief))
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category == "Cc" and ch not in "\n\t":
            kept.append(" ")
            continue
        if category in ("Mn", "Me") and kept and kept[-1] in "<>":
            continue
        kept.append(ch)
    text = "".join(kept)
    previous = None
    while previous != text:  # removing one marker must not join two halves into a new one
        previous = text
        text = _FENCE_TOKENS.sub(" ", text)
    return text.strip()


def copy_block(
    spec: BrandSpec,
    headline: str | None,
    subhead: str | None,
    cta: str | None,
    extra_disclaimers: Sequence[str],
    locale: str | None = None,
) -> CopyBlock:
    typo = spec.typography
    if headline:
        words = len(headline.split())
        if words > typo.max_headline_words:
            raise RequestError(
                f"headline has {words} words; brand {spec.name!r} allows at most {typo.max_headline_words}",
                field="headline",
                value=headline,
            )
    disclaimers = list(dict.fromkeys([*spec.required.disclaimers_for(locale), *extra_disclaimers]))
    return CopyBlock(
        headline=apply_case(headline, typo.headline_case) if headline else None,
        subhead=subhead,
        cta=cta,
        disclaimers=disclaimers,
    )


def palette_lines(spec: BrandSpec) -> list[str]:
    lines = [f"- {c.name} {c.hex} ({c.role.value})" for c in spec.palette.colors]
    if spec.palette.allow_neutrals:
        lines.append("- neutral black, white and greys")
    return lines


def bg_name(spec: BrandSpec, bg: tuple[int, int, int]) -> str:
    hex_value = rgb_to_hex(bg)
    color = spec.palette.find(hex_value)
    return f"{color.name} {hex_value}" if color else hex_value


def checked_request(spec: BrandSpec, request: AssetRequest | EditRequest) -> BrandSpec:
    """What ``compile_prompt`` and ``compile_edit`` do first, in this order: screen every string of ``request``
    (forbidden content raises naming the field, ``palette_mode`` included), refuse line breaks in the values written
    outside the fence, and give ``spec`` in the request's palette mode (an unknown mode raises naming
    ``palette_mode``)."""
    screen_request(spec, request)
    one_line_fields(request)
    return spec.for_mode(request.palette_mode, field="palette_mode")


def one_line_fields(request: AssetRequest | EditRequest) -> None:
    """Refuse line breaks and control characters in every value written into the prompt outside the fence."""
    values: dict[str, str | None] = {"headline": request.headline, "subhead": request.subhead, "cta": request.cta}
    values.update({f"disclaimers[{i}]": line for i, line in enumerate(request.disclaimers)})
    if isinstance(request, AssetRequest):
        values["purpose"] = request.purpose
        values.update({f"references[{i}].description": ref.description for i, ref in enumerate(request.references)})
    else:
        values.update({f"keep[{i}]": line for i, line in enumerate(request.keep)})
    for name, value in values.items():
        if value is not None:
            one_line(name, value)


def recolour_instruction(mode: str | None, listed: str) -> str:
    """The words that ask for a re-theme (an image turned into palette mode ``mode``'s colours, ``None`` for the
    spec's default ones, which are ``listed`` — "under BRAND COLOURS", "in the instructions"): the edit prompt's
    and a conversation turn's."""
    colours = "default colours" if mode is None else f"palette mode {mode} colours"
    return (
        f"Re-colour the image into the brand's {colours} listed {listed}: every brand-coloured area (background, "
        "panels, shapes, the text's colour) takes the listed colour of its role; the photograph, subject and layout "
        "stay."
    )


def flat(note: str) -> str:
    """A repair note on one line (notes may quote what OCR read)."""
    return " ".join(note.split())


__all__ = [
    "FENCE_CLOSE",
    "FENCE_OPEN",
    "MAX_PROMPT_CHARS",
    "bg_name",
    "checked_request",
    "copy_block",
    "fence",
    "flat",
    "one_line_fields",
    "palette_lines",
    "recolour_instruction",
]
