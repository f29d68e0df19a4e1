"""How the copy is set in a layout — measured, nothing drawn: the one fitting :func:`brandkit.compose.draw_copy`
draws and the compile step checks (so copy that cannot be set is a :class:`~brandkit.errors.CopyFitError` before
anything is rendered or paid).

Headline, subhead and CTA share the layout's copy box (the headline shrinks until they fit together); each
disclaimer takes one line of the disclaimer box. A foundation module: fonts, layout geometry and the spec only.
"""

from __future__ import annotations

from dataclasses import dataclass

from brandkit.errors import CopyFitError
from brandkit.fonts import font_chain
from brandkit.layout import Box, FittedText, Layout, disclaimer_font_size, fit_text
from brandkit.memo import active_store
from brandkit.models import CopyBlock
from brandkit.spec.models import BrandSpec

__all__ = ["FittedCopy", "fit_copy"]


@dataclass(frozen=True)
class FittedCopy:
    """The copy set for a layout: each element at the size it is drawn in (nothing drawn yet)."""

    headline: FittedText | None
    subhead: FittedText | None
    cta: FittedText | None
    cta_size: int
    disclaimers: tuple[FittedText, ...]
    gap: int
    """Vertical gap between the copy box's elements, px."""


def fit_copy(spec: BrandSpec, layout: Layout, copy: CopyBlock) -> FittedCopy:
    """Fit headline, subhead and CTA together into the copy box (shrinking the headline until all fit) and each
    disclaimer on one line of the disclaimer box — what :func:`draw_copy` draws, measured only.

    Raises :class:`~brandkit.errors.CopyFitError` naming the element, its text and the area it must fit: the
    compile step calls it, so a request whose copy cannot be set is refused before anything is rendered or paid.
    Memoized in the active store (keyed by the spec's fingerprint, its typography and folder, the layout and the
    copy): the compile step and compose fit the same copy once per kit call.
    """
    store = active_store()
    if store is None:
        return _fit_copy(spec, layout, copy)
    # the fingerprint names the loaded spec; its typography and folder are in the key too, for a copy of the spec
    # changed in memory (model_copy keeps the fingerprint)
    typography = (spec.typography.model_dump_json(), str(spec.root))
    key = (spec.fingerprint, typography, layout, copy.headline, copy.subhead, copy.cta, tuple(copy.disclaimers))
    return store.lookup("copy_fit.fit_copy", 64, key, lambda: _fit_copy(spec, layout, copy))


def _fit_copy(spec: BrandSpec, layout: Layout, copy: CopyBlock) -> FittedCopy:
    """The work of :func:`fit_copy`."""
    short = min(layout.width, layout.height)
    gap = round(0.025 * short)
    headline, subhead, cta_size = _fit_stack(spec, layout, copy, gap)
    typo = spec.typography
    cta = None
    if copy.cta:
        pad_x = round(cta_size * 0.9)
        cta = fit_text(
            copy.cta,
            spec.asset_path(typo.font_for("cta").file),
            layout.copy_box.width - 2 * pad_x,
            cta_size * 2,
            max_lines=1,
            max_size=cta_size,
            min_size=12,
            chain=font_chain(spec, "cta"),
        )
        if cta is None:
            raise _no_fit("cta", copy.cta, f"one line of {layout.copy_box.width - 2 * pad_x} px", layout)
    disclaimers: list[FittedText] = []
    if copy.disclaimers and layout.disclaimer_box is not None:
        dbox = layout.disclaimer_box
        size = disclaimer_font_size(layout.width, layout.height)
        line_h = round(size * 1.35)
        for i, line in enumerate(copy.disclaimers):
            fitted = fit_text(
                line,
                spec.asset_path(typo.font_for("body").file),
                dbox.width,
                line_h + 2,
                max_lines=1,
                max_size=size,
                min_size=12,
                chain=font_chain(spec, "body"),
            )
            if fitted is None:
                raise _no_fit(f"disclaimers[{i}]", line, f"one line of {dbox.width} px", layout)
            disclaimers.append(fitted)
    return FittedCopy(headline, subhead, cta, cta_size, tuple(disclaimers), gap)


def _no_fit(field_name: str, text: str, area: str, layout: Layout) -> CopyFitError:
    return CopyFitError(
        f"{field_name} {text!r} does not fit {area} in the {layout.width}x{layout.height} layout, even at the "
        f"smallest legible size: {_remedies(layout, ['shorten it', 'choose a larger format'])}",
        field=field_name,
        value=text,
    )


def _remedies(layout: Layout, ways: list[str]) -> str:
    """``ways`` as one phrase, plus the logo's share of the copy column when it takes room from it."""
    if layout.logo_clear_box is not None and layout.logo_clear_box.intersects(
        Box(x0=layout.copy_box.x0, y0=0, x1=layout.copy_box.x1, y1=layout.height)
    ):
        ways = [*ways, "make the logo smaller (its min_width_px or clear_space in the spec)"]
    return ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1]


def _fit_stack(
    spec: BrandSpec, layout: Layout, copy: CopyBlock, gap: int
) -> tuple[FittedText | None, FittedText | None, int]:
    """Fit headline, subhead and CTA together into the copy box, shrinking the headline until all fit."""
    typo = spec.typography
    box = layout.copy_box
    short = min(layout.width, layout.height)
    cta_size = max(18, round(0.038 * short))
    cta_h = round(cta_size * 1.25 * 1.12) + 2 * round(cta_size * 0.55) if copy.cta else 0
    headline_max = round(0.12 * short)
    body_font = spec.asset_path(typo.font_for("body").file)
    headline_chain, body_chain = font_chain(spec, "headline"), font_chain(spec, "body")
    area = f"the {box.width}x{box.height} px copy area"
    for _ in range(12):
        headline = None
        if copy.headline:
            headline = fit_text(
                copy.headline,
                spec.asset_path(typo.headline.file),
                box.width,
                box.height,
                max_lines=typo.max_headline_lines,
                max_size=headline_max,
                min_size=18,
                chain=headline_chain,
            )
            if headline is None:
                raise _no_fit("headline", copy.headline, f"{area} in ≤ {typo.max_headline_lines} lines", layout)
        subhead = None
        if copy.subhead:
            sub_max = max(18, round((headline.size if headline else 0.1 * short) * 0.45))
            subhead = fit_text(
                copy.subhead,
                body_font,
                box.width,
                box.height,
                max_lines=3,
                max_size=sub_max,
                min_size=16,
                chain=body_chain,
            )
            if subhead is None:
                raise _no_fit("subhead", copy.subhead, f"{area} in ≤ 3 lines", layout)
        parts = [p.height for p in (headline, subhead) if p is not None] + ([cta_h] if cta_h else [])
        total = sum(parts) + gap * (len(parts) - 1)
        if total <= box.height or headline is None or headline.size <= 18:
            if total > box.height:
                raise _stack_too_tall(copy, total, box.height, layout)
            return headline, subhead, cta_size
        headline_max = max(18, int(headline.size * 0.88))
    raise _stack_too_tall(copy, total, box.height, layout)


def _stack_too_tall(copy: CopyBlock, total: int, height: int, layout: Layout) -> CopyFitError:
    parts = [name for name in ("headline", "subhead", "cta") if getattr(copy, name)]
    ways = ["shorten it", *(["drop the subhead"] if copy.subhead else []), "choose a taller format"]
    return CopyFitError(
        f"the copy ({', '.join(parts)}) needs {total} px but the copy area of the {layout.width}x{layout.height} "
        f"layout is {height} px high, even with the headline at its smallest: {_remedies(layout, ways)}",
        field="copy",
        value={name: getattr(copy, name) for name in parts},
    )
