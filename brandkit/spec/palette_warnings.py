"""What makes a palette's rules weak or unsatisfiable, said before any image is made (``brandkit spec check``,
``brandkit spec import``): a monochrome brand under a neutral limit, one brand colour among neutral ones, a palette
that covers too much of colour space."""

from __future__ import annotations

from brandkit.spec.palette import PALETTE_SPACE_WARN_SHARE, Palette, chromatic_colors, monochrome, palette_space

__all__ = ["one_colour_warning", "palette_warnings"]


def one_colour_warning(palette: Palette) -> str | None:
    """The warning for a palette with one brand colour among neutral ones (a UI theme: white, greys, one blue)
    under a neutral limit: a picture of a small subject on its neutral page is mostly neutral pixels — brandkit's
    offline renders of such imported palettes (shadcn/ui's, Bootstrap's) measured 91–93 %, the brand colour 7–9 %,
    until the local renderer put its imagery on a card of the colour; a model's picture can be the same."""
    chromatic = chromatic_colors(palette)
    if palette.measure != "regions" or palette.neutrals.max_share >= 1 or len(chromatic) != 1:
        return None
    if len(palette.colors) < 2:
        return None
    colour = chromatic[0]
    return (
        f"palette: one brand colour ({colour.name} {colour.hex}) among {len(palette.colors) - 1} neutral one(s): an "
        f"image of a small subject on the neutral page is mostly neutral pixels (91–93 % measured on such palettes), "
        f"near neutrals.max_share {palette.neutrals.max_share:g}; if on-brand images fail on it, raise "
        f"palette.neutrals.max_share and give {colour.name} a min_share so that it must stay present"
    )


def palette_warnings(palette: Palette) -> list[str]:
    """Warnings about a palette that make its rules weak or unsatisfiable (for ``brandkit spec check``)."""
    warnings = []
    one = one_colour_warning(palette)
    if one is not None:
        warnings.append(one)
    if palette.measure == "regions" and palette.neutrals.max_share < 1 and monochrome(palette):
        warnings.append(
            f"palette: every brand colour is neutral ({', '.join(f'{c.name} {c.hex}' for c in palette.colors)}), "
            f"yet neutrals.max_share is {palette.neutrals.max_share:g}: an image in the brand's own colours fails "
            "the palette check; set palette.neutrals.max_share: 1 for a monochrome brand"
        )
    share = palette_space(palette)
    if share > PALETTE_SPACE_WARN_SHARE:
        warnings.append(
            f"palette: the {len(palette.colors)} colour{'s' if len(palette.colors) != 1 else ''}"
            + (f", {len(palette.allowed)} allowed" if palette.allowed else "")
            + (" and the neutrals" if palette.allow_neutrals else "")
            + f" within ΔE {palette.tolerance:g} cover {share:.0%} of all sRGB colours (warning above "
            f"{PALETTE_SPACE_WARN_SHARE:.0%}): the coverage rule accepts almost anything; remove allowed colours and "
            "tints, lower palette.tolerance or set allow_neutrals: false"
        )
    return warnings
