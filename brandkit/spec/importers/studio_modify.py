"""Tokens Studio's colour modifiers, computed as Tokens Studio computes them: a token whose
``$extensions["studio.tokens"].modify`` lightens, darkens, mixes or sets the alpha of the colour it starts from.

A hover or pressed state is often written this way (``{"value": "{brand.blue}", "$extensions": {"studio.tokens":
{"modify": {"type": "darken", "value": "0.2", "space": "lch"}}}}``): its colour is the one the design tool shows,
not the colour it starts from. The arithmetic follows Tokens Studio's own transform (``@tokens-studio/sd-transforms``,
``color-modifiers/``, on colorjs.io), space by space:

* **lighten** by *a*: ``hsl`` L + (100 − L)·a; ``lch`` (CIE LCh, D50) L + (100 − L)·a and C·(1 − a); ``srgb`` and
  ``p3`` each channel c + (1 − c)·a;
* **darken** by *a*: ``hsl`` L − L·a; ``lch`` L − L·a and C·(1 − a); ``srgb``/``p3`` each channel c − c·a;
* **mix** with ``color`` by *a* (0–1): interpolation in the space (gamma-encoded channels for ``srgb``/``p3``;
  the shorter way round the hue for ``hsl``/``lch``, a grey's undefined hue taking the other colour's; alpha
  premultiplied);
* **alpha**: the alpha set to *a* (0–1).

The result is brought into sRGB with the CSS Color 4 gamut mapping (:mod:`.colorspace`), as colorjs.io's
``inGamut`` does. The amount may be arithmetic (``"0.5 + 6 * 0.04"``, as Tokens Studio resolves math in values);
a modifier without a space (or of another type) leaves the colour as it is, as Tokens Studio does.
"""

from __future__ import annotations

import ast
import colorsys
import math
import operator
from collections.abc import Callable
from typing import Any

from brandkit.spec.importers.colorspace import (
    D50_WHITE,
    LAB_EPSILON,
    LAB_KAPPA,
    ColorParseError,
    ParsedColor,
    Vec,
    from_components,
    hsl_to_srgb,
    lab_to_linear_srgb,
    lch_to_lab,
    linear_to_srgb,
    mat_vec,
    p3_to_linear_srgb,
    srgb_to_linear,
)

__all__ = ["MODIFIER_SPACES", "MODIFIER_TYPES", "amount_of", "modify_colour", "studio_modifier"]

MODIFIER_TYPES = ("lighten", "darken", "mix", "alpha")
MODIFIER_SPACES = ("hsl", "lch", "srgb", "p3")

# CSS Color 4 (§10): linear sRGB → XYZ D65, XYZ D65 → D50 (Bradford), XYZ → linear display-p3
_SRGB_TO_XYZ: tuple[Vec, Vec, Vec] = (
    (506752 / 1228815, 87881 / 245763, 12673 / 70218),
    (87098 / 409605, 175762 / 245763, 12673 / 175545),
    (7918 / 409605, 87881 / 737289, 1001167 / 1053270),
)
_D65_TO_D50: tuple[Vec, Vec, Vec] = (
    (1.0479297925449969, 0.022946870601609652, -0.05019226628920524),
    (0.02962780877005599, 0.9904344267538799, -0.017073799063418826),
    (-0.009243040646204504, 0.015055191490298152, 0.7518742814281371),
)
_XYZ_TO_P3: tuple[Vec, Vec, Vec] = (
    (446124 / 178915, -333277 / 357830, -72051 / 178915),
    (-14852 / 17905, 63121 / 35810, 423 / 17905),
    (11844 / 330415, -50337 / 660830, 316169 / 330415),
)
_ACHROMATIC_CHROMA = 0.02
"""Below this CIE chroma an LCh hue is undefined (a grey): a mix takes the other colour's."""


def _xyz(rgb: Vec) -> Vec:
    """Gamma-encoded sRGB → XYZ D65."""
    return mat_vec(_SRGB_TO_XYZ, (srgb_to_linear(rgb[0]), srgb_to_linear(rgb[1]), srgb_to_linear(rgb[2])))


def _encoded(linear: Vec) -> Vec:
    """Linear light → gamma-encoded (sRGB's transfer function, which display-p3 shares)."""
    return linear_to_srgb(linear[0]), linear_to_srgb(linear[1]), linear_to_srgb(linear[2])


def _srgb_to_lch(rgb: Vec) -> Vec:
    xyz = mat_vec(_D65_TO_D50, _xyz(rgb))
    f = [v / w for v, w in zip(xyz, D50_WHITE, strict=True)]
    f = [math.cbrt(v) if v > LAB_EPSILON else (LAB_KAPPA * v + 16) / 116 for v in f]
    lightness, a, b = 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360 if chroma >= _ACHROMATIC_CHROMA else math.nan
    return lightness, chroma, hue


def _lch_to_srgb(lch: Vec) -> Vec:
    hue = 0.0 if math.isnan(lch[2]) else lch[2]
    return _encoded(lab_to_linear_srgb(lch_to_lab((lch[0], lch[1], hue))))


def _srgb_to_p3(rgb: Vec) -> Vec:
    return _encoded(mat_vec(_XYZ_TO_P3, _xyz(rgb)))


def _p3_to_srgb(p3: Vec) -> Vec:
    return _encoded(p3_to_linear_srgb(p3))


def _srgb_to_hsl(rgb: Vec) -> Vec:
    """colorjs.io's HSL: hue in degrees (NaN for a grey), saturation and lightness 0–100."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgb)
    return (math.nan if max(rgb) == min(rgb) else hue * 360), saturation * 100, lightness * 100


def _hsl_to_srgb(hsl: Vec) -> Vec:
    return hsl_to_srgb(0.0 if math.isnan(hsl[0]) else hsl[0], hsl[1] / 100, hsl[2] / 100)


_TO: dict[str, Callable[[Vec], Vec]] = {"hsl": _srgb_to_hsl, "lch": _srgb_to_lch, "p3": _srgb_to_p3}
_FROM: dict[str, Callable[[Vec], Vec]] = {"hsl": _hsl_to_srgb, "lch": _lch_to_srgb, "p3": _p3_to_srgb}
_HUE = {"hsl": 0, "lch": 2}
"""Which coordinate of a polar space is its hue."""


def _in(space: str, rgb: Vec) -> Vec:
    return _TO[space](rgb) if space in _TO else rgb


def _out(space: str, coords: Vec) -> Vec:
    return _FROM[space](coords) if space in _FROM else coords


def _lighten(space: str, c: Vec, amount: float) -> Vec:
    if space == "hsl":
        return c[0], c[1], min(100.0, c[2] + (100 - c[2]) * amount)
    if space == "lch":
        return min(100.0, c[0] + (100 - c[0]) * amount), max(0.0, c[1] - amount * c[1]), c[2]
    return (
        min(1.0, c[0] + amount * (1 - c[0])),
        min(1.0, c[1] + amount * (1 - c[1])),
        min(1.0, c[2] + amount * (1 - c[2])),
    )


def _darken(space: str, c: Vec, amount: float) -> Vec:
    if space == "hsl":
        return c[0], c[1], max(0.0, c[2] - c[2] * amount)
    if space == "lch":
        return max(0.0, c[0] - c[0] * amount), max(0.0, c[1] - amount * c[1]), c[2]
    return max(0.0, c[0] - amount * c[0]), max(0.0, c[1] - amount * c[1]), max(0.0, c[2] - amount * c[2])


def _mix(space: str, a: Vec, alpha_a: float, b: Vec, alpha_b: float, p: float) -> tuple[Vec, float]:
    """colorjs.io's ``mix`` (interpolation in ``space``; alpha premultiplied; the shorter hue, a missing hue
    taking the other's)."""
    hue_at = _HUE.get(space)
    out: list[float] = []
    alpha = alpha_a + (alpha_b - alpha_a) * p
    for i in range(3):
        x, y = a[i], b[i]
        if i == hue_at:
            if math.isnan(x) and math.isnan(y):
                out.append(math.nan)
                continue
            x, y = (y if math.isnan(x) else x), (x if math.isnan(y) else y)
            if y - x > 180:
                x += 360
            elif y - x < -180:
                y += 360
            out.append((x + (y - x) * p) % 360)
            continue
        x, y = x * alpha_a, y * alpha_b  # premultiplied
        value = x + (y - x) * p
        out.append(value / alpha if alpha else value)
    return (out[0], out[1], out[2]), alpha


def modify_colour(
    base: ParsedColor, kind: str, space: str, amount: float, other: ParsedColor | None = None
) -> ParsedColor:
    """``base`` with Tokens Studio's modifier ``kind`` (:data:`MODIFIER_TYPES`) applied by ``amount`` in ``space``
    (:data:`MODIFIER_SPACES`), ``other`` the colour a ``mix`` goes towards; the note says how it was computed.
    Raises :class:`ColorParseError` for a mix without its colour."""
    rgb = tuple(int(base.hex[i : i + 2], 16) / 255 for i in (1, 3, 5))
    coords = _in(space, (rgb[0], rgb[1], rgb[2]))
    alpha = base.alpha
    if kind == "lighten":
        coords = _lighten(space, coords, amount)
    elif kind == "darken":
        coords = _darken(space, coords, amount)
    elif kind == "mix":
        if other is None:
            raise ColorParseError("a mix names the colour it mixes with (modify.color)")
        theirs = tuple(int(other.hex[i : i + 2], 16) / 255 for i in (1, 3, 5))
        target = _in(space, (theirs[0], theirs[1], theirs[2]))
        coords, alpha = _mix(space, coords, base.alpha, target, other.alpha, max(0.0, min(1.0, amount)))
    else:  # alpha
        alpha = max(0.0, min(1.0, amount))
    out = _out(space, coords)
    mapped = from_components("srgb", list(out), round(alpha, 4), "modified")  # exact, or gamut-mapped
    shown = f"{kind} {amount:g}" + (f" with {other.hex}" if kind == "mix" and other is not None else "")
    how = "gamut-mapped into sRGB" if "outside sRGB" in mapped.note else "in sRGB"
    return ParsedColor(
        mapped.hex, mapped.alpha, f"Tokens Studio's {shown} in {space} of {base.hex}: {mapped.hex} ({how})"
    )


def studio_modifier(node: dict[str, Any]) -> dict[str, Any] | None:
    """A token's Tokens Studio colour modifier (``$extensions["studio.tokens"].modify``), when it has one."""
    extensions = node.get("$extensions")
    studio = extensions.get("studio.tokens") if isinstance(extensions, dict) else None
    modify = studio.get("modify") if isinstance(studio, dict) else None
    return modify if isinstance(modify, dict) else None


_OPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def amount_of(text: object) -> float:
    """A modifier's amount: a number, or arithmetic of numbers (``+ - * /``, parentheses) as Tokens Studio
    resolves math in values. Raises :class:`ColorParseError` naming it otherwise."""
    if isinstance(text, bool):
        raise ColorParseError(f"modifier amount {text!r} is not a number")
    if isinstance(text, int | float):
        return float(text)

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(node)

    try:
        result = value(ast.parse(str(text).strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, MemoryError):
        raise ColorParseError(f"modifier amount {text!r} is not a number or arithmetic of numbers") from None
    if not math.isfinite(result):
        raise ColorParseError(f"modifier amount {text!r} is not a finite number")
    return result
