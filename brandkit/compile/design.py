"""What generate and edit compile the same way: the copy block (checked against the brand's fonts), the
background, the logo variant and the layout — and the fields of the :class:`CompiledPrompt` that follow from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from brandkit.color import rgb_to_hex
from brandkit.compile.sections import copy_block
from brandkit.compose import background_color, choose_logo_variant, fitting_logo_variant, layout_for
from brandkit.copy_fit import fit_copy
from brandkit.errors import RequestError
from brandkit.fonts import check_glyphs
from brandkit.layout import Layout
from brandkit.models import AssetRequest, CompiledPrompt, CopyBlock, EditRequest, ReferenceImage
from brandkit.spec.models import BrandSpec, Format, LogoVariant


@dataclass(frozen=True)
class Design:
    """The image's design as both compilers decide it."""

    copy: CopyBlock
    tone: Literal["light", "dark"]
    bg: tuple[int, int, int]
    variant: LogoVariant | None
    layout: Layout

    def compiled(
        self,
        spec: BrandSpec,
        feedback: Sequence[str],
        *,
        text: str,
        operation: Literal["generate", "edit"],
        params: dict[str, Any],
        references: list[ReferenceImage],
        format_name: str,
        fmt: Format,
        text_mode: Literal["render", "overlay"],
        logo_mode: Literal["reference", "overlay"],
    ) -> CompiledPrompt:
        """The compiled prompt: ``text``, parameters and references of the call, with this design."""
        return CompiledPrompt(
            text=text,
            operation=operation,
            params=params,
            references=references,
            copy_block=self.copy,
            format_name=format_name,
            width=fmt.width,
            height=fmt.height,
            text_mode=text_mode,
            logo_mode=logo_mode,
            logo_variant=self.variant.variant if self.variant else None,
            background_tone=self.tone,
            background_hex=rgb_to_hex(self.bg),
            layout=self.layout,
            exclusions=list(spec.forbidden.imagery),
            feedback=list(feedback),
            spec_name=spec.name,
            spec_fingerprint=spec.fingerprint,
            spec_mode=spec.mode,
        )


def design(spec: BrandSpec, request: AssetRequest | EditRequest, fmt: Format, tone: Literal["light", "dark"]) -> Design:
    """The copy block (``RequestError`` for a headline over the brand's word limit or copy its fonts cannot set),
    the background of ``tone``, the logo variant meant for it and the layout of ``fmt`` (``CopyFitError`` when
    the copy cannot be set in it)."""
    copy = copy_block(spec, request.headline, request.subhead, request.cta, request.disclaimers, request.locale)
    check_glyphs(spec, copy)
    bg = background_color(spec, tone)
    variant = choose_logo_variant(spec, bg, request.logo_variant) if spec.logos else None
    layout = layout_for(spec, fmt.width, fmt.height, copy, variant)
    fit_copy(spec, layout, copy)  # CopyFitError now, not after a paid render
    return Design(copy, tone, bg, variant, layout)


def canvas_tone(spec: BrandSpec, request: AssetRequest) -> Literal["light", "dark"]:
    """The tone of a new image's background: the one ``request.background`` asks; for ``auto``, the tone of the
    palette's canvas (:meth:`~brandkit.spec.models.Palette.canvas_tone`: light, or dark in a dark palette mode) —
    unless no logo variant is meant for that tone and one is for the other (a brand whose only logo is its white,
    reversed mark: on the light page it was invisible and the logo check failed every attempt). A tone asked for
    that no variant is meant for, when the other tone has one and no variant is named, is a
    :class:`~brandkit.RequestError` naming ``background``: the brand's logo is never put on a ground it is not
    made for without a word."""
    own = spec.palette.canvas_tone()
    if not spec.logos or request.logo_variant:
        return own if request.background == "auto" else ("dark" if request.background == "dark" else "light")
    fits = {tone: fitting_logo_variant(spec, background_color(spec, tone)) is not None for tone in ("light", "dark")}
    if request.background == "auto":
        flipped: Literal["light", "dark"] = "light" if own == "dark" else "dark"
        return flipped if fits[flipped] and not fits[own] else own
    asked: Literal["light", "dark"] = "dark" if request.background == "dark" else "light"
    other = "light" if asked == "dark" else "dark"
    if not fits[asked] and fits[other]:
        made_for = "; ".join(f"{logo.variant}: {', '.join(logo.backgrounds)}" for logo in spec.logos)
        raise RequestError(
            f"background: {asked!r} — no logo variant of {spec.name!r} is meant for a {asked} background "
            f"({made_for}); ask {other!r} or 'auto', name a variant (logo_variant), or add a logo for {asked} "
            "backgrounds to the spec",
            field="background",
            value=asked,
        )
    return asked


__all__ = ["Design", "canvas_tone", "design"]
