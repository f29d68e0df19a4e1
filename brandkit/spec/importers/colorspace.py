"""Colours of imported brand files → sRGB ``#RRGGBB`` plus alpha, with a note on every approximation.

Accepts CSS colour strings (``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, the 148 CSS named colours such as
``white`` or ``rebeccapurple`` (Pillow's table of them), ``rgb()``/``rgba()``, ``hsl()``,
``oklch()``, ``oklab()``, ``color(display-p3 …)``, ``color(srgb …)``, ``color(srgb-linear …)``) and DTCG colour
objects (``{colorSpace, components, alpha, hex}``; spaces srgb, srgb-linear, hsl, display-p3, oklab, oklch).

Colours outside sRGB are gamut-mapped with the CSS Color 4 algorithm (css-color-4 §13.2): binary search on
OKLCh chroma at constant lightness and hue until the clipped colour is within a ΔEOK "just noticeable
difference" of 0.02 of the chroma-reduced one. Every gamut mapping and every rounding that moves a colour by
more than one 8-bit step is reported by the caller from :attr:`ParsedColor.note`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import ImageColor

from brandkit.errors import SpecError

JND = 0.02
_EPSILON = 0.0001

Vec = tuple[float, float, float]


class ColorParseError(SpecError):
    """A colour value that is not a colour brandkit can read; the message names the value."""


@dataclass(frozen=True)
class ParsedColor:
    """An sRGB colour (``#RRGGBB``, upper case), its alpha (0–1) and how it was approximated (empty: exact)."""

    hex: str
    alpha: float = 1.0
    note: str = ""


def mat_vec(m: tuple[Vec, Vec, Vec], v: Vec) -> Vec:
    """The 3×3 matrix ``m`` times the vector ``v``."""
    return (
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    )


_P3_TO_XYZ = (
    (0.4865709486482162, 0.26566769316909306, 0.1982172852343625),
    (0.2289745640697488, 0.6917385218365064, 0.079286914093745),
    (0.0, 0.04511338185890264, 1.043944368900976),
)
_XYZ_TO_SRGB = (
    (3.2409699419045226, -1.537383177570094, -0.4986107602930034),
    (-0.9692436362808796, 1.8759675015077202, 0.04155505740717559),
    (0.05563007969699366, -0.20397695888897652, 1.0569715142428786),
)
_SRGB_TO_LMS = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
_LMS_TO_OKLAB = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)
_OKLAB_TO_LMS = (
    (1.0, 0.3963377774, 0.2158037573),
    (1.0, -0.1055613458, -0.0638541728),
    (1.0, -0.0894841775, -1.2914855480),
)
_LMS_TO_SRGB = (
    (4.0767416621, -3.3077115913, 0.2309699292),
    (-1.2684380046, 2.6097574011, -0.3413193965),
    (-0.0041960863, -0.7034186147, 1.7076147010),
)


def srgb_to_linear(c: float) -> float:
    """The sRGB transfer function undone (gamma-encoded → linear light), extended to negative values."""
    sign = -1.0 if c < 0 else 1.0
    a = abs(c)
    return sign * (a / 12.92 if a <= 0.04045 else ((a + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: float) -> float:
    """The sRGB transfer function (linear light → gamma-encoded), extended to negative values."""
    sign = -1.0 if c < 0 else 1.0
    a = abs(c)
    return sign * (12.92 * a if a <= 0.0031308 else 1.055 * a ** (1 / 2.4) - 0.055)


def oklab_to_linear_srgb(lab: Vec) -> Vec:
    """OKLab → linear-light sRGB (may be out of gamut)."""
    lms = mat_vec(_OKLAB_TO_LMS, lab)
    return mat_vec(_LMS_TO_SRGB, (lms[0] ** 3, lms[1] ** 3, lms[2] ** 3))


def linear_srgb_to_oklab(rgb: Vec) -> Vec:
    """Linear-light sRGB → OKLab."""
    lms = mat_vec(_SRGB_TO_LMS, rgb)
    return mat_vec(_LMS_TO_OKLAB, (math.cbrt(lms[0]), math.cbrt(lms[1]), math.cbrt(lms[2])))


def oklch_to_oklab(lch: Vec) -> Vec:
    """OKLCh → OKLab (hue in degrees)."""
    h = math.radians(lch[2])
    return (lch[0], lch[1] * math.cos(h), lch[1] * math.sin(h))


def oklab_to_oklch(lab: Vec) -> Vec:
    """OKLab → OKLCh (hue in degrees)."""
    return (lab[0], math.hypot(lab[1], lab[2]), math.degrees(math.atan2(lab[2], lab[1])) % 360)


lch_to_lab = oklch_to_oklab
"""CIE LCh → CIE Lab (hue in degrees): the same polar form as OKLCh → OKLab."""


def p3_to_linear_srgb(rgb: Vec) -> Vec:
    """display-p3 (gamma-encoded, 0–1) → linear-light sRGB (may be out of gamut)."""
    linear = (srgb_to_linear(rgb[0]), srgb_to_linear(rgb[1]), srgb_to_linear(rgb[2]))
    return mat_vec(_XYZ_TO_SRGB, mat_vec(_P3_TO_XYZ, linear))


# CSS Color 4 (§10, "Sample code for colour conversions"): D50 → D65 (Bradford), the D50 white, and the RGB
# spaces' matrices to XYZ (exact fractions where the specification gives them)
_D50_TO_D65 = (
    (0.955473421488075, -0.02309845494876471, 0.06325924320057072),
    (-0.0283697093338637, 1.0099953980813041, 0.021041441191917323),
    (0.012314014864481998, -0.020507649298898964, 1.330365926242124),
)
D50_WHITE = (0.3457 / 0.3585, 1.0, (1.0 - 0.3457 - 0.3585) / 0.3585)
_A98_TO_XYZ = (
    (573536 / 994567, 263643 / 1420810, 187206 / 994567),
    (591459 / 1989134, 6239551 / 9945670, 374412 / 4972835),
    (53769 / 1989134, 351524 / 4972835, 4929758 / 4972835),
)
_REC2020_TO_XYZ = (
    (63426534 / 99577255, 20160776 / 139408157, 47086771 / 278816314),
    (26158966 / 99577255, 472592308 / 697040785, 8267143 / 139408157),
    (0.0, 19567812 / 697040785, 295819943 / 278816314),
)
_PROPHOTO_TO_XYZ_D50 = (
    (0.7977666449006423, 0.13518129740053308, 0.0313477341283922),
    (0.2880748288194013, 0.711835234241873, 0.00008993693872564),
    (0.0, 0.0, 0.8251046025104602),
)
LAB_KAPPA, LAB_EPSILON = 24389 / 27, 216 / 24389


def _signed_power(c: float, exponent: float) -> float:
    return math.copysign(abs(c) ** exponent, c)


def lab_to_linear_srgb(lab: Vec) -> Vec:
    """CIE Lab (D50, as CSS ``lab()``) → linear-light sRGB (may be out of gamut)."""
    lightness, a, b = lab
    f1 = (lightness + 16) / 116
    f0, f2 = a / 500 + f1, f1 - b / 200
    xyz = (
        f0**3 if f0**3 > LAB_EPSILON else (116 * f0 - 16) / LAB_KAPPA,
        ((lightness + 16) / 116) ** 3 if lightness > LAB_KAPPA * LAB_EPSILON else lightness / LAB_KAPPA,
        f2**3 if f2**3 > LAB_EPSILON else (116 * f2 - 16) / LAB_KAPPA,
    )
    d50 = (xyz[0] * D50_WHITE[0], xyz[1] * D50_WHITE[1], xyz[2] * D50_WHITE[2])
    return mat_vec(_XYZ_TO_SRGB, mat_vec(_D50_TO_D65, d50))


def _hwb(h: float, white: float, black: float) -> Vec:
    if white + black >= 1:
        grey = white / (white + black)
        return (grey, grey, grey)
    rgb = hsl_to_srgb(h, 1.0, 0.5)
    return (
        rgb[0] * (1 - white - black) + white,
        rgb[1] * (1 - white - black) + white,
        rgb[2] * (1 - white - black) + white,
    )


def _rec2020_linear(c: float) -> float:
    alpha, beta = 1.09929682680944, 0.018053968510807
    a = abs(c)
    return math.copysign(a / 4.5 if a < beta * 4.5 else ((a + alpha - 1) / alpha) ** (1 / 0.45), c)


def _prophoto_linear(c: float) -> float:
    return c / 16 if abs(c) <= 16 / 512 else _signed_power(c, 1.8)


def rgb_space_to_linear_srgb(space: str, rgb: Vec) -> Vec | None:
    """A CSS Color 4 RGB or XYZ space's components → linear-light sRGB; None for a space not listed here."""
    if space == "a98-rgb":
        return mat_vec(_XYZ_TO_SRGB, mat_vec(_A98_TO_XYZ, tuple(_signed_power(c, 563 / 256) for c in rgb)))  # type: ignore[arg-type]
    if space == "rec2020":
        return mat_vec(_XYZ_TO_SRGB, mat_vec(_REC2020_TO_XYZ, tuple(_rec2020_linear(c) for c in rgb)))  # type: ignore[arg-type]
    if space == "prophoto-rgb":
        d50 = mat_vec(_PROPHOTO_TO_XYZ_D50, tuple(_prophoto_linear(c) for c in rgb))  # type: ignore[arg-type]
        return mat_vec(_XYZ_TO_SRGB, mat_vec(_D50_TO_D65, d50))
    if space in ("xyz", "xyz-d65"):
        return mat_vec(_XYZ_TO_SRGB, rgb)
    if space == "xyz-d50":
        return mat_vec(_XYZ_TO_SRGB, mat_vec(_D50_TO_D65, rgb))
    return None


def _in_gamut(linear: Vec) -> bool:
    return all(-5e-4 <= linear_to_srgb(c) <= 1 + 5e-4 for c in linear)


def _clip(linear: Vec) -> Vec:
    return tuple(srgb_to_linear(min(1.0, max(0.0, linear_to_srgb(c)))) for c in linear)  # type: ignore[return-value]


def _delta_eok(a: Vec, b: Vec) -> float:
    return math.dist(a, b)


def gamut_map(lab: Vec) -> tuple[Vec, bool]:
    """CSS Color 4 gamut mapping of an OKLab colour into sRGB: ``(linear sRGB, was_mapped)``."""
    linear = oklab_to_linear_srgb(lab)
    if _in_gamut(linear):
        return linear, False
    lightness, chroma, hue = oklab_to_oklch(lab)
    if lightness >= 1.0:
        return (1.0, 1.0, 1.0), True
    if lightness <= 0.0:
        return (0.0, 0.0, 0.0), True
    clipped = _clip(linear)
    if _delta_eok(linear_srgb_to_oklab(clipped), lab) < JND:
        return clipped, True
    low, high, low_in_gamut = 0.0, chroma, True
    while high - low > _EPSILON:
        mid = (low + high) / 2
        current = oklch_to_oklab((lightness, mid, hue))
        current_linear = oklab_to_linear_srgb(current)
        if low_in_gamut and _in_gamut(current_linear):
            low = mid
            continue
        clipped = _clip(current_linear)
        error = _delta_eok(linear_srgb_to_oklab(clipped), current)
        if error < JND:
            if JND - error < _EPSILON:
                return clipped, True
            low_in_gamut = False
            low = mid
        else:
            high = mid
    return clipped, True


def _hex_of_gamma(rgb: Vec) -> str:
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02X}" for c in rgb)


def _from_linear(linear: Vec, alpha: float, space: str, value: str) -> ParsedColor:
    lab = linear_srgb_to_oklab(linear)
    mapped_linear, mapped = gamut_map(lab)
    gamma = (linear_to_srgb(mapped_linear[0]), linear_to_srgb(mapped_linear[1]), linear_to_srgb(mapped_linear[2]))
    hex_value = _hex_of_gamma(gamma)
    if mapped:
        de = _delta_eok(linear_srgb_to_oklab(_clip(mapped_linear)), lab)
        note = (
            f"{value} ({space}) is outside sRGB: gamut-mapped to {hex_value} with the CSS Color 4 algorithm "
            f"(OKLCh chroma reduction, JND ΔEOK {JND}); ΔEOK {de:.3f} from the original"
        )
    else:
        note = f"{value} ({space}) converted to sRGB {hex_value} (inside the sRGB gamut; 8-bit rounding)"
    return ParsedColor(hex_value, _alpha(alpha, value), note)


def _alpha(alpha: float, value: object) -> float:
    if not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ColorParseError(f"colour {value!r}: alpha {alpha} is outside 0–1")
    return round(alpha, 4)


def from_components(space: str, components: list[float], alpha: float, value: object) -> ParsedColor:
    """A colour given by colour space and components (the DTCG colour object)."""
    shown = f"{space}({' '.join(f'{c:g}' for c in components)})"
    if len(components) != 3:
        raise ColorParseError(f"colour {value!r}: {space} needs 3 components, got {len(components)}")
    a, b, c = components
    if space == "srgb":
        if all(0.0 <= x <= 1.0 for x in components):
            return ParsedColor(_hex_of_gamma((a, b, c)), _alpha(alpha, value))
        return _from_linear((srgb_to_linear(a), srgb_to_linear(b), srgb_to_linear(c)), alpha, space, shown)
    if space == "srgb-linear":
        return _from_linear((a, b, c), alpha, space, shown)
    if space == "hsl":
        return ParsedColor(
            _hex_of_gamma(hsl_to_srgb(a, b / 100 if b > 1 else b, c / 100 if c > 1 else c)), _alpha(alpha, value)
        )
    if space == "display-p3":
        return _from_linear(p3_to_linear_srgb((a, b, c)), alpha, space, shown)
    if space == "oklab":
        return _from_linear(oklab_to_linear_srgb((a, b, c)), alpha, space, shown)
    if space == "oklch":
        return _from_linear(oklab_to_linear_srgb(oklch_to_oklab((a, b, c))), alpha, space, shown)
    if space == "lab":
        return _from_linear(lab_to_linear_srgb((a, b, c)), alpha, space, shown)
    if space == "lch":
        return _from_linear(lab_to_linear_srgb(lch_to_lab((a, b, c))), alpha, space, shown)
    if space == "hwb":
        rgb = _hwb(a, b / 100 if b > 1 else b, c / 100 if c > 1 else c)
        return ParsedColor(_hex_of_gamma(rgb), _alpha(alpha, value))
    linear = rgb_space_to_linear_srgb(space, (a, b, c))
    if linear is not None:
        return _from_linear(linear, alpha, space, shown)
    raise ColorParseError(
        f"colour {value!r}: colour space {space!r} is not supported (srgb, srgb-linear, hsl, hwb, lab, lch, oklab, "
        "oklch, display-p3, a98-rgb, rec2020, prophoto-rgb, xyz-d65, xyz-d50)"
    )


def hsl_to_srgb(h: float, s: float, lightness: float) -> Vec:
    """HSL (hue in degrees, saturation and lightness 0–1) → gamma-encoded sRGB (CSS Color 4's formula)."""

    def f(n: float) -> float:
        k = (n + h / 30) % 12
        a = s * min(lightness, 1 - lightness)
        return lightness - a * max(-1.0, min(k - 3, 9 - k, 1.0))

    return (f(0), f(8), f(4))


_HEX = re.compile(r"^#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC = re.compile(r"^([a-z-]+)\(\s*(.*?)\s*\)$", re.IGNORECASE)


def _number(token: str, scale: float, value: str) -> float:
    try:
        if token.endswith("%"):
            return float(token[:-1]) / 100 * scale
        if token == "none":
            return 0.0
        return float(token.removesuffix("deg"))
    except ValueError:
        raise ColorParseError(f"colour {value!r}: {token!r} is not a number") from None


def parse_css_color(value: str) -> ParsedColor:
    """A CSS colour string → :class:`ParsedColor`; raises :class:`ColorParseError` naming the value."""
    text = value.strip()
    match = _HEX.match(text)
    if match:
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(ch * 2 for ch in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return ParsedColor("#" + digits[:6].upper(), round(alpha, 4))
    if text.casefold() in ImageColor.colormap:  # a CSS named colour (css-color-4 §6.1): ``white``, ``navy``…
        red, green, blue = ImageColor.getrgb(text.casefold())[:3]
        return ParsedColor(f"#{red:02X}{green:02X}{blue:02X}")
    match = _FUNC.match(text)
    if not match:
        hint = " ('transparent' has no colour to check: name one)" if text.casefold() == "transparent" else ""
        raise ColorParseError(
            f"colour {value!r} is not a CSS colour (#hex, a colour name such as white, rgb(), hsl(), oklch(), "
            f"color(display-p3 …)){hint}"
        )
    func, body = match.group(1).lower(), match.group(2)
    main, _, alpha_text = body.replace(",", " ").partition("/")
    parts = main.split()
    if func in ("rgba", "hsla") and not alpha_text and len(parts) == 4:
        parts, alpha_text = parts[:3], parts[3]
    alpha = _number(alpha_text.strip(), 1.0, value) if alpha_text.strip() else 1.0
    if func == "color":
        if not parts:
            raise ColorParseError(f"colour {value!r}: color() needs a colour space")
        space, numbers = parts[0].lower(), [_number(p, 1.0, value) for p in parts[1:]]
        return from_components(space, numbers, alpha, value)
    if func in ("rgb", "rgba"):
        numbers = [_number(p, 255.0, value) / 255 for p in parts]
        return from_components("srgb", numbers, alpha, value)
    if func in ("hsl", "hsla"):
        nums = [_number(parts[0], 1.0, value)] + [_number(p, 1.0, value) for p in parts[1:]]
        return from_components("hsl", nums, alpha, value)
    if func == "oklch":
        nums = [_number(parts[0], 1.0, value), _number(parts[1], 0.4, value), _number(parts[2], 1.0, value)]
        return from_components("oklch", nums, alpha, value)
    if func == "oklab":
        nums = [_number(parts[0], 1.0, value), _number(parts[1], 0.4, value), _number(parts[2], 0.4, value)]
        return from_components("oklab", nums, alpha, value)
    if func == "lab":  # L 0–100 (100% = 100), a and b ±125 at ±100%
        nums = [_number(parts[0], 100.0, value), _number(parts[1], 125.0, value), _number(parts[2], 125.0, value)]
        return from_components("lab", nums, alpha, value)
    if func == "lch":  # L 0–100, C 0–150 (100% = 150), hue in degrees
        nums = [_number(parts[0], 100.0, value), _number(parts[1], 150.0, value), _number(parts[2], 1.0, value)]
        return from_components("lch", nums, alpha, value)
    if func == "hwb":
        nums = [_number(parts[0], 1.0, value)] + [_number(p, 1.0, value) for p in parts[1:]]
        return from_components("hwb", nums, alpha, value)
    raise ColorParseError(f"colour {value!r}: {func}() is not supported")


def dtcg_colour(value: object) -> object:
    """A colour string that sRGB holds exactly (``#005c5f1a``, ``rgb(0 92 95)``, ``white``) as a DTCG colour object
    — what a source older than, or other than, the DTCG format writes as its ordinary colours, so they are not each
    reported as read from CSS; anything else (an alias, an out-of-gamut ``oklch()``, a gradient) is returned as it
    is, for the DTCG reader to judge."""
    if not isinstance(value, str) or value.strip().startswith(("{", "$")):
        return value
    try:
        parsed = parse_css_color(value)
    except ColorParseError:
        return value
    if parsed.note:
        return value
    components = [int(parsed.hex[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return {"colorSpace": "srgb", "components": components, "alpha": parsed.alpha, "hex": parsed.hex}


def is_css_color(value: object) -> bool:
    """Whether ``value`` is a string :func:`parse_css_color` reads."""
    if not isinstance(value, str):
        return False
    try:
        parse_css_color(value)
    except ColorParseError:
        return False
    return True
