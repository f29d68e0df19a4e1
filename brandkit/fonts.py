"""A brand's fonts per role, with their fallbacks, and the pre-flight glyph check of the copy.

:func:`font_chain` is what the typesetter (:mod:`brandkit.compose`) draws with; :func:`check_glyphs` is what the
compiler runs before anything is sent or drawn, so copy the brand's fonts cannot set is a
:class:`~brandkit.errors.RequestError` naming the characters, the field and the fonts — not failed paid attempts.
The coverage rules are in :mod:`brandkit.glyphs`.
"""

from __future__ import annotations

from brandkit.errors import RequestError
from brandkit.glyphs import FontChain, glyph_problems
from brandkit.models import CopyBlock
from brandkit.spec.models import BrandSpec, FontRole

__all__ = ["check_glyphs", "font_chain"]


def font_chain(spec: BrandSpec, role: FontRole) -> FontChain:
    """The font of ``role`` (headline, body, cta) and the spec's fallback fonts for it, as a :class:`FontChain`."""
    typo = spec.typography
    font = typo.font_for(role)
    return FontChain.of(
        spec.asset_path(font.file),
        [(spec.asset_path(fb.file), fb.scripts) for fb in typo.fallbacks_for(role)],
        weight=font.weight,
    )


def check_glyphs(spec: BrandSpec, copy: CopyBlock) -> None:
    """Raise :class:`RequestError` when a font of the brand (with its fallbacks) cannot draw every character of
    the copy: headline (headline font), subhead and disclaimers (body font), CTA (CTA font).

    Checked after NFC; whitespace needs only U+0020 and default-ignorable characters (ZWJ, variation selectors)
    no glyph at all (see :mod:`brandkit.glyphs`). The message names each character with its code point and
    script, the field and the font files tried.
    """
    typo = spec.typography
    roles: dict[str, FontRole] = {"headline": "headline", "subhead": "body", "cta": "cta"}
    fields: list[tuple[str, str, FontChain]] = []
    chains: dict[FontRole, FontChain] = {}
    required = list(spec.required.disclaimers)
    extra = [d for d in copy.disclaimers if d not in required]
    named = [
        (f"required.disclaimers[{required.index(d)}]" if d in required else f"disclaimers[{extra.index(d)}]", d)
        for d in copy.disclaimers
    ]
    for name, text in [("headline", copy.headline), ("subhead", copy.subhead), ("cta", copy.cta), *named]:
        if not text:
            continue
        role = roles.get(name, "body")
        if role not in chains:
            chains[role] = font_chain(spec, role)
        fields.append((name, text, chains[role]))
    problems = glyph_problems(fields)
    if not problems:
        return
    parts = []
    for problem in problems:
        role = roles.get(problem.field, "body")
        files = [typo.font_for(role).file] + [fb.file for fb in typo.fallbacks_for(role)]
        scripts = ", ".join(problem.scripts)
        fix = f"a font for script {scripts}" if scripts else "a font that has them (scripts: [Zyyy] for symbols)"
        parts.append(
            f"{problem.field} {problem.text!r}: no glyph for {problem.describe()} in "
            + (" or ".join(repr(f) for f in files))
            + f" (add {fix} to typography.fallbacks, or change the copy)"
        )
    first = problems[0]
    raise RequestError(
        f"brand {spec.name!r} cannot set this copy in its fonts: " + "; ".join(parts),
        field=first.field,
        value=first.text,  # the copy as given (the message names each missing glyph)
    )
