"""Are a spec's assets usable? The rules a logo, a font, a photo and a licence file must meet.

:func:`brandkit.load_spec` (and so ``brandkit spec check``) applies them to every asset the spec names and
reports each problem as a :class:`~brandkit.errors.SpecIssue` naming the field (``logos[1].file``) and the
file. The image rules are **the compiler's own**: :func:`provider_image` is what
:func:`brandkit.compile.compile_prompt` calls on every reference image it sends (the logo included), so a
spec that loads cannot fail at compile time on an asset.

* **Images sent to the image API** (:func:`provider_image`): PNG, JPEG or WebP by content (not by file
  name; a GIF named ``logo.png`` is refused), at most :data:`MAX_PROVIDER_IMAGE_BYTES` (the provider's
  per-image limit), within the decoder's pixel limit (:data:`brandkit.imageio.MAX_PIXELS`), fully
  decodable, and in a colour mode that converts to 8-bit sRGB without a colour profile (:data:`IMAGE_MODES`:
  bilevel, grey, palette, RGB, each with or without alpha, and 16-bit grey; CMYK is refused — its colours
  would shift without colour management).
* **Logos** (:func:`logo_problems`): at least as wide as the variant's ``min_width_px`` (the smallest width it
  is ever drawn at: a narrower file would be enlarged and blur), and with transparent pixels when the spec
  says it sits on other backgrounds: ``backgrounds`` holds ``any``, or ``generation.background`` is
  ``transparent``.
* **Fonts** (:func:`font_problems`): opened by FreeType at a real size exactly as the compositor opens
  them, character map readable, and a sample of glyphs (the basic Latin letters and digits the font maps, or
  else its first letters) really drawn with ink — a truncated font opens but draws nothing. The main font of
  each role must map every basic Latin letter and digit (``A–Z a–z 0–9``), and the body font chain must have
  every character of the spec's required disclaimers (:func:`copy_glyph_problems`).
* **Photos**: decodable within the limits. **Licences**: a non-empty regular file.
"""

from __future__ import annotations

import io
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from brandkit.color import ciede2000, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.errors import BrandkitError, ImageInputError, RequestError
from brandkit.glyphs import FontChain, font_coverage, glyph_problems
from brandkit.imageio import load_image
from brandkit.spec.models import BrandSpec, LogoVariant
from brandkit.wcag import tone_with_margin

__all__ = [
    "BASIC_GLYPHS",
    "IMAGE_MODES",
    "MAX_PROVIDER_IMAGE_BYTES",
    "PROVIDER_IMAGE_TYPES",
    "ImageFacts",
    "copy_glyph_problems",
    "font_problems",
    "logo_problems",
    "provider_image",
]

PROVIDER_IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
"""Formats the image API accepts as input images, and their MIME types."""
MAX_PROVIDER_IMAGE_BYTES = 50 * 1024 * 1024
"""Largest input image the provider takes (the OpenAI provider's ``MAX_INPUT_IMAGE_BYTES``; a test keeps them equal)."""
IMAGE_MODES = frozenset({"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "I", "I;16", "I;16B", "I;16L", "I;16N"})
"""Pillow modes that convert to 8-bit sRGB (RGB/RGBA) without a colour profile."""
BASIC_GLYPHS = string.ascii_uppercase + string.ascii_lowercase + string.digits
"""Characters every role's main font must have: copy, prices and dates are set in them."""
_FONT_TEST_SIZE = 32
_SAMPLE_LIMIT = 16


@dataclass(frozen=True)
class ImageFacts:
    """What :func:`provider_image` learnt about an image it accepted."""

    format: str
    """``png``, ``jpeg`` or ``webp``."""
    mode: str
    """Pillow mode of the file as stored (before conversion to RGB/RGBA)."""
    width: int
    height: int
    size_bytes: int
    transparent: bool
    """True when at least one pixel is not fully opaque."""
    border: tuple[int, int, int] | None = None
    """The colour of the image's one-pixel border when it is opaque and that border is one colour (a logo saved on
    a white box: ``(255, 255, 255)``); None otherwise."""

    @property
    def mime(self) -> str:
        """The MIME type sent with the image."""
        return PROVIDER_IMAGE_TYPES[self.format]


def provider_image(data: bytes, name: str, what: str = "reference image") -> ImageFacts:
    """Check ``data`` as the image API will take it; raise before anything is sent.

    Raises :class:`~brandkit.errors.RequestError` (field ``references``) for a format, colour mode or byte
    size the API does not accept, and :class:`~brandkit.errors.ImageInputError` for an image that does not
    decode within the limits (truncated, bomb). ``name`` and ``what`` word the message.
    """
    if len(data) > MAX_PROVIDER_IMAGE_BYTES:
        raise RequestError(
            f"{what} {name!r} is {len(data):,} bytes; the image API takes at most {MAX_PROVIDER_IMAGE_BYTES:,}",
            field="references",
            value=name,
        )
    try:
        with Image.open(io.BytesIO(data)) as header:
            fmt, mode = (header.format or "").lower(), header.mode
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        fmt, mode = "", ""
    if fmt not in PROVIDER_IMAGE_TYPES:
        raise RequestError(
            f"{what} {name!r} is {fmt.upper() or 'not a recognised image'}: the image API takes PNG, JPEG or WebP",
            field="references",
            value=name,
        )
    if mode not in IMAGE_MODES:
        raise RequestError(
            f"{what} {name!r} is a {mode} {fmt.upper()}: its colours would shift when converted without a colour "
            "profile; export it as sRGB (RGB or RGBA)",
            field="references",
            value=name,
        )
    decoded = load_image(data)  # decodes fully: truncated or bomb images fail here, before anything is sent
    lowest_alpha = decoded.getchannel("A").getextrema()[0] if decoded.mode == "RGBA" else 255
    transparent = isinstance(lowest_alpha, int | float) and lowest_alpha < 255
    border = None if transparent else _uniform_border(decoded)
    return ImageFacts(fmt, mode, decoded.width, decoded.height, len(data), transparent, border)


BORDER_TOLERANCE = 12
"""How far (per channel, 0–255) a border pixel may be from the border's median and the border still count as one
colour: JPEG ringing and noise, not a drawing touching the edge."""


def _uniform_border(image: Image.Image) -> tuple[int, int, int] | None:
    """The median colour of ``image``'s one-pixel border when every border pixel is within
    :data:`BORDER_TOLERANCE` of it, else None."""
    width, height = image.size
    edges = ((0, 0, width, 1), (0, height - 1, width, height), (0, 0, 1, height), (width - 1, 0, width, height))
    # the four one-pixel strips only: this runs on every reference image compile checks, some of them photographs
    ring = np.concatenate([np.asarray(image.crop(box).convert("RGB"), dtype=np.int16).reshape(-1, 3) for box in edges])
    median = np.median(ring, axis=0)
    if np.abs(ring - median).max() > BORDER_TOLERANCE:
        return None
    red, green, blue = (round(float(v)) for v in median)
    return (red, green, blue)


def logo_problems(facts: ImageFacts, logo: LogoVariant, spec: BrandSpec) -> list[str]:
    """What makes an accepted image unusable as the logo variant ``logo`` of ``spec`` (empty: usable)."""
    problems: list[str] = []
    if facts.width < logo.min_width_px:
        problems.append(
            f"the logo is {facts.width}x{facts.height} px, narrower than its min_width_px ({logo.min_width_px}): "
            "it would be enlarged and blurred every time it is drawn; use a larger file"
        )
    reasons = []
    if any(bg.casefold() == "any" for bg in logo.backgrounds):
        reasons.append("its backgrounds include 'any'")
    if spec.generation.background == "transparent":
        reasons.append("generation.background is 'transparent'")
    if reasons and not facts.transparent:
        problems.append(
            f"the logo has no transparent pixels, but {' and '.join(reasons)}: it would be drawn as an opaque "
            "box; export it as PNG or WebP with alpha"
        )
    elif facts.border is not None:
        border = facts.border
        problems += with_each_mode(
            spec, lambda s: _box_problems(border, s.logo(logo.variant), s)
        )  # each mode's grounds
    return problems


def with_each_mode(spec: BrandSpec, problems_of: Callable[[BrandSpec], list[str]]) -> list[str]:
    """What ``problems_of`` says of ``spec`` in its own colours, then what it says of each of its palette modes
    (``palette.modes``, when ``spec`` is in none) that the default colours did not, prefixed by the mode."""
    found = problems_of(spec)
    out = list(found)
    for mode in spec.palette.modes if spec.mode is None else ():
        out += [f"in palette mode {mode!r}: {p}" for p in problems_of(spec.for_mode(mode)) if p not in found]
    return out


INK_CONTRAST_MARGIN = 2.0
"""How many times more contrast a logo's ink must have against one ground (white or black) than against the other
for :func:`ink_ground` to decide: a mid-tone mark (a brand blue, 4.8:1 on white, 4.4:1 on black) is neither."""


def ink_ground(image: Image.Image) -> Literal["light", "dark"] | None:
    """The background a transparent logo is made for, from its ink (its opaque pixels): ``light`` for dark ink,
    ``dark`` for light ink (a white, reversed mark). ``None`` when it cannot say: an image without transparency
    (its own box is its ground) or a mid-tone ink.

    The ink's median relative luminance ``L`` against white (1.05 / (L + 0.05)) and black ((L + 0.05) / 0.05): the
    ground with :data:`INK_CONTRAST_MARGIN` times the other's contrast."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    opaque = rgba[..., 3] >= 128
    if opaque.all() or not opaque.any():
        return None
    srgb = rgba[opaque][:, :3] / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    lum = float(np.median(linear @ np.array([0.2126, 0.7152, 0.0722])))
    ink = tone_with_margin(lum, INK_CONTRAST_MARGIN)
    return None if ink is None else ("light" if ink == "dark" else "dark")  # dark ink is made for light grounds


def logo_ground_warnings(spec: BrandSpec) -> list[str]:
    """``spec check``'s warnings about logo variants whose ink does not show on the grounds they are made for: a
    white mark whose ``backgrounds`` are light (invisible on the page, the logo check failing), a dark one whose
    are dark — in the default colours and in each palette mode (``palette.modes``)."""
    return with_each_mode(spec, _ground_warnings)


def _ground_warnings(spec: BrandSpec) -> list[str]:
    """:func:`logo_ground_warnings` in ``spec``'s own colours."""
    warnings = []
    for logo in spec.logos:
        made_for = spec.logo_tone(logo.variant)
        try:
            ink = ink_ground(load_image(spec.asset_path(logo.file)))
        except (OSError, ImageInputError):
            continue  # the spec's own checks name an unreadable logo
        if made_for is not None and ink is not None and ink != made_for:
            shade = "light" if ink == "dark" else "dark"
            warnings.append(
                f"logos[{logo.variant}]: its ink is {shade} but its backgrounds ({', '.join(logo.backgrounds)}) are "
                f"{made_for}: it does not show on them; set backgrounds: [{ink}] (or give the variant a file "
                f"for {made_for} grounds)"
            )
    return warnings


BOX_VISIBLE_DE00 = 3.0
"""ΔE00 above which an opaque logo's background box shows on the brand background it is drawn on."""


def _box_problems(border: tuple[int, int, int], logo: LogoVariant, spec: BrandSpec) -> list[str]:
    """An opaque logo saved on a box of one colour (``border``) shows that box on every background it is made for
    whose colour differs from the box: a white rectangle on a cream brand background. A box in one of the brand's
    own colours is taken as meant (a badge in brand red)."""
    border_lab = srgb_to_lab(np.array([border]))
    brand = [hex_to_rgb(c.hex) for c in spec.palette.colors] + [hex_to_rgb(c.hex) for c in spec.palette.allowed]
    if brand and float(ciede2000(border_lab, srgb_to_lab(np.array(brand))).min()) <= BOX_VISIBLE_DE00:
        return []
    colours = {c.name.casefold(): (c.name, hex_to_rgb(c.hex)) for c in spec.palette.colors}
    grounds: list[tuple[str, tuple[int, int, int]]] = []
    for name in logo.backgrounds:
        key = name.casefold()
        if key in ("light", "dark"):
            grounds.append(
                (f"the {key} background", spec.palette.background_rgb("light" if key == "light" else "dark"))
            )
        elif key in colours:
            grounds.append((colours[key][0], colours[key][1]))
    out = []
    shown: set[tuple[int, int, int]] = set()
    for label, ground in grounds:
        if ground in shown:  # "light" and the palette colour it is ("Crema"): one problem
            continue
        shown.add(ground)
        distance = float(ciede2000(border_lab, srgb_to_lab(np.array([ground])))[0])
        if distance > BOX_VISIBLE_DE00:
            out.append(
                f"the logo is opaque, on a {rgb_to_hex(border)} box: it would be drawn as that box on {label} "
                f"{rgb_to_hex(ground)} (ΔE00 {distance:.1f}); export it as PNG or WebP with a transparent background"
            )
    return out


def _draws(font: ImageFont.FreeTypeFont, ch: str) -> bool:
    canvas = Image.new("L", (_FONT_TEST_SIZE * 3, _FONT_TEST_SIZE * 3))
    ImageDraw.Draw(canvas).text((_FONT_TEST_SIZE // 2, _FONT_TEST_SIZE // 2), ch, font=font, fill=255)
    return canvas.getbbox() is not None


def font_problems(path: Path, *, role_font: bool) -> list[str]:
    """What makes the font file at ``path`` unusable (empty: usable); ``role_font`` for a role's main font."""
    try:
        font = ImageFont.truetype(str(path), _FONT_TEST_SIZE)
    except (OSError, ValueError) as exc:
        return [f"not a font FreeType can open ({exc})"]
    try:
        coverage = font_coverage(path)
    except (OSError, ValueError) as exc:
        return [f"the font's character map cannot be read ({exc})"]
    sample = [ch for ch in BASIC_GLYPHS if coverage.has(ch)]
    if not sample:  # e.g. a fallback for another script: its first letters and digits
        drawable = (chr(cp) for cp in sorted(coverage.codepoints) if chr(cp).isalnum())
        sample = [ch for _, ch in zip(range(_SAMPLE_LIMIT), drawable, strict=False)]
    problems: list[str] = []
    if not sample:
        problems.append("the font maps no letter or digit")
    try:
        blank = [ch for ch in sample if not _draws(font, ch)]
    except (OSError, ValueError) as exc:
        blank, problems = [], [*problems, f"the font fails to draw its glyphs ({exc})"]
    if blank:
        problems.append(
            f"{len(blank)} of {len(sample)} sampled glyphs draw nothing ({''.join(blank[:_SAMPLE_LIMIT])!r}): "
            "the file is damaged or truncated"
        )
    missing = [ch for ch in BASIC_GLYPHS if not coverage.has(ch)] if role_font else []
    if missing:
        problems.append(
            f"no glyph for {len(missing)} basic Latin letters/digits ({''.join(missing[:_SAMPLE_LIMIT])!r}): a role's "
            "main font must have A-Z, a-z and 0-9 (other scripts go in typography.fallbacks)"
        )
    return problems


def copy_glyph_problems(spec: BrandSpec, font_path: dict[str, Path]) -> list[tuple[str, str]]:
    """(field, message) for each required disclaimer the body font chain cannot draw.

    ``font_path`` maps a font's file as written in the spec to its real path; only usable fonts are given
    (a chain with an unusable font is not checked again).
    """
    typo = spec.typography
    body = typo.font_for("body")
    fallbacks = typo.fallbacks_for("body")
    if body.file not in font_path or any(fb.file not in font_path for fb in fallbacks):
        return []
    try:
        chain = FontChain.of(font_path[body.file], [(font_path[fb.file], fb.scripts) for fb in fallbacks])
    except (OSError, ValueError):
        return []
    fields = [(f"required.disclaimers[{i}]", text, chain) for i, text in enumerate(spec.required.disclaimers)]
    for code, lines in spec.required.locales.items():
        fields += [(f"required.locales.{code}[{i}]", text, chain) for i, text in enumerate(lines)]
    return [
        (p.field, f"no glyph for {p.describe()} in the body font {body.file!r} or its fallbacks")
        for p in glyph_problems(fields)
    ]


def image_problem(exc: BrandkitError) -> str:
    """The message of a refused image without the redundant prefix of an :class:`ImageInputError`."""
    if isinstance(exc, ImageInputError) and exc.source and exc.message.startswith(exc.source + ": "):
        return exc.message[len(exc.source) + 2 :]
    return exc.message
