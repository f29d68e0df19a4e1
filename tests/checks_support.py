"""Helpers for the check tests: real fonts, a drawn logo with alpha, an in-memory spec, posters.

Fonts come from ``brand_specs/*/fonts`` (OFL fonts shipped with the example
brands), falling back to DejaVu and finally to Pillow's built-in scalable font,
so the helpers work on any machine.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.models import CopyBlock, RenderCall, RenderResult
from brandkit.ocr import OcrEngine, OcrLine, RapidOcrEngine, default_ocr_engine
from brandkit.provider.local import LocalRenderer
from brandkit.spec.loader import spec_from_data
from brandkit.spec.models import BrandSpec

REPO = Path(__file__).resolve().parents[1]
BRAND_SPECS = REPO / "brand_specs"

# Preferred faces, best first; the first that exists wins.
_BOLD = ("Lato-Black.ttf", "Lato-Bold.ttf", "SourceSansPro-Bold.ttf")
_REGULAR = ("Lato-Regular.ttf", "SourceSansPro-Regular.ttf", "Lato-Bold.ttf")
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font_file(bold: bool = True) -> Path | None:
    """A real TTF from ``brand_specs/*/fonts`` (or DejaVu), or ``None``."""
    names = _BOLD if bold else _REGULAR
    found = sorted(BRAND_SPECS.glob("*/fonts/*.ttf"))
    for name in names:
        for path in found:
            if path.name == name:
                return path
    if found:
        return found[0]
    dejavu = _DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return dejavu if dejavu.exists() else None


def font(size: int, bold: bool = True) -> FontT:
    """A font at ``size`` px: a real TTF when available, else Pillow's built-in scalable font."""
    path = font_file(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def draw_logo(width: int = 480) -> Image.Image:
    """A two-colour logo on a transparent background: ring + triangle mark and an 'ACME' wordmark."""
    height = round(width * 0.36)
    scale = 4  # supersample for clean anti-aliased edges
    big = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    h = height * scale
    navy, orange = (31, 58, 95, 255), (242, 140, 40, 255)
    r = h // 2 - 2
    cx, cy = r + 2, h // 2
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=navy)
    d.ellipse((cx - r * 0.72, cy - r * 0.72, cx + r * 0.72, cy + r * 0.72), fill=(255, 255, 255, 255))
    d.polygon([(cx - r * 0.45, cy + r * 0.4), (cx + r * 0.5, cy + r * 0.4), (cx, cy - r * 0.55)], fill=orange)
    f = font(round(h * 0.62), bold=True)
    d.text((2 * r + 8 * scale, cy), "ACME", font=f, fill=navy, anchor="lm")
    bbox = big.getchannel("A").getbbox()
    assert bbox is not None
    big = big.crop(bbox)
    return big.resize((width, round(width * big.height / big.width)), Image.Resampling.LANCZOS)


def make_spec(
    root: Path,
    *,
    logo: Image.Image | None = None,
    min_width_px: int = 96,
    max_width_share: float = 0.35,
    clear_space: float = 0.25,
    placements: Sequence[str] = ("top-left", "top-right"),
    min_contrast: float = 4.5,
    forbidden_terms: Sequence[str] = ("cheap", "guaranteed"),
    competitors: Sequence[str] = ("Contoso",),
    patterns: Sequence[str] = (r"\b\d{2,3}\s*%\s*off\b",),
    disclaimers: Sequence[str] = (),
    name: str = "Acme Coffee",
) -> BrandSpec:
    """An in-memory spec rooted at ``root`` with the drawn logo saved as ``logos/acme.png``."""
    (root / "logos").mkdir(parents=True, exist_ok=True)
    (root / "fonts").mkdir(parents=True, exist_ok=True)
    (logo or draw_logo()).save(root / "logos" / "acme.png")
    data: dict[str, Any] = {
        "name": name,
        "palette": {
            "colors": [
                {"name": "Navy", "hex": "#1F3A5F", "role": "primary"},
                {"name": "Orange", "hex": "#F28C28", "role": "accent"},
                {"name": "Paper", "hex": "#F6F1E7", "role": "background"},
            ]
        },
        "logos": [
            {
                "variant": "primary",
                "file": "logos/acme.png",
                "min_width_px": min_width_px,
                "max_width_share": max_width_share,
                "clear_space": clear_space,
                "placements": list(placements),
                "backgrounds": ["light"],
            }
        ],
        "typography": {"headline": {"file": "fonts/headline.ttf"}, "min_contrast": min_contrast},
        "forbidden": {"terms": list(forbidden_terms), "competitors": list(competitors), "patterns": list(patterns)},
        "required": {"disclaimers": list(disclaimers)},
    }
    return spec_from_data(data, source="<test>", root=root)


@dataclass
class Text:
    """A line of text to draw: ``xy`` is the top-left corner (or the anchor point with ``anchor``)."""

    text: str
    xy: tuple[int, int]
    size: int = 64
    fill: str | tuple[int, ...] = "#1E1B18"
    bold: bool = True
    anchor: str = "la"


@dataclass
class Poster:
    """A flat-background poster with text and an optional pasted logo."""

    width: int = 1024
    height: int = 1024
    background: str | tuple[int, ...] = "#F6F1E7"
    texts: list[Text] = field(default_factory=list)
    logo: Image.Image | None = None
    logo_xy: tuple[int, int] = (64, 64)
    logo_width: int | None = 240
    logo_height: int | None = None  # set to squash/stretch
    mode: str = "RGB"

    def render(self) -> Image.Image:
        """Draw the poster."""
        image = Image.new(self.mode, (self.width, self.height), self.background)
        if self.logo is not None:
            w = self.logo_width or self.logo.width
            h = self.logo_height or round(w * self.logo.height / self.logo.width)
            logo = self.logo.resize((w, h), Image.Resampling.LANCZOS)
            image.paste(logo, self.logo_xy, logo)
        draw = ImageDraw.Draw(image)
        for item in self.texts:
            draw.text(item.xy, item.text, font=font(item.size, item.bold), fill=item.fill, anchor=item.anchor)
        return image


def encode(image: Image.Image, fmt: str = "png", **params: Any) -> bytes:
    """Encode ``image`` as ``fmt`` bytes."""
    buffer = io.BytesIO()
    if fmt == "jpeg" and image.mode != "RGB":
        image = image.convert("RGB")
    image.save(buffer, fmt.upper(), **params)
    return buffer.getvalue()


def context(
    spec: BrandSpec,
    image: Image.Image,
    resources: CheckResources,
    *,
    data: bytes | None = None,
    fmt: str = "png",
    **expectation: Any,
) -> CheckContext:
    """A check context for ``image`` (encoded as ``fmt`` unless ``data`` is given)."""
    if "copy_block" in expectation and isinstance(expectation["copy_block"], dict):
        expectation["copy_block"] = CopyBlock(**expectation["copy_block"])
    return CheckContext(
        spec=spec,
        image=image,
        data=data if data is not None else encode(image, fmt),
        expectation=Expectation(**expectation),
        resources=resources,
    )


class FakeOcr:
    """An OCR engine stand-in: fixed lines, or unavailable, or raising."""

    name = "fake"

    def __init__(
        self, lines: Sequence[OcrLine] = (), *, available: bool = True, error: Exception | None = None
    ) -> None:
        self._lines = list(lines)
        self._available = available
        self._error = error
        self.calls = 0

    @property
    def available(self) -> bool:
        return self._available

    @property
    def unavailable_reason(self) -> str | None:
        return None if self._available else "fake engine switched off"

    def read(self, image: Image.Image) -> list[OcrLine]:
        self.calls += 1
        if self._error is not None:
            raise self._error
        return list(self._lines)


def resources_with(engine: OcrEngine) -> CheckResources:
    """Fresh resources holding ``engine`` as the OCR engine."""
    resources = CheckResources()
    resources.get("ocr", lambda: engine)
    return resources


@functools.lru_cache(maxsize=1)
def _shared_engine() -> RapidOcrEngine:
    return default_ocr_engine()


def shared_ocr_engine() -> RapidOcrEngine:
    """The session's one OCR engine (its models load on first use): the ``ocr_engine`` fixture's, and the one
    the session's ``kit_resources`` give every kit."""
    return _shared_engine()


@pytest.fixture(scope="session")
def ocr_engine() -> Iterator[RapidOcrEngine]:
    """One real OCR engine for the whole test session (shared by every module that imports this fixture).

    Fails loudly when rapidocr, a required dependency, is unusable.
    """
    engine = _shared_engine()
    if not engine.available:
        pytest.fail(f"rapidocr is a required dependency but is unusable: {engine.unavailable_reason}")
    yield engine


class CountingProvider:
    """The local renderer, counting render calls (to prove nothing was rendered, or how often)."""

    name = "counting"

    def __init__(self, spec: BrandSpec) -> None:
        self.inner = LocalRenderer(spec)
        self.calls = 0

    def render(self, call: RenderCall) -> RenderResult:
        self.calls += 1
        return self.inner.render(call)

    async def arender(self, call: RenderCall) -> RenderResult:
        return self.render(call)
